//! Secrets against the real engine: secret values live only in the secret store (never in a label, an image, the
//! database), the data dir is private, and a scrubbed snapshot holds no sentinel anywhere — in the restored
//! filesystem, the images it was built from, the containers, the database — whatever wrote it where; nor in any
//! layer of its image when it was taken on a full snapshot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bollard::query_parameters::{InspectContainerOptions, ListContainersOptionsBuilder};
use common::{TestEnv, git, unique};
use sbx_api::{
    CreateSnapshotRequest, GitChoice, RestoreSnapshotRequest, ScrubKind, SnapshotMode,
    SnapshotStatus,
};
use sbx_core::labels;
use std::path::Path;

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

/// Every file of the data dir whose bytes contain `needle`, except the secret store.
fn data_files_containing(data: &Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![data.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "secrets") {
                    continue;
                }
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path)
                && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
            {
                hits.push(path.display().to_string());
            }
        }
    }
    hits
}

/// The JSON of `docker image inspect` and `docker history` of `image` and of every image it was built from that
/// the engine still has (the history names them).
async fn image_chain_json(image: &str) -> String {
    let docker = common::docker().await;
    let mut text = String::new();
    let history = docker.image_history(image).await.unwrap();
    text.push_str(&serde_json::to_string(&history).unwrap());
    let mut ids: Vec<String> = vec![image.to_string()];
    ids.extend(
        history
            .iter()
            .map(|h| h.id.clone())
            .filter(|id| !id.is_empty() && id != "<missing>"),
    );
    for id in ids {
        if let Ok(inspect) = docker.inspect_image(&id).await {
            text.push_str(&serde_json::to_string(&inspect).unwrap());
        }
    }
    text
}

/// The JSON of `docker inspect` of every container of this data dir.
async fn containers_json(env: &TestEnv) -> String {
    let docker = common::docker().await;
    let filters = labels::instance_filters(env.core.paths().instance(), &[]);
    let list = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&filters)
                .build(),
        ))
        .await
        .unwrap();
    let mut text = String::new();
    for container in list {
        let inspect = docker
            .inspect_container(
                &container.id.unwrap_or_default(),
                None::<InspectContainerOptions>,
            )
            .await
            .unwrap();
        text.push_str(&serde_json::to_string(&inspect).unwrap());
    }
    text
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn secret_values_live_only_in_the_private_secret_store() {
    let env = TestEnv::new().await;
    let secret = format!("SENTINEL-STORE-{}", unique("v"));
    let name = unique("store");
    let mut request = env.request(&name);
    request.env = vec![format!("API_TOKEN={secret}"), "MODE=dev".into()];
    env.create(request).await;

    // Commands see it; nothing but the secret store holds it.
    let (code, out, _) = env.sh(&name, "echo \"$API_TOKEN/$MODE\"").await;
    assert_eq!(
        (code, out.as_str()),
        (0, format!("{secret}/dev\n").as_str())
    );
    let containers = containers_json(&env).await;
    assert!(!containers.contains(&secret), "in a container's inspect");
    assert!(containers.contains("MODE=dev"));
    let data = env.core.paths().root().to_path_buf();
    assert_eq!(data_files_containing(&data, &secret), Vec::<String>::new());
    let view = env.core.get_sandbox(&name).await.unwrap();
    let shown = serde_json::to_string(&view).unwrap();
    assert!(!shown.contains(&secret), "in the sandbox's view: {shown}");
    // Every sandbox: no privilege gained through setuid binaries, and a bounded number of processes.
    assert_eq!(view.pids_limit, sbx_api::DEFAULT_PIDS_LIMIT);
    let docker = common::docker().await;
    let inspect = docker
        .inspect_container(
            view.container_id.as_deref().unwrap(),
            None::<InspectContainerOptions>,
        )
        .await
        .unwrap();
    let host = inspect.host_config.unwrap();
    assert_eq!(host.pids_limit, Some(4096));
    assert_eq!(
        host.security_opt,
        Some(vec!["no-new-privileges:true".to_string()])
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&data), 0o700, "data dir");
        assert_eq!(mode(&env.core.paths().database()), 0o600, "database");
        assert_eq!(mode(&env.core.paths().settings()), 0o600, "settings");
        assert_eq!(mode(&env.core.paths().secrets_dir()), 0o700, "secret store");
        for entry in std::fs::read_dir(env.core.paths().secrets_dir()).unwrap() {
            assert_eq!(mode(&entry.unwrap().path()), 0o600);
        }
    }

    // A full snapshot keeps the value for a restore on this machine, in the store, never in the image.
    let full = unique("full");
    let snapshot = env
        .core
        .create_snapshot(&snap(&name, &full, SnapshotMode::Full))
        .await
        .unwrap();
    assert_eq!(snapshot.status, SnapshotStatus::Active, "{snapshot:?}");
    let chain = image_chain_json(snapshot.image.as_deref().unwrap()).await;
    assert!(!chain.contains(&secret), "in the image or its parents");
    let restored = unique("back");
    env.core
        .restore_snapshot(&restore(&full, &restored))
        .await
        .unwrap();
    let (_, out, _) = env.sh(&restored, "echo \"$API_TOKEN\"").await;
    assert_eq!(
        out,
        format!("{secret}\n"),
        "a full snapshot restores its secret"
    );
    assert_eq!(data_files_containing(&data, &secret), Vec::<String>::new());
    assert!(!containers_json(&env).await.contains(&secret));

    // Deleting the sandboxes and the snapshot forgets their secrets.
    env.core.delete_sandbox(&name, true).await.unwrap();
    env.core.delete_sandbox(&restored, true).await.unwrap();
    env.core.delete_snapshot(&full).await.unwrap();
    let left = std::fs::read_dir(env.core.paths().secrets_dir())
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "secret files left behind");
}

