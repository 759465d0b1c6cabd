//! The SQLite database: opening it (WAL, busy timeout, migrations), and the queries of each table, one module per
//! table ([`sandboxes`], [`snapshots`], [`jobs`], [`restores`], [`repositories`], [`leases`], [`profiles`] with
//! their versions, [`profile_jobs`]).
//!
//! This is the only place with SQL. Each table's module has its row types and small typed functions, one query
//! each, taking the pool; the rest of the core calls them. Every query is a `sqlx::query!` / `query_as!` /
//! `query_scalar!`, checked at compile time against the schema the migrations make: from the query data committed
//! in `crates/core/.sqlx/` (`SQLX_OFFLINE=true` in `.cargo/config.toml`), which `cargo xtask test` checks is
//! current (`cargo sqlx prepare --check` against a scratch database). After changing a query or a migration,
//! regenerate it with `cargo xtask queries` and commit it.
//!
//! Timestamps are TEXT as sqlx's chrono encoding writes them (RFC 3339 in UTC, compared as text by the queries),
//! read back with `AS "x: DateTime<Utc>"`; lease expiry is INTEGER unix milliseconds; booleans are INTEGER 0/1.

pub mod jobs;
pub mod leases;
pub mod lineage;
pub mod profile_jobs;
pub mod profiles;
pub mod repositories;
pub mod restores;
pub mod sandboxes;
pub mod snapshots;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::time::Duration;

use crate::error::{Error, Result};

/// A row a unique key or index refused (a name taken, a second snapshot in flight).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// SQLite's message, which names the columns: `UNIQUE constraint failed: snapshots.name`.
    message: String,
}

impl Duplicate {
    /// Whether SQLite named `column` (`table.column`) as the one refusing.
    pub fn names(&self, column: &str) -> bool {
        self.message.contains(column)
    }
}

/// A write's outcome with a unique violation as a [`Duplicate`] (`Ok(Err(_))`) and other failures as errors.
fn refused_if_duplicate<T>(result: sqlx::Result<T>) -> Result<std::result::Result<T, Duplicate>> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Ok(Err(Duplicate {
            message: db.message().to_string(),
        })),
        Err(error) => Err(error.into()),
    }
}

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
        // Two processes opening a new database at once (the app and the CLI) race: the switch to WAL wants the file
        // alone and can be refused as locked at once (the busy timeout does not cover it), and both try the first
        // migration, whose loser's transaction rolls back. Either way the next try sees the other's work done.
        let mut attempt = 0;
        loop {
            match Self::connect_and_migrate(&options).await {
                Ok(pool) => return Ok(Store { pool }),
                Err(_) if attempt < 5 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// One try at opening the pool and applying pending migrations.
    async fn connect_and_migrate(options: &SqliteConnectOptions) -> Result<SqlitePool> {
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(pool)
    }

    /// The connection pool, for the query modules.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The journal mode in effect (`wal` once open).
    pub async fn journal_mode(&self) -> Result<String> {
        Ok(sqlx::query_scalar!(
            r#"SELECT CAST(journal_mode AS TEXT) AS "mode!: String" FROM pragma_journal_mode()"#
        )
        .fetch_one(&self.pool)
        .await?)
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
        for table in [
            "jobs",
            "leases",
            "profile_jobs",
            "profile_versions",
            "profiles",
            "repositories",
            "sandboxes",
            "snapshots",
        ] {
            assert!(
                names.iter().any(|n| n == table),
                "{table} missing in {names:?}"
            );
        }
        // Opening again is a no-op: migrations are versioned.
        drop(store);
        Store::open(&dir.path().join("db.sqlite")).await.unwrap();
    }

    /// The Rust files under `dir`.
    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// No SQL outside `store/`: the rest of the core calls the typed functions of the table modules (whose queries
    /// are compile-checked), and a unique violation reaches it as a typed outcome, not as a database error.
    #[test]
    fn no_sql_outside_the_store() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let store = src.join("store");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        assert!(files.len() > 20, "found only {} files", files.len());
        let mut found = Vec::new();
        for file in files.iter().filter(|f| !f.starts_with(&store)) {
            let text = std::fs::read_to_string(file).unwrap();
            for needle in ["sqlx::query", "sqlx::Error::Database", "use sqlx"] {
                if text.contains(needle) {
                    found.push(format!("{}: {needle}", file.display()));
                }
            }
        }
        assert!(found.is_empty(), "SQL outside store/: {found:#?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn opening_a_new_database_from_several_places_at_once_works() {
        // As the app and the CLI (or two CLIs) starting at once on a new data dir: many rounds, each many opens.
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("db.sqlite");
            let opens = (0..8).map(|_| {
                let path = path.clone();
                tokio::spawn(async move { Store::open(&path).await })
            });
            for store in futures_util::future::join_all(opens).await {
                store.unwrap().unwrap();
            }
        }
    }
}
