//! The core's compile-time query data: `crates/core/.sqlx/` must match its queries and its migrations, or the
//! offline build checks queries against a schema that no longer exists. Checked with `cargo sqlx prepare --check`
//! against a scratch database made from the migrations.

use anyhow::{Result, bail};

use crate::util::{self, step};

/// Install sqlx-cli (at the version of sqlx in Cargo.lock, with SQLite only) unless `cargo sqlx` is that version
/// already.
pub fn ensure_sqlx_cli() -> Result<()> {
    let version = locked_sqlx_version()?;
    let installed = util::cargo(&["sqlx", "--version"]).read_quiet();
    if installed
        .as_deref()
        .and_then(|v| v.split_whitespace().last())
        == Some(version.as_str())
    {
        return Ok(());
    }
    step(&format!(
        "installing sqlx-cli {version} (cargo install, once: it checks the core's query data)"
    ));
    util::cargo(&["install", "--locked", "sqlx-cli", "--version", &version])
        .args(["--no-default-features", "--features", "sqlite,rustls"])
        .run()
}

/// The version of sqlx in Cargo.lock.
fn locked_sqlx_version() -> Result<String> {
    let lock = std::fs::read_to_string(util::root().join("Cargo.lock"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"sqlx\"" {
            let version = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'));
            if let Some(version) = version {
                return Ok(version.to_string());
            }
        }
    }
    bail!("Cargo.lock has no sqlx package")
}

/// Compare the query data the core's queries give against a scratch database made from the migrations with the
/// committed one; fails when they differ. Needs sqlx-cli ([`ensure_sqlx_cli`], part of `setup`).
pub fn check() -> Result<()> {
    step(
        "checking the core's query data against its queries and migrations (cargo sqlx prepare --check)",
    );
    let url = scratch_database()?;
    if let Err(error) = prepare(&url, &["--check"]) {
        bail!(
            "{error}\ncrates/core/.sqlx does not match the core's queries and migrations: run `cargo xtask queries` \
             and commit crates/core/.sqlx"
        );
    }
    Ok(())
}

/// Write the query data again (`cargo xtask queries`), after a query or a migration changed.
pub fn regenerate() -> Result<()> {
    ensure_sqlx_cli()?;
    step("writing the core's query data (cargo sqlx prepare) into crates/core/.sqlx");
    let url = scratch_database()?;
    prepare(&url, &[])
}

/// `cargo sqlx prepare` in the core's folder against the database at `url`.
fn prepare(url: &str, args: &[&str]) -> Result<()> {
    util::cargo(&["sqlx", "prepare"])
        .args(args.iter().copied())
        .dir(util::root().join("crates/core"))
        .env("DATABASE_URL", url)
        .run()
}

/// A new database in the target dir with the migrations applied; its URL.
fn scratch_database() -> Result<String> {
    let dir = util::root().join("target/sqlx-check");
    std::fs::create_dir_all(&dir)?;
    for suffix in ["", "-wal", "-shm"] {
        let file = dir.join(format!("scratch.sqlite{suffix}"));
        if file.exists() {
            std::fs::remove_file(&file)?;
        }
    }
    let url = format!("sqlite://{}", dir.join("scratch.sqlite").display());
    util::cargo(&[
        "sqlx",
        "database",
        "setup",
        "--source",
        "crates/core/migrations",
    ])
    .env("DATABASE_URL", &url)
    .run()?;
    Ok(url)
}
