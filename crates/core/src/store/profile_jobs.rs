//! The `profile_jobs` table: the snapshot jobs of profile versions — queued, claimed by one process (running),
//! ended ready (with the image made) or failed, or a refresh skipped as unchanged — with their output, appended as
//! they run. A unique partial index keeps one job queued or running per version, across processes.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::{Duplicate, refused_if_duplicate};
use crate::Result;

/// A job row, without its output.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProfileJobRow {
    /// Job id (also the id of its `jobs` row while it runs).
    pub id: String,
    /// The version it bakes.
    pub version_id: String,
    /// `publish`, `refresh`, `schedule` or `base-image`.
    pub trigger: String,
    /// Whether it runs even when its inputs did not change.
    pub forced: bool,
    /// `queued`, `running`, `ready`, `failed` or `unchanged`.
    pub status: String,
    /// The step it is at.
    pub stage: String,
    /// Why it failed or was skipped.
    pub error: Option<String>,
    /// The one-off sandbox it made, while it exists.
    pub sandbox: Option<String>,
    /// The image it made.
    pub image: Option<String>,
    /// That image's engine id.
    pub image_id: Option<String>,
    /// The engine id of the image the recipe started from.
    pub base_image_id: Option<String>,
    /// The recipe's digest when it ran.
    pub digest: Option<String>,
    /// When it was queued.
    pub queued_at: DateTime<Utc>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// When its image was removed (replaced, and no sandbox used it any more).
    pub image_removed_at: Option<DateTime<Utc>>,
}

/// A job to record: queued, or (a refresh whose inputs did not change) unchanged at once.
#[derive(Debug, Clone, Copy)]
pub struct NewProfileJob<'a> {
    /// Its id.
    pub id: &'a str,
    /// The version.
    pub version_id: &'a str,
    /// Why it was asked for.
    pub trigger: &'a str,
    /// `--force`.
    pub forced: bool,
    /// `queued` or `unchanged`.
    pub status: &'a str,
    /// Why it was skipped, when unchanged.
    pub error: Option<&'a str>,
    /// Now.
    pub at: DateTime<Utc>,
}

/// What a ready job made.
#[derive(Debug, Clone, Copy)]
pub struct ReadyJob<'a> {
    /// The job.
    pub id: &'a str,
    /// The snapshot image.
    pub image: &'a str,
    /// Its engine id.
    pub image_id: &'a str,
    /// The engine id of the image the recipe started from.
    pub base_image_id: Option<&'a str>,
    /// The recipe's digest.
    pub digest: &'a str,
    /// When it ended.
    pub at: DateTime<Utc>,
}

/// A ready job found in the engine's labels (the database was lost).
#[derive(Debug, Clone, Copy)]
pub struct FoundJob<'a> {
    /// Its id.
    pub id: &'a str,
    /// The version.
    pub version_id: &'a str,
    /// Why it was asked for.
    pub trigger: &'a str,
    /// The snapshot image.
    pub image: &'a str,
    /// Its engine id.
    pub image_id: &'a str,
    /// The engine id of the image the recipe started from.
    pub base_image_id: Option<&'a str>,
    /// The recipe's digest.
    pub digest: &'a str,
    /// When it was queued.
    pub queued_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
}

/// A job whose image is still on the engine.
#[derive(Debug, Clone)]
pub struct JobImage {
    /// The job.
    pub id: String,
    /// The version.
    pub version_id: String,
    /// The image.
    pub image: String,
}

/// Record a job; a second job queued or running for the version is a [`Duplicate`].
pub async fn insert(
    pool: &SqlitePool,
    job: &NewProfileJob<'_>,
) -> Result<std::result::Result<(), Duplicate>> {
    let finished = (job.status != "queued").then_some(job.at);
    let result = sqlx::query!(
        "INSERT INTO profile_jobs (id, version_id, trigger, forced, status, error, queued_at, finished_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        job.id,
        job.version_id,
        job.trigger,
        job.forced,
        job.status,
        job.error,
        job.at,
        finished,
    )
    .execute(pool)
    .await;
    Ok(refused_if_duplicate(result)?.map(|_| ()))
}

