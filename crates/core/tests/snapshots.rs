//! Snapshots against the real Docker engine: take (both modes, both consistencies), status, rules, restore, clone,
//! delete, retention, automatic snapshots, repository defaults, export/import, listing, and the scrub of secrets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestEnv, git, test_image, unique};
use sbx_api::{
    ApiError, CloneSandboxRequest, Consistency, CreateSnapshotRequest, GitChoice,
    ListSnapshotsRequest, RestoreSnapshotRequest, SandboxState, SnapshotChoice, SnapshotMode,
    SnapshotStatus,
};
use std::time::Duration;

fn snap(sandbox: &str, name: &str, mode: SnapshotMode) -> CreateSnapshotRequest {
    CreateSnapshotRequest {
        sandbox: sandbox.into(),
        name: name.into(),
        mode,
        quick: false,
        wait: true,
    }
}

fn restore(snapshot: &str, name: &str) -> RestoreSnapshotRequest {
    RestoreSnapshotRequest {
        snapshot: snapshot.into(),
        name: Some(name.into()),
        wait_for_ready: true,
        ..Default::default()
    }
}

/// A sandbox from a git repository, with a setup script that counts its runs, an env var and a changed file.
async fn configured_sandbox(env: &TestEnv, name: &str) -> std::path::PathBuf {
    let repo = env.git_repo(&format!("repo-{name}"), &[("README.md", "hello\n")]);
    let mut request = env.request(name);
    request.git = GitChoice::Source(repo.display().to_string());
    request.env = vec!["KEEP_ME=kept".into()];
    request.cpus = Some(1);
    request.setup_script_text = Some("#!/bin/sh\necho run >> /root/setup-runs\n".into());
    let sandbox = env.create(request).await;
    assert_eq!(sandbox.state, SandboxState::Running, "{sandbox:?}");
    let (code, _, _) = env
        .sh(name, "echo installed > /root/installed && echo dep > node_modules.txt && mkdir -p cache && echo c > cache/c")
        .await;
    assert_eq!(code, 0);
    repo
}

#[tokio::test]
async fn full_snapshot_keeps_the_source_and_restores_filesystem_workspace_and_configuration() {
    let env = TestEnv::new().await;
    let base = unique("base");
    let repo = configured_sandbox(&env, &base).await;
    let repo_name = repo.file_name().unwrap().to_string_lossy().to_string();
    let source = env.core.get_sandbox(&base).await.unwrap();

    let name = unique("full");
    let snapshot = env
        .core
        .create_snapshot(&snap(&base, &name, SnapshotMode::Full))
        .await
        .unwrap();
    assert_eq!(snapshot.status, SnapshotStatus::Active, "{snapshot:?}");
    assert_eq!(snapshot.mode, SnapshotMode::Full);
    assert_eq!(snapshot.consistency, Consistency::Application);
    assert_eq!(snapshot.source_sandbox_id, source.id);
    assert_eq!(snapshot.source_sandbox_name, base);
    assert_eq!(snapshot.source_template, test_image());
    assert!(snapshot.size_bytes.unwrap() > 0);
    assert_eq!(snapshot.expires_at, None);
    assert_eq!(
        env.core.get_sandbox(&base).await.unwrap().state,
        SandboxState::Running,
        "full snapshot keeps the source"
    );

    // Restored twice: fresh ids, the same content, the setup script once more at boot.
    for (i, cpus) in [(1, None), (2, Some(2))] {
        let new = format!("{base}-r{i}");
        let mut request = restore(&name, &new);
        request.cpus = cpus;
        let restored = env.core.restore_snapshot(&request).await.unwrap();
        assert_eq!(restored.state, SandboxState::Running, "{restored:?}");
        assert_ne!(restored.id, source.id);
        assert_eq!(restored.from_snapshot.as_deref(), Some(name.as_str()));
        assert_eq!(restored.cpus, cpus.or(Some(1)));
        let repo_info = restored.repo.clone().unwrap();
        assert!(
            repo_info.volume.starts_with(&format!("amika-git-{new}-")),
            "{}",
            repo_info.volume
        );
        let (code, out, _) = env
            .sh(&new, "cat /root/installed README.md node_modules.txt cache/c; echo $KEEP_ME; pwd; cat /root/setup-runs | wc -l")
            .await;
        assert_eq!(code, 0);
        assert_eq!(
            out.split_whitespace().collect::<Vec<_>>(),
            vec![
                "installed",
                "hello",
                "dep",
                "c",
                "kept",
                &format!("/home/amika/workspace/{repo_name}"),
                "2"
            ]
        );
    }
    // Skipping setup at restore: the script does not run again.
    let skipped = format!("{base}-skip");
    let mut request = restore(&name, &skipped);
    request.no_setup = true;
    env.core.restore_snapshot(&request).await.unwrap();
    let (_, out, _) = env.sh(&skipped, "cat /root/setup-runs | wc -l").await;
    assert_eq!(out.trim(), "1");
}

#[tokio::test]
async fn only_running_sandboxes_with_valid_unique_names_can_be_snapshotted() {
    let env = TestEnv::new().await;
    let base = unique("rules");
    env.create(env.request(&base)).await;
    let first = unique("first");
    env.core
        .create_snapshot(&snap(&base, &first, SnapshotMode::Full))
        .await
        .unwrap();

    for bad in ["Bad_Name", "", &"x".repeat(41)] {
        let error = ApiError::from(
            env.core
                .create_snapshot(&snap(&base, bad, SnapshotMode::Full))
                .await
                .unwrap_err(),
        );
        assert_eq!(error.field(), Some("name"), "{error}");
    }
    let error = ApiError::from(
        env.core
            .create_snapshot(&snap(&base, &first, SnapshotMode::Full))
            .await
            .unwrap_err(),
    );
    assert!(error.to_string().contains("already exists"), "{error}");

    env.core.stop_sandbox(&base).await.unwrap();
    let error = ApiError::from(
        env.core
            .create_snapshot(&snap(&base, &unique("s"), SnapshotMode::Full))
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(error, ApiError::Conflict { .. }) && error.to_string().contains("stopped"),
        "{error}"
    );

    let failing = unique("sfail");
    let mut request = env.request(&failing);
    request.setup_script_text = Some("exit 1".into());
    env.create(request).await;
    let error = ApiError::from(
        env.core
            .create_snapshot(&snap(&failing, &unique("s"), SnapshotMode::Full))
            .await
            .unwrap_err(),
    );
    assert!(error.to_string().contains("setup-failed"), "{error}");

    let page = env
        .core
        .list_snapshots(&ListSnapshotsRequest::default())
        .await
        .unwrap();
    assert_eq!(page.total, 1, "rejected requests record nothing");
}

