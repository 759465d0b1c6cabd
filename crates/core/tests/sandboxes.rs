//! Sandboxes against the real Docker engine: create with setup script, env, ports and credentials; setup failure;
//! setup once; lifecycle; git checkout and repository config; volumes; every bad input creating nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestEnv, git, test_image, unique};
use sbx_api::{ApiError, GitChoice, LogsRequest, SandboxState};
use std::io::{Read, Write};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn create_runs_setup_once_in_agent_cwd_with_env_and_a_loopback_port() {
    let env = TestEnv::new().await;
    let name = unique("basic");
    let port = free_port();
    let mut request = env.request(&name);
    request.env = vec!["GREETING=hello world".into(), "API_TOKEN=s3cret".into()];
    request.ports = vec![format!("{port}:8080")];
    request.setup_script_text = Some(
        "#!/bin/sh\necho \"setup in $(pwd)\"\necho \"$GREETING\" > /root/greeting\necho run >> /root/setup-runs\nmkdir -p /www && echo served > /www/index.html\n".into(),
    );
    let sandbox = env.create(request).await;
    assert_eq!(sandbox.state, SandboxState::Running, "{sandbox:?}");
    assert_eq!(sandbox.ports[0].host_ip, "127.0.0.1");
    assert!(
        sandbox
            .env
            .iter()
            .any(|v| v.name == "API_TOKEN" && v.secret)
    );

    // The setup script ran in $AMIKA_AGENT_CWD and saw the env; secret variables reach commands too.
    let (code, out, _) = env
        .sh(
            &name,
            "cat /root/greeting; echo $AMIKA_AGENT_CWD; echo $API_TOKEN",
        )
        .await;
    assert_eq!(code, 0);
    assert_eq!(out, "hello world\n/home/amika/workspace\ns3cret\n");
    let logs = env
        .core
        .sandbox_logs(&LogsRequest {
            name: name.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        logs.setup.contains("setup in /home/amika/workspace"),
        "{logs:?}"
    );

    // The script is at the seed's path and read-only.
    let (code, _, _) = env.sh(&name, "test -f /usr/local/etc/amikad/setup/setup.sh && ! sh -c 'echo x >> /usr/local/etc/amikad/setup/setup.sh' 2>/dev/null").await;
    assert_eq!(code, 0, "setup.sh must exist and be read-only");

    // The port is published on 127.0.0.1 only.
    env.sh(&name, "httpd -p 8080 -h /www").await;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .write_all(b"GET /index.html HTTP/1.0\r\n\r\n")
        .unwrap();
    let mut body = String::new();
    stream.read_to_string(&mut body).unwrap();
    assert!(body.contains("served"), "{body}");

    // Exit codes pass through.
    let (code, _, err) = env.sh(&name, "echo oops >&2; exit 7").await;
    assert_eq!((code, err.as_str()), (7, "oops\n"));

    // Setup runs once: not again after a restart.
    let restarted = env.core.restart_sandbox(&name).await.unwrap();
    assert!(matches!(
        restarted.state,
        SandboxState::Running | SandboxState::SettingUp
    ));
    env.core
        .wait_until_ready(&name, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let (_, runs, _) = env.sh(&name, "cat /root/setup-runs").await;
    assert_eq!(runs, "run\n");
}

#[tokio::test]
async fn failing_setup_script_means_setup_failed_with_its_output_and_no_main_command() {
    let env = TestEnv::new().await;
    let name = unique("fails");
    let mut request = env.request(&name);
    request.setup_script_text =
        Some("#!/bin/sh\necho installing things\necho boom >&2\nexit 3\n".into());
    let sandbox = env.create(request).await;
    assert_eq!(sandbox.state, SandboxState::SetupFailed);
    assert!(sandbox.state_reason.is_some());
    let logs = env
        .core
        .sandbox_logs(&LogsRequest {
            name: name.clone(),
            setup_only: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        logs.setup.contains("installing things") && logs.setup.contains("boom"),
        "{logs:?}"
    );
    assert!(logs.setup.contains("exit code 3"), "{logs:?}");
    assert!(
        !logs.all.contains("[amikad] ready"),
        "the main command must not run: {logs:?}"
    );
    // Commands need a running sandbox.
    let err = env
        .core
        .exec_collect(&sbx_api::ExecRequest {
            name: name.clone(),
            argv: vec!["true".into()],
        })
        .await
        .unwrap_err();
    assert!(matches!(ApiError::from(err), ApiError::Conflict { .. }));
}

#[tokio::test]
async fn skip_setup_puts_a_noop_script_in_place() {
    let env = TestEnv::new().await;
    let name = unique("skip");
    let mut request = env.request(&name);
    request.no_setup = true;
    request.setup_script_text = Some("#!/bin/sh\nexit 1\n".into());
    let sandbox = env.create(request).await;
    assert_eq!(sandbox.state, SandboxState::Running);
    assert!(sandbox.setup_skipped);
    let (_, script, _) = env
        .sh(&name, "cat /usr/local/etc/amikad/setup/setup.sh")
        .await;
    assert!(
        script.contains("exit 0") && !script.contains("exit 1"),
        "{script}"
    );
}

#[tokio::test]
async fn lifecycle_stop_start_delete_and_list() {
    let env = TestEnv::new().await;
    let name = unique("life");
    env.create(env.request(&name)).await;
    let listed = env.core.list_sandboxes().await.unwrap();
    assert_eq!(listed.iter().filter(|s| s.name == name).count(), 1);

    let stopped = env.core.stop_sandbox(&name).await.unwrap();
    assert_eq!(stopped.state, SandboxState::Stopped);
    let started = env.core.start_sandbox(&name).await.unwrap();
    assert!(matches!(
        started.state,
        SandboxState::Running | SandboxState::SettingUp
    ));
    let ready = env
        .core
        .wait_until_ready(&name, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(ready.state, SandboxState::Running);

    let err = env.core.delete_sandbox(&name, false).await.unwrap_err();
    assert!(ApiError::from(err).to_string().contains("--force"));
    env.core.delete_sandbox(&name, true).await.unwrap();
    assert!(matches!(
        ApiError::from(env.core.get_sandbox(&name).await.unwrap_err()),
        ApiError::NotFound { .. }
    ));
    let (containers, _, _) = env.engine_objects().await;
    assert!(containers.is_empty(), "{containers:?}");
}

#[tokio::test]
async fn a_sandbox_keeps_running_whatever_its_image_command() {
    // The busybox image's own command is a shell that would exit at once without a terminal.
    let env = TestEnv::new().await;
    let name = unique("keeps");
    env.create(env.request(&name)).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        env.core.get_sandbox(&name).await.unwrap().state,
        SandboxState::Running
    );
}

#[tokio::test]
async fn credentials_are_mounted_read_only_from_the_home_and_can_be_turned_off() {
    let env = TestEnv::new().await;
    std::fs::create_dir_all(env.home.join(".codex")).unwrap();
    std::fs::write(env.home.join(".codex/auth.json"), "{\"dummy\": \"codex\"}").unwrap();
    std::fs::write(env.home.join(".claude.json"), "{\"dummy\": \"claude\"}").unwrap();
    let name = unique("creds");
    let sandbox = env.create(env.request(&name)).await;
    assert_eq!(
        sandbox.credentials,
        vec![".claude.json".to_string(), ".codex/auth.json".to_string()]
    );
    let (code, out, _) = env
        .sh(&name, "cat /home/amika/.codex/auth.json; cat /home/amika/.claude.json; echo x >> /home/amika/.claude.json")
        .await;
    assert_ne!(code, 0, "credential files must be read-only");
    assert!(out.contains("codex") && out.contains("claude"), "{out}");

    let off = unique("nocreds");
    let mut request = env.request(&off);
    request.no_credentials = true;
    let sandbox = env.create(request).await;
    assert!(sandbox.credentials.is_empty());
    let (code, _, _) = env.sh(&off, "test -e /home/amika/.claude.json").await;
    assert_ne!(code, 0);
}

#[tokio::test]
async fn git_checkout_goes_to_a_kept_volume_with_the_repository_config_applied() {
    let env = TestEnv::new().await;
    let port = free_port();
    let repo = env.git_repo(
        "Hello-World",
        &[
            ("README.md", "hello\n"),
            ("src/main.txt", "code\n"),
            ("scripts/setup.sh", "#!/bin/sh\necho from-config > /root/configured\n"),
            (
                ".amika/config.toml",
                &format!(
                    "[lifecycle]\nsetup_script = \"scripts/setup.sh\"\n\n[env]\nFROM_CONFIG = \"yes\"\nOVERRIDDEN = \"config\"\n\n[services.web]\nport = {port}\n\n[sandbox]\nflavour = \"x\"\n"
                ),
            ),
        ],
    );
    std::fs::write(repo.join("untracked.txt"), "dirty\n").unwrap();
    let name = unique("git");
    let mut request = env.request(&name);
    request.git = GitChoice::Source(repo.join("src").display().to_string());
    request.env = vec!["OVERRIDDEN=flag".into()];
    let explanation = env.core.explain_config(&request).await.unwrap();
    let source_of = |field: &str| {
        explanation
            .values
            .iter()
            .find(|v| v.field == field)
            .map(|v| v.source.clone())
    };
    assert_eq!(
        source_of("env.FROM_CONFIG"),
        Some(sbx_api::ValueSource::RepoConfig)
    );
    assert_eq!(
        source_of("env.OVERRIDDEN"),
        Some(sbx_api::ValueSource::Flag)
    );
    assert_eq!(
        source_of("setup_script"),
        Some(sbx_api::ValueSource::RepoConfig)
    );
    assert!(
        explanation
            .warnings
            .iter()
            .any(|w| w.contains("sandbox.flavour")),
        "{:?}",
        explanation.warnings
    );

    let sandbox = env.create(request).await;
    assert_eq!(sandbox.state, SandboxState::Running, "{sandbox:?}");
    let repo_info = sandbox.repo.clone().unwrap();
    assert_eq!(repo_info.mount_path, "/home/amika/workspace/Hello-World");
    assert!(
        repo_info
            .volume
            .starts_with(&format!("amika-git-{name}-Hello-World-")),
        "{}",
        repo_info.volume
    );
    assert!(
        sandbox
            .ports
            .iter()
            .any(|p| p.host_port == port && p.container_port == port)
    );

    let (code, out, _) = env
        .sh(&name, "cat README.md src/main.txt; pwd; echo $FROM_CONFIG $OVERRIDDEN; cat /root/configured; test -e untracked.txt || echo clean")
        .await;
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "hello\ncode\n/home/amika/workspace/Hello-World\nyes flag\nfrom-config\nclean\n"
    );

    // --no-clean brings the untracked file.
    let dirty = unique("dirty");
    let mut request = env.request(&dirty);
    request.git = GitChoice::Source(repo.display().to_string());
    request.no_clean = true;
    env.create(request).await;
    let (_, out, _) = env.sh(&dirty, "cat untracked.txt").await;
    assert_eq!(out, "dirty\n");
    // The clones the creates made on the host are gone once they returned.
    assert!(env.scratch_is_empty(), "scratch left behind");

    // Deleting the sandbox keeps its volume; the volume can then be deleted.
    env.core.delete_sandbox(&name, true).await.unwrap();
    let volumes = env.core.list_volumes().await.unwrap();
    let kept = volumes
        .iter()
        .find(|v| v.name == repo_info.volume)
        .expect("volume kept");
    assert!(kept.used_by.is_empty());
    assert_eq!(kept.repo, "Hello-World");
    env.core.delete_volume(&repo_info.volume).await.unwrap();
    assert!(
        env.core
            .list_volumes()
            .await
            .unwrap()
            .iter()
            .all(|v| v.name != repo_info.volume)
    );
    // A volume in use cannot be deleted.
    let in_use = volumes.iter().find(|v| v.sandbox == dirty).unwrap();
    assert!(env.core.delete_volume(&in_use.name).await.is_err());
}

#[tokio::test]
async fn a_branch_is_checked_out() {
    let env = TestEnv::new().await;
    let repo = env.git_repo("branchy", &[("a.txt", "main\n")]);
    git(&repo, &["checkout", "-q", "-b", "feature/new-api"]);
    std::fs::write(repo.join("a.txt"), "feature\n").unwrap();
    git(&repo, &["commit", "-q", "-am", "feature"]);
    git(&repo, &["checkout", "-q", "main"]);
    let name = unique("branch");
    let mut request = env.request(&name);
    request.git = GitChoice::Source(repo.display().to_string());
    request.branch = Some("feature/new-api".into());
    env.create(request).await;
    let (_, out, _) = env.sh(&name, "cat a.txt").await;
    assert_eq!(out, "feature\n");
}

#[tokio::test]
async fn every_bad_input_is_a_clear_error_and_creates_nothing() {
    let env = TestEnv::new().await;
    let taken = unique("taken");
    env.create(env.request(&taken)).await;
    let repo = env.git_repo("cfgbad", &[("a", "a")]);
    let bad_config = env.git_repo(
        "cfgsyntax",
        &[(".amika/config.toml", "[env]\nA = \"x\"\nB = oops\n")],
    );
    let not_repo = env.dir.path().join("plain");
    std::fs::create_dir_all(&not_repo).unwrap();
    // One more CPU than the engine has: within 1-32 on a machine of up to 31 CPUs, refused as more than it has.
    let too_many_cpus = env.engine_cpus().await + 1;

    type Case = (
        &'static str,
        Box<dyn Fn(&mut sbx_api::CreateSandboxRequest)>,
    );
    let mut cases: Vec<Case> = vec![
        ("name", Box::new(|r| r.name = Some("Bad_Name".into()))),
        ("name", Box::new(|r| r.name = Some("a".repeat(41)))),
        ("name", {
            let t = taken.clone();
            Box::new(move |r| r.name = Some(t.clone()))
        }),
        ("image", Box::new(|r| r.preset = Some("coder".into()))),
        ("env", Box::new(|r| r.env = vec!["1BAD=x".into()])),
        ("port", Box::new(|r| r.ports = vec!["8080".into()])),
        ("port", Box::new(|r| r.ports = vec!["8080:60900".into()])),
        ("port", Box::new(|r| r.ports = vec!["70000:80".into()])),
        ("cpus", Box::new(|r| r.cpus = Some(33))),
        ("cpus", Box::new(|r| r.cpus = Some(0))),
        ("memory", Box::new(|r| r.memory_mib = Some(64))),
        ("memory", Box::new(|r| r.memory_mib = Some(40000))),
        ("auto-stop", Box::new(|r| r.auto_stop_minutes = Some(10081))),
        (
            "auto-delete",
            Box::new(|r| r.auto_delete_minutes = Some(20000)),
        ),
        (
            "snapshot-schedule",
            Box::new(|r| r.snapshot_schedule = Some("* * * *".into())),
        ),
        (
            "setup-script",
            Box::new(|r| r.setup_script = Some("/nonexistent/setup.sh".into())),
        ),
        (
            "snapshot",
            Box::new(|r| r.snapshot = sbx_api::SnapshotChoice::Named("no-such-snapshot".into())),
        ),
        ("git", {
            let p = not_repo.display().to_string();
            Box::new(move |r| r.git = GitChoice::Source(p.clone()))
        }),
        (
            "git",
            Box::new(|r| r.git = GitChoice::Source("file:///nonexistent/repo.git".into())),
        ),
        ("branch", {
            let p = repo.display().to_string();
            Box::new(move |r| {
                r.git = GitChoice::Source(p.clone());
                r.branch = Some("nope".into());
            })
        }),
        ("branch", Box::new(|r| r.branch = Some("main".into()))),
        (".amika/config.toml", {
            let p = bad_config.display().to_string();
            Box::new(move |r| r.git = GitChoice::Source(p.clone()))
        }),
    ];
    if too_many_cpus <= 32 {
        cases.push(("cpus", Box::new(move |r| r.cpus = Some(too_many_cpus))));
    }
    let before = env.engine_objects().await;
    for (field, change) in cases {
        let mut request = env.request(&unique("bad"));
        change(&mut request);
        let error = ApiError::from(env.core.create_sandbox(&request).await.unwrap_err());
        match &error {
            ApiError::InvalidInput {
                field: f, message, ..
            } => {
                assert_eq!(f, field, "{error}");
                assert!(!message.is_empty());
            }
            ApiError::NotFound { what, .. } => assert_eq!(field, what, "{error}"),
            other => panic!("expected invalid input on {field}, got {other:?}"),
        }
        if field == ".amika/config.toml" {
            assert!(error.to_string().contains("line 3, column 5"), "{error}");
        }
    }
    assert_eq!(
        env.engine_objects().await,
        before,
        "nothing may be created by a bad request"
    );
    let names = env.sandbox_names().await;
    assert_eq!(names, vec![taken]);
    assert!(env.scratch_is_empty(), "scratch left behind");
}

#[tokio::test]
async fn a_name_held_in_the_engine_by_another_data_dir_is_refused_before_anything_is_made() {
    let first = TestEnv::new().await;
    let second = TestEnv::new().await;
    let name = unique("held");
    first.create(first.request(&name)).await;

    // The second data dir has no such sandbox, but the engine container name is taken: refused at once, on the
    // name, before the clone or the volume.
    let repo = second.git_repo("held-repo", &[("a", "a")]);
    let mut request = second.request(&name);
    request.git = GitChoice::Source(repo.display().to_string());
    let error = ApiError::from(second.core.create_sandbox(&request).await.unwrap_err());
    match &error {
        ApiError::InvalidInput { field, message, .. } => {
            assert_eq!(field, "name", "{error}");
            assert!(message.contains(&format!("sbx-{name}")), "{error}");
        }
        other => panic!("expected invalid input on name, got {other:?}"),
    }
    assert_eq!(
        second.engine_objects().await,
        (vec![], vec![], vec![]),
        "nothing is made"
    );
    assert!(second.core.list_sandboxes().await.unwrap().is_empty());

    // Once the other data dir lets the name go, it is free.
    first.core.delete_sandbox(&name, true).await.unwrap();
    let made = second.create(second.request(&name)).await;
    assert_eq!(made.name, name);
}

#[tokio::test]
async fn a_missing_preset_is_built_on_first_use_with_progress() {
    let env = TestEnv::new().await;
    let preset_dir = env.core.paths().presets_dir().join("tiny");
    std::fs::create_dir_all(&preset_dir).unwrap();
    let marker = unique("marker");
    std::fs::write(
        preset_dir.join("Dockerfile"),
        format!(
            "FROM {}\nRUN echo {marker} > /etc/preset-marker\n",
            test_image()
        ),
    )
    .unwrap();
    let preset = env.core.preset("tiny").unwrap();
    assert!(!env.core.image_exists(&preset.image()).await.unwrap());
    let mut events = env.core.subscribe();
    let name = unique("preset");
    let mut request = env.request(&name);
    request.image = None;
    request.preset = Some("tiny".into());
    let sandbox = env.create(request).await;
    assert_eq!(sandbox.preset.as_deref(), Some("tiny"));
    let (_, out, _) = env.sh(&name, "cat /etc/preset-marker").await;
    assert_eq!(out.trim(), marker);
    let mut saw_build = false;
    while let Ok(event) = events.try_recv() {
        if let sbx_api::UiEvent::Progress(p) = event
            && p.stage == sbx_api::JobStage::BuildingImage
        {
            saw_build = true;
        }
    }
    assert!(saw_build, "building the preset image must report progress");
    // Preset images are shared across data dirs: remove this one.
    let docker = common::docker().await;
    env.core.delete_sandbox(&name, true).await.unwrap();
    let _ = docker
        .remove_image(
            &preset.image(),
            Some(
                bollard::query_parameters::RemoveImageOptionsBuilder::default()
                    .force(true)
                    .build(),
            ),
            None,
        )
        .await;
    let unknown = ApiError::from(env.core.preset("nope").unwrap_err());
    assert_eq!(unknown.field(), Some("preset"));
}

#[tokio::test]
async fn generated_names_look_like_teal_tokyo() {
    let env = TestEnv::new().await;
    let mut request = env.request("x");
    request.name = None;
    let sandbox = env.create(request).await;
    let parts: Vec<&str> = sandbox.name.split('-').collect();
    assert!(
        parts.len() >= 2 && parts.iter().all(|p| !p.is_empty()),
        "{}",
        sandbox.name
    );
    sbx_core::validate::name(sbx_api::Field::Name, &sandbox.name).unwrap();
}

#[tokio::test]
async fn the_coder_preset_is_a_developer_image_built_without_a_registry() {
    let env = TestEnv::new().await;
    let base = std::env::var("SBX_TEST_DEBIAN_IMAGE")
        .unwrap_or_else(|_| "sandbox-desktop-test/debian:bookworm".into());
    env.core.tune(|t| t.base_image = Some(base));
    let name = unique("coder");
    let mut request = env.request(&name);
    request.image = None;
    request.preset = Some("coder".into());
    request.setup_script_text = Some("#!/bin/bash\nset -e\necho \"bash $BASH_VERSION\"\n".into());
    let sandbox = env.create(request).await;
    assert_eq!(sandbox.state, SandboxState::Running, "{sandbox:?}");
    assert_eq!(sandbox.preset.as_deref(), Some("coder"));
    let (code, out, err) = env
        .sh(&name, "git --version && curl --version | head -1 && bash --version | head -1 && make --version | head -1 && gcc --version | head -1 && python3 --version && node --version")
        .await;
    assert_eq!(code, 0, "{out}{err}");
    for tool in [
        "git version",
        "curl",
        "GNU bash",
        "GNU Make",
        "gcc",
        "Python 3",
        "v",
    ] {
        assert!(out.contains(tool), "{tool} missing: {out}");
    }
    let logs = env
        .core
        .sandbox_logs(&LogsRequest {
            name: name.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        logs.setup.contains("bash 5"),
        "the bash setup script ran: {logs:?}"
    );
}

/// Collect a terminal session's output until it contains `expected` (or the time is up); the whole output.
async fn terminal_output_until(
    events: &mut tokio::sync::broadcast::Receiver<sbx_api::UiEvent>,
    session: &str,
    seen: &mut String,
    expected: &str,
) -> String {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while !seen.contains(expected) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Ok(sbx_api::UiEvent::TerminalOutput { session: s, data })) if s == session => {
                seen.push_str(&data)
            }
            Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            _ => panic!("the terminal did not print {expected:?}; it printed {seen:?}"),
        }
    }
    seen.clone()
}

