//! The `repositories` table: repositories sandboxes were created from (keyed by host root or URL), how many, when
//! last, and the default snapshot set in the app.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use crate::Result;

/// A repository row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RepositoryRow {
    /// Its key: host root or URL.
    pub root: String,
    /// Its short name.
    pub name: String,
    /// The default snapshot set in the app.
    pub default_snapshot: Option<String>,
    /// How many sandboxes were created from it.
    pub sandboxes_created: i64,
}

/// Count one more sandbox created from repository `root` at `at` (recording the repository if new).
pub async fn note_sandbox(
    pool: &SqlitePool,
    root: &str,
    name: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO repositories (root, name, sandboxes_created, last_used_at) VALUES (?, ?, 1, ?) \
         ON CONFLICT(root) DO UPDATE SET sandboxes_created = sandboxes_created + 1, last_used_at = excluded.last_used_at",
        root,
        name,
        at,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The default snapshot set in the app for repository `root`.
pub async fn default_snapshot(pool: &SqlitePool, root: &str) -> Result<Option<String>> {
    let row = sqlx::query_scalar!(
        "SELECT default_snapshot FROM repositories WHERE root = ?",
        root,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.flatten())
}

/// Every repository, most recently used first.
pub async fn all(pool: &SqlitePool) -> Result<Vec<RepositoryRow>> {
    Ok(sqlx::query_as!(
        RepositoryRow,
        r#"SELECT root AS "root!", name, default_snapshot, sandboxes_created FROM repositories
           ORDER BY last_used_at DESC, name"#,
    )
    .fetch_all(pool)
    .await?)
}

/// Repository `root`.
pub async fn by_root(pool: &SqlitePool, root: &str) -> Result<Option<RepositoryRow>> {
    Ok(sqlx::query_as!(
        RepositoryRow,
        r#"SELECT root AS "root!", name, default_snapshot, sandboxes_created FROM repositories
           WHERE root = ?"#,
        root,
    )
    .fetch_optional(pool)
    .await?)
}

/// Set (or clear, `None`) the app's default snapshot of repository `root` (recording the repository if new, with
/// `at` as its last use).
pub async fn set_default_snapshot(
    pool: &SqlitePool,
    root: &str,
    name: &str,
    snapshot: Option<&str>,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO repositories (root, name, default_snapshot, sandboxes_created, last_used_at) \
         VALUES (?, ?, ?, 0, ?) ON CONFLICT(root) DO UPDATE SET default_snapshot = excluded.default_snapshot",
        root,
        name,
        snapshot,
        at,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Clear every default naming snapshot `snapshot` (it was deleted).
pub async fn clear_default_snapshot(pool: &SqlitePool, snapshot: &str) -> Result<()> {
    sqlx::query!(
        "UPDATE repositories SET default_snapshot = NULL WHERE default_snapshot = ?",
        snapshot,
    )
    .execute(pool)
    .await?;
    Ok(())
}
