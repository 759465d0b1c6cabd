//! Sandbox profiles against the real Docker engine (SPEC P1–P3, B4): publish → snapshot job → ready → launch (the
//! setup script's file is there and the setup did not run again), a failing setup script (failed, not usable, its
//! output kept), a failed refresh of a ready version (still usable and launchable), unchanged refreshes, the
//! base-image schedule, one job in flight per version from two processes, deleting a profile while a sandbox runs
//! from it, and the database lost (profiles and versions rebuilt from the images' labels).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bollard::models::ContainerConfig;
use bollard::query_parameters::{CommitContainerOptionsBuilder, TagImageOptionsBuilder};
use common::{TestEnv, test_image, unique};
use sbx_api::{
    ApiError, CreateSandboxRequest, GitChoice, LogsRequest, ProfileJob, ProfileJobStatus,
    ProfileRequest, RefreshProfileRequest, RefreshSchedule, SandboxState, SnapshotChoice,
    TestProfileRequest,
};
use sbx_core::{Core, labels};
use std::collections::HashMap;
use std::sync::Arc;

/// A profile of `image` with `setup` as its setup script.
fn profile(name: &str, image: &str, setup: &str) -> ProfileRequest {
    ProfileRequest {
        name: name.into(),
        image: Some(image.into()),
        setup_script_text: Some(setup.into()),
        env: Some(vec!["MODE=baked".into()]),
        cpus: Some(1),
        ..Default::default()
    }
}

/// Run the job here (no runner is alive in a test) and return how it ended, with its output.
async fn run(core: &Arc<Core>, job: &ProfileJob) -> (ProfileJob, String) {
    let mut output = String::new();
    let ended = core
        .wait_profile_job(&job.id, true, |text| output.push_str(text))
        .await
        .unwrap();
    (ended, output)
}

/// A create request launching from `profile`.
fn launch(env: &TestEnv, name: &str, profile: &str) -> CreateSandboxRequest {
    CreateSandboxRequest {
        name: Some(name.into()),
        profile: Some(profile.into()),
        git: GitChoice::Off,
        snapshot: SnapshotChoice::Off,
        wait_for_ready: true,
        cwd: Some(env.dir.path().display().to_string()),
        ..Default::default()
    }
}