#[tokio::test]
async fn a_scrubbed_snapshot_holds_no_sentinel_anywhere() {
    let env = TestEnv::new().await;
    let tag = unique("s");
    let mounted = format!("SENTINEL-MOUNTED-{tag}-0123456789");
    let written = format!("SENTINEL-WRITTEN-{tag}");
    let value = format!("SENTINEL-ENVVALUE-{tag}");
    let remote = format!("SENTINEL-REMOTE-{tag}");
    // A mounted credential file (a dummy in the test's own home).
    std::fs::write(
        env.home.join(".claude.json"),
        format!("{{\"token\": \"{mounted}\"}}"),
    )
    .unwrap();
    let repo = env.git_repo("leaky", &[("app.txt", "app\n")]);
    git(
        &repo,
        &[
            "remote",
            "add",
            "origin",
            "https://git.example.com/team/leaky.git",
        ],
    );
    let name = unique("leaky");
    let mut request = env.request(&name);
    request.git = GitChoice::Source(repo.display().to_string());
    request.env = vec![format!("API_TOKEN={value}"), "PLAIN=visible".into()];
    let source = env.create(request).await;
    assert_eq!(source.credentials, vec![".claude.json".to_string()]);

    // An agent logs in inside, tools write tokens, the user leaks the value into files with odd names.
    let script = format!(
        r#"set -e
mkdir -p /home/amika/.claude /root/.local/share/opencode /home/amika/.codex /opt/tool /usr/local/share/x
echo '{{"t":"{written}"}}' > /home/amika/.claude/.credentials.json
echo '{{"t":"{written}"}}' > /root/.local/share/opencode/auth.json
echo '{{"t":"{written}"}}' > /home/amika/.codex/auth.json
echo 'https://me:{written}@git.example.com' > /home/amika/.git-credentials
cat /home/amika/.claude.json > /usr/local/share/x/copy.json
cat /home/amika/.claude.json > "/tmp/a copy
with a newline.json"
echo "export TOKEN=$API_TOKEN" > "/opt/tool/odd name.env"
echo "curl -H 'Authorization: {written}'" > /root/.ash_history
cd {ws}
sed -i 's#https://git.example.com/team/leaky.git#https://me:{remote}@git.example.com/team/leaky.git#' .git/config
grep -q {remote} .git/config
printf '[http]\n\textraHeader = Authorization: Bearer {written}\n[url "https://me:{written}@git.example.com/"]\n\tinsteadOf = https://git.example.com/\n' >> .git/config
echo ordinary > /root/ordinary.txt
"#,
        ws = source.repo.as_ref().unwrap().mount_path,
    );
    let (code, _, err) = env.sh(&name, &script).await;
    assert_eq!(code, 0, "{err}");

    // The preview lists what goes, by path and kind, and never a value.
    let preview = env.core.preview_scrub(&name).await.unwrap();
    let json = serde_json::to_string(&preview).unwrap();
    for sentinel in [&mounted, &written, &value, &remote] {
        assert!(
            !json.contains(sentinel.as_str()),
            "a value in the preview: {json}"
        );
    }
    let has = |kind: ScrubKind, path: &str| {
        preview
            .findings
            .iter()
            .any(|f| f.kind == kind && f.path.ends_with(path))
    };
    assert!(has(ScrubKind::SecretVariable, "API_TOKEN"), "{json}");
    assert!(
        has(
            ScrubKind::CredentialFile,
            "/home/amika/.claude/.credentials.json"
        ),
        "{json}"
    );
    assert!(
        has(
            ScrubKind::CredentialFile,
            "/root/.local/share/opencode/auth.json"
        ),
        "{json}"
    );
    assert!(
        has(ScrubKind::CredentialFile, "/home/amika/.codex/auth.json"),
        "{json}"
    );
    assert!(
        has(ScrubKind::CredentialCopy, "/usr/local/share/x/copy.json"),
        "{json}"
    );
    assert!(
        has(
            ScrubKind::CredentialCopy,
            "/tmp/a copy\nwith a newline.json"
        ),
        "{json}"
    );
    assert!(
        has(ScrubKind::SecretValue, "/opt/tool/odd name.env"),
        "{json}"
    );
    assert!(
        has(ScrubKind::GitCredentials, "/home/amika/.git-credentials"),
        "{json}"
    );
    assert!(has(ScrubKind::GitUrlCredentials, "/.git/config"), "{json}");
    assert!(has(ScrubKind::GitExtraHeader, "/.git/config"), "{json}");
    assert!(has(ScrubKind::ShellHistory, "/root/.ash_history"), "{json}");
    assert!(
        !has(ScrubKind::CredentialFile, "/home/amika/.claude.json"),
        "the mount itself is not captured, so not listed: {json}"
    );
    // A preview changes nothing.
    let (code, _, _) = env.sh(&name, "test -e /root/.ash_history").await;
    assert_eq!(code, 0);

    let clean = unique("clean");
    let snapshot = env
        .core
        .create_snapshot(&snap(&name, &clean, SnapshotMode::Scrub))
        .await
        .unwrap();
    assert_eq!(snapshot.status, SnapshotStatus::Active, "{snapshot:?}");

    // Restore with no credentials to mount, then look everywhere.
    let empty_home = env.dir.path().join("empty-home");
    std::fs::create_dir_all(&empty_home).unwrap();
    env.core
        .tune(|t| t.credentials_home = Some(empty_home.clone()));
    let restored = unique("restored");
    env.core
        .restore_snapshot(&restore(&clean, &restored))
        .await
        .unwrap();
    let (_, found, _) = env
        .sh(
            &restored,
            "grep -rl SENTINEL / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null; env | grep SENTINEL; true",
        )
        .await;
    assert_eq!(found, "", "left in the restored filesystem");
    let (code, out, _) = env
        .sh(
            &restored,
            "cat /root/ordinary.txt app.txt; echo \"$PLAIN\"; grep 'url = ' .git/config",
        )
        .await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "ordinary\napp\nvisible\n\turl = https://git.example.com/team/leaky.git\n"
    );
    let chain = image_chain_json(snapshot.image.as_deref().unwrap()).await;
    let containers = containers_json(&env).await;
    let data = env.core.paths().root().to_path_buf();
    for sentinel in [&mounted, &written, &value, &remote] {
        assert!(
            !chain.contains(sentinel.as_str()),
            "in the image chain: {sentinel}"
        );
        assert!(
            !containers.contains(sentinel.as_str()),
            "in a container: {sentinel}"
        );
        assert_eq!(
            data_files_containing(&data, sentinel),
            Vec::<String>::new(),
            "in the data dir: {sentinel}"
        );
    }
}

