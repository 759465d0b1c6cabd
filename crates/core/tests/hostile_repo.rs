//! A repository is untrusted input, against the real Docker engine: its setup script cannot be a host file reached
//! through a symlink nor a huge file, its `[sandbox] snapshot` cannot pick a snapshot of another repository, git
//! options cannot be smuggled in as the repository or the branch, and a token in the repository URL is used for
//! the clone only (never recorded, labelled, reported, nor left in the checkout).
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestEnv, git, unique};
use sbx_api::{
    ApiError, CreateSandboxRequest, CreateSnapshotRequest, GitChoice, RepoDefaultRequest,
    SandboxState, SnapshotChoice, SnapshotMode, UiEvent, ValueSource,
};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

/// Commit everything in `repo` (symlinks included, as symlinks).
fn commit_all(repo: &Path) {
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "more"]);
}

/// `create_sandbox` fails on `field` with a message containing `why`; nothing is created, in the engine or the
/// database. Returns the error's text.
async fn refused(env: &TestEnv, request: &CreateSandboxRequest, field: &str, why: &str) -> String {
    let before = env.engine_objects().await;
    let error = ApiError::from(env.core.create_sandbox(request).await.unwrap_err());
    assert_eq!(error.field(), Some(field), "{error}");
    let text = error.to_string();
    assert!(text.contains(why), "{text}");
    assert_eq!(env.engine_objects().await, before, "nothing may be created");
    assert!(
        env.core
            .list_sandboxes()
            .await
            .unwrap()
            .iter()
            .all(|s| Some(&s.name) != request.name.as_ref()),
        "no record may exist"
    );
    assert!(env.scratch_is_empty(), "scratch left behind");
    text
}

#[tokio::test]
async fn a_setup_script_that_leaves_the_repository_or_is_too_big_is_refused_and_creates_nothing() {
    let env = TestEnv::new().await;
    // A file of the host, outside the repository.
    let sentinel = env.dir.path().join("host-secret.txt");
    std::fs::write(&sentinel, "HOST-SENTINEL\n").unwrap();
    let sentinel = std::fs::canonicalize(&sentinel).unwrap();
    let config = |script: &str| format!("[lifecycle]\nsetup_script = {script:?}\n");

    // `s.sh` committed as a symlink to the host file.
    let linked = env.git_repo("linked", &[(".amika/config.toml", &config("s.sh"))]);
    symlink(&sentinel, linked.join("s.sh")).unwrap();
    commit_all(&linked);
    // A symlinked directory on the way: `scripts -> /`.
    let through = format!("scripts{}", sentinel.display());
    let dir_link = env.git_repo("dirlink", &[(".amika/config.toml", &config(&through))]);
    symlink("/", dir_link.join("scripts")).unwrap();
    commit_all(&dir_link);
    // A 2 MiB setup script.
    let big_text = format!("#!/bin/sh\n{}\n", "#".repeat(2 * 1024 * 1024));
    let big = env.git_repo(
        "big",
        &[
            (".amika/config.toml", &config("setup.sh")),
            ("setup.sh", &big_text),
        ],
    );

    for (repo, why) in [
        (&linked, "outside the repository"),
        (&dir_link, "outside the repository"),
        (&big, "at most 1 MiB"),
    ] {
        let mut request = env.request(&unique("hostile"));
        request.git = GitChoice::Source(repo.display().to_string());
        let text = refused(&env, &request, "lifecycle.setup_script", why).await;
        assert!(!text.contains("HOST-SENTINEL"), "{text}");
        let explained = ApiError::from(env.core.explain_config(&request).await.unwrap_err());
        assert_eq!(explained.field(), Some("lifecycle.setup_script"));
        // The same repository reached as a remote URL: its config file is read from the fresh clone.
        request.git = GitChoice::Source(format!("file://{}", repo.display()));
        refused(&env, &request, "lifecycle.setup_script", why).await;
    }

    // The user's own `--setup-script` may be a symlink, but is bounded in size too.
    std::fs::write(env.dir.path().join("big.sh"), &big_text).unwrap();
    let mut request = env.request(&unique("own"));
    request.setup_script = Some("big.sh".into());
    refused(&env, &request, "setup-script", "at most 1 MiB").await;
    assert!(env.core.list_sandboxes().await.unwrap().is_empty());
}

