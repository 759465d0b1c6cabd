//! The background runner against the real engine: idle auto-stop (and what keeps a sandbox busy), auto-delete, the
//! single-runner lease, and recovery of a create interrupted after it had made engine objects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestEnv, unique};
use sbx_api::{GitChoice, SandboxState};
use sbx_core::runner::RUNNER_LEASE;
use std::time::Duration;

/// Run the runner's pass every quarter "minute" for `span`.
async fn run_for(env: &TestEnv, span: Duration) {
    let deadline = tokio::time::Instant::now() + span;
    while tokio::time::Instant::now() < deadline {
        env.core.runner_pass().await;
        tokio::time::sleep(env.core.tick()).await;
    }
}

#[tokio::test]
async fn an_idle_sandbox_is_stopped_and_a_busy_one_is_not() {
    let env = TestEnv::new().await;
    env.core.tune(|t| t.minute = Some(Duration::from_secs(1)));
    let idle = unique("idle");
    let mut request = env.request(&idle);
    request.auto_stop_minutes = Some(2);
    env.create(request).await;
    let busy_cpu = unique("cpu");
    let mut request = env.request(&busy_cpu);
    request.auto_stop_minutes = Some(2);
    env.create(request).await;
    let busy_exec = unique("exec");
    let mut request = env.request(&busy_exec);
    request.auto_stop_minutes = Some(2);
    env.create(request).await;
    let never = unique("never");
    let mut request = env.request(&never);
    request.auto_stop_minutes = Some(0);
    env.create(request).await;

    // Busy: a process using a CPU, and an open command session doing nothing.
    env.sh(
        &busy_cpu,
        "setsid sh -c 'while :; do :; done' >/dev/null 2>&1 </dev/null &",
    )
    .await;
    let session = env
        .core
        .exec_start(&busy_exec, &["sleep".to_string(), "30".to_string()], false)
        .await
        .unwrap();

    run_for(&env, Duration::from_secs(5)).await;
    assert_eq!(
        env.core.get_sandbox(&idle).await.unwrap().state,
        SandboxState::Stopped,
        "idle for 2 minutes"
    );
    assert_eq!(
        env.core.get_sandbox(&busy_cpu).await.unwrap().state,
        SandboxState::Running
    );
    assert_eq!(
        env.core.get_sandbox(&busy_exec).await.unwrap().state,
        SandboxState::Running
    );
    assert_eq!(
        env.core.get_sandbox(&never).await.unwrap().state,
        SandboxState::Running,
        "0 disables auto-stop"
    );
    drop(session);
}

#[tokio::test]
async fn a_stopped_sandbox_is_deleted_after_its_interval_and_its_volume_is_kept() {
    let env = TestEnv::new().await;
    env.core.tune(|t| t.minute = Some(Duration::from_secs(1)));
    let repo = env.git_repo("autodel", &[("a", "a")]);
    let name = unique("autodel");
    let mut request = env.request(&name);
    request.auto_delete_minutes = Some(1);
    request.auto_stop_minutes = Some(0);
    request.git = GitChoice::Source(repo.display().to_string());
    let sandbox = env.create(request).await;
    let keep = unique("keep");
    env.create(env.request(&keep)).await;
    env.core.stop_sandbox(&keep).await.unwrap();

    // Running: never auto-deleted.
    run_for(&env, Duration::from_millis(1500)).await;
    assert!(env.core.get_sandbox(&name).await.is_ok());
    env.core.stop_sandbox(&name).await.unwrap();
    run_for(&env, Duration::from_secs(3)).await;
    assert!(
        env.core.get_sandbox(&name).await.is_err(),
        "deleted a minute after stopping"
    );
    assert_eq!(
        env.core.get_sandbox(&keep).await.unwrap().state,
        SandboxState::Stopped,
        "no interval: kept"
    );
    let volume = sandbox.repo.unwrap().volume;
    assert!(
        env.core
            .list_volumes()
            .await
            .unwrap()
            .iter()
            .any(|v| v.name == volume)
    );
}