/// A snapshot taken for the layer test, with what its image holds.
struct Taken {
    name: String,
    /// The bytes of `docker save` of its image: every layer and the configuration.
    saved: Vec<u8>,
    /// Its image's [`labels::SCRUBBED_LAYERS`].
    scrubbed_layers: Option<String>,
    layers: usize,
}

impl Taken {
    fn holds(&self, needle: &str) -> bool {
        self.saved
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    }
}

/// Take a snapshot of `sandbox` in `mode` (it must become active) and read its image.
async fn take(env: &TestEnv, sandbox: &str, prefix: &str, mode: SnapshotMode) -> Taken {
    use futures_util::StreamExt;
    let name = unique(prefix);
    let snapshot = env
        .core
        .create_snapshot(&snap(sandbox, &name, mode))
        .await
        .unwrap();
    assert_eq!(snapshot.status, SnapshotStatus::Active, "{snapshot:?}");
    let image = snapshot.image.unwrap();
    let docker = common::docker().await;
    let mut stream = docker.export_image(&image);
    let mut saved = Vec::new();
    while let Some(chunk) = stream.next().await {
        saved.extend_from_slice(&chunk.unwrap());
    }
    let inspect = docker.inspect_image(&image).await.unwrap();
    let scrubbed_layers = inspect
        .config
        .and_then(|config| config.labels)
        .and_then(|found| found.get(labels::SCRUBBED_LAYERS).cloned());
    let layers = inspect.root_fs.unwrap().layers.unwrap().len();
    Taken {
        name,
        saved,
        scrubbed_layers,
        layers,
    }
}