/// Commit a sandbox of the test image in which `script` ran as the image `repo:latest` (labelled with the test's
/// instance, so it is cleaned up with the rest).
async fn base_image(env: &TestEnv, repo: &str, script: &str) {
    let name = unique("base");
    let sandbox = env.create(env.request(&name)).await;
    let (code, _, _) = env.sh(&name, script).await;
    assert_eq!(code, 0);
    let docker = common::docker().await;
    let instance = env.core.paths().instance().to_string();
    docker
        .commit_container(
            CommitContainerOptionsBuilder::default()
                .container(&sandbox.container_id.unwrap())
                .repo(repo)
                .tag("latest")
                .pause(true)
                .build(),
            ContainerConfig {
                labels: Some(HashMap::from([(labels::INSTANCE.to_string(), instance)])),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    env.core.delete_sandbox(&name, true).await.unwrap();
}

/// Name the test image `repo:latest` too.
async fn tag_test_image(repo: &str) {
    let docker = common::docker().await;
    docker
        .tag_image(
            &test_image(),
            Some(
                TagImageOptionsBuilder::default()
                    .repo(repo)
                    .tag("latest")
                    .build(),
            ),
        )
        .await
        .unwrap();
}

/// Containers and images labelled with the test's instance, of kind `kind`.
async fn objects_of_kind(env: &TestEnv, kind: &str) -> (usize, usize) {
    let with = labels::instance_filters(env.core.paths().instance(), &[(labels::KIND, kind)]);
    let docker = common::docker().await;
    let containers = docker
        .list_containers(Some(
            bollard::query_parameters::ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&with)
                .build(),
        ))
        .await
        .unwrap();
    let images = docker
        .list_images(Some(
            bollard::query_parameters::ListImagesOptionsBuilder::default()
                .filters(&with)
                .build(),
        ))
        .await
        .unwrap();
    (containers.len(), images.len())
}

#[tokio::test]
async fn publish_bakes_a_snapshot_and_sandboxes_launch_from_it_without_running_the_setup_again() {
    let env = TestEnv::new().await;
    let name = unique("web");
    let setup = "#!/bin/sh\nset -e\necho made-by-setup > /root/made\necho run >> /root/setup-runs\necho setup-says-hello\n";
    let created = env
        .core
        .create_profile(&profile(&name, &test_image(), setup))
        .await
        .unwrap();
    assert!(created.versions.is_empty());
    assert_eq!(
        created.draft.unwrap().recipe.setup_script.as_deref(),
        Some(setup)
    );

    // Testing the draft runs its setup script in an ordinary sandbox.
    let test_box = unique("draft");
    env.core
        .test_profile(&TestProfileRequest {
            profile: name.clone(),
            name: Some(test_box.clone()),
        })
        .await
        .unwrap();
    let tested = env
        .core
        .wait_until_ready(&test_box, std::time::Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!(tested.state, SandboxState::Running);
    assert_eq!(
        env.sh(&test_box, "cat /root/made").await.1.trim(),
        "made-by-setup"
    );
    env.core.delete_sandbox(&test_box, true).await.unwrap();

    let queued = env.core.publish_profile(&name).await.unwrap();
    assert_eq!(queued.status, ProfileJobStatus::Queued);
    assert_eq!(queued.version, 1);
    let shown = env.core.get_profile(&name).await.unwrap();
    assert!(shown.draft.is_none(), "the draft became version 1");
    assert!(!shown.versions[0].usable);
    assert!(
        shown.versions[0]
            .unusable_reason
            .as_deref()
            .unwrap()
            .contains("queued"),
        "{shown:?}"
    );

    let (ended, output) = run(&env.core, &queued).await;
    assert_eq!(ended.status, ProfileJobStatus::Ready, "{ended:?}\n{output}");
    assert!(output.contains("setup-says-hello"), "{output}");
    assert!(output.contains("==> scrubbing"), "{output}");
    assert!(output.contains("==> committing"), "{output}");
    // The job's output is kept with it.
    let kept = env.core.profile_job(&ended.id).await.unwrap();
    assert_eq!(kept.output, output);

    let version = &env.core.get_profile(&name).await.unwrap().versions[0];
    assert!(version.usable, "{version:?}");
    assert_eq!(version.status, ProfileJobStatus::Ready);
    assert_eq!(version.digest.len(), 64);
    assert_eq!(
        version.snapshot.as_ref().unwrap().image,
        ended.image.clone().unwrap()
    );
    // The one-off sandbox is gone.
    assert!(env.core.list_sandboxes().await.unwrap().is_empty());
    assert_eq!(objects_of_kind(&env, labels::KIND_SANDBOX).await.0, 0);

    for reference in [name.clone(), format!("{name}@1")] {
        let box_name = unique("launched");
        let sandbox = env.create(launch(&env, &box_name, &reference)).await;
        assert_eq!(sandbox.state, SandboxState::Running, "{sandbox:?}");
        assert_eq!(
            sandbox.profile.as_deref(),
            Some(format!("{name}@1").as_str())
        );
        assert_eq!(sandbox.image, ended.image.clone().unwrap());
        assert_eq!(sandbox.cpus, Some(1));
        assert!(
            sandbox
                .env
                .iter()
                .any(|v| v.name == "MODE" && v.value == "baked")
        );
        assert_eq!(
            env.sh(&box_name, "cat /root/made").await.1.trim(),
            "made-by-setup"
        );
        // The setup script ran once, in the job; not at launch.
        assert_eq!(
            env.sh(&box_name, "wc -l < /root/setup-runs").await.1.trim(),
            "1"
        );
        let logs = env
            .core
            .sandbox_logs(&LogsRequest {
                name: box_name.clone(),
                setup_only: true,
                tail: None,
            })
            .await
            .unwrap();
        assert!(!logs.setup.contains("setup-says-hello"), "{}", logs.setup);
    }
}

#[tokio::test]
async fn a_secret_value_the_setup_script_prints_is_masked_in_the_job_output() {
    let env = TestEnv::new().await;
    let name = unique("masked");
    let secret = format!("SENTINEL-PJ-{}", unique("v"));
    let mut request = profile(
        &name,
        &test_image(),
        "#!/bin/sh\necho \"token is $API_TOKEN\"\necho \"mode is $MODE\"\n",
    );
    request.env = Some(vec![format!("API_TOKEN={secret}"), "MODE=baked".into()]);
    env.core.create_profile(&request).await.unwrap();
    let queued = env.core.publish_profile(&name).await.unwrap();
    let (ended, streamed) = run(&env.core, &queued).await;
    assert_eq!(ended.status, ProfileJobStatus::Ready, "{streamed}");
    let stored = env.core.profile_job(&queued.id).await.unwrap().output;
    for output in [&streamed, &stored] {
        assert!(
            !output.contains(&secret),
            "the secret value is in the job's output: {output}"
        );
        assert!(output.contains("token is ***"), "{output}");
        assert!(output.contains("mode is baked"), "{output}");
    }
}

#[tokio::test]
async fn a_failing_setup_script_fails_the_job_and_the_version_is_not_usable() {
    let env = TestEnv::new().await;
    let name = unique("broken");
    let setup = "#!/bin/sh\necho about-to-fail\nexit 3\n";
    env.core
        .create_profile(&profile(&name, &test_image(), setup))
        .await
        .unwrap();
    let queued = env.core.publish_profile(&name).await.unwrap();
    let (ended, output) = run(&env.core, &queued).await;
    assert_eq!(ended.status, ProfileJobStatus::Failed, "{ended:?}");
    assert!(
        ended
            .error
            .as_deref()
            .unwrap()
            .contains("setup script failed"),
        "{ended:?}"
    );
    assert!(output.contains("about-to-fail"), "{output}");
    assert!(output.contains("==> failed"), "{output}");

    let version = &env.core.get_profile(&name).await.unwrap().versions[0];
    assert!(!version.usable);
    assert_eq!(version.status, ProfileJobStatus::Failed);
    let reason = version.unusable_reason.clone().unwrap();
    assert!(
        reason.contains("failed") && reason.contains("setup script"),
        "{reason}"
    );

    let error = env
        .core
        .create_sandbox(&launch(&env, &unique("nope"), &name))
        .await
        .unwrap_err();
    match ApiError::from(error) {
        ApiError::InvalidInput { field, message, .. } => {
            assert_eq!(field.as_str(), "profile");
            assert!(message.contains("failed"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // Nothing of the job is left: no one-off sandbox, no image.
    assert!(env.core.list_sandboxes().await.unwrap().is_empty());
    assert_eq!(objects_of_kind(&env, labels::KIND_SANDBOX).await, (0, 0));
    assert_eq!(objects_of_kind(&env, labels::KIND_PROFILE).await, (0, 0));
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_last_usable_snapshot_and_unchanged_inputs_are_skipped() {
    let env = TestEnv::new().await;
    let base = format!("sbx-test-profile-base-{}", unique("b"));
    base_image(&env, &base, "touch /ok").await;
    let name = unique("keep");
    let setup =
        "#!/bin/sh\ntest -f /ok || { echo no-ok-file; exit 4; }\necho first > /root/built\n";
    env.core
        .create_profile(&profile(&name, &format!("{base}:latest"), setup))
        .await
        .unwrap();
    let first = env.core.publish_profile(&name).await.unwrap();
    let (first, _) = run(&env.core, &first).await;
    assert_eq!(first.status, ProfileJobStatus::Ready);

    // Same recipe, same base image: unchanged, unless forced.
    let again = RefreshProfileRequest {
        profile: name.clone(),
        force: false,
    };
    let skipped = env.core.refresh_profile(&again).await.unwrap();
    assert_eq!(skipped.status, ProfileJobStatus::Unchanged, "{skipped:?}");
    assert!(skipped.error.unwrap().contains("unchanged"));

    // The base image changes (to one without /ok): the refresh runs, and fails.
    tag_test_image(&base).await;
    let refresh = env.core.refresh_profile(&again).await.unwrap();
    assert_eq!(refresh.status, ProfileJobStatus::Queued);
    let (failed, output) = run(&env.core, &refresh).await;
    assert_eq!(failed.status, ProfileJobStatus::Failed, "{output}");
    assert!(output.contains("no-ok-file"), "{output}");

    let version = &env.core.get_profile(&name).await.unwrap().versions[0];
    assert!(
        version.usable,
        "the last usable snapshot is kept: {version:?}"
    );
    assert_eq!(version.status, ProfileJobStatus::Ready);
    assert_eq!(version.snapshot.as_ref().unwrap().job_id, first.id);
    let last = version.last_job.as_ref().unwrap();
    assert_eq!(last.id, failed.id, "the failure is shown beside it");
    assert_eq!(last.status, ProfileJobStatus::Failed);

    let box_name = unique("still");
    let sandbox = env
        .create(launch(&env, &box_name, &format!("{name}@1")))
        .await;
    assert_eq!(sandbox.state, SandboxState::Running);
    assert_eq!(env.sh(&box_name, "cat /root/built").await.1.trim(), "first");
    env.core.delete_sandbox(&box_name, true).await.unwrap();

    // Back to an image with /ok, on the schedule "when the base image changes": the runner's pass queues the
    // refresh, which replaces the snapshot; the replaced image goes once no sandbox uses it.
    base_image(&env, &base, "touch /ok && echo second > /marker").await;
    env.core
        .edit_profile(&ProfileRequest {
            name: name.clone(),
            refresh_schedule: Some("base-image".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let shown = env.core.get_profile(&name).await.unwrap();
    assert_eq!(shown.refresh_schedule, RefreshSchedule::BaseImage);
    assert!(shown.draft.is_none(), "a schedule change starts no draft");
    env.core.profile_pass().await.unwrap();
    let scheduled = shown.versions[0].clone();
    let job = env.core.get_profile(&name).await.unwrap().versions[0]
        .last_job
        .clone()
        .unwrap();
    assert_ne!(job.id, scheduled.last_job.unwrap().id, "a job was queued");
    let (ready, output) = run(&env.core, &job).await;
    assert_eq!(ready.status, ProfileJobStatus::Ready, "{output}");
    assert_eq!(ready.trigger, sbx_api::ProfileJobTrigger::BaseImage);
    let version = &env.core.get_profile(&name).await.unwrap().versions[0];
    assert_eq!(version.snapshot.as_ref().unwrap().job_id, ready.id);
    let docker = common::docker().await;
    assert!(
        docker
            .inspect_image(first.image.as_deref().unwrap())
            .await
            .is_err(),
        "the replaced snapshot's image was removed"
    );
}

#[tokio::test]
async fn two_refresh_requests_at_once_from_two_processes_accept_one() {
    let env = TestEnv::new().await;
    let name = unique("twice");
    env.core
        .create_profile(&profile(&name, &test_image(), "#!/bin/sh\ntrue\n"))
        .await
        .unwrap();
    let queued = env.core.publish_profile(&name).await.unwrap();
    // While the first job is queued, a refresh names it.
    let refused = env
        .core
        .refresh_profile(&RefreshProfileRequest {
            profile: name.clone(),
            force: true,
        })
        .await
        .unwrap_err();
    assert!(ApiError::from(refused).to_string().contains(&queued.id));
    let (ready, _) = run(&env.core, &queued).await;
    assert_eq!(ready.status, ProfileJobStatus::Ready);

    let other = env.another_core().await;
    let request = RefreshProfileRequest {
        profile: format!("{name}@1"),
        force: true,
    };
    let attempts: Vec<_> = futures_util::future::join_all((0..6).map(|i| {
        let core = if i % 2 == 0 {
            Arc::clone(&env.core)
        } else {
            Arc::clone(&other)
        };
        let request = request.clone();
        async move { core.refresh_profile(&request).await }
    }))
    .await;
    let accepted: Vec<String> = attempts
        .iter()
        .filter_map(|a| a.as_ref().ok().map(|job| job.id.clone()))
        .collect();
    assert_eq!(accepted.len(), 1, "{attempts:?}");
    for error in attempts.into_iter().filter_map(Result::err) {
        let error = ApiError::from(error);
        assert!(matches!(error, ApiError::Conflict { .. }), "{error:?}");
        assert!(error.to_string().contains(&accepted[0]), "{error}");
    }
}

#[tokio::test]
async fn deleting_a_profile_keeps_its_sandboxes_running_and_is_refused_while_a_job_runs() {
    let env = TestEnv::new().await;
    let name = unique("gone");
    env.core
        .create_profile(&profile(
            &name,
            &test_image(),
            "#!/bin/sh\necho x > /root/x\nsleep 4\n",
        ))
        .await
        .unwrap();
    let queued = env.core.publish_profile(&name).await.unwrap();
    let core = Arc::clone(&env.core);
    let id = queued.id.clone();
    let running = tokio::spawn(async move { core.run_profile_job(&id).await });
    loop {
        let job = env.core.profile_job(&queued.id).await.unwrap().job;
        if job.status == ProfileJobStatus::Running {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let refused = env.core.delete_profile(&name).await.unwrap_err();
    assert!(matches!(ApiError::from(refused), ApiError::Conflict { .. }));
    let ready = running.await.unwrap().unwrap();
    assert_eq!(ready.status, ProfileJobStatus::Ready);

    let box_name = unique("keeps");
    env.create(launch(&env, &box_name, &name)).await;
    env.core.delete_profile(&name).await.unwrap();
    assert!(env.core.list_profiles().await.unwrap().is_empty());
    assert_eq!(
        env.core.get_sandbox(&box_name).await.unwrap().state,
        SandboxState::Running,
        "sandboxes launched from it keep running"
    );
    env.core.restart_sandbox(&box_name).await.unwrap();
    assert_eq!(env.sh(&box_name, "cat /root/x").await.1.trim(), "x");
    // Its image is no longer the profile's (a rebuild does not bring the profile back) and goes once unused.
    assert_eq!(env.core.rebuild_profiles().await.unwrap(), 0);
    env.core.delete_sandbox(&box_name, true).await.unwrap();
    env.core.profile_pass().await.unwrap();
    assert_eq!(objects_of_kind(&env, labels::KIND_PROFILE).await.1, 0);
}

#[tokio::test]
async fn profiles_and_versions_come_back_when_the_database_is_lost() {
    let env = TestEnv::new().await;
    let name = unique("lost");
    let mut request = profile(&name, &test_image(), "#!/bin/sh\necho kept > /root/kept\n");
    request.refresh_schedule = Some("0 3 * * *".into());
    request.ports = Some(vec!["18765:8080".into()]);
    env.core.create_profile(&request).await.unwrap();
    let queued = env.core.publish_profile(&name).await.unwrap();
    let (ready, _) = run(&env.core, &queued).await;
    assert_eq!(ready.status, ProfileJobStatus::Ready);
    let before = env.core.get_profile(&name).await.unwrap();

    let database = env.core.paths().database();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
    let core = env.another_core().await;
    assert!(
        core.list_profiles().await.unwrap().is_empty(),
        "the database is new"
    );
    core.recover().await;
    let after = core.get_profile(&name).await.unwrap();
    assert_eq!(after.id, before.id);
    assert_eq!(after.refresh_schedule, before.refresh_schedule);
    assert_eq!(after.versions.len(), 1);
    let (was, is) = (&before.versions[0], &after.versions[0]);
    assert_eq!(is.number, 1);
    assert_eq!(is.digest, was.digest);
    assert_eq!(is.recipe, was.recipe);
    assert!(is.usable);
    assert_eq!(
        is.snapshot.as_ref().unwrap().image,
        ready.image.clone().unwrap()
    );

    let box_name = unique("back");
    let mut again = launch(&env, &box_name, &name);
    again.wait_for_ready = true;
    let sandbox = core.create_sandbox(&again).await.unwrap();
    assert_eq!(sandbox.state, SandboxState::Running);
    let out = core
        .exec_collect(&sbx_api::ExecRequest {
            name: box_name.clone(),
            argv: vec!["cat".into(), "/root/kept".into()],
        })
        .await
        .unwrap();
    assert_eq!(out.stdout.trim(), "kept");
    // The next version is 2.
    core.edit_profile(&ProfileRequest {
        name: name.clone(),
        cpus: Some(2),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(core.publish_profile(&name).await.unwrap().version, 2);
}

#[tokio::test]
async fn bad_input_changes_nothing() {
    let env = TestEnv::new().await;
    let name = unique("bad");
    let cases: Vec<(ProfileRequest, &str)> = vec![
        (
            ProfileRequest {
                name: "Bad Name".into(),
                ..Default::default()
            },
            "name",
        ),
        (
            ProfileRequest {
                ports: Some(vec!["8080:60900".into()]),
                ..profile(&name, &test_image(), "")
            },
            "port",
        ),
        (
            ProfileRequest {
                env: Some(vec!["1BAD=x".into()]),
                ..profile(&name, &test_image(), "")
            },
            "env",
        ),
        (
            ProfileRequest {
                preset: Some("no-such-preset".into()),
                image: None,
                ..profile(&name, &test_image(), "")
            },
            "preset",
        ),
        (
            ProfileRequest {
                refresh_schedule: Some("every day".into()),
                ..profile(&name, &test_image(), "")
            },
            "refresh-schedule",
        ),
        (
            ProfileRequest {
                memory_mib: Some(1),
                ..profile(&name, &test_image(), "")
            },
            "memory",
        ),
    ];
    for (request, field) in cases {
        let error = ApiError::from(env.core.create_profile(&request).await.unwrap_err());
        assert_eq!(error.field(), Some(field), "{error:?}");
    }
    assert!(env.core.list_profiles().await.unwrap().is_empty());
    let error = ApiError::from(env.core.publish_profile("missing").await.unwrap_err());
    assert!(matches!(error, ApiError::NotFound { .. }), "{error:?}");
}