#[tokio::test]
async fn a_second_snapshot_while_one_is_in_flight_is_rejected() {
    let env = TestEnv::new().await;
    let base = unique("busy");
    env.create(env.request(&base)).await;
    // Make the capture take a while.
    env.sh(
        &base,
        "dd if=/dev/zero of=/root/big bs=1M count=200 2>/dev/null",
    )
    .await;
    let other = env.another_core().await;
    let first = CreateSnapshotRequest {
        wait: false,
        ..snap(&base, &unique("one"), SnapshotMode::Full)
    };
    let accepted = env.core.create_snapshot(&first).await.unwrap();
    assert_eq!(accepted.status, SnapshotStatus::Capturing);
    for core in [&env.core, &other] {
        let error = ApiError::from(
            core.create_snapshot(&snap(&base, &unique("two"), SnapshotMode::Full))
                .await
                .unwrap_err(),
        );
        assert!(error.to_string().contains("already in flight"), "{error}");
    }
    // It finishes, and then a new one is accepted.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let status = env.core.get_snapshot(&first.name).await.unwrap().status;
        if status == SnapshotStatus::Active {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "capture did not finish"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    env.core
        .create_snapshot(&snap(&base, &unique("three"), SnapshotMode::Full))
        .await
        .unwrap();
}

#[tokio::test]
async fn application_consistency_pauses_and_quick_does_not() {
    use bollard::query_parameters::EventsOptionsBuilder;
    use futures_util::StreamExt;
    let env = TestEnv::new().await;
    let base = unique("pause");
    let sandbox = env.create(env.request(&base)).await;
    let container = sandbox.container_id.unwrap();
    for (quick, expect_pause) in [(false, true), (true, false)] {
        let docker = common::docker().await;
        let since = format!("{:.9}", chrono::Utc::now().timestamp_micros() as f64 / 1e6);
        let request = CreateSnapshotRequest {
            quick,
            ..snap(&base, &unique("c"), SnapshotMode::Full)
        };
        let snapshot = env.core.create_snapshot(&request).await.unwrap();
        assert_eq!(
            snapshot.consistency,
            if quick {
                Consistency::Crash
            } else {
                Consistency::Application
            }
        );
        let until = format!(
            "{:.9}",
            chrono::Utc::now().timestamp_micros() as f64 / 1e6 + 0.5
        );
        let filters =
            std::collections::HashMap::from([("container".to_string(), vec![container.clone()])]);
        let events: Vec<String> = docker
            .events(Some(
                EventsOptionsBuilder::default()
                    .since(&since)
                    .until(&until)
                    .filters(&filters)
                    .build(),
            ))
            .filter_map(|e| async move { e.ok().and_then(|e| e.action) })
            .collect()
            .await;
        assert_eq!(
            events.iter().any(|a| a == "pause"),
            expect_pause,
            "quick={quick}: {events:?}"
        );
    }
}

#[tokio::test]
async fn scrubbed_snapshot_removes_every_injected_secret_and_keeps_the_rest() {
    let env = TestEnv::new().await;
    // Secrets in every place the scrub covers.
    std::fs::write(
        env.home.join(".claude.json"),
        "{\"token\": \"SENTINEL-CREDFILE-1\"}",
    )
    .unwrap();
    std::fs::create_dir_all(env.home.join(".codex")).unwrap();
    std::fs::write(
        env.home.join(".codex/auth.json"),
        "{\"key\": \"SENTINEL-CREDFILE-2\"}",
    )
    .unwrap();
    let repo = env.git_repo("secretive", &[("app.txt", "app\n")]);
    // The host's token never reaches the sandbox (the checkout's origin is copied without it); a tool inside puts
    // one back below.
    git(
        &repo,
        &[
            "remote",
            "add",
            "origin",
            "https://someone:SENTINEL-REMOTE@git.example.com/team/secretive.git",
        ],
    );
    let base = unique("scrub");
    let mut request = env.request(&base);
    request.git = GitChoice::Source(repo.display().to_string());
    request.env = vec![
        "API_TOKEN=SENTINEL-ENV".into(),
        "PLAIN=visible".into(),
        "MARKED=SENTINEL-MARKED".into(),
    ];
    request.secret_env = vec!["MARKED".into()];
    let source = env.create(request).await;
    assert_eq!(source.credentials.len(), 2);
    let (code, _, err) = env
        .sh(
            &base,
            "cp /home/amika/.claude.json /root/stolen.json && cp /home/amika/.codex/auth.json ./leaked-auth.json && \
             echo 'https://u:SENTINEL-GITCRED@git.example.com' > /home/amika/.git-credentials && \
             echo ordinary > /root/ordinary.txt && git config --get remote.origin.url 2>/dev/null; \
             sed -i 's#https://git.example.com#https://someone:SENTINEL-REMOTE@git.example.com#' .git/config && \
             grep -q SENTINEL-REMOTE .git/config",
        )
        .await;
    assert_eq!(code, 0, "{err}");

    let name = unique("clean");
    let snapshot = env
        .core
        .create_snapshot(&snap(&base, &name, SnapshotMode::Scrub))
        .await
        .unwrap();
    assert_eq!(snapshot.status, SnapshotStatus::Active, "{snapshot:?}");
    assert!(
        matches!(
            ApiError::from(env.core.get_sandbox(&base).await.unwrap_err()),
            ApiError::NotFound { .. }
        ),
        "snapshot and delete removes the source"
    );

    // Restore where no credentials are found (an empty home), so nothing is mounted again.
    let empty_home = env.dir.path().join("empty-home");
    std::fs::create_dir_all(&empty_home).unwrap();
    env.core
        .tune(|t| t.credentials_home = Some(empty_home.clone()));
    let restored_name = format!("{base}-r");
    let restored = env
        .core
        .restore_snapshot(&restore(&name, &restored_name))
        .await
        .unwrap();
    assert_eq!(restored.state, SandboxState::Running);
    let (_, found, _) = env
        .sh(&restored_name, "grep -rl SENTINEL / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null; env | grep SENTINEL; true")
        .await;
    assert_eq!(found, "", "secrets left after scrubbing");
    let (code, out, _) = env
        .sh(
            &restored_name,
            "cat /root/ordinary.txt app.txt; echo $PLAIN; grep url .git/config",
        )
        .await;
    assert_eq!(code, 0);
    assert!(out.starts_with("ordinary\napp\nvisible\n"), "{out}");
    assert!(
        out.contains("https://git.example.com/team/secretive.git"),
        "{out}"
    );
    // Nor in the image's configuration or labels.
    let docker = common::docker().await;
    let inspect = docker
        .inspect_image(snapshot.image.as_deref().unwrap())
        .await
        .unwrap();
    let config = serde_json::to_string(&inspect.config).unwrap();
    assert!(!config.contains("SENTINEL"), "image config: {config}");
    assert!(!restored.env.iter().any(|v| v.value.contains("SENTINEL")));
}

#[tokio::test]
async fn scrubbing_fails_closed() {
    let env = TestEnv::new().await;
    // An image where the scrub cannot work: its /tmp is a file.
    let preset_dir = env.core.paths().presets_dir().join("notmp");
    std::fs::create_dir_all(&preset_dir).unwrap();
    std::fs::write(
        preset_dir.join("Dockerfile"),
        format!("FROM {}\nRUN rm -rf /tmp && touch /tmp\n", test_image()),
    )
    .unwrap();
    let base = unique("closed");
    let mut request = env.request(&base);
    request.image = None;
    request.preset = Some("notmp".into());
    env.create(request).await;
    let name = unique("never");
    let snapshot = env
        .core
        .create_snapshot(&snap(&base, &name, SnapshotMode::Scrub))
        .await
        .unwrap();
    assert_eq!(snapshot.status, SnapshotStatus::Failed);
    let reason = snapshot.failure_reason.unwrap();
    assert!(
        reason.contains("removing injected secrets failed"),
        "{reason}"
    );
    assert_eq!(
        env.core.get_sandbox(&base).await.unwrap().state,
        SandboxState::Running,
        "the source stays"
    );
    let images = common::snapshot_images(env.core.paths().instance()).await;
    assert!(images.is_empty(), "nothing captured: {images:?}");
    // A failed snapshot cannot be restored, and can be deleted.
    let error = ApiError::from(
        env.core
            .restore_snapshot(&restore(&name, &unique("x")))
            .await
            .unwrap_err(),
    );
    assert!(error.to_string().contains("failed"), "{error}");
    env.core.delete_snapshot(&name).await.unwrap();
    let docker = common::docker().await;
    let image = env.core.preset("notmp").unwrap().image();
    env.core.delete_sandbox(&base, true).await.unwrap();
    let _ = docker
        .remove_image(
            &image,
            Some(
                bollard::query_parameters::RemoveImageOptionsBuilder::default()
                    .force(true)
                    .build(),
            ),
            None,
        )
        .await;
}

#[tokio::test]
async fn restore_rules_capturing_and_deleted_snapshots_are_clear_errors() {
    let env = TestEnv::new().await;
    let base = unique("rr");
    env.create(env.request(&base)).await;
    env.sh(
        &base,
        "dd if=/dev/zero of=/root/big bs=1M count=150 2>/dev/null",
    )
    .await;
    let name = unique("inflight");
    let capturing = env
        .core
        .create_snapshot(&CreateSnapshotRequest {
            wait: false,
            ..snap(&base, &name, SnapshotMode::Full)
        })
        .await
        .unwrap();
    assert_eq!(capturing.status, SnapshotStatus::Capturing);
    let error = ApiError::from(
        env.core
            .restore_snapshot(&restore(&name, &unique("x")))
            .await
            .unwrap_err(),
    );
    assert!(
        error.to_string().contains("still capturing")
            || error.to_string().contains("still finalizing"),
        "{error}"
    );
    let error = ApiError::from(env.core.delete_snapshot(&name).await.unwrap_err());
    assert!(matches!(error, ApiError::Conflict { .. }), "{error}");
    let error = ApiError::from(
        env.core
            .restore_snapshot(&restore("no-such-snapshot", "x"))
            .await
            .unwrap_err(),
    );
    assert!(matches!(error, ApiError::NotFound { .. }), "{error}");
    let bad = ApiError::from(
        env.core
            .restore_snapshot(&RestoreSnapshotRequest {
                memory_mib: Some(1),
                ..restore(&name, "y")
            })
            .await
            .unwrap_err(),
    );
    assert!(bad.field().is_some(), "{bad}");
}

#[tokio::test]
async fn deleting_waits_for_restores_and_keeps_restored_sandboxes_running() {
    let env = TestEnv::new().await;
    let base = unique("del");
    env.create(env.request(&base)).await;
    let name = unique("gone");
    let snapshot = env
        .core
        .create_snapshot(&snap(&base, &name, SnapshotMode::Full))
        .await
        .unwrap();
    let kept = format!("{base}-kept");
    env.core
        .restore_snapshot(&restore(&name, &kept))
        .await
        .unwrap();

    // A restore in flight when the delete comes: the delete waits for it.
    let in_flight = format!("{base}-late");
    let mut request = restore(&name, &in_flight);
    request.wait_for_ready = false;
    env.core.restore_snapshot(&request).await.unwrap();
    env.core.delete_snapshot(&name).await.unwrap();
    let late = env
        .core
        .wait_until_ready(&in_flight, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        late.state,
        SandboxState::Running,
        "the restore finished before the delete"
    );

    assert_eq!(
        env.core.get_sandbox(&kept).await.unwrap().state,
        SandboxState::Running
    );
    assert!(matches!(
        ApiError::from(env.core.get_snapshot(&name).await.unwrap_err()),
        ApiError::NotFound { .. }
    ));
    assert!(
        !env.core
            .image_exists(snapshot.image.as_deref().unwrap())
            .await
            .unwrap()
    );
    let error = ApiError::from(
        env.core
            .restore_snapshot(&restore(&name, &unique("x")))
            .await
            .unwrap_err(),
    );
    assert!(matches!(error, ApiError::NotFound { .. }));
}

#[tokio::test]
async fn clone_makes_a_snapshot_and_a_new_sandbox_with_overrides() {
    let env = TestEnv::new().await;
    let base = unique("src");
    configured_sandbox(&env, &base).await;

    // More CPUs than the engine has: refused on the field before the intermediate snapshot is taken.
    let too_many = env.engine_cpus().await + 1;
    if too_many <= 32 {
        let error = ApiError::from(
            env.core
                .clone_sandbox(&CloneSandboxRequest {
                    sandbox: base.clone(),
                    name: Some(format!("{base}-big")),
                    snapshot_name: Some(format!("{base}-big-snap")),
                    cpus: Some(too_many),
                    memory_mib: None,
                    image: None,
                    wait_for_ready: true,
                })
                .await
                .unwrap_err(),
        );
        assert_eq!(error.field(), Some("cpus"), "{error}");
        assert!(error.to_string().contains("CPU"), "{error}");
        assert!(
            env.core
                .get_snapshot(&format!("{base}-big-snap"))
                .await
                .is_err()
        );
    }

    let result = env
        .core
        .clone_sandbox(&CloneSandboxRequest {
            sandbox: base.clone(),
            name: Some(format!("{base}-clone")),
            snapshot_name: Some(format!("{base}-snap")),
            cpus: Some(2),
            memory_mib: Some(256),
            image: None,
            wait_for_ready: true,
        })
        .await
        .unwrap();
    assert_eq!(result.sandbox.name, format!("{base}-clone"));
    assert_eq!(result.sandbox.state, SandboxState::Running);
    assert_eq!(
        (result.sandbox.cpus, result.sandbox.memory_mib),
        (Some(2), Some(256))
    );
    assert_eq!(result.snapshot.name, format!("{base}-snap"));
    assert_eq!(result.snapshot.source_sandbox_name, base);
    if too_many <= 32 {
        let error = ApiError::from(
            env.core
                .restore_snapshot(&RestoreSnapshotRequest {
                    cpus: Some(too_many),
                    ..restore(&result.snapshot.name, &format!("{base}-big"))
                })
                .await
                .unwrap_err(),
        );
        assert_eq!(error.field(), Some("cpus"), "{error}");
    }
    assert_eq!(
        env.core.get_sandbox(&base).await.unwrap().state,
        SandboxState::Running
    );
    let (_, out, _) = env
        .sh(&result.sandbox.name, "cat /root/installed node_modules.txt")
        .await;
    assert_eq!(out, "installed\ndep\n");

    // With an image override the sandbox runs that image with the snapshot's workspace.
    let other = env
        .core
        .clone_sandbox(&CloneSandboxRequest {
            sandbox: base.clone(),
            image: Some(test_image()),
            wait_for_ready: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(other.sandbox.image, test_image());
    let (_, out, _) = env
        .sh(
            &other.sandbox.name,
            "cat node_modules.txt; test -e /root/installed || echo fresh-image",
        )
        .await;
    assert_eq!(out, "dep\nfresh-image\n");
}

#[tokio::test]
async fn listing_is_paginated_per_sandbox_and_has_every_field() {
    let env = TestEnv::new().await;
    let a = unique("la");
    let b = unique("lb");
    env.create(env.request(&a)).await;
    env.create(env.request(&b)).await;
    for i in 0..3 {
        env.core
            .create_snapshot(&snap(&a, &format!("{a}-{i}"), SnapshotMode::Full))
            .await
            .unwrap();
    }
    env.core
        .create_snapshot(&snap(&b, &format!("{b}-0"), SnapshotMode::Full))
        .await
        .unwrap();
    let all = env
        .core
        .list_snapshots(&ListSnapshotsRequest {
            sandbox: None,
            page: 1,
            limit: 2,
        })
        .await
        .unwrap();
    assert_eq!((all.total, all.items.len()), (4, 2));
    assert_eq!(all.items[0].name, format!("{b}-0"), "newest first");
    let second = env
        .core
        .list_snapshots(&ListSnapshotsRequest {
            sandbox: None,
            page: 2,
            limit: 2,
        })
        .await
        .unwrap();
    assert_eq!(second.items.len(), 2);
    let third = env
        .core
        .list_snapshots(&ListSnapshotsRequest {
            sandbox: None,
            page: 3,
            limit: 2,
        })
        .await
        .unwrap();
    assert!(third.items.is_empty());
    let only_a = env
        .core
        .list_snapshots(&ListSnapshotsRequest {
            sandbox: Some(a.clone()),
            page: 1,
            limit: 50,
        })
        .await
        .unwrap();
    assert_eq!(only_a.total, 3);
    assert!(only_a.items.iter().all(|s| s.source_sandbox_name == a));
    let sizes: u64 = all
        .items
        .iter()
        .chain(&second.items)
        .map(|s| s.size_bytes.unwrap())
        .sum();
    assert_eq!(all.total_size_bytes, sizes);
    let json = serde_json::to_value(&all.items[0]).unwrap();
    for field in [
        "id",
        "name",
        "source_template",
        "source_sandbox_id",
        "source_sandbox_name",
        "status",
        "created_at",
        "expires_at",
        "size_bytes",
        "mode",
        "consistency",
    ] {
        assert!(json.get(field).is_some(), "{field} missing in {json}");
    }
}

#[tokio::test]
async fn listing_ten_thousand_records_pages_correctly() {
    let env = TestEnv::new().await;
    let mut tx = env.core.store().pool().begin().await.unwrap();
    let base = chrono::Utc::now();
    for i in 0..10_000 {
        sqlx::query(
            "INSERT INTO snapshots (id, name, source_template, source_sandbox_id, source_sandbox_name, status, \
             created_at, mode, consistency, spec, size_bytes) VALUES (?, ?, 'coder', ?, ?, 'active', ?, 'full', 'application', '{}', 10)",
        )
        .bind(format!("id-{i:05}"))
        .bind(format!("s-{i:05}"))
        .bind(format!("sb-{}", i % 10))
        .bind(format!("box-{}", i % 10))
        .bind(base + chrono::Duration::seconds(i))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let page = env
        .core
        .list_snapshots(&ListSnapshotsRequest {
            sandbox: None,
            page: 200,
            limit: 50,
        })
        .await
        .unwrap();
    assert_eq!(page.total, 10_000);
    assert_eq!(page.total_size_bytes, 100_000);
    assert_eq!(page.items.first().unwrap().name, "s-00049");
    assert_eq!(page.items.last().unwrap().name, "s-00000");
    let per = env
        .core
        .list_snapshots(&ListSnapshotsRequest {
            sandbox: Some("box-3".into()),
            page: 1,
            limit: 1000,
        })
        .await
        .unwrap();
    assert_eq!((per.total, per.items.len()), (1000, 1000));
}

#[tokio::test]
async fn retention_sets_expiry_and_the_reaper_deletes_expired_snapshots() {
    let env = TestEnv::new().await;
    env.core.tune(|t| t.minute = Some(Duration::from_millis(2)));
    sbx_core::settings::save(
        &env.core.paths().settings(),
        &sbx_api::Settings {
            snapshot_retention_days: Some(1),
            ..Default::default()
        },
    )
    .unwrap();
    let base = unique("ret");
    env.create(env.request(&base)).await;
    let name = unique("exp");
    let snapshot = env
        .core
        .create_snapshot(&snap(&base, &name, SnapshotMode::Full))
        .await
        .unwrap();
    let expires = snapshot.expires_at.expect("expiry set from the settings");
    // One day of 2 ms minutes: 2.88 s.
    let lifetime = (expires - snapshot.created_at).num_milliseconds();
    assert!((2800..=3000).contains(&lifetime), "{lifetime}");
    // Restoring does not extend it.
    env.core
        .restore_snapshot(&restore(&name, &format!("{base}-r")))
        .await
        .unwrap();
    assert_eq!(
        env.core.get_snapshot(&name).await.unwrap().expires_at,
        Some(expires)
    );
    // Not yet expired: kept.
    if chrono::Utc::now() < expires {
        assert!(env.core.reap_expired().await.unwrap().is_empty());
    }
    tokio::time::sleep(
        (expires - chrono::Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(100),
    )
    .await;
    assert_eq!(env.core.reap_expired().await.unwrap(), vec![name.clone()]);
    assert!(env.core.get_snapshot(&name).await.is_err());
}

/// Wait, when needed, until at least 30 s are left before the next whole minute: the steps that follow then meet no
/// real tick of `* * * * *`, only the ones the test makes by rewinding the last tick.
async fn clear_of_the_next_minute() {
    let into_minute =
        u64::try_from(chrono::Utc::now().timestamp_millis().rem_euclid(60_000)).unwrap();
    let left = Duration::from_millis(60_000 - into_minute);
    if left < Duration::from_secs(30) {
        tokio::time::sleep(left + Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn automatic_snapshots_fire_on_running_sandboxes_and_skip_without_queueing() {
    let env = TestEnv::new().await;
    let base = unique("cron");
    let mut request = env.request(&base);
    request.snapshot_mode = Some(sbx_api::SnapshotScheduleMode::Automatic);
    request.snapshot_schedule = Some("* * * * *".into());
    env.create(request).await;
    let manual = unique("manual");
    env.create(env.request(&manual)).await;
    let rewind = || async {
        sqlx::query("UPDATE sandboxes SET last_schedule_tick = ? WHERE name = ?")
            .bind(chrono::Utc::now() - chrono::Duration::minutes(5))
            .bind(&base)
            .execute(env.core.store().pool())
            .await
            .unwrap();
    };
    let count = || async {
        env.core
            .list_snapshots(&ListSnapshotsRequest {
                sandbox: Some(base.clone()),
                page: 1,
                limit: 100,
            })
            .await
            .unwrap()
    };
    // A tick came while running: one snapshot (the missed ticks of five minutes give one, not five).
    clear_of_the_next_minute().await;
    rewind().await;
    env.core.runner_pass().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let page = count().await;
        if page.total == 1 && page.items[0].status == SnapshotStatus::Active {
            assert!(page.items[0].name.starts_with("auto-"));
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no automatic snapshot: {page:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The tick is used up: no second snapshot until the next one.
    env.core.runner_pass().await;
    assert_eq!(count().await.total, 1);
    // A tick while stopped is skipped, and not taken later.
    clear_of_the_next_minute().await;
    env.core.stop_sandbox(&base).await.unwrap();
    rewind().await;
    env.core.runner_pass().await;
    env.core.start_sandbox(&base).await.unwrap();
    env.core
        .wait_until_ready(&base, Duration::from_secs(60))
        .await
        .unwrap();
    env.core.runner_pass().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(count().await.total, 1);
    // Manual sandboxes never get one.
    let manual_page = env
        .core
        .list_snapshots(&ListSnapshotsRequest {
            sandbox: Some(manual),
            page: 1,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(manual_page.total, 0);
}

#[tokio::test]
async fn repository_default_comes_from_the_config_file_unless_the_app_sets_one() {
    let env = TestEnv::new().await;
    let in_config = unique("cfgsnap");
    let repo = env.git_repo(
        "defaulted",
        &[
            (
                ".amika/config.toml",
                &format!("[sandbox]\nsnapshot = \"{in_config}\"\n"),
            ),
            ("code.txt", "v1\n"),
        ],
    );
    // The config file may only pick a snapshot taken from the same repository.
    let base = unique("defbase");
    let mut request = env.request(&base);
    request.git = GitChoice::Source(repo.display().to_string());
    env.create(request).await;
    env.sh(&base, "echo from-config-snapshot > /root/which")
        .await;
    env.core
        .create_snapshot(&snap(&base, &in_config, SnapshotMode::Full))
        .await
        .unwrap();
    env.sh(&base, "echo from-app-snapshot > /root/which").await;
    let in_app = unique("appsnap");
    env.core
        .create_snapshot(&snap(&base, &in_app, SnapshotMode::Full))
        .await
        .unwrap();

    let request_for = |name: &str| {
        let mut request = env.request(name);
        request.image = None;
        request.snapshot = SnapshotChoice::RepoDefault;
        request.git = GitChoice::Source(repo.display().to_string());
        request
    };
    let check = |name: String, expected: &'static str| {
        let env = &env;
        async move {
            let (_, out, _) = env.sh(&name, "cat /root/which code.txt").await;
            assert_eq!(out, format!("{expected}\nv1\n"), "{name}");
        }
    };
    // From the config file.
    let explained = env.core.explain_config(&request_for("x")).await.unwrap();
    let snapshot_value = explained
        .values
        .iter()
        .find(|v| v.field == "snapshot")
        .unwrap();
    assert_eq!(
        (snapshot_value.value.as_str(), &snapshot_value.source),
        (in_config.as_str(), &sbx_api::ValueSource::RepoConfig)
    );
    let one = unique("one");
    let sandbox = env.create(request_for(&one)).await;
    assert_eq!(sandbox.from_snapshot.as_deref(), Some(in_config.as_str()));
    check(one, "from-config-snapshot").await;

    // The app's default wins.
    let repository = env
        .core
        .set_repo_default(&sbx_api::RepoDefaultRequest {
            path: repo.display().to_string(),
            snapshot: Some(in_app.clone()),
        })
        .await
        .unwrap();
    assert_eq!(
        repository.default_snapshot.as_deref(),
        Some(in_app.as_str())
    );
    assert_eq!(repository.default_source, Some(sbx_api::DefaultSource::App));
    assert_eq!(
        repository.config_snapshot.as_deref(),
        Some(in_config.as_str())
    );
    let two = unique("two");
    env.create(request_for(&two)).await;
    check(two, "from-app-snapshot").await;

    // The user can pick none, or another.
    let three = unique("three");
    let mut request = request_for(&three);
    request.snapshot = SnapshotChoice::Off;
    request.image = Some(test_image());
    let plain = env.create(request).await;
    assert_eq!(plain.from_snapshot, None);
    let four = unique("four");
    let mut request = request_for(&four);
    request.snapshot = SnapshotChoice::Named(in_config.clone());
    env.create(request).await;
    check(four, "from-config-snapshot").await;

    // Clearing the app's value brings the config file's back; setting an unknown snapshot is an error.
    let cleared = env
        .core
        .set_repo_default(&sbx_api::RepoDefaultRequest {
            path: repo.join("sub").parent().unwrap().display().to_string(),
            snapshot: None,
        })
        .await
        .unwrap();
    assert_eq!(
        (cleared.default_snapshot.as_deref(), cleared.default_source),
        (
            Some(in_config.as_str()),
            Some(sbx_api::DefaultSource::RepoConfig)
        )
    );
    let error = ApiError::from(
        env.core
            .set_repo_default(&sbx_api::RepoDefaultRequest {
                path: repo.display().to_string(),
                snapshot: Some("nope".into()),
            })
            .await
            .unwrap_err(),
    );
    assert!(matches!(error, ApiError::NotFound { .. }), "{error}");
    assert!(
        env.core
            .list_repositories()
            .await
            .unwrap()
            .iter()
            .any(|r| r.name == "defaulted")
    );
}

#[tokio::test]
async fn values_inherited_from_a_snapshot_are_explained_as_from_the_snapshot() {
    let env = TestEnv::new().await;
    let base = unique("told");
    configured_sandbox(&env, &base).await;
    let name = unique("told-snap");
    env.core
        .create_snapshot(&snap(&base, &name, SnapshotMode::Full))
        .await
        .unwrap();
    let mut request = env.request(&unique("x"));
    request.image = None;
    request.git = GitChoice::Off;
    request.snapshot = SnapshotChoice::Named(name.clone());
    request.env = vec!["OTHER=1".into()];
    let explained = env.core.explain_config(&request).await.unwrap();
    let source_of = |field: &str| {
        explained
            .values
            .iter()
            .find(|v| v.field == field)
            .map(|v| v.source.clone())
            .unwrap_or_else(|| panic!("no {field} in {:?}", explained.values))
    };
    use sbx_api::ValueSource;
    assert_eq!(source_of("snapshot"), ValueSource::Flag);
    assert_eq!(source_of("env.KEEP_ME"), ValueSource::Snapshot);
    assert_eq!(source_of("env.OTHER"), ValueSource::Flag);
    assert_eq!(source_of("cpus"), ValueSource::Snapshot);
    assert_eq!(source_of("memory"), ValueSource::Default);
    assert_eq!(source_of("setup_script"), ValueSource::Snapshot);
    assert_eq!(source_of("image"), ValueSource::Snapshot);
}

#[tokio::test]
async fn export_and_import_move_a_snapshot_with_its_workspace() {
    let env = TestEnv::new().await;
    let base = unique("exp");
    configured_sandbox(&env, &base).await;
    let name = unique("moved");
    let original = env
        .core
        .create_snapshot(&snap(&base, &name, SnapshotMode::Full))
        .await
        .unwrap();
    let file = env.dir.path().join("snapshot.tar");
    env.core.export_snapshot(&name, &file).await.unwrap();
    assert!(std::fs::metadata(&file).unwrap().len() > 1000);

    // "Another machine": a fresh data dir on the same engine, while the original is still here. The import
    // must leave the original's image alone (the export names it).
    let other = TestEnv::new().await;
    let imported = other.core.import_snapshot(&file).await.unwrap();
    let kept = unique("orig");
    env.core
        .restore_snapshot(&restore(&name, &kept))
        .await
        .expect("the original snapshot still restores after an import of its export");
    let (_, out, _) = env.sh(&kept, "cat /root/installed").await;
    assert_eq!(out, "installed\n");
    assert_eq!(imported.name, name);
    assert_eq!(imported.status, SnapshotStatus::Active);
    assert_eq!(imported.source_sandbox_name, original.source_sandbox_name);
    let restored = unique("back");
    other
        .core
        .restore_snapshot(&restore(&name, &restored))
        .await
        .unwrap();
    let (_, out, _) = other
        .sh(
            &restored,
            "cat /root/installed node_modules.txt README.md; echo $KEEP_ME",
        )
        .await;
    assert_eq!(out, "installed\ndep\nhello\nkept\n");
    // Importing twice is a clear error.
    let error = ApiError::from(other.core.import_snapshot(&file).await.unwrap_err());
    assert!(error.to_string().contains("already exists"), "{error}");
    let error = ApiError::from(
        other
            .core
            .import_snapshot(&env.dir.path().join("missing.tar"))
            .await
            .unwrap_err(),
    );
    assert_eq!(error.field(), Some("file"));
}

#[tokio::test]
async fn an_interrupted_import_is_recorded_and_its_loaded_tag_removed() {
    let env = TestEnv::new().await;
    let base = unique("imp");
    env.create(env.request(&base)).await;
    let name = unique("carried");
    env.core
        .create_snapshot(&snap(&base, &name, SnapshotMode::Full))
        .await
        .unwrap();
    let file = env.dir.path().join("carried.tar");
    env.core.export_snapshot(&name, &file).await.unwrap();
    let other = TestEnv::new().await;
    other.core.import_snapshot(&file).await.unwrap();
    let job: (String, String) =
        sqlx::query_as("SELECT kind, status FROM jobs WHERE kind = 'import' AND target = ?")
            .bind(&name)
            .fetch_one(other.core.store().pool())
            .await
            .unwrap();
    assert_eq!(job, ("import".to_string(), "succeeded".to_string()));

    // What a kill in the middle of loading leaves: the job running under a dead process, and the tag the
    // export names loaded into the engine.
    let docker = common::docker().await;
    let loaded = format!("sandbox-desktop-test/half-import-{name}");
    docker
        .tag_image(
            &test_image(),
            Some(
                bollard::query_parameters::TagImageOptionsBuilder::default()
                    .repo(&loaded)
                    .tag("x")
                    .build(),
            ),
        )
        .await
        .unwrap();
    sqlx::query(
        "UPDATE jobs SET status = 'running', owner = '999999999:dead', stage = 'loading', message = ? \
         WHERE kind = 'import' AND target = ?",
    )
    .bind(format!("{loaded}:x"))
    .bind(&name)
    .execute(other.core.store().pool())
    .await
    .unwrap();
    let next_start = other.another_core().await;
    next_start.recover().await;
    assert!(
        docker.inspect_image(&format!("{loaded}:x")).await.is_err(),
        "the tag an interrupted import loaded is removed"
    );
    assert!(
        docker.inspect_image(&test_image()).await.is_ok(),
        "only the tag, never the image other names use"
    );
    let job: (String, Option<String>) =
        sqlx::query_as("SELECT status, error FROM jobs WHERE kind = 'import' AND target = ?")
            .bind(&name)
            .fetch_one(next_start.store().pool())
            .await
            .unwrap();
    assert_eq!(job.0, "failed");
    assert!(job.1.unwrap_or_default().contains("interrupted"));
    // The imported snapshot itself is untouched.
    assert_eq!(
        next_start.get_snapshot(&name).await.unwrap().status,
        SnapshotStatus::Active
    );
}

#[tokio::test]
async fn the_database_is_rebuilt_from_labels() {
    let env = TestEnv::new().await;
    let base = unique("lost");
    env.create(env.request(&base)).await;
    let name = unique("kept");
    env.core
        .create_snapshot(&snap(&base, &name, SnapshotMode::Full))
        .await
        .unwrap();
    let database = env.core.paths().database();
    // Another core on a copy of the data dir without its database.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
    let fresh = env.another_core().await;
    assert!(fresh.list_sandboxes().await.unwrap().is_empty());
    fresh.recover().await;
    let sandboxes = fresh.list_sandboxes().await.unwrap();
    assert_eq!(sandboxes.len(), 1);
    assert_eq!(sandboxes[0].name, base);
    assert_eq!(sandboxes[0].state, SandboxState::Running);
    let snapshot = fresh.get_snapshot(&name).await.unwrap();
    assert_eq!(snapshot.status, SnapshotStatus::Active);
    let restored = unique("again");
    fresh
        .restore_snapshot(&restore(&name, &restored))
        .await
        .unwrap();
}

#[tokio::test]
async fn recovery_in_another_process_leaves_work_in_progress_alone() {
    let env = TestEnv::new().await;
    let base = unique("busyrec");
    env.create(env.request(&base)).await;
    env.sh(
        &base,
        "dd if=/dev/zero of=/root/big bs=1M count=100 2>/dev/null",
    )
    .await;
    let name = unique("inprogress");
    let other = env.another_core().await;
    // A capture and a restore in flight while another process starts (and recovers).
    env.core
        .create_snapshot(&CreateSnapshotRequest {
            wait: false,
            ..snap(&base, &name, SnapshotMode::Full)
        })
        .await
        .unwrap();
    other.recover().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while env.core.get_snapshot(&name).await.unwrap().status != SnapshotStatus::Active {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            env.core.get_snapshot(&name).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let restored = unique("restoring");
    let mut request = restore(&name, &restored);
    request.wait_for_ready = false;
    env.core.restore_snapshot(&request).await.unwrap();
    other.recover().await;
    let sandbox = env
        .core
        .wait_until_ready(&restored, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(sandbox.state, SandboxState::Running);
}

#[tokio::test]
async fn concurrent_clones_of_one_sandbox_from_two_processes_all_succeed() {
    let env = TestEnv::new().await;
    let base = unique("par");
    env.create(env.request(&base)).await;
    // A file to find in every clone, and enough bytes that the captures overlap.
    env.sh(
        &base,
        "echo base > /root/marker; dd if=/dev/zero of=/root/big bs=1M count=16 2>/dev/null",
    )
    .await;
    // Two cores on one data dir: two processes, as far as the database is concerned.
    let other = env.another_core().await;
    let clones: Vec<_> = (0..4)
        .map(|i| {
            let core = if i % 2 == 0 {
                env.core.clone()
            } else {
                other.clone()
            };
            let request = CloneSandboxRequest {
                sandbox: base.clone(),
                name: Some(format!("{base}-w{i}")),
                wait_for_ready: true,
                ..Default::default()
            };
            tokio::spawn(async move { core.clone_sandbox(&request).await })
        })
        .collect();
    let mut snapshot_names = std::collections::HashSet::new();
    for (i, clone) in clones.into_iter().enumerate() {
        let result = clone
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("clone {i}: {e}"));
        assert_eq!(result.sandbox.state, SandboxState::Running);
        assert_eq!(result.snapshot.status, SnapshotStatus::Active);
        assert!(result.snapshot.name.len() <= 40, "{}", result.snapshot.name);
        assert!(snapshot_names.insert(result.snapshot.name.clone()));
        let (_, out, _) = env.sh(&result.sandbox.name, "cat /root/marker").await;
        assert_eq!(out, "base\n");
    }
    assert_eq!(
        env.core.get_sandbox(&base).await.unwrap().state,
        SandboxState::Running
    );
    // With none in flight any more, a plain snapshot is taken as usual.
    env.core
        .create_snapshot(&snap(&base, &format!("{base}-after"), SnapshotMode::Full))
        .await
        .unwrap();
}

#[tokio::test]
async fn sandboxes_and_snapshots_are_found_by_id_or_name() {
    let env = TestEnv::new().await;
    let name = unique("byid");
    let sandbox = env.create(env.request(&name)).await;
    assert_eq!(
        env.core.find_sandbox(&sandbox.id).await.unwrap().spec.name,
        name
    );
    assert_eq!(
        env.core.find_sandbox(&name).await.unwrap().spec.id,
        sandbox.id
    );
    let snapshot = env
        .core
        .create_snapshot(&snap(&name, &format!("{name}-s"), SnapshotMode::Full))
        .await
        .unwrap();
    assert_eq!(
        env.core.find_snapshot(&snapshot.id).await.unwrap().name,
        snapshot.name
    );
    assert_eq!(
        env.core.find_snapshot(&snapshot.name).await.unwrap().id,
        snapshot.id
    );
    for missing in [
        "../../etc/passwd",
        "00000000-0000-0000-0000-000000000000",
        "",
    ] {
        let error = ApiError::from(env.core.find_sandbox(missing).await.unwrap_err());
        assert!(matches!(error, ApiError::NotFound { .. }), "{error}");
        let error = ApiError::from(env.core.find_snapshot(missing).await.unwrap_err());
        assert!(matches!(error, ApiError::NotFound { .. }), "{error}");
    }
    // The snapshots of a sandbox are listed by its id too.
    let page = env
        .core
        .list_snapshots(&ListSnapshotsRequest {
            sandbox: Some(sandbox.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, 1);
}

#[tokio::test]
async fn the_helper_goes_by_itself_and_the_git_volume_can_be_deleted_at_once() {
    // The capture's helper is removed by the engine after the snapshot is done; deleting the sandbox and its git
    // volume straight after must not trip over it (the engine test `a_volume_a_released_helper_mounted_can_be_
    // removed_at_once` makes that removal slow), and nothing of it may stay.
    let env = TestEnv::new().await;
    let base = unique("held");
    configured_sandbox(&env, &base).await;
    let volume = env
        .core
        .get_sandbox(&base)
        .await
        .unwrap()
        .repo
        .unwrap()
        .volume;
    let name = unique("held-snap");
    let snapshot = env
        .core
        .create_snapshot(&snap(&base, &name, SnapshotMode::Full))
        .await
        .unwrap();
    assert_eq!(snapshot.status, SnapshotStatus::Active, "{snapshot:?}");
    env.core.delete_sandbox(&base, true).await.unwrap();
    env.core.delete_volume(&volume).await.unwrap();
    let instance = env.core.paths().instance().to_string();
    let until = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (containers, volumes, _) = env.engine_objects().await;
        if containers.is_empty() {
            assert!(!volumes.contains(&volume), "{volumes:?}");
            break;
        }
        assert!(
            std::time::Instant::now() < until,
            "containers of {instance} stayed: {containers:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The partial image lost its name; the snapshot's image is whole and restores.
    let docker = common::docker().await;
    let images = docker
        .list_images(Some(
            bollard::query_parameters::ListImagesOptionsBuilder::default()
                .filters(&sbx_core::labels::filters(&[sbx_core::labels::filter(
                    sbx_core::labels::INSTANCE,
                    &instance,
                )]))
                .build(),
        ))
        .await
        .unwrap();
    let names: Vec<String> = images.into_iter().flat_map(|i| i.repo_tags).collect();
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with("sandbox-desktop/partial")),
        "{names:?}"
    );
    let restored = env
        .core
        .restore_snapshot(&restore(&name, &format!("{base}-r")))
        .await
        .unwrap();
    assert_eq!(restored.state, SandboxState::Running, "{restored:?}");
    let (code, out, _) = env.sh(&format!("{base}-r"), "cat README.md").await;
    assert_eq!((code, out.trim()), (0, "hello"));
}