#[tokio::test]
async fn a_scrub_on_a_full_snapshot_leaves_no_secret_in_any_layer() {
    let env = TestEnv::new().await;
    let tag = unique("layers");
    let written = format!("SENTINEL-LOWER-LAYER-{tag}");
    let remote = format!("SENTINEL-LOWER-REMOTE-{tag}");
    let repo = env.git_repo("layered", &[("app.txt", "app\n")]);
    git(
        &repo,
        &[
            "remote",
            "add",
            "origin",
            "https://git.example.com/team/layered.git",
        ],
    );
    let name = unique("layered");
    let mut request = env.request(&name);
    request.git = GitChoice::Source(repo.display().to_string());
    let source = env.create(request).await;
    let script = format!(
        r#"set -e
mkdir -p /home/amika/.claude
echo '{{"t":"{written}"}}' > /home/amika/.claude/.credentials.json
cd {ws}
sed -i 's#https://git.example.com/team/layered.git#https://me:{remote}@git.example.com/team/layered.git#' .git/config
grep -q {remote} .git/config
"#,
        ws = source.repo.as_ref().unwrap().mount_path,
    );
    let (code, _, err) = env.sh(&name, &script).await;
    assert_eq!(code, 0, "{err}");

    // A full snapshot keeps them, as asked: its layers hold both (the check below can fail).
    let full = take(&env, &name, "full", SnapshotMode::Full).await;
    assert!(full.holds(&written) && full.holds(&remote));
    assert_eq!(full.scrubbed_layers.as_deref(), Some("false"));
    assert!(
        full.layers > 1,
        "a small chain is not flattened: {}",
        full.layers
    );

    // A sandbox restored from it, then scrubbed: the scrub removes them in the top layer, and the capture flattens,
    // so that no layer below keeps them.
    let restored = unique("from-full");
    env.core
        .restore_snapshot(&restore(&full.name, &restored))
        .await
        .unwrap();
    let clean = take(&env, &restored, "clean", SnapshotMode::Scrub).await;
    assert!(!clean.holds(&written), "a credential file in a layer");
    assert!(!clean.holds(&remote), "a remote's credentials in a layer");
    assert_eq!(clean.layers, 1, "flattened");
    assert_eq!(clean.scrubbed_layers.as_deref(), Some("true"));
    let lineage = env.core.snapshot_lineage(&clean.name).await.unwrap();
    let json = serde_json::to_string(&lineage).unwrap();
    assert!(json.contains("\"flattened\":true"), "{json}");

    // What the user kept is all there: the workspace, its origin without the credentials.
    let again = unique("from-clean");
    env.core
        .restore_snapshot(&restore(&clean.name, &again))
        .await
        .unwrap();
    let (code, out, _) = env
        .sh(&again, "cat app.txt; grep 'url = ' .git/config; test ! -e /home/amika/.claude/.credentials.json")
        .await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "app\n\turl = https://git.example.com/team/layered.git\n"
    );

    // A scrub on a scrubbed snapshot has nothing below to hide: it is not flattened, so chains stay cheap.
    let next = take(&env, &again, "next", SnapshotMode::Scrub).await;
    assert!(next.layers > 1, "not flattened again: {}", next.layers);
}