/// Record a ready job found in the engine's labels unless its id is known; whether it was inserted.
pub async fn insert_found(pool: &SqlitePool, job: &FoundJob<'_>) -> Result<bool> {
    let done = sqlx::query!(
        "INSERT OR IGNORE INTO profile_jobs \
         (id, version_id, trigger, status, image, image_id, base_image_id, digest, queued_at, started_at, finished_at) \
         VALUES (?, ?, ?, 'ready', ?, ?, ?, ?, ?, ?, ?)",
        job.id,
        job.version_id,
        job.trigger,
        job.image,
        job.image_id,
        job.base_image_id,
        job.digest,
        job.queued_at,
        job.queued_at,
        job.finished_at,
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The job `id`.
pub async fn by_id(pool: &SqlitePool, id: &str) -> Result<Option<ProfileJobRow>> {
    Ok(sqlx::query_as!(
        ProfileJobRow,
        r#"SELECT id AS "id!", version_id, trigger, forced AS "forced: bool", status, stage, error, sandbox,
           image, image_id, base_image_id, digest, queued_at AS "queued_at: DateTime<Utc>",
           started_at AS "started_at: DateTime<Utc>", finished_at AS "finished_at: DateTime<Utc>",
           image_removed_at AS "image_removed_at: DateTime<Utc>"
           FROM profile_jobs WHERE id = ?"#,
        id,
    )
    .fetch_optional(pool)
    .await?)
}

/// The version's jobs, newest first.
pub async fn of_version(pool: &SqlitePool, version_id: &str) -> Result<Vec<ProfileJobRow>> {
    Ok(sqlx::query_as!(
        ProfileJobRow,
        r#"SELECT id AS "id!", version_id, trigger, forced AS "forced: bool", status, stage, error, sandbox,
           image, image_id, base_image_id, digest, queued_at AS "queued_at: DateTime<Utc>",
           started_at AS "started_at: DateTime<Utc>", finished_at AS "finished_at: DateTime<Utc>",
           image_removed_at AS "image_removed_at: DateTime<Utc>"
           FROM profile_jobs WHERE version_id = ? ORDER BY queued_at DESC, id"#,
        version_id,
    )
    .fetch_all(pool)
    .await?)
}

/// The version's job queued or running, if any.
pub async fn in_flight_of(pool: &SqlitePool, version_id: &str) -> Result<Option<ProfileJobRow>> {
    Ok(sqlx::query_as!(
        ProfileJobRow,
        r#"SELECT id AS "id!", version_id, trigger, forced AS "forced: bool", status, stage, error, sandbox,
           image, image_id, base_image_id, digest, queued_at AS "queued_at: DateTime<Utc>",
           started_at AS "started_at: DateTime<Utc>", finished_at AS "finished_at: DateTime<Utc>",
           image_removed_at AS "image_removed_at: DateTime<Utc>"
           FROM profile_jobs WHERE version_id = ? AND status IN ('queued', 'running')"#,
        version_id,
    )
    .fetch_optional(pool)
    .await?)
}

/// Queued jobs of every profile, oldest first.
pub async fn queued(pool: &SqlitePool) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT id AS "id!" FROM profile_jobs WHERE status = 'queued' ORDER BY queued_at, id"#,
    )
    .fetch_all(pool)
    .await?)
}

/// Running jobs of every profile (whichever process runs them).
pub async fn running(pool: &SqlitePool) -> Result<Vec<ProfileJobRow>> {
    Ok(sqlx::query_as!(
        ProfileJobRow,
        r#"SELECT id AS "id!", version_id, trigger, forced AS "forced: bool", status, stage, error, sandbox,
           image, image_id, base_image_id, digest, queued_at AS "queued_at: DateTime<Utc>",
           started_at AS "started_at: DateTime<Utc>", finished_at AS "finished_at: DateTime<Utc>",
           image_removed_at AS "image_removed_at: DateTime<Utc>"
           FROM profile_jobs WHERE status = 'running'"#,
    )
    .fetch_all(pool)
    .await?)
}

/// How many jobs of the profile are running.
pub async fn running_of_profile(pool: &SqlitePool, profile_id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT j.id AS "id!" FROM profile_jobs j JOIN profile_versions v ON v.id = j.version_id
           WHERE v.profile_id = ? AND j.status = 'running'"#,
        profile_id,
    )
    .fetch_all(pool)
    .await?)
}

