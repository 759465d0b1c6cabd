//! The `snapshots` table: each snapshot's record, its status through capture, its image and the configuration a
//! restore starts from. A unique partial index keeps one snapshot in flight per sandbox, across processes.

use chrono::{DateTime, Utc};
use sbx_api::{Snapshot, SnapshotStatus};
use sqlx::SqlitePool;

use crate::Result;

/// A snapshot row (read as [`crate::snapshot::SnapshotRecord`]).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SnapshotRow {
    /// Stable id.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Preset or image the source sandbox was made from.
    pub source_template: String,
    /// Source sandbox id.
    pub source_sandbox_id: String,
    /// Source sandbox name.
    pub source_sandbox_name: String,
    /// Repository key of the source sandbox.
    pub repository: Option<String>,
    /// `capturing`, `finalizing`, `active`, `failed`.
    pub status: String,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// When the reaper deletes it.
    pub expires_at: Option<DateTime<Utc>>,
    /// Bytes on disk of its own layers.
    pub size_bytes: Option<i64>,
    /// `scrub` or `full`.
    pub mode: String,
    /// `application` or `crash`.
    pub consistency: String,
    /// Image reference, once captured.
    pub image: Option<String>,
    /// JSON of the configuration a restore starts from.
    pub spec: String,
    /// The job capturing it.
    pub job_id: Option<String>,
    /// Whether it came from a file ([`crate::Core::import_snapshot`]).
    pub imported: bool,
    /// Whether a sandbox's schedule took it.
    pub automatic: bool,
}

/// A snapshot whose capture starts now.
#[derive(Debug, Clone, Copy)]
pub struct NewSnapshot<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its unique name.
    pub name: &'a str,
    /// Preset or image of the source sandbox.
    pub source_template: &'a str,
    /// Source sandbox id.
    pub source_sandbox_id: &'a str,
    /// Source sandbox name.
    pub source_sandbox_name: &'a str,
    /// Repository key of the source sandbox.
    pub repository: Option<&'a str>,
    /// Now.
    pub created_at: DateTime<Utc>,
    /// When the reaper deletes it.
    pub expires_at: Option<DateTime<Utc>>,
    /// `scrub` or `full`.
    pub mode: &'a str,
    /// `application` or `crash`.
    pub consistency: &'a str,
    /// JSON of the configuration a restore starts from.
    pub spec: &'a str,
    /// The capture job.
    pub job_id: &'a str,
    /// Whether a sandbox's schedule takes it.
    pub automatic: bool,
}

/// Why a capture could not be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureRefused {
    /// A snapshot has this name.
    NameTaken,
    /// Another snapshot of the sandbox is capturing or finalizing.
    InFlight,
}

/// Count and bytes of the snapshots a listing matches.
#[derive(Debug, Clone, Copy)]
pub struct Totals {
    /// How many.
    pub count: i64,
    /// Their bytes on disk.
    pub size_bytes: i64,
}

/// A capture left capturing or finalizing without a running job.
#[derive(Debug, Clone)]
pub struct StuckCapture {
    /// The snapshot's id.
    pub id: String,
    /// Its capture job.
    pub job_id: Option<String>,
    /// The sandbox it was taken from.
    pub source_sandbox_name: String,
}

/// An active snapshot's image.
#[derive(Debug, Clone)]
pub struct ActiveImage {
    /// The snapshot's id.
    pub id: String,
    /// Its image reference.
    pub image: Option<String>,
}

/// The snapshot called `name`, whatever its status.
pub async fn by_name(pool: &SqlitePool, name: &str) -> Result<Option<SnapshotRow>> {
    Ok(sqlx::query_as!(
        SnapshotRow,
        r#"SELECT id AS "id!", name, source_template, source_sandbox_id, source_sandbox_name, repository,
           status, failure_reason, created_at AS "created_at: DateTime<Utc>",
           expires_at AS "expires_at: DateTime<Utc>", size_bytes, mode, consistency, image, spec, job_id,
           imported AS "imported: bool", automatic AS "automatic: bool"
           FROM snapshots WHERE name = ?"#,
        name,
    )
    .fetch_optional(pool)
    .await?)
}