fn snapshot_request(sandbox: &str, name: &str) -> CreateSnapshotRequest {
    CreateSnapshotRequest {
        sandbox: sandbox.into(),
        name: name.into(),
        mode: SnapshotMode::Full,
        quick: true,
        wait: true,
    }
}

#[tokio::test]
async fn a_repository_config_can_only_pick_a_snapshot_of_the_same_repository() {
    let env = TestEnv::new().await;
    // A snapshot of a sandbox without a repository, and one of another repository.
    let plain = unique("plain");
    env.create(env.request(&plain)).await;
    let from_plain = unique("from-plain");
    env.core
        .create_snapshot(&snapshot_request(&plain, &from_plain))
        .await
        .unwrap();
    let other_repo = env.git_repo("other", &[("a", "a")]);
    let other = unique("other");
    let mut request = env.request(&other);
    request.git = GitChoice::Source(other_repo.display().to_string());
    env.create(request).await;
    let from_other = unique("from-other");
    env.core
        .create_snapshot(&snapshot_request(&other, &from_other))
        .await
        .unwrap();

    let snapshot_of = |explanation: &sbx_api::ConfigExplanation| {
        explanation
            .values
            .iter()
            .find(|v| v.field == "snapshot")
            .map(|v| (v.value.clone(), v.source.clone()))
    };
    for foreign in [&from_plain, &from_other] {
        let repo = env.git_repo(
            &format!("victim-{foreign}"),
            &[(
                ".amika/config.toml",
                &format!("[sandbox]\nsnapshot = \"{foreign}\"\n"),
            )],
        );
        let name = unique("victim");
        let mut request = env.request(&name);
        request.git = GitChoice::Source(repo.display().to_string());
        // Ignored, so the sandbox runs the image given.
        request.snapshot = SnapshotChoice::RepoDefault;
        let explanation = env.core.explain_config(&request).await.unwrap();
        assert_eq!(snapshot_of(&explanation), None, "{explanation:?}");
        assert!(
            explanation
                .warnings
                .iter()
                .any(|w| w.contains(foreign.as_str()) && w.contains("ignored")),
            "{:?}",
            explanation.warnings
        );
        let sandbox = env.create(request.clone()).await;
        assert_eq!(sandbox.from_snapshot, None, "{sandbox:?}");
        assert_eq!(sandbox.state, SandboxState::Running);

        // The user's own choices may pick it: the flag, and the app's repository default.
        let mut flagged = request.clone();
        flagged.name = Some(unique("flagged"));
        flagged.snapshot = SnapshotChoice::Named(foreign.clone());
        flagged.image = None;
        let explanation = env.core.explain_config(&flagged).await.unwrap();
        assert_eq!(
            snapshot_of(&explanation),
            Some((foreign.clone(), ValueSource::Flag))
        );
        env.core
            .set_repo_default(&RepoDefaultRequest {
                path: repo.display().to_string(),
                snapshot: Some(foreign.clone()),
            })
            .await
            .unwrap();
        let mut by_app = request.clone();
        by_app.name = Some(unique("by-app"));
        by_app.image = None;
        let explanation = env.core.explain_config(&by_app).await.unwrap();
        assert_eq!(
            snapshot_of(&explanation),
            Some((foreign.clone(), ValueSource::App))
        );
        let sandbox = env.create(by_app).await;
        assert_eq!(sandbox.from_snapshot.as_deref(), Some(foreign.as_str()));
    }

    // A snapshot of the same repository is honoured.
    let own = unique("own");
    let repo = env.git_repo(
        "mine",
        &[(
            ".amika/config.toml",
            &format!("[sandbox]\nsnapshot = \"{own}\"\n"),
        )],
    );
    let base = unique("base");
    let mut request = env.request(&base);
    request.git = GitChoice::Source(repo.display().to_string());
    env.create(request).await;
    env.sh(&base, "echo from-own-snapshot > /root/marker").await;
    env.core
        .create_snapshot(&snapshot_request(&base, &own))
        .await
        .unwrap();
    let name = unique("mine");
    let mut request = env.request(&name);
    request.git = GitChoice::Source(repo.display().to_string());
    request.snapshot = SnapshotChoice::RepoDefault;
    request.image = None;
    let explanation = env.core.explain_config(&request).await.unwrap();
    assert_eq!(
        snapshot_of(&explanation),
        Some((own.clone(), ValueSource::RepoConfig))
    );
    let sandbox = env.create(request).await;
    assert_eq!(sandbox.from_snapshot.as_deref(), Some(own.as_str()));
    let (_, out, _) = env.sh(&name, "cat /root/marker").await;
    assert_eq!(out, "from-own-snapshot\n");
}