/// Claim a queued job for this process: true when it was queued and is now running.
pub async fn claim(pool: &SqlitePool, id: &str, at: DateTime<Utc>) -> Result<bool> {
    let done = sqlx::query!(
        "UPDATE profile_jobs SET status = 'running', started_at = ?, stage = 'starting' \
         WHERE id = ? AND status = 'queued'",
        at,
        id,
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Record the step the job is at.
pub async fn set_stage(pool: &SqlitePool, id: &str, stage: &str) -> Result<()> {
    sqlx::query!("UPDATE profile_jobs SET stage = ? WHERE id = ?", stage, id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Record the one-off sandbox the job makes (before it is made), or that it is gone.
pub async fn set_sandbox(pool: &SqlitePool, id: &str, sandbox: Option<&str>) -> Result<()> {
    sqlx::query!(
        "UPDATE profile_jobs SET sandbox = ? WHERE id = ?",
        sandbox,
        id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Append to the job's output.
pub async fn append_output(pool: &SqlitePool, id: &str, text: &str) -> Result<()> {
    sqlx::query!(
        "UPDATE profile_jobs SET output = output || ? WHERE id = ?",
        text,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The job's output so far.
pub async fn output(pool: &SqlitePool, id: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar!("SELECT output FROM profile_jobs WHERE id = ?", id)
            .fetch_optional(pool)
            .await?,
    )
}

/// Record a running job ready with the image it made.
pub async fn set_ready(pool: &SqlitePool, job: &ReadyJob<'_>) -> Result<()> {
    sqlx::query!(
        "UPDATE profile_jobs SET status = 'ready', stage = 'ready', image = ?, image_id = ?, base_image_id = ?, \
         digest = ?, finished_at = ?, sandbox = NULL WHERE id = ? AND status = 'running'",
        job.image,
        job.image_id,
        job.base_image_id,
        job.digest,
        job.at,
        job.id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Record the engine id of the image the recipe started from.
pub async fn set_base_image(pool: &SqlitePool, id: &str, base_image_id: &str) -> Result<()> {
    sqlx::query!(
        "UPDATE profile_jobs SET base_image_id = ? WHERE id = ?",
        base_image_id,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Record a queued or running job failed with the reason (a job that has ended is left as it is).
pub async fn set_failed(pool: &SqlitePool, id: &str, error: &str, at: DateTime<Utc>) -> Result<()> {
    sqlx::query!(
        "UPDATE profile_jobs SET status = 'failed', error = ?, finished_at = ?, sandbox = NULL \
         WHERE id = ? AND status IN ('queued', 'running')",
        error,
        at,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Jobs whose image is still on the engine.
pub async fn with_images(pool: &SqlitePool) -> Result<Vec<JobImage>> {
    Ok(sqlx::query_as!(
        JobImage,
        r#"SELECT id AS "id!", version_id, image AS "image!" FROM profile_jobs
           WHERE image IS NOT NULL AND image_removed_at IS NULL"#,
    )
    .fetch_all(pool)
    .await?)
}

/// Record that the job's image was removed.
pub async fn set_image_removed(pool: &SqlitePool, id: &str, at: DateTime<Utc>) -> Result<()> {
    sqlx::query!(
        "UPDATE profile_jobs SET image_removed_at = ? WHERE id = ?",
        at,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Forget the version's oldest ended jobs beyond the newest `keep`, except those whose image is still on the
/// engine.
pub async fn prune(pool: &SqlitePool, version_id: &str, keep: i64) -> Result<()> {
    sqlx::query!(
        "DELETE FROM profile_jobs WHERE version_id = ? AND status NOT IN ('queued', 'running') \
         AND (image IS NULL OR image_removed_at IS NOT NULL) \
         AND id NOT IN (SELECT id FROM profile_jobs WHERE version_id = ? ORDER BY queued_at DESC LIMIT ?)",
        version_id,
        version_id,
        keep,
    )
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::profiles;

    #[tokio::test]
    async fn one_job_in_flight_per_version_and_a_claim_is_taken_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::open(&dir.path().join("db.sqlite"))
            .await
            .unwrap();
        let pool = store.pool();
        let now = Utc::now();
        profiles::insert(
            pool,
            &profiles::NewProfile {
                id: "p",
                name: "web",
                refresh_schedule: "manual",
                created_at: now,
            },
        )
        .await
        .unwrap()
        .unwrap();
        profiles::insert_draft(
            pool,
            &profiles::NewDraft {
                id: "v",
                profile_id: "p",
                recipe: "{}",
                based_on: None,
                at: now,
            },
        )
        .await
        .unwrap()
        .unwrap();
        let job = NewProfileJob {
            id: "j1",
            version_id: "v",
            trigger: "publish",
            forced: false,
            status: "queued",
            error: None,
            at: now,
        };
        insert(pool, &job).await.unwrap().unwrap();
        let second = NewProfileJob { id: "j2", ..job };
        assert!(
            insert(pool, &second).await.unwrap().is_err(),
            "one in flight"
        );
        let skipped = NewProfileJob {
            id: "j3",
            status: "unchanged",
            error: Some("unchanged"),
            ..job
        };
        insert(pool, &skipped).await.unwrap().unwrap();

        assert!(claim(pool, "j1", now).await.unwrap());
        assert!(!claim(pool, "j1", now).await.unwrap(), "claimed once");
        append_output(pool, "j1", "one\n").await.unwrap();
        append_output(pool, "j1", "two\n").await.unwrap();
        assert_eq!(output(pool, "j1").await.unwrap().unwrap(), "one\ntwo\n");
        assert_eq!(running(pool).await.unwrap().len(), 1);
        assert_eq!(running_of_profile(pool, "p").await.unwrap(), ["j1"]);
        set_ready(
            pool,
            &ReadyJob {
                id: "j1",
                image: "img",
                image_id: "sha256:1",
                base_image_id: None,
                digest: "d",
                at: now,
            },
        )
        .await
        .unwrap();
        assert_eq!(by_id(pool, "j1").await.unwrap().unwrap().status, "ready");
        insert(pool, &second).await.unwrap().unwrap();
        set_failed(pool, "j2", "boom", now).await.unwrap();
        set_failed(pool, "j1", "late", now).await.unwrap();
        assert_eq!(by_id(pool, "j1").await.unwrap().unwrap().status, "ready");
        assert_eq!(with_images(pool).await.unwrap().len(), 1);
        assert_eq!(of_version(pool, "v").await.unwrap().len(), 3);
        prune(pool, "v", 1).await.unwrap();
        // The ready job keeps its row while its image exists.
        let left: Vec<String> = of_version(pool, "v")
            .await
            .unwrap()
            .into_iter()
            .map(|j| j.id)
            .collect();
        assert!(left.contains(&"j1".to_string()), "{left:?}");
    }
}
