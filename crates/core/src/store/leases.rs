//! The `leases` table: named leases held by one process at a time until they expire (the background runner's).
//! Expiry times are unix milliseconds.

use sqlx::SqlitePool;

use crate::Result;

/// A lease as recorded.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LeaseRow {
    /// Token of the process holding it.
    pub holder: String,
    /// When it expires, in unix milliseconds.
    pub expires_at: i64,
}

/// Take lease `name` for `holder` until `expires_at`, or renew it, when it is free, expired (before `now`) or
/// already held by `holder`; whether `holder` holds it now.
pub async fn take_or_renew(
    pool: &SqlitePool,
    name: &str,
    holder: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool> {
    let result = sqlx::query!(
        "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) \
         ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
         WHERE leases.holder = excluded.holder OR leases.expires_at < ?",
        name,
        holder,
        expires_at,
        now,
    )
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Give up lease `name` if `holder` holds it.
pub async fn release(pool: &SqlitePool, name: &str, holder: &str) -> Result<()> {
    sqlx::query!(
        "DELETE FROM leases WHERE name = ? AND holder = ?",
        name,
        holder,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Lease `name`, current or expired.
pub async fn by_name(pool: &SqlitePool, name: &str) -> Result<Option<LeaseRow>> {
    Ok(sqlx::query_as!(
        LeaseRow,
        "SELECT holder, expires_at FROM leases WHERE name = ?",
        name,
    )
    .fetch_optional(pool)
    .await?)
}