#[tokio::test]
async fn values_git_would_read_as_options_are_refused_and_create_nothing() {
    let env = TestEnv::new().await;
    let repo = env.git_repo("opts", &[("a", "a")]);
    let pwned = env.dir.path().join("pwned");
    let smuggled = format!("--upload-pack=touch {}", pwned.display());

    let mut request = env.request(&unique("opt"));
    request.git = GitChoice::Source(smuggled.clone());
    refused(&env, &request, "git", "git option").await;
    request.git = GitChoice::Source("-c".into());
    refused(&env, &request, "git", "git option").await;

    let mut request = env.request(&unique("opt"));
    request.git = GitChoice::Source(repo.display().to_string());
    request.branch = Some(smuggled.clone());
    refused(&env, &request, "branch", "git option").await;
    request.git = GitChoice::Source(format!("file://{}", repo.display()));
    refused(&env, &request, "branch", "git option").await;
    assert!(!pwned.exists(), "git ran the smuggled option");
}

/// A read-only HTTP server on 127.0.0.1 serving the files under `root` (git's "dumb" HTTP protocol). Returns
/// its port and the paths it was asked for.
fn serve_files(root: PathBuf) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Skip the headers.
            loop {
                let mut header = String::new();
                match reader.read_line(&mut header) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if header.trim().is_empty() => break,
                    Ok(_) => {}
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/");
            let path = path.split('?').next().unwrap_or("/");
            let file = root.join(path.trim_start_matches('/'));
            let body = if path.contains("..") {
                None
            } else {
                std::fs::read(&file).ok()
            };
            let _ = match body {
                Some(body) => stream
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|()| stream.write_all(&body)),
                None => stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
            };
        }
    });
    port
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if meta.is_file()
            && let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        {
            found.push(path);
        }
    }
    found
}