/// The snapshot whose id is `id`, whatever its status.
pub async fn by_id(pool: &SqlitePool, id: &str) -> Result<Option<SnapshotRow>> {
    Ok(sqlx::query_as!(
        SnapshotRow,
        r#"SELECT id AS "id!", name, source_template, source_sandbox_id, source_sandbox_name, repository,
           status, failure_reason, created_at AS "created_at: DateTime<Utc>",
           expires_at AS "expires_at: DateTime<Utc>", size_bytes, mode, consistency, image, spec, job_id,
           imported AS "imported: bool", automatic AS "automatic: bool"
           FROM snapshots WHERE id = ?"#,
        id,
    )
    .fetch_optional(pool)
    .await?)
}

/// One page of snapshots, newest first: all of them, or those of the sandbox called (or whose id is) `sandbox`;
/// no ended one that expired before `now` (an expired snapshot is gone, whether or not the reaper has run).
pub async fn page(
    pool: &SqlitePool,
    sandbox: Option<&str>,
    limit: i64,
    offset: i64,
    now: DateTime<Utc>,
) -> Result<Vec<SnapshotRow>> {
    Ok(sqlx::query_as!(
        SnapshotRow,
        r#"SELECT id AS "id!", name, source_template, source_sandbox_id, source_sandbox_name, repository,
           status, failure_reason, created_at AS "created_at: DateTime<Utc>",
           expires_at AS "expires_at: DateTime<Utc>", size_bytes, mode, consistency, image, spec, job_id,
           imported AS "imported: bool", automatic AS "automatic: bool"
           FROM snapshots WHERE (?1 IS NULL OR source_sandbox_name = ?1 OR source_sandbox_id = ?1)
           AND (expires_at IS NULL OR expires_at > ?4 OR status IN ('capturing', 'finalizing'))
           ORDER BY created_at DESC, id LIMIT ?2 OFFSET ?3"#,
        sandbox,
        limit,
        offset,
        now,
    )
    .fetch_all(pool)
    .await?)
}

/// How many snapshots there are and their bytes: all of them, or those of the sandbox called (or whose id is)
/// `sandbox`; no ended one that expired before `now`.
pub async fn totals(
    pool: &SqlitePool,
    sandbox: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Totals> {
    Ok(sqlx::query_as!(
        Totals,
        r#"SELECT COUNT(*) AS "count!: i64", COALESCE(SUM(size_bytes), 0) AS "size_bytes!: i64"
           FROM snapshots WHERE (?1 IS NULL OR source_sandbox_name = ?1 OR source_sandbox_id = ?1)
           AND (expires_at IS NULL OR expires_at > ?2 OR status IN ('capturing', 'finalizing'))"#,
        sandbox,
        now,
    )
    .fetch_one(pool)
    .await?)
}

/// Record a snapshot as `capturing`, unless its name is taken or the sandbox has a snapshot in flight (a unique
/// index, so the rule holds across processes).
pub async fn insert_capturing(
    pool: &SqlitePool,
    snapshot: &NewSnapshot<'_>,
) -> Result<Result<(), CaptureRefused>> {
    let inserted = sqlx::query!(
        "INSERT INTO snapshots (id, name, source_template, source_sandbox_id, source_sandbox_name, repository, \
         status, created_at, expires_at, mode, consistency, spec, job_id, automatic) \
         VALUES (?, ?, ?, ?, ?, ?, 'capturing', ?, ?, ?, ?, ?, ?, ?)",
        snapshot.id,
        snapshot.name,
        snapshot.source_template,
        snapshot.source_sandbox_id,
        snapshot.source_sandbox_name,
        snapshot.repository,
        snapshot.created_at,
        snapshot.expires_at,
        snapshot.mode,
        snapshot.consistency,
        snapshot.spec,
        snapshot.job_id,
        snapshot.automatic,
    )
    .execute(pool)
    .await;
    Ok(
        super::refused_if_duplicate(inserted.map(|_| ()))?.map_err(|duplicate| {
            if duplicate.names("snapshots.name") {
                CaptureRefused::NameTaken
            } else {
                CaptureRefused::InFlight
            }
        }),
    )
}

/// The name of the snapshot of sandbox `sandbox_id` capturing or finalizing, if any.
pub async fn in_flight_of(pool: &SqlitePool, sandbox_id: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar!(
        "SELECT name FROM snapshots WHERE source_sandbox_id = ? AND status IN ('capturing', 'finalizing')",
        sandbox_id,
    )
    .fetch_optional(pool)
    .await?)
}

