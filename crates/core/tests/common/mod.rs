//! Test helpers: a core with its own temporary data dir and credential home, on the real Docker engine, that
//! removes every engine object labelled with its instance when dropped.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use bollard::query_parameters::ListImagesOptionsBuilder;
use sbx_api::{CreateSandboxRequest, GitChoice, Sandbox, SnapshotChoice};
use sbx_core::{Core, Engine, Paths, labels};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// The busybox image `cargo xtask test` builds (only `/bin/sh` and busybox applets).
pub fn test_image() -> String {
    std::env::var("SBX_TEST_IMAGE").unwrap_or_else(|_| "sandbox-desktop-test/busybox:latest".into())
}

/// A core on a fresh data dir.
pub struct TestEnv {
    pub core: Arc<Core>,
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
}

impl TestEnv {
    pub async fn new() -> TestEnv {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let paths = Paths::at(dir.path().join("data")).unwrap();
        let core = Core::open(paths, Engine::from_env()).await.unwrap();
        core.tune(|t| t.credentials_home = Some(home.clone()));
        core.engine()
            .connect()
            .await
            .expect("a Docker engine must answer (cargo xtask test starts one)");
        TestEnv { core, dir, home }
    }

    /// A second core on the same data dir (another process, as far as the database is concerned).
    pub async fn another_core(&self) -> Arc<Core> {
        let core = Core::open(
            Paths::at(self.dir.path().join("data")).unwrap(),
            Engine::from_env(),
        )
        .await
        .unwrap();
        core.tune(|t| t.credentials_home = Some(self.home.clone()));
        core
    }

    /// A create request for a busybox sandbox with no repository.
    pub fn request(&self, name: &str) -> CreateSandboxRequest {
        CreateSandboxRequest {
            name: Some(name.to_string()),
            image: Some(test_image()),
            git: GitChoice::Off,
            snapshot: SnapshotChoice::Off,
            wait_for_ready: true,
            cwd: Some(self.dir.path().display().to_string()),
            ..Default::default()
        }
    }

    /// Create and wait until ready.
    pub async fn create(&self, request: CreateSandboxRequest) -> Sandbox {
        self.core.create_sandbox(&request).await.unwrap()
    }

    /// Run `sh -c script` in the sandbox; (exit code, stdout, stderr).
    pub async fn sh(&self, sandbox: &str, script: &str) -> (i64, String, String) {
        let out = self
            .core
            .exec_collect(&sbx_api::ExecRequest {
                name: sandbox.to_string(),
                argv: vec!["/bin/sh".into(), "-c".into(), script.into()],
            })
            .await
            .unwrap();
        (out.exit_code, out.stdout, out.stderr)
    }

    /// How many CPUs the engine has.
    pub async fn engine_cpus(&self) -> u32 {
        let info = docker().await.info().await.unwrap();
        u32::try_from(info.ncpu.unwrap()).unwrap()
    }

    /// The names of this data dir's sandboxes, in the list's order.
    pub async fn sandbox_names(&self) -> Vec<String> {
        self.core
            .list_sandboxes()
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect()
    }

    /// Whether the data dir's scratch folder (where repositories are cloned for a create) is empty or absent.
    pub fn scratch_is_empty(&self) -> bool {
        let scratch = self.core.paths().scratch_dir();
        !scratch.exists() || std::fs::read_dir(&scratch).unwrap().next().is_none()
    }

    /// Engine objects (containers, volumes, images) labelled with this data dir's instance.
    pub async fn engine_objects(&self) -> (Vec<String>, Vec<String>, Vec<String>) {
        engine_objects(self.core.paths().instance()).await
    }

    /// A git repository `name` under the temp dir with one commit of `files` (path, content).
    pub fn git_repo(&self, name: &str, files: &[(&str, &str)]) -> PathBuf {
        let root = self.dir.path().join("repos").join(name);
        std::fs::create_dir_all(&root).unwrap();
        for (path, content) in files {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, content).unwrap();
        }
        git(&root, &["init", "-q", "-b", "main"]);
        git(&root, &["add", "-A"]);
        git(&root, &["commit", "-q", "-m", "first"]);
        root
    }
}

/// Run git in `dir` with a fixed identity.
pub fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

pub async fn engine_objects(instance: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    Engine::from_env().labelled(instance).await.unwrap()
}

/// A bollard client of the test's own, for looking at the engine directly (the core keeps its client inside).
pub async fn docker() -> bollard::Docker {
    bollard::Docker::connect_with_host(Engine::from_env().address())
        .unwrap()
        .negotiate_version()
        .await
        .expect("a Docker engine must answer (cargo xtask test starts one)")
}

/// Images of snapshots (finished or partial) labelled with `instance`.
pub async fn snapshot_images(instance: &str) -> Vec<String> {
    let docker = bollard::Docker::connect_with_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let mut out = Vec::new();
    for kind in [labels::KIND_SNAPSHOT, labels::KIND_HELPER] {
        let filters = HashMap::from([(
            "label".to_string(),
            vec![
                labels::filter(labels::INSTANCE, instance),
                labels::filter(labels::KIND, kind),
            ],
        )]);
        out.extend(
            docker
                .list_images(Some(
                    ListImagesOptionsBuilder::default()
                        .all(true)
                        .filters(&filters)
                        .build(),
                ))
                .await
                .unwrap()
                .into_iter()
                .map(|i| i.id),
        );
    }
    out
}

/// Remove everything labelled with `instance`.
pub async fn clean_instance(instance: &str) {
    let _ = Engine::from_env().purge_instance(instance).await;
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let instance = self.core.paths().instance().to_string();
        // A fresh runtime on another thread: Drop may run inside the test's runtime.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(clean_instance(&instance));
            }
        })
        .join();
    }
}

/// A unique sandbox name for a test.
pub fn unique(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &id[..8])
}