#[tokio::test]
async fn a_token_in_the_repository_url_is_used_for_the_clone_only() {
    const SENTINEL: &str = "SENTINEL7f3a9c";
    let env = TestEnv::new().await;
    let mut events = env.core.subscribe();

    // A clone that fails (a closed port of this machine: nothing leaves it) reports no token.
    let mut request = env.request(&unique("closed"));
    request.git = GitChoice::Source(format!("https://user:{SENTINEL}@127.0.0.1:9/x.git"));
    let text = refused(&env, &request, "git", "127.0.0.1").await;
    assert!(!text.contains(SENTINEL), "{text}");
    let error = ApiError::from(env.core.create_sandbox(&request).await.unwrap_err());
    assert!(!format!("{error:?}").contains(SENTINEL), "{error:?}");
    let explanation = env.core.explain_config(&request).await.unwrap();
    assert!(
        !format!("{explanation:?}").contains(SENTINEL),
        "{explanation:?}"
    );

    // A repository served over HTTP on this machine, reached through a URL with user-info.
    let repo = env.git_repo("Tokened", &[("README.md", "hello\n")]);
    let served = env.dir.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    git(
        &served,
        &[
            "clone",
            "-q",
            "--bare",
            &repo.display().to_string(),
            "r.git",
        ],
    );
    git(&served.join("r.git"), &["update-server-info"]);
    let port = serve_files(served);
    let clean_url = format!("http://127.0.0.1:{port}/r.git");
    for url in [
        format!("http://user:{SENTINEL}@127.0.0.1:{port}/r.git"),
        format!("http://{SENTINEL}@127.0.0.1:{port}/r.git"),
    ] {
        let name = unique("tokened");
        let mut request = env.request(&name);
        request.git = GitChoice::Source(url);
        let sandbox = env.create(request).await;
        assert_eq!(sandbox.state, SandboxState::Running, "{sandbox:?}");
        let repo_info = sandbox.repo.clone().unwrap();
        assert_eq!(repo_info.source, clean_url);
        assert!(!format!("{sandbox:?}").contains(SENTINEL), "{sandbox:?}");

        // The checkout is there, and its origin has no token.
        let (code, out, _) = env
            .sh(
                &name,
                "cat README.md && cat .git/config && cat .git/logs/HEAD",
            )
            .await;
        assert_eq!(code, 0);
        assert!(out.starts_with("hello\n"), "{out}");
        assert!(out.contains(&format!("url = {clean_url}")), "{out}");
        assert!(!out.contains(SENTINEL), "{out}");

        // Nor do the engine's objects (labels carry the record).
        let docker = common::docker().await;
        let container = docker
            .inspect_container(&sandbox.container_id.clone().unwrap(), None)
            .await
            .unwrap();
        let container = serde_json::to_string(&container).unwrap();
        assert!(container.contains(&clean_url));
        assert!(!container.contains(SENTINEL));
        let volume = docker.inspect_volume(&repo_info.volume).await.unwrap();
        assert!(!serde_json::to_string(&volume).unwrap().contains(SENTINEL));
    }

    // A snapshot copies the repository key; its export carries no token either.
    let repositories = env.core.list_repositories().await.unwrap();
    assert!(repositories.iter().any(|r| r.root == clean_url));
    assert!(!format!("{repositories:?}").contains(SENTINEL));
    let sandboxes = env.core.list_sandboxes().await.unwrap();
    let source = &sandboxes.iter().find(|s| s.repo.is_some()).unwrap().name;
    let snapshot = unique("tokened-snap");
    let taken = env
        .core
        .create_snapshot(&snapshot_request(source, &snapshot))
        .await
        .unwrap();
    assert_eq!(taken.repository.as_deref(), Some(clean_url.as_str()));
    let export = env.dir.path().join("export.tar");
    env.core.export_snapshot(&snapshot, &export).await.unwrap();
    let exported = std::fs::read(&export).unwrap();
    assert!(
        !exported
            .windows(SENTINEL.len())
            .any(|w| w == SENTINEL.as_bytes()),
        "the export holds the token"
    );
    std::fs::remove_file(&export).unwrap();

    // Nothing in the data dir (database, its journal, files of the sandboxes) holds the token.
    let data = env.dir.path().join("data");
    assert_eq!(files_containing(&data, SENTINEL), Vec::<PathBuf>::new());

    // Nor did any event.
    let mut seen = 0;
    while let Ok(event) = events.try_recv() {
        seen += 1;
        if let UiEvent::Progress(progress) = &event {
            assert!(
                !serde_json::to_string(progress).unwrap().contains(SENTINEL),
                "{progress:?}"
            );
        }
        assert!(!format!("{event:?}").contains(SENTINEL), "{event:?}");
    }
    assert!(seen > 0);
}
