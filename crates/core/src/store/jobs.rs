//! The `jobs` table: long work, its stage, its owner process and its heartbeat (see [`crate::jobs`]).

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use crate::Result;

/// A job row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    /// Job id.
    pub id: String,
    /// Kind of work.
    pub kind: String,
    /// Name it works on.
    pub target: String,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    /// Last stage.
    pub stage: String,
    /// Last message.
    pub message: String,
    /// Failure, when failed.
    pub error: Option<String>,
    /// Token of the owning process.
    pub owner: String,
    /// Last proof of life.
    pub heartbeat_at: DateTime<Utc>,
}

/// A job to record as running.
#[derive(Debug, Clone, Copy)]
pub struct NewJob<'a> {
    /// Its id.
    pub id: &'a str,
    /// Kind of work.
    pub kind: &'a str,
    /// Name it works on.
    pub target: &'a str,
    /// Token of the process doing it.
    pub owner: &'a str,
    /// Now: its creation and first heartbeat.
    pub at: DateTime<Utc>,
}

/// Record a running job.
pub async fn insert_running(pool: &SqlitePool, job: &NewJob<'_>) -> Result<()> {
    sqlx::query!(
        "INSERT INTO jobs (id, kind, target, status, owner, heartbeat_at, created_at) \
         VALUES (?, ?, ?, 'running', ?, ?, ?)",
        job.id,
        job.kind,
        job.target,
        job.owner,
        job.at,
        job.at,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Prove the owner of a running job is alive.
pub async fn heartbeat(pool: &SqlitePool, id: &str, at: DateTime<Utc>) -> Result<()> {
    sqlx::query!(
        "UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND status = 'running'",
        at,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Record the current stage (also a heartbeat).
pub async fn set_stage(
    pool: &SqlitePool,
    id: &str,
    stage: &str,
    message: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE jobs SET stage = ?, message = ?, heartbeat_at = ? WHERE id = ?",
        stage,
        message,
        at,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The job `id`.
pub async fn by_id(pool: &SqlitePool, id: &str) -> Result<Option<JobRow>> {
    Ok(sqlx::query_as!(
        JobRow,
        r#"SELECT id AS "id!", kind, target, status, stage, message, error, owner,
           heartbeat_at AS "heartbeat_at: DateTime<Utc>" FROM jobs WHERE id = ?"#,
        id,
    )
    .fetch_optional(pool)
    .await?)
}

/// Running jobs of every process but `owner`.
pub async fn running_not_owned_by(pool: &SqlitePool, owner: &str) -> Result<Vec<JobRow>> {
    Ok(sqlx::query_as!(
        JobRow,
        r#"SELECT id AS "id!", kind, target, status, stage, message, error, owner,
           heartbeat_at AS "heartbeat_at: DateTime<Utc>" FROM jobs
           WHERE status = 'running' AND owner != ?"#,
        owner,
    )
    .fetch_all(pool)
    .await?)
}

/// How many jobs run, in any process.
pub async fn count_running(pool: &SqlitePool) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "count!: i64" FROM jobs WHERE status = 'running'"#
    )
    .fetch_one(pool)
    .await?)
}

/// Record success.
pub async fn set_succeeded(pool: &SqlitePool, id: &str, at: DateTime<Utc>) -> Result<()> {
    sqlx::query!(
        "UPDATE jobs SET status = 'succeeded', finished_at = ? WHERE id = ?",
        at,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Record failure with the reason.
pub async fn set_failed(pool: &SqlitePool, id: &str, error: &str, at: DateTime<Utc>) -> Result<()> {
    sqlx::query!(
        "UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE id = ?",
        error,
        at,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Record failure with the reason, unless the job has already ended.
pub async fn fail_if_running(
    pool: &SqlitePool,
    id: &str,
    error: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE jobs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'running'",
        error,
        at,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Forget a job.
pub async fn delete(pool: &SqlitePool, id: &str) -> Result<()> {
    sqlx::query!("DELETE FROM jobs WHERE id = ?", id)
        .execute(pool)
        .await?;
    Ok(())
}
