//! Lineage records: how each snapshot's image was made (its layers, whether it was flattened), the snapshot its
//! source sandbox was restored from, and the `sandbox_origins` table — the snapshot each sandbox was restored (or
//! started) from, kept after either is deleted so a lineage tree keeps its shape.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use crate::Result;

/// Where a sandbox came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginRow {
    /// The sandbox's id.
    pub sandbox_id: String,
    /// Its name.
    pub sandbox_name: String,
    /// The snapshot's id, when it was known.
    pub snapshot_id: Option<String>,
    /// The snapshot's name.
    pub snapshot_name: String,
    /// When the sandbox was made.
    pub created_at: DateTime<Utc>,
}

/// A snapshot as a lineage tree shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotNodeRow {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `capturing`, `finalizing`, `active`, `failed`.
    pub status: String,
    /// The sandbox it was taken from.
    pub source_sandbox_id: String,
    /// That sandbox's name.
    pub source_sandbox_name: String,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// Layers of its image, once captured.
    pub layers: Option<i64>,
    /// Whether its image was flattened into one layer.
    pub flattened: bool,
    /// The snapshot its source sandbox was restored from.
    pub parent_snapshot_id: Option<String>,
    /// That snapshot's name.
    pub parent_snapshot_name: Option<String>,
}

/// Record how the snapshot `id`'s image was made.
pub async fn set_capture(pool: &SqlitePool, id: &str, layers: i64, flattened: bool) -> Result<()> {
    sqlx::query!(
        "UPDATE snapshots SET layers = ?, flattened = ? WHERE id = ?",
        layers,
        flattened,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Record the snapshot its source sandbox was restored from.
pub async fn set_parent(
    pool: &SqlitePool,
    id: &str,
    parent_id: Option<&str>,
    parent_name: &str,
) -> Result<()> {
    sqlx::query!(
        "UPDATE snapshots SET parent_snapshot_id = ?, parent_snapshot_name = ? WHERE id = ?",
        parent_id,
        parent_name,
        id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Record where a sandbox came from (again, if it was recorded already).
pub async fn insert_origin(pool: &SqlitePool, origin: &OriginRow) -> Result<()> {
    sqlx::query!(
        "INSERT OR REPLACE INTO sandbox_origins (sandbox_id, sandbox_name, snapshot_id, snapshot_name, created_at) \
         VALUES (?, ?, ?, ?, ?)",
        origin.sandbox_id,
        origin.sandbox_name,
        origin.snapshot_id,
        origin.snapshot_name,
        origin.created_at,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Where the sandbox `sandbox_id` came from, when recorded.
pub async fn origin_of(pool: &SqlitePool, sandbox_id: &str) -> Result<Option<OriginRow>> {
    Ok(sqlx::query_as!(
        OriginRow,
        r#"SELECT sandbox_id AS "sandbox_id!", sandbox_name, snapshot_id, snapshot_name,
           created_at AS "created_at: DateTime<Utc>" FROM sandbox_origins WHERE sandbox_id = ?"#,
        sandbox_id,
    )
    .fetch_optional(pool)
    .await?)
}

/// Every recorded origin.
pub async fn origins(pool: &SqlitePool) -> Result<Vec<OriginRow>> {
    Ok(sqlx::query_as!(
        OriginRow,
        r#"SELECT sandbox_id AS "sandbox_id!", sandbox_name, snapshot_id, snapshot_name,
           created_at AS "created_at: DateTime<Utc>" FROM sandbox_origins ORDER BY created_at, sandbox_id"#,
    )
    .fetch_all(pool)
    .await?)
}

/// Every snapshot, oldest first, as a lineage tree shows it.
pub async fn snapshot_nodes(pool: &SqlitePool) -> Result<Vec<SnapshotNodeRow>> {
    Ok(sqlx::query_as!(
        SnapshotNodeRow,
        r#"SELECT id AS "id!", name, status, source_sandbox_id, source_sandbox_name,
           created_at AS "created_at: DateTime<Utc>", expires_at AS "expires_at: DateTime<Utc>", layers,
           flattened AS "flattened: bool", parent_snapshot_id, parent_snapshot_name
           FROM snapshots ORDER BY created_at, id"#,
    )
    .fetch_all(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[tokio::test]
    async fn origins_outlive_what_they_name_and_captures_are_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).await.unwrap();
        let pool = store.pool();
        let origin = OriginRow {
            sandbox_id: "sb-1".into(),
            sandbox_name: "child".into(),
            snapshot_id: Some("snap-1".into()),
            snapshot_name: "gen-1".into(),
            created_at: Utc::now(),
        };
        insert_origin(pool, &origin).await.unwrap();
        insert_origin(pool, &origin).await.unwrap();
        assert_eq!(origin_of(pool, "sb-1").await.unwrap(), Some(origin.clone()));
        assert_eq!(origins(pool).await.unwrap(), [origin]);
        assert_eq!(origin_of(pool, "nobody").await.unwrap(), None);

        sqlx::query(
            "INSERT INTO snapshots (id, name, source_template, source_sandbox_id, source_sandbox_name, status, \
             created_at, mode, consistency, spec) VALUES ('snap-2', 'gen-2', 'busybox', 'sb-1', 'child', \
             'capturing', '2026-01-01T00:00:00Z', 'full', 'application', '{}')",
        )
        .execute(pool)
        .await
        .unwrap();
        set_capture(pool, "snap-2", 1, true).await.unwrap();
        set_parent(pool, "snap-2", Some("snap-1"), "gen-1")
            .await
            .unwrap();
        let nodes = snapshot_nodes(pool).await.unwrap();
        assert_eq!(nodes.len(), 1);
        assert_eq!(
            (
                nodes[0].layers,
                nodes[0].flattened,
                nodes[0].parent_snapshot_id.as_deref()
            ),
            (Some(1), true, Some("snap-1"))
        );
    }
}
