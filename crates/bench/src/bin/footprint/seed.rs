//! A data dir with many sandboxes and snapshots for the render timings, made honestly: one real sandbox (a
//! running container of the test image) and one real full snapshot of it (an image in the engine) are made
//! through the core, then their records are copied in SQLite under new ids and names, every copy pointing at
//! that same container or image. So the app lists real engine objects (every sandbox row inspects the
//! container, every snapshot's image is there), and the only thing not real is that they share them.

use anyhow::{Context, Result};
use sbx_api::{
    CreateSandboxRequest, CreateSnapshotRequest, GitChoice, SnapshotChoice, SnapshotMode,
};
use sbx_core::{Core, Engine, Paths};
use std::path::Path;

/// The names of the real sandbox and snapshot the copies are made from.
const SANDBOX: &str = "seed-0000";
const SNAPSHOT: &str = "seed-snap-00000";

fn image() -> String {
    std::env::var("SBX_TEST_IMAGE").unwrap_or_else(|_| "sandbox-desktop-test/busybox:latest".into())
}

/// Fill the data dir `home` with `sandboxes` sandboxes and `snapshots` snapshots; the instance label of its
/// engine objects (for the clean-up).
pub async fn seed(home: &Path, sandboxes: usize, snapshots: usize) -> Result<String> {
    let core = Core::open(Paths::at(home.to_path_buf())?, Engine::from_env()).await?;
    let instance = core.paths().instance().to_string();
    core.create_sandbox(&CreateSandboxRequest {
        name: Some(SANDBOX.into()),
        image: Some(image()),
        git: GitChoice::Off,
        snapshot: SnapshotChoice::Off,
        no_credentials: true,
        no_setup: true,
        auto_stop_minutes: Some(0),
        wait_for_ready: true,
        ..Default::default()
    })
    .await
    .context("creating the seed sandbox")?;
    core.create_snapshot(&CreateSnapshotRequest {
        sandbox: SANDBOX.into(),
        name: SNAPSHOT.into(),
        mode: SnapshotMode::Full,
        quick: true,
        wait: true,
    })
    .await
    .context("taking the seed snapshot")?;
    let pool = core.store().pool();
    let mut tx = pool.begin().await?;
    let (spec, container_id, created_at): (String, Option<String>, String) =
        sqlx::query_as("SELECT spec, container_id, created_at FROM sandboxes WHERE name = ?")
            .bind(SANDBOX)
            .fetch_one(&mut *tx)
            .await?;
    let spec: serde_json::Value = serde_json::from_str(&spec)?;
    for i in 1..sandboxes {
        let id = uuid::Uuid::new_v4().to_string();
        let name = format!("seed-{i:04}");
        let mut copy = spec.clone();
        copy["id"] = serde_json::json!(id);
        copy["name"] = serde_json::json!(name);
        sqlx::query(
            "INSERT INTO sandboxes (id, name, spec, container_id, phase, created_at, last_active_at) \
             VALUES (?, ?, ?, ?, 'created', ?, ?)",
        )
        .bind(&id)
        .bind(&name)
        .bind(copy.to_string())
        .bind(&container_id)
        .bind(&created_at)
        .bind(&created_at)
        .execute(&mut *tx)
        .await?;
    }
    let base = chrono::Utc::now();
    for i in 1..snapshots {
        // Every column of the real record, with a new id, name and time.
        sqlx::query(
            "INSERT INTO snapshots (id, name, source_template, source_sandbox_id, source_sandbox_name, repository, \
             status, failure_reason, created_at, expires_at, size_bytes, mode, consistency, image, spec, job_id, \
             imported, automatic) \
             SELECT ?, ?, source_template, source_sandbox_id, source_sandbox_name, repository, status, \
             failure_reason, ?, expires_at, size_bytes, mode, consistency, image, spec, NULL, imported, automatic \
             FROM snapshots WHERE name = ?",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(format!("seed-snap-{i:05}"))
        .bind(base - chrono::Duration::seconds(i as i64))
        .bind(SNAPSHOT)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(instance)
}

/// Remove every engine object of the instance (the one container, the one image).
pub async fn clean(instance: &str) {
    let _ = sbx_core::Engine::from_env().purge_instance(instance).await;
}