#[tokio::test]
async fn a_terminal_is_a_shell_of_the_size_asked_with_one_prompt() {
    let env = TestEnv::new().await;
    let name = unique("term");
    env.create(env.request(&name)).await;
    let mut events = env.core.subscribe();
    let session = env.core.open_terminal(&name, 100, 28).await.unwrap();
    let mut seen = String::new();
    // busybox sh's prompt as root ends in "# ".
    terminal_output_until(&mut events, &session, &mut seen, "# ").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    while let Ok(event) = events.try_recv() {
        if let sbx_api::UiEvent::TerminalOutput { session: s, data } = event
            && s == session
        {
            seen.push_str(&data);
        }
    }
    // The shell redraws its prompt after a carriage return; on screen (as the UI renders it) there is one.
    let screen = sbx_term::render(&seen, 28);
    assert_eq!(
        screen.matches("# ").count(),
        1,
        "one prompt before anything is typed: {screen:?} from {seen:?}"
    );
    env.core
        .write_terminal(&session, "stty size; echo sum-$((20+22))\n")
        .await
        .unwrap();
    let out = terminal_output_until(&mut events, &session, &mut seen, "sum-42").await;
    assert!(out.contains("28 100"), "the size asked for: {out:?}");
    env.core.close_terminal(&session).await.unwrap();
    let error = ApiError::from(env.core.write_terminal(&session, "x").await.unwrap_err());
    assert!(matches!(error, ApiError::NotFound { .. }), "{error}");
}

