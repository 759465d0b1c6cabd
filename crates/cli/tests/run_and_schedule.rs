//! `sbx` against the real engine for the seeds' remaining rules: `sandbox create --command` (the sandbox's main
//! command after setup; one that exits non-zero fails the create with its code), `--snapshot-mode` with
//! `--snapshot-schedule` (required when automatic, refused otherwise; `show` gives the next fire time, in the
//! machine's local time zone), and `volume list` (each kept volume's size, and "orphaned" once its sandbox is gone).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Cli, image, name};

#[test]
fn create_with_a_main_command_shows_it_and_a_failing_one_fails_with_its_code() {
    let cli = Cli::new();
    let running = name("cmd");
    let base = [
        "sandbox",
        "create",
        "--image",
        &image(),
        "--no-git",
        "--no-setup",
        "--name",
    ];
    let mut args = base.to_vec();
    args.extend([running.as_str(), "--command", "echo from-main; sleep 600"]);
    let out = cli.ok(&args);
    assert!(
        out.contains("main command  echo from-main; sleep 600"),
        "{out}"
    );
    let shown = cli.json(&["sandbox", "show", &running, "--json"]);
    assert_eq!(shown["state"], "running");
    assert_eq!(
        shown["main_command"],
        serde_json::json!({"kind": "shell", "value": "echo from-main; sleep 600"})
    );
    let logs = cli.ok(&["sandbox", "logs", &running]);
    assert!(logs.contains("from-main"), "{logs}");

    let failing = name("cmdfail");
    let mut args = base.to_vec();
    args.extend([failing.as_str(), "--command", "exit 4"]);
    let error = cli.fails(&args);
    assert!(
        error.contains("the main command exited with code 4"),
        "{error}"
    );
    let shown = cli.json(&["sandbox", "show", &failing, "--json"]);
    assert_eq!(shown["state"], "failed");

    let done = name("cmddone");
    let mut args = base.to_vec();
    args.extend([done.as_str(), "--command", "true"]);
    let out = cli.ok(&args);
    assert!(out.contains("(stopped)"), "{out}");

    // Both at once is refused.
    let both = name("both");
    let mut args = base.to_vec();
    args.extend([both.as_str(), "--command", "x", "--image-command"]);
    let error = cli.fails(&args);
    assert!(error.contains("--image-command"), "{error}");
}

#[test]
fn snapshot_mode_and_schedule_go_together_and_show_gives_the_next_fire_time() {
    let cli = Cli::new();
    let created = |extra: &[&str]| {
        let sandbox = name("sched");
        let mut args = vec![
            "sandbox",
            "create",
            "--image",
            &image(),
            "--no-git",
            "--no-setup",
            "--name",
        ]
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
        args.push(sandbox.clone());
        args.extend(extra.iter().map(|s| s.to_string()));
        (sandbox, args)
    };
    for (extra, says) in [
        (
            vec!["--snapshot-schedule", "0 3 * * *"],
            "snapshot mode is automatic",
        ),
        (
            vec![
                "--snapshot-mode",
                "manual",
                "--snapshot-schedule",
                "0 3 * * *",
            ],
            "snapshot mode is automatic",
        ),
        (
            vec!["--snapshot-mode", "automatic"],
            "need a five-field cron schedule",
        ),
    ] {
        let (_, args) = created(&extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let error = cli.fails(&args);
        assert!(error.contains(says), "{extra:?}: {error}");
        assert!(error.contains("snapshot-schedule"), "{error}");
    }
    assert!(
        cli.ok(&["sandbox", "list"]).contains("No sandboxes yet"),
        "nothing was made"
    );

    let (sandbox, args) = created(&[
        "--snapshot-mode",
        "automatic",
        "--snapshot-schedule",
        "0 3 * * *",
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    cli.ok(&args);
    // In India (UTC+05:30, no daylight saving) 03:00 local is 21:30 UTC.
    let shown: serde_json::Value = serde_json::from_slice(
        &cli.command(&["sandbox", "show", &sandbox, "--json"])
            .env("TZ", "Asia/Kolkata")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(shown["snapshot_mode"], "automatic");
    let next: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(shown["next_snapshot_at"].clone()).unwrap();
    assert_eq!(next.format("%H:%M").to_string(), "21:30", "{shown}");
    assert!(next > chrono::Utc::now() && next <= chrono::Utc::now() + chrono::Duration::days(1));
    let text = String::from_utf8(
        cli.command(&["sandbox", "show", &sandbox])
            .env("TZ", "Asia/Kolkata")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        text.contains("automatic (0 3 * * *, local time; next ") && text.contains(" 03:00 +05:30)"),
        "{text}"
    );
}

#[test]
fn volume_list_gives_sizes_and_orphans() {
    let cli = Cli::new();
    let repo = cli.dir.path().join("project");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join("data.bin"), vec![7u8; 300_000]).unwrap();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(args)
            .current_dir(&repo)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .status()
            .unwrap();
        assert!(status.success());
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "first"]);
    let sandbox = name("vol");
    cli.ok(&[
        "sandbox",
        "create",
        "--name",
        &sandbox,
        "--image",
        &image(),
        "--no-setup",
        "--git",
        repo.to_str().unwrap(),
    ]);
    let volumes = cli.json(&["volume", "list", "--json"]);
    let volume = &volumes[0];
    assert_eq!(volume["sandbox"], sandbox.as_str());
    assert_eq!(volume["orphaned"], false);
    assert!(
        volume["size_bytes"].as_u64().unwrap() >= 300_000,
        "{volume}"
    );
    cli.ok(&["sandbox", "delete", &sandbox, "--force"]);
    let volumes = cli.json(&["volume", "list", "--json"]);
    assert_eq!(volumes[0]["orphaned"], true, "{volumes}");
    let table = cli.ok(&["volume", "list"]);
    assert!(table.contains(&format!("{sandbox} (orphaned)")), "{table}");
    assert!(table.contains(" kB") || table.contains(" MB"), "{table}");
    let name = volumes[0]["name"].as_str().unwrap().to_string();
    cli.ok(&["volume", "delete", &name]);
    assert_eq!(
        cli.json(&["volume", "list", "--json"]),
        serde_json::json!([])
    );
}
