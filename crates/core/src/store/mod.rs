//! The SQLite database: opening it (WAL, busy timeout, migrations) and the queries of each table.

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::time::Duration;

use crate::error::{Error, Result};

/// The app's database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Open (creating if missing) the database at `path`, in WAL mode so the app and the CLI can use it at once,
    /// and apply pending migrations.
    pub async fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent() {
            crate::private::create_dir(dir)
                .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        }
        // Private before SQLite opens it: it holds configuration, and SQLite gives the WAL and shared-memory files
        // the database file's mode.
        crate::private::touch(path)
            .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        // Two processes opening a new database at once (the app and the CLI) both try the first migration; the
        // loser's transaction fails and rolls back, and on the next try it sees the migration applied.
        let mut attempt = 0;
        loop {
            match sqlx::migrate!("./migrations").run(&pool).await {
                Ok(()) => break,
                Err(_) if attempt < 5 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Ok(Store { pool })
    }

    /// The connection pool, for the query modules.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The journal mode in effect (`wal` once open).
    pub async fn journal_mode(&self) -> Result<String> {
        let mode: (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&self.pool)
            .await?;
        Ok(mode.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_in_wal_mode_with_migrations_applied() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db.sqlite")).await.unwrap();
        assert_eq!(store.journal_mode().await.unwrap(), "wal");
        let tables: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .fetch_all(store.pool())
                .await
                .unwrap();
        let names: Vec<_> = tables.into_iter().map(|t| t.0).collect();
        for table in ["jobs", "leases", "repositories", "sandboxes", "snapshots"] {
            assert!(
                names.iter().any(|n| n == table),
                "{table} missing in {names:?}"
            );
        }
        // Opening again is a no-op: migrations are versioned.
        drop(store);
        Store::open(&dir.path().join("db.sqlite")).await.unwrap();
    }

    #[tokio::test]
    async fn opening_a_new_database_from_several_places_at_once_works() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let opened = futures_util::future::join_all((0..4).map(|_| Store::open(&path))).await;
        for store in opened {
            store.unwrap();
        }
    }
}
