//! Seed 003's remaining snapshot rules against the real engine: an expired snapshot is gone from the moment it
//! expires (restore, launch, listing, export, repository default) and the reaper only frees its space; the
//! snapshot mode (manual by default, automatic with a schedule required, a schedule refused otherwise) and the
//! next fire time in the machine's local time; automatic snapshots keep the newest N per sandbox; and what only
//! the database held — a repository default set in the app, a failed snapshot with its reason — comes back when
//! the database is deleted; the storage figures the Snapshots page shows (count, total, the engine's free space).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestEnv, unique};
use sbx_api::{
    ApiError, CreateSnapshotRequest, ListSnapshotsRequest, RepoDefaultRequest,
    RestoreSnapshotRequest, SnapshotChoice, SnapshotMode, SnapshotScheduleMode, SnapshotStatus,
    ValueSource,
};
use std::time::Duration;

fn full(sandbox: &str, name: &str) -> CreateSnapshotRequest {
    CreateSnapshotRequest {
        sandbox: sandbox.to_string(),
        name: name.to_string(),
        mode: SnapshotMode::Full,
        quick: true,
        wait: true,
    }
}

async fn listed(env: &TestEnv, sandbox: Option<&str>) -> Vec<String> {
    env.core
        .list_snapshots(&ListSnapshotsRequest {
            sandbox: sandbox.map(str::to_string),
            page: 1,
            limit: 100,
        })
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|s| s.name)
        .collect()
}

fn is_not_found(error: sbx_core::Error) -> bool {
    matches!(ApiError::from(error), ApiError::NotFound { .. })
}