#[tokio::test]
async fn exactly_one_process_holds_the_runner_lease() {
    let env = TestEnv::new().await;
    let others = [env.another_core().await, env.another_core().await];
    assert!(env.core.hold_lease(RUNNER_LEASE).await.unwrap());
    for other in &others {
        assert!(!other.hold_lease(RUNNER_LEASE).await.unwrap());
    }
    // The holder renews it.
    assert!(env.core.hold_lease(RUNNER_LEASE).await.unwrap());
    assert_eq!(
        env.core
            .lease_holder(RUNNER_LEASE)
            .await
            .unwrap()
            .as_deref(),
        Some(env.core.process_token())
    );
    // Released: the next one takes it, and only one.
    env.core.release_lease(RUNNER_LEASE).await.unwrap();
    let taken: Vec<bool> =
        futures_util::future::join_all(others.iter().map(|o| o.hold_lease(RUNNER_LEASE)))
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
    assert_eq!(taken.iter().filter(|t| **t).count(), 1, "{taken:?}");
}

#[tokio::test]
async fn an_interrupted_create_leaves_nothing_after_recovery() {
    // What a create that was killed after making its volume and container leaves behind: the record still
    // `creating`, its job `running` with an owner process that no longer exists.
    let env = TestEnv::new().await;
    let repo = env.git_repo("crashy", &[("a", "a")]);
    let name = unique("crash");
    let mut request = env.request(&name);
    request.git = GitChoice::Source(repo.display().to_string());
    request.wait_for_ready = false;
    let sandbox = env.core.create_sandbox(&request).await.unwrap();
    env.core
        .wait_until_ready(&name, Duration::from_secs(60))
        .await
        .unwrap();
    // The create's job records its end a moment after the sandbox is ready: let it, so the rewind below is not
    // overwritten by it.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let job: (String,) = sqlx::query_as("SELECT status FROM jobs WHERE target = ?")
            .bind(&name)
            .fetch_one(env.core.store().pool())
            .await
            .unwrap();
        if job.0 != "running" && job.0 != "queued" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the create's job is still {}",
            job.0
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Rewind the record and the job to the middle of the create, owned by a dead process.
    sqlx::query("UPDATE sandboxes SET phase = 'creating' WHERE id = ?")
        .bind(&sandbox.id)
        .execute(env.core.store().pool())
        .await
        .unwrap();
    sqlx::query("UPDATE jobs SET status = 'running', owner = '999999999:dead' WHERE target = ?")
        .bind(&name)
        .execute(env.core.store().pool())
        .await
        .unwrap();
    let (containers, volumes, _) = env.engine_objects().await;
    assert_eq!((containers.len(), volumes.len()), (1, 1));

    let next_start = env.another_core().await;
    next_start.recover().await;
    let (containers, volumes, _) = env.engine_objects().await;
    assert!(
        containers.is_empty() && volumes.is_empty(),
        "{containers:?} {volumes:?}"
    );
    assert!(next_start.get_sandbox(&name).await.is_err());
    assert!(!next_start.paths().sandbox_dir(&sandbox.id).exists());
    let job: (String,) = sqlx::query_as("SELECT status FROM jobs WHERE target = ?")
        .bind(&name)
        .fetch_one(next_start.store().pool())
        .await
        .unwrap();
    assert_eq!(job.0, "failed");
}

#[tokio::test]
async fn a_create_that_had_started_its_sandbox_is_kept_by_recovery() {
    let env = TestEnv::new().await;
    let name = unique("survivor");
    env.create(env.request(&name)).await;
    sqlx::query("UPDATE jobs SET status = 'running', owner = '999999999:dead' WHERE target = ?")
        .bind(&name)
        .execute(env.core.store().pool())
        .await
        .unwrap();
    let next_start = env.another_core().await;
    next_start.recover().await;
    assert_eq!(
        next_start.get_sandbox(&name).await.unwrap().state,
        SandboxState::Running
    );
}