#[tokio::test]
async fn settings_name_a_preset_that_exists() {
    let env = TestEnv::new().await;
    let mut settings = sbx_api::Settings::default();
    env.core.check_settings(&settings).unwrap();
    settings.default_preset = "nope".into();
    let error = env.core.check_settings(&settings).unwrap_err();
    assert_eq!(error.field(), Some("default_preset"));
    assert!(error.to_string().contains("coder"), "{error}");
    settings.default_preset = "coder".into();
    settings.default_auto_stop_minutes = 20000;
    let error = env.core.check_settings(&settings).unwrap_err();
    assert_eq!(error.field(), Some("default_auto_stop_minutes"));
}

#[tokio::test]
async fn the_list_comes_a_page_at_a_time_in_the_full_lists_order() {
    let env = TestEnv::new().await;
    for i in 0..3 {
        env.create(env.request(&unique(&format!("page{i}")))).await;
    }
    let all = env.sandbox_names().await;
    assert_eq!(all.len(), 3);
    let page = |page, limit| sbx_api::ListSandboxesRequest { page, limit };
    let first = env.core.list_sandboxes_page(&page(1, 2)).await.unwrap();
    let second = env.core.list_sandboxes_page(&page(2, 2)).await.unwrap();
    let past = env.core.list_sandboxes_page(&page(3, 2)).await.unwrap();
    assert_eq!((first.total, second.total, past.total), (3, 3, 3));
    let names =
        |p: &sbx_api::SandboxPage| p.items.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
    assert_eq!([names(&first), names(&second)].concat(), all);
    assert!(past.items.is_empty());
    assert!(first.items.iter().all(|s| s.state == SandboxState::Running));
    for (bad, field) in [
        (page(0, 2), "page"),
        (page(1, 0), "limit"),
        (page(1, 1001), "limit"),
    ] {
        let error = ApiError::from(env.core.list_sandboxes_page(&bad).await.unwrap_err());
        assert_eq!(error.field(), Some(field), "{error}");
    }
}