#[tokio::test]
async fn an_expired_snapshot_is_gone_at_once_and_the_reaper_only_frees_its_space() {
    let env = TestEnv::new().await;
    // One "minute" of 20 ms: a retention of one day lasts about 29 s.
    env.core
        .tune(|t| t.minute = Some(Duration::from_millis(20)));
    let mut settings = env.core.settings();
    settings.snapshot_retention_days = Some(1);
    env.core.save_settings(&settings).unwrap();
    let repo = env.git_repo("expiring", &[("README", "hi")]);
    let base = unique("exp");
    let mut request = env.request(&base);
    request.git = sbx_api::GitChoice::Source(repo.display().to_string());
    env.create(request).await;
    let name = unique("old");
    let snapshot = env.core.create_snapshot(&full(&base, &name)).await.unwrap();
    assert_eq!(snapshot.status, SnapshotStatus::Active);
    let expires = snapshot.expires_at.unwrap();
    env.core
        .set_repo_default(&RepoDefaultRequest {
            path: repo.display().to_string(),
            snapshot: Some(name.clone()),
        })
        .await
        .unwrap();
    // Before it expires it is there, and the repository's sandboxes launch from it.
    assert!(listed(&env, None).await.contains(&name));
    let mut launch = env.request(&unique("launch"));
    launch.image = None;
    launch.snapshot = SnapshotChoice::RepoDefault;
    launch.git = sbx_api::GitChoice::Source(repo.display().to_string());
    let explained = env.core.explain_config(&launch).await.unwrap();
    assert!(
        explained
            .values
            .iter()
            .any(|v| v.field == "snapshot" && v.value == name && v.source == ValueSource::App),
        "{explained:?}"
    );

    tokio::time::sleep((expires - chrono::Utc::now()).to_std().unwrap_or_default()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // From the moment it expired, before any reaper ran: not found, not listed, not launched from.
    assert!(is_not_found(
        env.core.get_snapshot(&name).await.unwrap_err()
    ));
    assert!(!listed(&env, None).await.contains(&name));
    assert!(!listed(&env, Some(&base)).await.contains(&name));
    let page = env
        .core
        .list_snapshots(&ListSnapshotsRequest::default())
        .await
        .unwrap();
    assert_eq!((page.total, page.total_size_bytes), (0, 0));
    let restore = RestoreSnapshotRequest {
        snapshot: name.clone(),
        name: Some(unique("late")),
        wait_for_ready: true,
        ..Default::default()
    };
    assert!(is_not_found(
        env.core.restore_snapshot(&restore).await.unwrap_err()
    ));
    let mut named = env.request(&unique("named"));
    named.image = None;
    named.snapshot = SnapshotChoice::Named(name.clone());
    assert!(is_not_found(
        env.core.create_sandbox(&named).await.unwrap_err()
    ));
    let explained = env.core.explain_config(&launch).await.unwrap();
    assert!(
        !explained.values.iter().any(|v| v.field == "snapshot"),
        "{explained:?}"
    );
    assert!(
        explained.warnings.iter().any(|w| w.contains("not usable")),
        "{explained:?}"
    );
    let file = env.dir.path().join("late.tar");
    assert!(is_not_found(
        env.core.export_snapshot(&name, &file).await.unwrap_err()
    ));
    assert!(!file.exists());
    // Its image is still on the engine until the reaper frees it.
    let image = snapshot.image.unwrap();
    let docker = common::docker().await;
    assert!(docker.inspect_image(&image).await.is_ok());
    assert_eq!(env.core.reap_expired().await.unwrap(), vec![name.clone()]);
    assert!(docker.inspect_image(&image).await.is_err());
    assert_eq!(
        env.core.list_repositories().await.unwrap()[0].app_snapshot,
        None
    );
}

#[tokio::test]
async fn the_name_of_an_expired_snapshot_is_free_again() {
    let env = TestEnv::new().await;
    env.core.tune(|t| t.minute = Some(Duration::from_millis(5)));
    let mut settings = env.core.settings();
    settings.snapshot_retention_days = Some(1);
    env.core.save_settings(&settings).unwrap();
    let base = unique("reuse");
    env.create(env.request(&base)).await;
    let name = unique("again");
    let first = env.core.create_snapshot(&full(&base, &name)).await.unwrap();
    tokio::time::sleep(
        (first.expires_at.unwrap() - chrono::Utc::now())
            .to_std()
            .unwrap_or_default()
            + Duration::from_millis(100),
    )
    .await;
    assert!(is_not_found(
        env.core.get_snapshot(&name).await.unwrap_err()
    ));
    // Taken again under the same name before the reaper ran: the expired one is removed, the new one is there.
    settings.snapshot_retention_days = None;
    env.core.save_settings(&settings).unwrap();
    let second = env.core.create_snapshot(&full(&base, &name)).await.unwrap();
    assert_eq!(second.status, SnapshotStatus::Active);
    assert_ne!(second.id, first.id);
    assert_eq!(env.core.get_snapshot(&name).await.unwrap().id, second.id);
    let docker = common::docker().await;
    assert!(docker.inspect_image(&first.image.unwrap()).await.is_err());
}

#[tokio::test]
async fn the_storage_figures_count_the_snapshots_and_measure_the_engines_disk() {
    let env = TestEnv::new().await;
    let empty = env.core.snapshot_storage().await.unwrap();
    assert_eq!((empty.snapshots, empty.total_bytes), (0, 0));
    let base = unique("store");
    env.create(env.request(&base)).await;
    env.sh(&base, "head -c 300000 /dev/urandom > /home/amika/blob")
        .await;
    let name = unique("stored");
    env.core.create_snapshot(&full(&base, &name)).await.unwrap();
    let storage = env.core.snapshot_storage().await.unwrap();
    let page = env
        .core
        .list_snapshots(&ListSnapshotsRequest::default())
        .await
        .unwrap();
    assert_eq!(storage.snapshots, 1);
    assert_eq!(storage.total_bytes, page.total_size_bytes);
    assert!(storage.total_bytes >= 300_000, "{storage:?}");
    // An engine on a local socket whose data root is a folder here: measured here, with no helper container.
    let root = common::docker()
        .await
        .info()
        .await
        .unwrap()
        .docker_root_dir
        .unwrap();
    let local = std::env::var("DOCKER_HOST").map_or(true, |host| host.starts_with("unix://"));
    if local && std::path::Path::new(&root).is_dir() {
        assert_eq!(storage.measured, format!("the engine's data root {root}"));
    }
    let (free, disk) = (storage.free_bytes.unwrap(), storage.disk_bytes.unwrap());
    assert!(free > 0 && free <= disk, "{storage:?}");
}

#[tokio::test]
async fn snapshot_mode_needs_a_schedule_when_automatic_and_refuses_one_otherwise() {
    let env = TestEnv::new().await;
    let before = env.engine_objects().await;
    let cases = [
        (Some(SnapshotScheduleMode::Automatic), None),
        (Some(SnapshotScheduleMode::Manual), Some("0 * * * *")),
        (None, Some("0 * * * *")),
        (Some(SnapshotScheduleMode::Automatic), Some("0 * * *")),
    ];
    for (mode, schedule) in cases {
        let mut request = env.request(&unique("mode"));
        request.snapshot_mode = mode;
        request.snapshot_schedule = schedule.map(str::to_string);
        match ApiError::from(env.core.create_sandbox(&request).await.unwrap_err()) {
            ApiError::InvalidInput { field, .. } => {
                assert_eq!(field.as_str(), "snapshot-schedule", "{mode:?} {schedule:?}")
            }
            other => panic!("{mode:?} {schedule:?}: {other:?}"),
        }
    }
    assert_eq!(env.engine_objects().await, before, "nothing made");

    let manual = env.create(env.request(&unique("manual"))).await;
    assert_eq!(manual.snapshot_mode, SnapshotScheduleMode::Manual);
    assert_eq!(manual.next_snapshot_at, None);
    let name = unique("auto");
    let mut request = env.request(&name);
    request.snapshot_mode = Some(SnapshotScheduleMode::Automatic);
    request.snapshot_schedule = Some("30 4 * * *".into());
    let automatic = env.create(request).await;
    assert_eq!(automatic.snapshot_mode, SnapshotScheduleMode::Automatic);
    assert_eq!(automatic.snapshot_schedule.as_deref(), Some("30 4 * * *"));
    // 04:30 in the machine's local time.
    let next = automatic.next_snapshot_at.unwrap();
    let local = next.with_timezone(&chrono::Local);
    assert_eq!(local.format("%H:%M").to_string(), "04:30");
    assert!(next > chrono::Utc::now() && next <= chrono::Utc::now() + chrono::Duration::days(1));
}

#[tokio::test]
async fn automatic_snapshots_keep_the_newest_n_of_each_sandbox() {
    let env = TestEnv::new().await;
    let mut settings = env.core.settings();
    settings.automatic_snapshots_kept = 2;
    env.core.save_settings(&settings).unwrap();
    let base = unique("keep");
    let mut request = env.request(&base);
    request.snapshot_mode = Some(SnapshotScheduleMode::Automatic);
    request.snapshot_schedule = Some("* * * * *".into());
    let sandbox = env.create(request).await;
    let manual = unique("mine");
    env.core
        .create_snapshot(&full(&base, &manual))
        .await
        .unwrap();
    let rewind = || async {
        sqlx::query("UPDATE sandboxes SET last_schedule_tick = ? WHERE id = ?")
            .bind(chrono::Utc::now() - chrono::Duration::minutes(5))
            .bind(&sandbox.id)
            .execute(env.core.store().pool())
            .await
            .unwrap();
    };
    let automatic = || async {
        env.core
            .list_snapshots(&ListSnapshotsRequest {
                sandbox: Some(base.clone()),
                page: 1,
                limit: 100,
            })
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|s| s.automatic)
            .collect::<Vec<_>>()
    };
    let mut taken = Vec::new();
    for _ in 0..4 {
        rewind().await;
        env.core.runner_pass().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let newest = automatic().await;
            if let Some(first) = newest.first()
                && !taken.contains(&first.name)
                && first.status == SnapshotStatus::Active
            {
                taken.push(first.name.clone());
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{newest:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // The next pass (no tick due) keeps the newest two automatic ones and every manual one.
    env.core.runner_pass().await;
    let kept: Vec<String> = automatic().await.into_iter().map(|s| s.name).collect();
    assert_eq!(kept, [taken[3].clone(), taken[2].clone()]);
    let all = listed(&env, Some(&base)).await;
    assert!(all.contains(&manual), "{all:?}");
    assert_eq!(all.len(), 3, "{all:?}");
}

#[tokio::test]
async fn a_repository_default_and_a_failed_snapshot_come_back_with_the_database() {
    let env = TestEnv::new().await;
    let repo = env.git_repo("remembered", &[("README", "hi")]);
    let base = unique("mem");
    let mut request = env.request(&base);
    request.git = sbx_api::GitChoice::Source(repo.display().to_string());
    env.create(request).await;
    let good = unique("good");
    env.core.create_snapshot(&full(&base, &good)).await.unwrap();
    env.core
        .set_repo_default(&RepoDefaultRequest {
            path: repo.display().to_string(),
            snapshot: Some(good.clone()),
        })
        .await
        .unwrap();
    // A snapshot that fails: its sandbox's container is paused from outside, so the capture cannot pause it.
    let broken = unique("broken");
    let sandbox = env.core.get_sandbox(&base).await.unwrap();
    let docker = common::docker().await;
    let container = sandbox.container_id.clone().unwrap();
    docker.pause_container(&container).await.unwrap();
    let failed = env
        .core
        .create_snapshot(&CreateSnapshotRequest {
            quick: false,
            ..full(&base, &broken)
        })
        .await;
    let _ = docker.unpause_container(&container).await;
    let failed = match failed {
        Ok(snapshot) => snapshot,
        Err(error) => panic!("the request itself was refused: {error}"),
    };
    assert_eq!(failed.status, SnapshotStatus::Failed, "{failed:?}");
    let reason = failed.failure_reason.clone().unwrap();

    // The database is lost.
    let database = env.core.paths().database();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
    let fresh = env.another_core().await;
    assert!(fresh.list_repositories().await.unwrap().is_empty());
    fresh.recover().await;
    let repository = fresh.repository(&repo.display().to_string()).await.unwrap();
    assert_eq!(repository.app_snapshot.as_deref(), Some(good.as_str()));
    let back = fresh.get_snapshot(&broken).await.unwrap();
    assert_eq!(back.status, SnapshotStatus::Failed);
    assert_eq!(back.failure_reason.as_deref(), Some(reason.as_str()));
    assert_eq!(back.id, failed.id);
    // Cleared and deleted, they stay gone after another loss.
    fresh
        .set_repo_default(&RepoDefaultRequest {
            path: repo.display().to_string(),
            snapshot: None,
        })
        .await
        .unwrap();
    fresh.delete_snapshot(&broken).await.unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
    let third = env.another_core().await;
    third.recover().await;
    assert_eq!(
        third
            .repository(&repo.display().to_string())
            .await
            .unwrap()
            .app_snapshot,
        None
    );
    assert!(third.get_snapshot(&broken).await.is_err());
    assert!(third.get_snapshot(&good).await.is_ok());
}