/// Record an ended snapshot — active (imported, or rebuilt from its image's labels) or failed (rebuilt from its
/// failure marker), as `snapshot.status` says — unless one with its id or name exists; whether it was inserted.
/// `spec` is the JSON of its configuration.
pub async fn insert_ended(pool: &SqlitePool, snapshot: &Snapshot, spec: &str) -> Result<bool> {
    let size_bytes = snapshot.size_bytes.map(|s| s as i64);
    let mode = snapshot.mode.as_str();
    let consistency = snapshot.consistency.as_str();
    let status = match snapshot.status {
        SnapshotStatus::Failed => SnapshotStatus::Failed,
        _ => SnapshotStatus::Active,
    }
    .as_str();
    let inserted = sqlx::query!(
        "INSERT OR IGNORE INTO snapshots (id, name, source_template, source_sandbox_id, source_sandbox_name, \
         repository, status, failure_reason, created_at, expires_at, size_bytes, mode, consistency, image, spec, \
         imported, automatic) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        snapshot.id,
        snapshot.name,
        snapshot.source_template,
        snapshot.source_sandbox_id,
        snapshot.source_sandbox_name,
        snapshot.repository,
        status,
        snapshot.failure_reason,
        snapshot.created_at,
        snapshot.expires_at,
        size_bytes,
        mode,
        consistency,
        snapshot.image,
        spec,
        snapshot.imported,
        snapshot.automatic,
    )
    .execute(pool)
    .await?;
    Ok(inserted.rows_affected() > 0)
}

