//! What the CLI's engine tests share: a data dir and a credential home for `sbx` processes, removed from the engine
//! (everything labelled with its instance) when dropped.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use sbx_core::{Core, Engine, Paths};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

/// The busybox test image.
pub fn image() -> String {
    std::env::var("SBX_TEST_IMAGE").unwrap_or_else(|_| "sandbox-desktop-test/busybox:latest".into())
}

/// A unique name for a test's sandbox or snapshot.
pub fn name(prefix: &str) -> String {
    let id = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let tail: String = id.chars().rev().take(8).collect();
    format!("{prefix}-{tail}")
}

/// `sbx` processes on a data dir of their own.
pub struct Cli {
    pub dir: tempfile::TempDir,
}

impl Cli {
    pub fn new() -> Cli {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        Cli { dir }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// `sbx ARGS` in the temporary folder, with the data dir and home set and no standard input.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sbx"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("SANDBOX_DESKTOP_HOME", self.data())
            .env("HOME", self.home())
            .stdin(Stdio::null());
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Its standard output; fails the test when it fails.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "sbx {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Its standard error; fails the test when it succeeds.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "sbx {args:?} succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    /// A running sandbox of the test image, without a repository or setup.
    pub fn plain_sandbox(&self, name: &str) {
        self.ok(&[
            "sandbox",
            "create",
            "--name",
            name,
            "--image",
            &image(),
            "--no-git",
            "--no-setup",
        ]);
    }

    /// `sh -c SCRIPT` in `sandbox`; its standard output. Fails the test when it fails.
    pub fn sh(&self, sandbox: &str, script: &str) -> String {
        self.ok(&["sandbox", "exec", sandbox, "--", "sh", "-c", script])
    }

    /// Write `mib` MiB to `/root/big` in the sandbox, so capturing it takes a while.
    pub fn fill(&self, sandbox: &str, mib: u32) {
        self.sh(
            sandbox,
            &format!("dd if=/dev/zero of=/root/big bs=1M count={mib} 2>/dev/null"),
        );
    }

    /// A file (a setup script, say) in the temporary folder; its path.
    pub fn script(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    pub fn instance(&self) -> String {
        Paths::at(self.data()).unwrap().instance().to_string()
    }

    /// A core on the same data dir (another process, as far as the database is concerned).
    pub async fn core(&self) -> Arc<Core> {
        Core::open(Paths::at(self.data()).unwrap(), Engine::from_env())
            .await
            .unwrap()
    }
}

/// How many containers, volumes and images are labelled with `instance`.
pub async fn labelled(instance: &str) -> (usize, usize, usize) {
    let (c, v, i) = Engine::from_env().labelled(instance).await.unwrap();
    (c.len(), v.len(), i.len())
}

impl Drop for Cli {
    fn drop(&mut self) {
        let instance = self.instance();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let _ = rt.block_on(sbx_core::Engine::from_env().purge_instance(&instance));
        })
        .join();
    }
}
