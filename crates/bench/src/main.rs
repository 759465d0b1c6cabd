//! `cargo xtask bench`: times Sandbox Desktop's create, snapshot and restore against the raw Docker operations
//! they stand for, on the same engine in the same run, and reports the ratios (median of several runs).
//!
//! - create-to-ready (no git) against `docker run -d` + the first `docker exec`;
//! - capture (full snapshot, application-consistent) against `docker commit` of the same container, with 0, 100
//!   and 500 MB changed;
//! - restore-to-ready against `docker run -d` + first exec of the snapshot's image;
//! - launch-to-ready from a ready profile version ([`profile`]) against `docker run -d` + first exec of its snapshot
//!   image;
//! - a 400 MB workspace through the `sbx` binary ([`workspace`]): create with a repository, snapshot, restore,
//!   against `git clone` + `docker run` + `docker cp`, `docker commit`, and `docker run` filling a new volume, with
//!   `sbx`'s peak resident memory;
//! - listing snapshots with 10,000 records (absolute times);
//! - the HTTP API ([`api`]; alone with `--api`): create-to-ready, clone-to-ready and reading one sandbox through
//!   `sbx-http` against the same through the core directly (the ratio is what the HTTP layer costs).

mod api;
mod profile;
mod workspace;

use anyhow::{Context, Result};
use bollard::Docker;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{ContainerConfig, ContainerCreateBody};
use bollard::query_parameters::{
    CommitContainerOptionsBuilder, CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder,
    RemoveImageOptionsBuilder,
};
use futures_util::StreamExt;
use sbx_api::{
    CreateSandboxRequest, CreateSnapshotRequest, ExecRequest, GitChoice, ListSnapshotsRequest,
    RestoreSnapshotRequest, SnapshotChoice, SnapshotMode,
};
use sbx_core::{Core, Engine, Paths};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn image() -> String {
    std::env::var("SBX_TEST_IMAGE").unwrap_or_else(|_| "sandbox-desktop-test/busybox:latest".into())
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

struct Row {
    what: String,
    ours: Duration,
    raw: Duration,
    /// `sbx`'s peak resident memory, for the rows run through the `sbx` binary.
    peak_kib: Option<u64>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let runs: usize = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    // `--api`: only the HTTP API's rows; `--workspace`: only the 400 MB workspace's.
    let api_only = std::env::args().any(|a| a == "--api");
    let workspace_only = std::env::args().any(|a| a == "--workspace");
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home)?;
    let core = Core::open(Paths::at(dir.path().join("data"))?, Engine::from_env()).await?;
    core.tune(|t| t.credentials_home = Some(home.clone()));
    let docker = Docker::connect_with_host(core.engine().address())?
        .negotiate_version()
        .await
        .context("no Docker engine answers")?;
    let mut rows = Vec::new();
    let result = if api_only {
        Ok(())
    } else {
        let sbx = workspace::Sbx {
            binary: std::env::var_os("SBX_CLI_BINARY")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| {
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/sbx")
                }),
            data: dir.path().join("data"),
            home: home.clone(),
        };
        let first = if workspace_only {
            Ok(())
        } else {
            run(&core, &docker, runs, &mut rows).await
        };
        match first {
            Ok(()) => workspace::rows(&sbx, dir.path(), runs).map(|more| rows.extend(more)),
            Err(error) => Err(error),
        }
    };
    let api_rows = match result {
        Ok(()) if workspace_only => Ok(Vec::new()),
        Ok(()) => api::rows(&core, runs).await,
        Err(error) => Err(error),
    };
    clean(core.engine(), core.paths().instance()).await;
    let api_rows = api_rows?;

    println!(
        "\n{:<44} {:>12} {:>12} {:>8} {:>14}",
        "operation", "ours", "raw Docker", "ratio", "sbx peak RSS"
    );
    let mut json = Vec::new();
    for row in &rows {
        let ratio = row.ours.as_secs_f64() / row.raw.as_secs_f64().max(1e-9);
        let peak = row
            .peak_kib
            .map(|kib| format!("{:.1} MiB", kib as f64 / 1024.0))
            .unwrap_or_default();
        println!(
            "{:<44} {:>12} {:>12} {:>7.2}x {:>14}",
            row.what,
            secs(row.ours),
            secs(row.raw),
            ratio,
            peak
        );
        json.push(serde_json::json!({
            "operation": row.what, "ours_s": row.ours.as_secs_f64(), "raw_s": row.raw.as_secs_f64(), "ratio": ratio,
            "sbx_peak_rss_kib": row.peak_kib,
        }));
    }
    println!(
        "\n{:<44} {:>12} {:>12} {:>8}",
        "operation", "HTTP API", "core", "ratio"
    );
    let mut api_json = Vec::new();
    for row in &api_rows {
        let ratio = row.ours.as_secs_f64() / row.raw.as_secs_f64().max(1e-9);
        println!(
            "{:<44} {:>12} {:>12} {:>7.3}x",
            row.what,
            secs(row.ours),
            secs(row.raw),
            ratio
        );
        api_json.push(serde_json::json!({
            "operation": row.what, "api_s": row.ours.as_secs_f64(), "core_s": row.raw.as_secs_f64(), "ratio": ratio,
        }));
    }
    let listing = list_benchmark(&core).await?;
    println!(
        "\nlisting with 10,000 snapshots: page 1 {} , page 200 {} , one sandbox's {}",
        secs(listing.0),
        secs(listing.1),
        secs(listing.2)
    );
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench.json");
    std::fs::write(
        &out,
        serde_json::to_string_pretty(&serde_json::json!({
            "runs": runs,
            "rows": json,
            "api_rows": api_json,
            "list_10k_page1_s": listing.0.as_secs_f64(),
            "list_10k_page200_s": listing.1.as_secs_f64(),
            "list_10k_per_sandbox_s": listing.2.as_secs_f64(),
        }))?,
    )?;
    println!("(written to {})", out.display());
    Ok(())
}