/// Set the status.
pub async fn set_status(pool: &SqlitePool, id: &str, status: SnapshotStatus) -> Result<()> {
    let status = status.as_str();
    sqlx::query!("UPDATE snapshots SET status = ? WHERE id = ?", status, id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Mark the snapshot failed with the reason.
pub async fn set_failed(pool: &SqlitePool, id: &str, reason: &str) -> Result<()> {
    sqlx::query!(
        "UPDATE snapshots SET status = 'failed', failure_reason = ? WHERE id = ?",
        reason,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Record the captured image and its own size.
pub async fn set_image(
    pool: &SqlitePool,
    id: &str,
    image: &str,
    size_bytes: Option<i64>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE snapshots SET image = ?, size_bytes = ? WHERE id = ?",
        image,
        size_bytes,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Write the configuration again.
pub async fn set_spec(pool: &SqlitePool, id: &str, spec: &str) -> Result<()> {
    sqlx::query!("UPDATE snapshots SET spec = ? WHERE id = ?", spec, id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Forget a snapshot.
pub async fn delete(pool: &SqlitePool, id: &str) -> Result<()> {
    sqlx::query!("DELETE FROM snapshots WHERE id = ?", id)
        .execute(pool)
        .await?;
    Ok(())
}

/// A sandbox's automatic snapshot that has ended.
#[derive(Debug, Clone)]
pub struct AutomaticSnapshot {
    /// Its name.
    pub name: String,
    /// `active` or `failed`.
    pub status: String,
}

/// The automatic snapshots of sandbox `sandbox_id` that are active or failed, newest first.
pub async fn automatic_of(pool: &SqlitePool, sandbox_id: &str) -> Result<Vec<AutomaticSnapshot>> {
    Ok(sqlx::query_as!(
        AutomaticSnapshot,
        "SELECT name, status FROM snapshots WHERE source_sandbox_id = ? AND automatic = 1 \
         AND status IN ('active', 'failed') ORDER BY created_at DESC, id",
        sandbox_id,
    )
    .fetch_all(pool)
    .await?)
}

/// Names of the active or failed snapshots whose expiry is before `now`.
pub async fn expired_names(pool: &SqlitePool, now: DateTime<Utc>) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar!(
        "SELECT name FROM snapshots WHERE expires_at IS NOT NULL AND expires_at < ? \
         AND status IN ('active', 'failed')",
        now,
    )
    .fetch_all(pool)
    .await?)
}

/// Captures capturing or finalizing whose job is not running.
pub async fn stuck_captures(pool: &SqlitePool) -> Result<Vec<StuckCapture>> {
    Ok(sqlx::query_as!(
        StuckCapture,
        r#"SELECT s.id AS "id!", s.job_id, s.source_sandbox_name FROM snapshots s
           WHERE s.status IN ('capturing', 'finalizing')
           AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = s.job_id AND j.status = 'running')"#,
    )
    .fetch_all(pool)
    .await?)
}

/// The image of every active snapshot.
pub async fn active_images(pool: &SqlitePool) -> Result<Vec<ActiveImage>> {
    Ok(sqlx::query_as!(
        ActiveImage,
        r#"SELECT id AS "id!", image FROM snapshots WHERE status = 'active'"#,
    )
    .fetch_all(pool)
    .await?)
}

/// `(id, spec)` of the records whose configuration still holds a secret value (written before the secret store).
pub async fn holding_secret_values(pool: &SqlitePool) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id!", spec FROM snapshots WHERE json_valid(spec) AND EXISTS
           (SELECT 1 FROM json_each(spec, '$.env')
            WHERE json_extract(value, '$.secret') = 1 AND json_extract(value, '$.value') != '')"#,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.spec)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn capture<'a>(id: &'a str, name: &'a str, sandbox: &'a str) -> NewSnapshot<'a> {
        NewSnapshot {
            id,
            name,
            source_template: "busybox",
            source_sandbox_id: sandbox,
            source_sandbox_name: sandbox,
            repository: None,
            created_at: Utc::now(),
            expires_at: None,
            mode: "full",
            consistency: "application",
            spec: "{}",
            job_id: "job",
            automatic: false,
        }
    }

    #[tokio::test]
    async fn one_capture_in_flight_per_sandbox_and_names_unique() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).await.unwrap();
        let pool = store.pool();
        assert_eq!(
            insert_capturing(pool, &capture("1", "a", "s1"))
                .await
                .unwrap(),
            Ok(())
        );
        assert_eq!(
            insert_capturing(pool, &capture("2", "a", "s2"))
                .await
                .unwrap(),
            Err(CaptureRefused::NameTaken)
        );
        assert_eq!(
            insert_capturing(pool, &capture("3", "b", "s1"))
                .await
                .unwrap(),
            Err(CaptureRefused::InFlight)
        );
        assert_eq!(
            in_flight_of(pool, "s1").await.unwrap().as_deref(),
            Some("a")
        );
        set_status(pool, "1", SnapshotStatus::Active).await.unwrap();
        assert_eq!(in_flight_of(pool, "s1").await.unwrap(), None);
        assert_eq!(
            insert_capturing(pool, &capture("3", "b", "s1"))
                .await
                .unwrap(),
            Ok(())
        );
        let row = by_name(pool, "a").await.unwrap().unwrap();
        assert_eq!((row.status.as_str(), row.imported), ("active", false));
    }

    #[tokio::test]
    async fn pages_and_totals_with_and_without_a_sandbox() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).await.unwrap();
        let pool = store.pool();
        for (id, name, sandbox) in [("1", "a", "s1"), ("2", "b", "s2"), ("3", "c", "s3")] {
            insert_capturing(pool, &capture(id, name, sandbox))
                .await
                .unwrap()
                .unwrap();
            set_image(pool, id, "image", Some(10)).await.unwrap();
        }
        let now = Utc::now();
        assert_eq!(page(pool, None, 2, 0, now).await.unwrap().len(), 2);
        assert_eq!(page(pool, None, 2, 2, now).await.unwrap().len(), 1);
        let of_s2 = page(pool, Some("s2"), 10, 0, now).await.unwrap();
        assert_eq!(
            of_s2.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["b"]
        );
        let all = totals(pool, None, now).await.unwrap();
        assert_eq!((all.count, all.size_bytes), (3, 30));
        let none = totals(pool, Some("nobody"), now).await.unwrap();
        assert_eq!((none.count, none.size_bytes), (0, 0));
    }

    #[tokio::test]
    async fn expiry_compares_times() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).await.unwrap();
        let pool = store.pool();
        let now = Utc::now();
        let mut past = capture("1", "old", "s1");
        past.expires_at = Some(now - chrono::Duration::minutes(1));
        let mut future = capture("2", "new", "s2");
        future.expires_at = Some(now + chrono::Duration::minutes(1));
        for snapshot in [&past, &future] {
            insert_capturing(pool, snapshot).await.unwrap().unwrap();
            set_failed(pool, snapshot.id, "test").await.unwrap();
        }
        assert_eq!(expired_names(pool, now).await.unwrap(), ["old"]);
        let read = by_name(pool, "old").await.unwrap().unwrap();
        assert_eq!(read.expires_at, past.expires_at);
        assert_eq!(read.failure_reason.as_deref(), Some("test"));
        // Gone from listings from the moment it expired, before any reaper ran.
        let listed = page(pool, None, 10, 0, now).await.unwrap();
        assert_eq!(
            listed.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["new"]
        );
        assert_eq!(totals(pool, None, now).await.unwrap().count, 1);
    }

    #[tokio::test]
    async fn automatic_snapshots_of_a_sandbox_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).await.unwrap();
        let pool = store.pool();
        let start = Utc::now();
        for (i, automatic) in [true, false, true, true].into_iter().enumerate() {
            let id = i.to_string();
            let name = format!("s-{i}");
            let mut row = capture(&id, &name, "s1");
            row.created_at = start + chrono::Duration::seconds(i as i64);
            row.automatic = automatic;
            insert_capturing(pool, &row).await.unwrap().unwrap();
            if i < 3 {
                set_status(pool, &id, SnapshotStatus::Active).await.unwrap();
            }
        }
        // The newest is still capturing: not listed; the manual one never is.
        let listed = automatic_of(pool, "s1").await.unwrap();
        assert_eq!(
            listed.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
            ["s-2", "s-0"]
        );
        assert!(by_name(pool, "s-2").await.unwrap().unwrap().automatic);
    }

    #[tokio::test]
    async fn ended_snapshots_are_recorded_active_or_failed_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).await.unwrap();
        let pool = store.pool();
        let snapshot = Snapshot {
            id: "id-1".into(),
            name: "broken".into(),
            source_template: "busybox".into(),
            source_sandbox_id: "s1".into(),
            source_sandbox_name: "box".into(),
            repository: None,
            status: SnapshotStatus::Failed,
            failure_reason: Some("the scrub found /home/amika/.netrc".into()),
            created_at: Utc::now(),
            expires_at: None,
            size_bytes: None,
            mode: sbx_api::SnapshotMode::Scrub,
            consistency: sbx_api::Consistency::Application,
            image: None,
            imported: false,
            automatic: true,
        };
        assert!(insert_ended(pool, &snapshot, "{}").await.unwrap());
        assert!(!insert_ended(pool, &snapshot, "{}").await.unwrap());
        let row = by_name(pool, "broken").await.unwrap().unwrap();
        assert_eq!(row.status, "failed");
        assert_eq!(row.failure_reason, snapshot.failure_reason);
        assert!(row.automatic);
    }
}
