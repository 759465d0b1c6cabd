//! The `restores` table: restores in flight, so that deleting a snapshot can wait for them.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use crate::Result;

/// Record that job `job_id` restores snapshot `snapshot_id`, started at `at`.
pub async fn insert(
    pool: &SqlitePool,
    job_id: &str,
    snapshot_id: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO restores (job_id, snapshot_id, started_at) VALUES (?, ?, ?)",
        job_id,
        snapshot_id,
        at,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The restore of job `job_id` ended.
pub async fn delete(pool: &SqlitePool, job_id: &str) -> Result<()> {
    sqlx::query!("DELETE FROM restores WHERE job_id = ?", job_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// How many restores of snapshot `snapshot_id` are in flight.
pub async fn count_of(pool: &SqlitePool, snapshot_id: &str) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "count!: i64" FROM restores WHERE snapshot_id = ?"#,
        snapshot_id,
    )
    .fetch_one(pool)
    .await?)
}