async fn run(core: &Arc<Core>, docker: &Docker, runs: usize, rows: &mut Vec<Row>) -> Result<()> {
    rows.push(bench_create(core, docker, runs).await?);
    let mut restores = Vec::new();
    for mb in [0u32, 100, 500] {
        rows.push(bench_capture(core, docker, runs, mb, &mut restores).await?);
    }
    if !restores.is_empty() {
        rows.push(Row {
            what: "restore to ready + first exec".into(),
            ours: median(restores.iter().map(|r| r.ours).collect()),
            raw: median(restores.iter().map(|r| r.raw).collect()),
            peak_kib: None,
        });
    }
    rows.push(profile::row(core, docker, runs).await?);
    Ok(())
}

/// A sandbox of the benchmark image without credentials, waited for.
fn bench_request(name: &str, no_setup: bool) -> CreateSandboxRequest {
    CreateSandboxRequest {
        name: Some(name.to_string()),
        image: Some(image()),
        git: GitChoice::Off,
        snapshot: SnapshotChoice::Off,
        no_credentials: true,
        no_setup,
        wait_for_ready: true,
        ..Default::default()
    }
}

/// Create-to-ready plus a first exec, against `docker run` plus `docker exec`.
async fn bench_create(core: &Arc<Core>, docker: &Docker, runs: usize) -> Result<Row> {
    let mut ours = Vec::new();
    let mut raw = Vec::new();
    for i in 0..runs {
        let name = format!("bench-create-{i}");
        let started = Instant::now();
        core.create_sandbox(&bench_request(&name, false)).await?;
        core.exec_collect(&ExecRequest {
            name: name.clone(),
            argv: vec!["true".into()],
        })
        .await?;
        ours.push(started.elapsed());
        core.delete_sandbox(&name, true).await?;

        let started = Instant::now();
        let id = run_detached(docker, &image(), &format!("bench-raw-{i}")).await?;
        exec_true(docker, &id).await?;
        raw.push(started.elapsed());
        remove(docker, &id).await;
    }
    Ok(Row {
        what: "create to ready + first exec".into(),
        ours: median(ours),
        raw: median(raw),
        peak_kib: None,
    })
}

/// A full snapshot with `mb` MB changed, against `docker commit` of a plain container with the same change; with
/// nothing changed, each run also times a restore (into `restores`).
async fn bench_capture(
    core: &Arc<Core>,
    docker: &Docker,
    runs: usize,
    mb: u32,
    restores: &mut Vec<Row>,
) -> Result<Row> {
    let mut ours = Vec::new();
    let mut raw = Vec::new();
    let capture_runs = if mb >= 500 { runs.min(3) } else { runs };
    for i in 0..capture_runs {
        let name = format!("bench-cap-{mb}-{i}");
        core.create_sandbox(&bench_request(&name, true)).await?;
        let fill = format!("dd if=/dev/urandom of=/root/fill bs=1M count={mb} 2>/dev/null; sync");
        core.exec_collect(&ExecRequest {
            name: name.clone(),
            argv: vec!["sh".into(), "-c".into(), fill.clone()],
        })
        .await?;
        let started = Instant::now();
        let snapshot = core
            .create_snapshot(&CreateSnapshotRequest {
                sandbox: name.clone(),
                name: format!("bench-snap-{mb}-{i}"),
                mode: SnapshotMode::Full,
                quick: false,
                wait: true,
            })
            .await?;
        ours.push(started.elapsed());
        anyhow::ensure!(
            snapshot.status == sbx_api::SnapshotStatus::Active,
            "capture failed: {snapshot:?}"
        );

        // Raw: the same change in a plain container, committed (paused, as docker commit does by default).
        let id = run_detached(docker, &image(), &format!("bench-rawcap-{mb}-{i}")).await?;
        exec(docker, &id, &fill).await?;
        let started = Instant::now();
        let committed = docker
            .commit_container(
                CommitContainerOptionsBuilder::default()
                    .container(&id)
                    .repo("sandbox-desktop-bench/raw")
                    .tag(&format!("{mb}-{i}"))
                    .pause(true)
                    .build(),
                ContainerConfig::default(),
            )
            .await?;
        raw.push(started.elapsed());
        remove(docker, &id).await;
        let _ = docker
            .remove_image(
                &committed.id,
                Some(RemoveImageOptionsBuilder::default().force(true).build()),
                None,
            )
            .await;

        if mb == 0 {
            restores.push(bench_restore(core, docker, &snapshot, i).await?);
        }
        core.delete_sandbox(&name, true).await?;
        core.delete_snapshot(&snapshot.name).await?;
    }
    Ok(Row {
        what: format!("capture, {mb} MB changed"),
        ours: median(ours),
        raw: median(raw),
        peak_kib: None,
    })
}

