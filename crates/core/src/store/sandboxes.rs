//! The `sandboxes` table: each sandbox's resolved configuration (JSON), its container, how creation went, and the
//! idle and schedule bookkeeping of the runner. Its state is not here: it is derived from the engine.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::Duplicate;
use crate::Result;
use crate::sandbox::state::Phase;

/// What a sandbox's record is read from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SandboxRow {
    /// JSON of the resolved configuration ([`crate::sandbox::spec::SandboxSpec`]).
    pub spec: String,
    /// Engine container id, once created.
    pub container_id: Option<String>,
    /// `creating`, `created` or `failed`.
    pub phase: String,
    /// Why creation failed.
    pub failure: Option<String>,
}

/// A sandbox whose create job starts now.
#[derive(Debug, Clone, Copy)]
pub struct NewSandbox<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its unique name.
    pub name: &'a str,
    /// JSON of its configuration.
    pub spec: &'a str,
    /// When it was requested (also its first activity).
    pub created_at: DateTime<Utc>,
}

/// A sandbox found on the engine that the database does not know.
#[derive(Debug, Clone, Copy)]
pub struct FoundSandbox<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its name.
    pub name: &'a str,
    /// JSON of its configuration.
    pub spec: &'a str,
    /// Its container.
    pub container_id: Option<&'a str>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Now: idle time counts from here.
    pub last_active_at: DateTime<Utc>,
}

/// A created sandbox as the automatic snapshots see it.
#[derive(Debug, Clone)]
pub struct ScheduleRow {
    /// Its name.
    pub name: String,
    /// The last cron tick that fired or was skipped.
    pub last_schedule_tick: Option<DateTime<Utc>>,
    /// When it was created (ticks count from here before the first one).
    pub created_at: DateTime<Utc>,
}

/// The sandbox called `name`.
pub async fn by_name(pool: &SqlitePool, name: &str) -> Result<Option<SandboxRow>> {
    Ok(sqlx::query_as!(
        SandboxRow,
        "SELECT spec, container_id, phase, failure FROM sandboxes WHERE name = ?",
        name,
    )
    .fetch_optional(pool)
    .await?)
}

/// The sandbox whose id is `id`.
pub async fn by_id(pool: &SqlitePool, id: &str) -> Result<Option<SandboxRow>> {
    Ok(sqlx::query_as!(
        SandboxRow,
        "SELECT spec, container_id, phase, failure FROM sandboxes WHERE id = ?",
        id,
    )
    .fetch_optional(pool)
    .await?)
}

/// Every sandbox, oldest first.
pub async fn all(pool: &SqlitePool) -> Result<Vec<SandboxRow>> {
    Ok(sqlx::query_as!(
        SandboxRow,
        "SELECT spec, container_id, phase, failure FROM sandboxes ORDER BY created_at, name",
    )
    .fetch_all(pool)
    .await?)
}

/// The ids of every sandbox.
pub async fn ids(pool: &SqlitePool) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar!(r#"SELECT id AS "id!" FROM sandboxes"#)
        .fetch_all(pool)
        .await?)
}

/// Record a sandbox as `creating`; a [`Duplicate`] when its name (or id) is taken.
pub async fn insert_creating(
    pool: &SqlitePool,
    sandbox: &NewSandbox<'_>,
) -> Result<Result<(), Duplicate>> {
    let phase = Phase::Creating.as_str();
    let inserted = sqlx::query!(
        "INSERT INTO sandboxes (id, name, spec, phase, created_at, last_active_at) VALUES (?, ?, ?, ?, ?, ?)",
        sandbox.id,
        sandbox.name,
        sandbox.spec,
        phase,
        sandbox.created_at,
        sandbox.created_at,
    )
    .execute(pool)
    .await;
    super::refused_if_duplicate(inserted.map(|_| ()))
}

/// Record a sandbox found on the engine as `created`, unless its id or name is known; whether it was inserted.
pub async fn insert_found(pool: &SqlitePool, sandbox: &FoundSandbox<'_>) -> Result<bool> {
    let inserted = sqlx::query!(
        "INSERT OR IGNORE INTO sandboxes (id, name, spec, container_id, phase, created_at, last_active_at) \
         VALUES (?, ?, ?, ?, 'created', ?, ?)",
        sandbox.id,
        sandbox.name,
        sandbox.spec,
        sandbox.container_id,
        sandbox.created_at,
        sandbox.last_active_at,
    )
    .execute(pool)
    .await?;
    Ok(inserted.rows_affected() > 0)
}

