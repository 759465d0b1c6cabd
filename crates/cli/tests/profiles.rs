//! `sbx profile` processes against the real Docker engine: the commands end to end (create, show, publish --wait
//! running the job itself when no runner is alive, logs, list, sandbox create --profile, refresh unchanged and
//! forced, delete after confirmation), a failing setup script (exit code 1, output shown, not usable), and a process
//! killed with SIGKILL while it runs a job (the next command ends the job failed "interrupted" and leaves no container
//! or image behind).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};
use support::{Cli, image, labelled, name};

#[tokio::test]
async fn profile_commands_end_to_end() {
    let cli = Cli::new();
    let profile = name("tools");
    let setup = cli.script(
        "setup.sh",
        "#!/bin/sh\necho tool > /root/tool\necho run >> /root/setup-runs\necho from-the-setup-script\n",
    );
    let created = cli.json(&[
        "profile",
        "create",
        &profile,
        "--image",
        &image(),
        "--setup-script",
        &setup,
        "--env",
        "TOOL_MODE=baked",
        "--cpus",
        "1",
        "--json",
    ]);
    assert_eq!(created["name"], profile.as_str());
    assert!(created["versions"].as_array().unwrap().is_empty());
    assert!(
        created["draft"]["recipe"]["setup_script"]
            .as_str()
            .unwrap()
            .contains("from-the-setup-script")
    );

    // --wait with no runner alive: the command runs the job itself, prints its output, exits 0 when ready.
    let published = cli.run(&["profile", "publish", &profile, "--wait", "--json"]);
    let stderr = String::from_utf8_lossy(&published.stderr);
    assert!(published.status.success(), "{stderr}");
    assert!(stderr.contains("from-the-setup-script"), "{stderr}");
    let job: serde_json::Value = serde_json::from_slice(&published.stdout).unwrap();
    assert_eq!(job["status"], "ready");
    assert_eq!(job["version"], 1);

    let shown = cli.json(&["profile", "show", &profile, "--json"]);
    assert_eq!(shown["versions"][0]["usable"], true, "{shown}");
    assert_eq!(shown["versions"][0]["status"], "ready");
    let listed = cli.json(&["profile", "list", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let logs = cli.ok(&["profile", "logs", &format!("{profile}@1")]);
    assert!(logs.contains("from-the-setup-script"), "{logs}");
    let table = cli.ok(&["profile", "show", &profile]);
    assert!(table.contains("ready") && table.contains("yes"), "{table}");

    let sandbox = name("launched");
    let launched = cli.json(&[
        "sandbox",
        "create",
        "--name",
        &sandbox,
        "--profile",
        &profile,
        "--no-git",
        "--json",
    ]);
    assert_eq!(launched["state"], "running", "{launched}");
    assert_eq!(launched["profile"], format!("{profile}@1"));
    let runs = cli.ok(&[
        "sandbox",
        "exec",
        &sandbox,
        "--",
        "sh",
        "-c",
        "cat /root/tool; wc -l < /root/setup-runs",
    ]);
    assert_eq!(runs.split_whitespace().collect::<Vec<_>>(), ["tool", "1"]);

    // Nothing changed: unchanged (exit 0); forced: a new snapshot.
    let unchanged = cli.json(&["profile", "refresh", &profile, "--wait", "--json"]);
    assert_eq!(unchanged["status"], "unchanged");
    let forced = cli.json(&[
        "profile",
        "refresh",
        &format!("{profile}@1"),
        "--force",
        "--wait",
        "--json",
    ]);
    assert_eq!(forced["status"], "ready");
    assert_eq!(forced["trigger"], "refresh");
    assert_ne!(forced["id"], job["id"]);

    // Deleting asks for confirmation; the launched sandbox keeps running.
    let refused = cli.run(&["profile", "delete", &profile]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--yes"));
    cli.ok(&["profile", "delete", &profile, "--yes"]);
    assert!(
        cli.json(&["profile", "list", "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        cli.json(&["sandbox", "show", &sandbox, "--json"])["state"],
        "running"
    );
}

#[tokio::test]
async fn a_failing_setup_script_exits_1_with_its_output_and_the_version_is_not_usable() {
    let cli = Cli::new();
    let profile = name("broken");
    let setup = cli.script("setup.sh", "#!/bin/sh\necho going-to-fail\nexit 5\n");
    cli.ok(&[
        "profile",
        "create",
        &profile,
        "--image",
        &image(),
        "--setup-script",
        &setup,
    ]);
    let published = cli.run(&["profile", "publish", &profile, "--wait"]);
    assert!(!published.status.success(), "exit code 1 unless ready");
    let stderr = String::from_utf8_lossy(&published.stderr);
    assert!(stderr.contains("going-to-fail"), "{stderr}");
    let stdout = String::from_utf8_lossy(&published.stdout);
    assert!(stdout.contains("failed"), "{stdout}");

    let shown = cli.json(&["profile", "show", &profile, "--json"]);
    assert_eq!(shown["versions"][0]["usable"], false);
    assert_eq!(shown["versions"][0]["status"], "failed");
    let refused = cli.run(&["sandbox", "create", "--profile", &profile, "--no-git"]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("not usable") && message.contains("failed"),
        "{message}"
    );
    assert_eq!(labelled(&cli.instance()).await, (0, 0, 0));
}

#[tokio::test]
async fn a_process_killed_while_it_runs_a_job_leaves_it_failed_interrupted_and_nothing_behind() {
    let cli = Cli::new();
    let profile = name("killed");
    let setup = cli.script("setup.sh", "#!/bin/sh\necho started-setup\nsleep 60\n");
    cli.ok(&[
        "profile",
        "create",
        &profile,
        "--image",
        &image(),
        "--setup-script",
        &setup,
    ]);
    let mut child = cli
        .command(&["profile", "publish", &profile, "--wait"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once its one-off sandbox runs the setup script.
    let core = cli.core().await;
    let started = Instant::now();
    loop {
        let running = core
            .get_profile(&profile)
            .await
            .ok()
            .and_then(|p| p.versions.first().and_then(|v| v.last_job.clone()))
            .map(|job| job.id);
        if let Some(id) = running
            && let Ok(job) = core.profile_job(&id).await
            && job.output.contains("started-setup")
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the job never reached the setup script"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        labelled(&cli.instance()).await.0 > 0,
        "the one-off sandbox was there"
    );

    // The next command finds the job without its process and cleans up.
    let shown = cli.json(&["profile", "show", &profile, "--json"]);
    let job = &shown["versions"][0]["last_job"];
    assert_eq!(job["status"], "failed", "{shown}");
    assert!(
        job["error"].as_str().unwrap().contains("interrupted"),
        "{job}"
    );
    assert_eq!(shown["versions"][0]["usable"], false);
    let (containers, volumes, images) = labelled(&cli.instance()).await;
    assert_eq!(
        (containers, volumes, images),
        (0, 0, 0),
        "no stray container or image"
    );
    assert!(
        cli.json(&["sandbox", "list", "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
}