/// Restore-to-ready plus a first exec, against `docker run` of the snapshot image plus `docker exec`.
async fn bench_restore(
    core: &Arc<Core>,
    docker: &Docker,
    snapshot: &sbx_api::Snapshot,
    i: usize,
) -> Result<Row> {
    let restored = format!("bench-restore-{i}");
    let started = Instant::now();
    core.restore_snapshot(&RestoreSnapshotRequest {
        snapshot: snapshot.name.clone(),
        name: Some(restored.clone()),
        wait_for_ready: true,
        ..Default::default()
    })
    .await?;
    core.exec_collect(&ExecRequest {
        name: restored.clone(),
        argv: vec!["true".into()],
    })
    .await?;
    let ours = started.elapsed();
    let started = Instant::now();
    let id = run_detached(
        docker,
        snapshot.image.as_deref().unwrap_or_default(),
        &format!("bench-rawrestore-{i}"),
    )
    .await?;
    exec_true(docker, &id).await?;
    let raw = started.elapsed();
    remove(docker, &id).await;
    core.delete_sandbox(&restored, true).await?;
    Ok(Row {
        what: format!("restore to ready + first exec (run {i})"),
        ours,
        raw,
        peak_kib: None,
    })
}

async fn list_benchmark(core: &Arc<Core>) -> Result<(Duration, Duration, Duration)> {
    let mut tx = core.store().pool().begin().await?;
    let base = chrono::Utc::now();
    for i in 0..10_000 {
        sqlx::query(
            "INSERT INTO snapshots (id, name, source_template, source_sandbox_id, source_sandbox_name, status, \
             created_at, mode, consistency, spec, size_bytes) VALUES (?, ?, 'coder', ?, ?, 'active', ?, 'full', 'application', '{}', 10)",
        )
        .bind(format!("bench-{i:05}"))
        .bind(format!("bench-{i:05}"))
        .bind(format!("sb-{}", i % 10))
        .bind(format!("box-{}", i % 10))
        .bind(base + chrono::Duration::seconds(i))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    let time = |request: ListSnapshotsRequest| async move {
        let started = Instant::now();
        core.list_snapshots(&request)
            .await
            .map(|_| started.elapsed())
    };
    let first = time(ListSnapshotsRequest {
        sandbox: None,
        page: 1,
        limit: 50,
    })
    .await?;
    let deep = time(ListSnapshotsRequest {
        sandbox: None,
        page: 200,
        limit: 50,
    })
    .await?;
    let one = time(ListSnapshotsRequest {
        sandbox: Some("box-3".into()),
        page: 1,
        limit: 50,
    })
    .await?;
    Ok((first, deep, one))
}

async fn run_detached(docker: &Docker, image: &str, name: &str) -> Result<String> {
    let created = docker
        .create_container(
            Some(CreateContainerOptionsBuilder::default().name(name).build()),
            ContainerCreateBody {
                image: Some(image.to_string()),
                entrypoint: Some(vec!["sleep".into()]),
                cmd: Some(vec!["3600".into()]),
                labels: Some(std::collections::HashMap::from([(
                    "dev.sandboxdesktop.bench".to_string(),
                    "1".to_string(),
                )])),
                ..Default::default()
            },
        )
        .await?;
    docker.start_container(&created.id, None).await?;
    Ok(created.id)
}

async fn exec_true(docker: &Docker, id: &str) -> Result<()> {
    exec(docker, id, "true").await
}

async fn exec(docker: &Docker, id: &str, script: &str) -> Result<()> {
    let created = docker
        .create_exec(
            id,
            CreateExecOptions {
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                cmd: Some(vec!["sh", "-c", script]),
                ..Default::default()
            },
        )
        .await?;
    if let StartExecResults::Attached { mut output, .. } =
        docker.start_exec(&created.id, None).await?
    {
        while output.next().await.is_some() {}
    }
    Ok(())
}

async fn remove(docker: &Docker, id: &str) {
    let _ = docker
        .remove_container(
            id,
            Some(RemoveContainerOptionsBuilder::default().force(true).build()),
        )
        .await;
}

async fn clean(engine: &Engine, instance: &str) {
    let _ = engine.purge_instance(instance).await;
    let bench = ["dev.sandboxdesktop.bench=1".to_string()];
    engine.remove_containers(&bench).await;
    engine.remove_volumes(&bench).await;
    engine.remove_images(&bench).await;
}
