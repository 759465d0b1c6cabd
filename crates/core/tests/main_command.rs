//! The main command (SPEC S6, seed 001) against the real engine: it runs after the setup script (setup first, then
//! the command) instead of the keep-alive; exiting 0 stops the sandbox, exiting non-zero fails it with the code
//! (97 included, which is not a setup failure then); a stop ends it as stopped; a restart runs it again;
//! `--image-command` runs the image's own entrypoint and command; a snapshot keeps the main command.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestEnv, test_image, unique};
use sbx_api::{
    ApiError, CreateSnapshotRequest, LogsRequest, MainCommand, RestoreSnapshotRequest,
    SandboxState, SnapshotChoice, SnapshotMode,
};
use std::time::Duration;

/// Wait until the sandbox `name` is in `state` (the engine may take a moment to show an exit).
async fn wait_for_state(env: &TestEnv, name: &str, state: SandboxState) -> sbx_api::Sandbox {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let sandbox = env.core.get_sandbox(name).await.unwrap();
        if sandbox.state == state {
            return sandbox;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name} is {} ({:?}), not {state}",
            sandbox.state,
            sandbox.state_reason
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn log_of(env: &TestEnv, name: &str) -> String {
    env.core
        .sandbox_logs(&LogsRequest {
            name: name.to_string(),
            ..Default::default()
        })
        .await
        .unwrap()
        .all
}

#[tokio::test]
async fn the_main_command_runs_after_setup_instead_of_the_keep_alive() {
    let env = TestEnv::new().await;
    let name = unique("main");
    let mut request = env.request(&name);
    request.setup_script_text = Some("#!/bin/sh\necho installed > /tmp/setup-done\n".into());
    // The command sees what setup made, then keeps running as the sandbox's main process.
    request.command =
        Some("cat /tmp/setup-done > /tmp/main-saw; echo main-started; sleep 600".into());
    let sandbox = env.create(request).await;
    assert_eq!(sandbox.state, SandboxState::Running);
    assert_eq!(
        sandbox.main_command,
        MainCommand::Shell(
            "cat /tmp/setup-done > /tmp/main-saw; echo main-started; sleep 600".into()
        )
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !log_of(&env, &name).await.contains("main-started") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the command never ran"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(env.sh(&name, "cat /tmp/main-saw").await.1, "installed\n");
    // The main process is the command, not the keep-alive.
    let (_, ps, _) = env.sh(&name, "ps -o args").await;
    assert!(ps.lines().any(|l| l.trim() == "sleep 600"), "{ps}");
    assert!(!ps.lines().any(|l| l.trim() == "sleep 86400"), "{ps}");
    // A stop ends it as stopped (not failed), and a start runs it again (setup does not run twice).
    let stopped = env.core.stop_sandbox(&name).await.unwrap();
    assert_eq!(
        stopped.state,
        SandboxState::Stopped,
        "{:?}",
        stopped.state_reason
    );
    env.core.start_sandbox(&name).await.unwrap();
    let started = env
        .core
        .wait_until_ready(&name, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(started.state, SandboxState::Running);
    let log = log_of(&env, &name).await;
    assert_eq!(log.matches("main-started").count(), 2, "{log}");
    assert_eq!(log.matches("[amikad] setup: done").count(), 1, "{log}");
    env.core.delete_sandbox(&name, true).await.unwrap();
}

#[tokio::test]
async fn a_main_command_that_exits_stops_or_fails_the_sandbox_with_its_code() {
    let env = TestEnv::new().await;
    for (code, state) in [
        (0, SandboxState::Stopped),
        (3, SandboxState::Failed),
        // The setup script's failure code, from the main command: failed, not setup-failed.
        (97, SandboxState::Failed),
        (143, SandboxState::Failed),
    ] {
        let name = unique(&format!("exit{code}"));
        let mut request = env.request(&name);
        request.wait_for_ready = false;
        request.command = Some(format!("echo finishing; exit {code}"));
        env.create(request).await;
        let sandbox = wait_for_state(&env, &name, state).await;
        if code == 0 {
            assert_eq!(sandbox.state_reason, None);
        } else {
            let reason = sandbox.state_reason.unwrap();
            assert!(
                reason.contains(&format!("the main command exited with code {code}")),
                "{reason}"
            );
        }
        let log = log_of(&env, &name).await;
        assert!(log.contains("[amikad] setup: done"), "setup first: {log}");
        assert!(log.contains("finishing"), "{log}");
    }
}

#[tokio::test]
async fn a_failing_setup_script_keeps_the_main_command_from_running() {
    let env = TestEnv::new().await;
    let name = unique("nosetup");
    let mut request = env.request(&name);
    request.setup_script_text = Some("#!/bin/sh\nexit 5\n".into());
    request.command = Some("echo main-ran".into());
    let sandbox = env.create(request).await;
    assert_eq!(sandbox.state, SandboxState::SetupFailed);
    assert!(!log_of(&env, &name).await.contains("main-ran"));
}

#[tokio::test]
async fn the_image_command_is_read_from_the_image_and_a_snapshot_keeps_it() {
    let env = TestEnv::new().await;
    // An image with its own entrypoint and command (a preset built from the test image, without a registry).
    let preset_dir = env.core.paths().presets_dir().join("ownmain");
    std::fs::create_dir_all(&preset_dir).unwrap();
    std::fs::write(
        preset_dir.join("Dockerfile"),
        format!(
            "FROM {}\nENTRYPOINT [\"/bin/sh\", \"-c\"]\nCMD [\"echo image-command-ran > /tmp/image-ran; echo image-says-hi; sleep 600\"]\n",
            test_image()
        ),
    )
    .unwrap();
    let name = unique("imagecmd");
    let mut request = env.request(&name);
    request.image = None;
    request.preset = Some("ownmain".into());
    request.image_command = true;
    let sandbox = env.create(request).await;
    assert_eq!(sandbox.state, SandboxState::Running);
    let MainCommand::Image(argv) = &sandbox.main_command else {
        panic!("{:?}", sandbox.main_command);
    };
    assert_eq!(argv[..2], ["/bin/sh".to_string(), "-c".to_string()]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while env.sh(&name, "cat /tmp/image-ran").await.0 != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the image's command never ran"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A snapshot keeps it: its restore runs the original image's command (the snapshot's image runs the app's).
    let snapshot = unique("keeps");
    env.core
        .create_snapshot(&CreateSnapshotRequest {
            sandbox: name.clone(),
            name: snapshot.clone(),
            mode: SnapshotMode::Full,
            quick: true,
            wait: true,
        })
        .await
        .unwrap();
    let restored = unique("again");
    let sandbox = env
        .core
        .restore_snapshot(&RestoreSnapshotRequest {
            snapshot: snapshot.clone(),
            name: Some(restored.clone()),
            wait_for_ready: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(sandbox.main_command, MainCommand::Image(argv.clone()));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !log_of(&env, &restored).await.contains("image-says-hi") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not run after restore"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Launching from the snapshot with --image-command takes the command it recorded; --command replaces it.
    let launched = unique("launch");
    let mut request = env.request(&launched);
    request.image = None;
    request.snapshot = SnapshotChoice::Named(snapshot.clone());
    request.command = Some("sleep 600".into());
    let sandbox = env.create(request).await;
    assert_eq!(sandbox.main_command, MainCommand::Shell("sleep 600".into()));

    // A command and the image's own at once is a clear error.
    let bare = unique("both");
    let mut request = env.request(&bare);
    request.image_command = true;
    request.command = Some("echo both".into());
    let error = ApiError::from(env.core.create_sandbox(&request).await.unwrap_err());
    assert!(error.to_string().contains("not both"), "{error}");

    for sandbox in [&name, &restored, &launched] {
        env.core.delete_sandbox(sandbox, true).await.unwrap();
    }
    env.core.delete_snapshot(&snapshot).await.unwrap();
    let image = env.core.preset("ownmain").unwrap().image();
    let docker = common::docker().await;
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
async fn image_command_on_a_snapshot_without_one_is_refused_before_anything_is_made() {
    let env = TestEnv::new().await;
    let source = unique("plain");
    env.create(env.request(&source)).await;
    let snapshot = unique("plainsnap");
    env.core
        .create_snapshot(&CreateSnapshotRequest {
            sandbox: source.clone(),
            name: snapshot.clone(),
            mode: SnapshotMode::Full,
            quick: true,
            wait: true,
        })
        .await
        .unwrap();
    let before = env.engine_objects().await;
    let mut request = env.request(&unique("refused"));
    request.image = None;
    request.snapshot = SnapshotChoice::Named(snapshot.clone());
    request.image_command = true;
    let error = ApiError::from(env.core.create_sandbox(&request).await.unwrap_err());
    match &error {
        ApiError::InvalidInput { field, message, .. } => {
            assert_eq!(field.as_str(), "command");
            assert!(message.contains("--command"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(env.engine_objects().await, before);
}
