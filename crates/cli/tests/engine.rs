//! `sbx` processes against the real Docker engine: the sandbox commands end to end, twenty snapshot requests from
//! twenty processes at once (exactly one accepted), processes killed mid-create and mid-capture (the next command
//! leaves nothing half-made), and `sbx serve` holding the single runner lease.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::{Cli, image, labelled, name};

#[tokio::test]
async fn sandbox_commands_end_to_end() {
    let cli = Cli::new();
    let box_name = name("clibox");
    let created = cli.json(&[
        "sandbox",
        "create",
        "--name",
        &box_name,
        "--image",
        &image(),
        "--no-git",
        "--env",
        "FOO=bar",
        "--setup-script",
        "/dev/null",
        "--json",
    ]);
    assert_eq!(created["state"], "running");
    assert_eq!(created["name"], box_name.as_str());
    let listed = cli.json(&["sandbox", "list", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let out = cli.run(&[
        "sandbox",
        "exec",
        &box_name,
        "--",
        "sh",
        "-c",
        "echo $FOO; exit 7",
    ]);
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "bar\n");
    let logs = cli.ok(&["sandbox", "logs", &box_name]);
    assert!(logs.contains("[amikad] ready"), "{logs}");
    assert_eq!(
        cli.json(&["sandbox", "stop", &box_name, "--json"])["state"],
        "stopped"
    );
    assert_eq!(
        cli.json(&["sandbox", "start", &box_name, "--json"])["state"],
        "running"
    );
    let out = cli.run(&["sandbox", "delete", &box_name]);
    assert!(!out.status.success(), "a running sandbox needs --force");
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
    cli.ok(&["sandbox", "delete", &box_name, "--force"]);
    let out = cli.run(&["sandbox", "show", &box_name]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("sbx: "));
}

#[tokio::test]
async fn twenty_snapshot_requests_from_twenty_processes_accept_exactly_one() {
    let cli = Cli::new();
    let box_name = name("race");
    cli.plain_sandbox(&box_name);
    // A capture that takes a few seconds.
    cli.fill(&box_name, 200);
    let children: Vec<_> = (0..20)
        .map(|i| {
            cli.command(&[
                "snapshot",
                "create",
                &box_name,
                "--name",
                &format!("race-{i}"),
                "--mode",
                "full",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let accepted = outputs.iter().filter(|o| o.status.success()).count();
    assert_eq!(accepted, 1, "exactly one accepted");
    for rejected in outputs.iter().filter(|o| !o.status.success()) {
        let stderr = String::from_utf8_lossy(&rejected.stderr);
        assert!(stderr.contains("already in flight"), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    let page = cli.json(&["snapshot", "list", "--json"]);
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["status"], "active");
}

#[tokio::test]
async fn a_process_killed_mid_capture_leaves_no_half_made_image() {
    let cli = Cli::new();
    let box_name = name("killcap");
    cli.plain_sandbox(&box_name);
    cli.fill(&box_name, 300);
    let core = cli.core().await;
    let container = core
        .get_sandbox(&box_name)
        .await
        .unwrap()
        .container_id
        .unwrap();
    let docker = bollard::Docker::connect_with_host(core.engine().address())
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let mut child = cli
        .command(&[
            "snapshot",
            "create",
            &box_name,
            "--name",
            "interrupted",
            "--mode",
            "full",
        ])
        .spawn()
        .unwrap();
    // Kill it while the sandbox is paused for the capture.
    let started = Instant::now();
    loop {
        let paused = docker
            .inspect_container(&container, None)
            .await
            .unwrap()
            .state
            .unwrap()
            .paused
            .unwrap_or(false);
        if paused {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the capture never paused the sandbox"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();

    // The next command finds the job without its process and cleans up.
    let page = cli.json(&["snapshot", "list", "--json"]);
    assert_eq!(page["items"][0]["status"], "failed", "{page}");
    assert!(
        page["items"][0]["failure_reason"]
            .as_str()
            .unwrap()
            .contains("interrupted")
    );
    let state = docker
        .inspect_container(&container, None)
        .await
        .unwrap()
        .state
        .unwrap();
    assert_eq!(state.paused, Some(false), "the sandbox was unpaused");
    let (_, _, images) = labelled(&cli.instance()).await;
    assert_eq!(images, 0, "no half-made image");
    assert_eq!(
        cli.json(&["sandbox", "show", &box_name, "--json"])["state"],
        "running"
    );
    // The failed snapshot can be deleted, and a new one taken.
    cli.ok(&["snapshot", "delete", "interrupted"]);
    cli.ok(&[
        "snapshot", "create", &box_name, "--name", "again", "--mode", "full", "--quick",
    ]);
}

#[tokio::test]
async fn a_process_killed_mid_create_leaves_nothing_after_the_next_command() {
    let cli = Cli::new();
    // A preset whose image takes a while to build.
    let preset = cli.data().join("presets/slow");
    std::fs::create_dir_all(&preset).unwrap();
    std::fs::write(
        preset.join("Dockerfile"),
        format!(
            "FROM {}\nRUN sleep 4 && echo {} > /unique\n",
            image(),
            name("u")
        ),
    )
    .unwrap();
    let repo = cli.dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    for args in [
        &["init", "-q"][..],
        &[
            "-c",
            "user.email=t@e",
            "-c",
            "user.name=t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ],
    ] {
        assert!(
            Command::new("git")
                .args(args)
                .current_dir(&repo)
                .status()
                .unwrap()
                .success()
        );
    }
    let box_name = name("killcreate");
    let mut child = cli
        .command(&[
            "sandbox",
            "create",
            "--name",
            &box_name,
            "--preset",
            "slow",
            "--git",
            repo.to_str().unwrap(),
        ])
        .spawn()
        .unwrap();
    let core = cli.core().await;
    let started = Instant::now();
    while core.sandbox_record(&box_name).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the create never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    child.kill().unwrap();
    child.wait().unwrap();

    let listed = cli.json(&["sandbox", "list", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 0, "{listed}");
    let (containers, volumes, _) = labelled(&cli.instance()).await;
    assert_eq!((containers, volumes), (0, 0));
    assert!(
        !Path::new(&cli.data().join("tmp"))
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
    );
}

#[tokio::test]
async fn sbx_serve_holds_the_runner_lease_until_stopped() {
    let cli = Cli::new();
    let mut serve = cli
        .command(&["serve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let core = cli.core().await;
    let started = Instant::now();
    while core
        .lease_holder(sbx_core::runner::RUNNER_LEASE)
        .await
        .unwrap()
        .is_none()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "serve never took the lease"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !core
            .hold_lease(sbx_core::runner::RUNNER_LEASE)
            .await
            .unwrap(),
        "only one runner"
    );
    assert!(
        Command::new("kill")
            .args(["-TERM", &serve.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let status = serve.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(
        core.hold_lease(sbx_core::runner::RUNNER_LEASE)
            .await
            .unwrap(),
        "released on exit"
    );
}

#[tokio::test]
async fn snapshot_dry_run_lists_what_the_scrub_removes_and_captures_nothing() {
    let cli = Cli::new();
    let box_name = name("dryrun");
    let secret = format!("SENTINEL-DRY-{}", name("x").trim_start_matches("x-"));
    cli.ok(&[
        "sandbox",
        "create",
        "--name",
        &box_name,
        "--image",
        &image(),
        "--no-git",
        "--no-setup",
        "--env",
        &format!("API_TOKEN={secret}"),
    ]);
    cli.ok(&[
        "sandbox",
        "exec",
        &box_name,
        "--",
        "sh",
        "-c",
        "echo \"$API_TOKEN\" > /root/.ash_history; echo \"$API_TOKEN\" > '/root/two\nlines.txt'",
    ]);
    let args = [
        "snapshot",
        "create",
        &box_name,
        "--name",
        "never-taken",
        "--mode",
        "scrub",
        "--dry-run",
    ];
    let text = cli.ok(&args);
    assert!(!text.contains(&secret), "{text}");
    assert!(
        text.contains("secret-variable") && text.contains("API_TOKEN"),
        "{text}"
    );
    assert!(
        text.contains("shell-history") && text.contains("/root/.ash_history"),
        "{text}"
    );
    assert!(
        text.contains("/root/two\\nlines.txt"),
        "a newline is shown escaped: {text}"
    );
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let preview = cli.json(&json_args);
    let findings = preview["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["kind"] == "secret-value" && f["path"] == "/root/two\nlines.txt"),
        "{preview}"
    );
    // Nothing was captured or removed, and the sandbox still runs.
    assert_eq!(
        cli.json(&["snapshot", "list", "--json"])["total"],
        0,
        "no snapshot"
    );
    let out = cli.ok(&[
        "sandbox",
        "exec",
        &box_name,
        "--",
        "cat",
        "/root/.ash_history",
    ]);
    assert_eq!(out.trim(), secret);
    // A full snapshot has nothing to preview.
    let out = cli.run(&[
        "snapshot",
        "create",
        &box_name,
        "--name",
        "x",
        "--mode",
        "full",
        "--dry-run",
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test]
async fn four_concurrent_clone_processes_of_one_sandbox_all_succeed() {
    let cli = Cli::new();
    let base = name("base");
    cli.plain_sandbox(&base);
    cli.fill(&base, 16);
    // Four `sbx sandbox clone` processes at once: each waits for the snapshot in flight before taking its own.
    let children: Vec<_> = (0..4)
        .map(|i| {
            cli.command(&[
                "sandbox",
                "clone",
                &base,
                "--name",
                &format!("{base}-worker-{i}"),
                "--json",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut snapshots = std::collections::HashSet::new();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "clone {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(result["sandbox"]["name"], format!("{base}-worker-{i}"));
        assert_eq!(result["sandbox"]["state"], "running", "{result}");
        assert_eq!(result["snapshot"]["status"], "active", "{result}");
        assert!(snapshots.insert(result["snapshot"]["name"].to_string()));
    }
    let page = cli.json(&["snapshot", "list", "--sandbox", &base, "--json"]);
    assert_eq!(page["total"], 4, "{page}");
    // A plain snapshot still works once none is in flight.
    cli.ok(&[
        "snapshot",
        "create",
        &base,
        "--name",
        &name("after"),
        "--mode",
        "full",
    ]);
}

/// A loopback port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn sbx_serve_api_serves_with_the_token_and_refuses_a_busy_port() {
    let cli = Cli::new();
    let token = cli.ok(&["api", "token"]).trim().to_string();
    assert_eq!(token.len(), 64, "{token}");
    assert_eq!(cli.ok(&["api", "token"]).trim(), token, "made once");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cli.data().join("api-token"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let port = free_port();
    let mut serve = cli
        .command(&["serve", "--api", "--port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/v1/sandboxes");
    let curl = |key: &str| {
        Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H"])
            .arg(format!("x-api-key: {key}"))
            .arg(&url)
            .output()
            .unwrap()
    };
    let started = Instant::now();
    while String::from_utf8_lossy(&curl(&token).stdout) != "200" {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "sbx serve --api never answered"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(String::from_utf8_lossy(&curl("wrong").stdout), "401");
    // Rotated while it runs: the new key works at once, the old one no longer.
    let rotated = cli.ok(&["api", "token", "--rotate"]).trim().to_string();
    assert_ne!(rotated, token);
    assert_eq!(String::from_utf8_lossy(&curl(&token).stdout), "401");
    assert_eq!(String::from_utf8_lossy(&curl(&rotated).stdout), "200");

    // A second server on the same port: a clear error naming it, at once.
    let busy = cli.run(&["serve", "--api", "--port", &port.to_string()]);
    assert!(!busy.status.success());
    let stderr = String::from_utf8_lossy(&busy.stderr);
    assert!(
        stderr.contains(&port.to_string()) && stderr.contains("already in use"),
        "{stderr}"
    );
    // An address that is not this machine's: the warning, then a clear error.
    let elsewhere = cli.run(&[
        "serve",
        "--api",
        "--listen",
        "192.0.2.1",
        "--port",
        &free_port().to_string(),
    ]);
    assert!(!elsewhere.status.success());
    let stderr = String::from_utf8_lossy(&elsewhere.stderr);
    assert!(
        stderr.contains("warning") && stderr.contains("192.0.2.1"),
        "{stderr}"
    );
    // --port without --api is a usage error.
    assert!(!cli.run(&["serve", "--port", "1234"]).status.success());

    assert!(
        Command::new("kill")
            .args(["-TERM", &serve.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    assert!(serve.wait().unwrap().success());
}

/// `sbx config explain`, `sbx sandbox show` and `sbx sandbox show --json` give each service of the repository's
/// `.amika/config.toml` with its URL on the host port the sandbox got.
#[tokio::test]
async fn services_of_the_repository_config_are_shown_with_their_urls() {
    let cli = Cli::new();
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (web, api) = (free(), free());
    let repo = cli.dir.path().join("Served");
    std::fs::create_dir_all(repo.join(".amika")).unwrap();
    std::fs::write(
        repo.join(".amika/config.toml"),
        format!(
            "[services.web]\nport = {web}\nurl_scheme = \"http\"\n\n[services.api]\nports = [{api}]\n\
             url_scheme = [{{ port = {api}, scheme = \"https\" }}]\n"
        ),
    )
    .unwrap();
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-q",
            "-m",
            "one",
        ],
    ] {
        let status = Command::new("git")
            .args(args)
            .current_dir(&repo)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }
    let repo_arg = repo.display().to_string();

    let explained = cli.ok(&["config", "explain", &repo_arg, "--image", &image()]);
    let row = |key: &str| {
        explained
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no {key} in:\n{explained}"))
            .to_string()
    };
    assert!(
        row("services.web").contains(&format!("http://127.0.0.1:{web}")),
        "{explained}"
    );
    assert!(
        row("services.api").contains(&format!("https://127.0.0.1:{api}")),
        "{explained}"
    );

    let box_name = name("svcbox");
    cli.ok(&[
        "sandbox",
        "create",
        "--name",
        &box_name,
        "--image",
        &image(),
        "--git",
        &repo_arg,
        "--no-setup",
    ]);
    let shown = cli.json(&["sandbox", "show", &box_name, "--json"]);
    let services = shown["services"].as_array().unwrap();
    assert_eq!(services.len(), 2, "{shown}");
    assert_eq!(services[0]["name"], "web");
    assert_eq!(services[0]["ports"][0]["host_port"], web);
    assert_eq!(
        services[0]["ports"][0]["url"],
        format!("http://127.0.0.1:{web}").as_str()
    );
    assert_eq!(services[1]["name"], "api");
    assert_eq!(services[1]["ports"][0]["scheme"], "https");
    assert_eq!(
        services[1]["ports"][0]["url"],
        format!("https://127.0.0.1:{api}").as_str()
    );
    let text = cli.ok(&["sandbox", "show", &box_name]);
    let line = text
        .lines()
        .find(|l| l.starts_with("services"))
        .unwrap_or_else(|| panic!("no services in:\n{text}"));
    assert!(
        line.ends_with(&format!(
            "web → http://127.0.0.1:{web}; api → https://127.0.0.1:{api}"
        )),
        "{line}"
    );
    cli.ok(&["sandbox", "delete", &box_name, "--force"]);
}