/// Record the sandbox's container.
pub async fn set_container(pool: &SqlitePool, id: &str, container_id: &str) -> Result<()> {
    sqlx::query!(
        "UPDATE sandboxes SET container_id = ? WHERE id = ?",
        container_id,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Record how creation stands.
pub async fn set_phase(pool: &SqlitePool, id: &str, phase: Phase) -> Result<()> {
    let phase = phase.as_str();
    sqlx::query!("UPDATE sandboxes SET phase = ? WHERE id = ?", phase, id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Write the configuration again.
pub async fn set_spec(pool: &SqlitePool, id: &str, spec: &str) -> Result<()> {
    sqlx::query!("UPDATE sandboxes SET spec = ? WHERE id = ?", spec, id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Forget a sandbox.
pub async fn delete(pool: &SqlitePool, id: &str) -> Result<()> {
    sqlx::query!("DELETE FROM sandboxes WHERE id = ?", id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Record that the sandbox was busy at `at`.
pub async fn set_last_active(pool: &SqlitePool, id: &str, at: DateTime<Utc>) -> Result<()> {
    sqlx::query!(
        "UPDATE sandboxes SET last_active_at = ? WHERE id = ?",
        at,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// When the sandbox was last seen busy (`None` also when there is no such sandbox).
pub async fn last_active(pool: &SqlitePool, id: &str) -> Result<Option<DateTime<Utc>>> {
    let row = sqlx::query_scalar!(
        r#"SELECT last_active_at AS "last_active_at: DateTime<Utc>" FROM sandboxes WHERE id = ?"#,
        id,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.flatten())
}

/// Every created sandbox, with its schedule bookkeeping.
pub async fn created_schedules(pool: &SqlitePool) -> Result<Vec<ScheduleRow>> {
    Ok(sqlx::query_as!(
        ScheduleRow,
        r#"SELECT name, last_schedule_tick AS "last_schedule_tick: DateTime<Utc>",
           created_at AS "created_at: DateTime<Utc>" FROM sandboxes WHERE phase = 'created'"#,
    )
    .fetch_all(pool)
    .await?)
}

/// Record the last automatic snapshot tick that fired or was skipped.
pub async fn set_schedule_tick(pool: &SqlitePool, id: &str, at: DateTime<Utc>) -> Result<()> {
    sqlx::query!(
        "UPDATE sandboxes SET last_schedule_tick = ? WHERE id = ?",
        at,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The ids of sandboxes still `creating` with no running job at all (they cannot finish).
pub async fn creating_without_job(pool: &SqlitePool) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT s.id AS "id!" FROM sandboxes s WHERE s.phase = 'creating' AND NOT EXISTS
           (SELECT 1 FROM jobs j WHERE j.target = s.name AND j.status = 'running')"#,
    )
    .fetch_all(pool)
    .await?)
}

/// `(id, spec)` of the records whose configuration still holds a secret value (written before the secret store).
pub async fn holding_secret_values(pool: &SqlitePool) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id!", spec FROM sandboxes WHERE json_valid(spec) AND EXISTS
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

    #[tokio::test]
    async fn a_taken_name_is_a_duplicate() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).await.unwrap();
        let pool = store.pool();
        let first = NewSandbox {
            id: "1",
            name: "box",
            spec: "{}",
            created_at: Utc::now(),
        };
        assert_eq!(insert_creating(pool, &first).await.unwrap(), Ok(()));
        let again = NewSandbox { id: "2", ..first };
        let duplicate = insert_creating(pool, &again).await.unwrap().unwrap_err();
        assert!(duplicate.names("sandboxes.name"), "{duplicate:?}");
        assert_eq!(
            by_name(pool, "box").await.unwrap().unwrap().phase,
            "creating"
        );
        set_phase(pool, "1", Phase::Created).await.unwrap();
        assert_eq!(created_schedules(pool).await.unwrap().len(), 1);
        assert_eq!(
            last_active(pool, "1").await.unwrap(),
            Some(first.created_at)
        );
        assert_eq!(last_active(pool, "nobody").await.unwrap(), None);
    }
}
