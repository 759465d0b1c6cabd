//! What the tests start from: the test image and preset, the CLI binary, the engine client, and [`TestApp`] (the
//! app on its own data dir and `HOME`, with the clean-up of everything it made in the engine).

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::app::{App, Launch};
use crate::cleanup::EngineCleanup;
use crate::driver::workspace_root;

/// The image the tests run sandboxes and plain containers from (built locally by `cargo xtask test`).
pub fn test_image() -> String {
    std::env::var("SBX_TEST_IMAGE").unwrap_or_else(|_| "sandbox-desktop-test/busybox:latest".into())
}

/// The built CLI binary (`SBX_CLI_BINARY`, else `target/debug/sbx`).
pub fn cli_binary() -> PathBuf {
    std::env::var_os("SBX_CLI_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/debug/sbx"))
}

/// A client of the same engine the app uses, for the tests' own checks and set-up.
pub async fn docker() -> Result<bollard::Docker> {
    Ok(bollard::Docker::connect_with_defaults()?
        .negotiate_version()
        .await?)
}

/// The environment variable whose value the app's file dialogs answer with instead of showing one (see
/// `src-tauri/src/commands/files.rs`): the export and import flows are real from the chosen path on.
pub const TEST_FILE_ENV: &str = "SANDBOX_DESKTOP_TEST_FILE";

/// The test preset's name: a user preset whose Dockerfile is `FROM` the busybox test image.
pub const TEST_PRESET: &str = "e2e";

/// The instance id of the data dir `dir`, exactly as the app computes it.
pub fn instance_of(dir: &Path) -> Result<String> {
    Ok(sbx_core::Paths::at(dir)?.instance().to_string())
}

/// Names of the engine objects labelled with `instance`: (containers, volumes, images).
pub async fn engine_objects(instance: &str) -> Result<(Vec<String>, Vec<String>, Vec<String>)> {
    Ok(sbx_core::Engine::from_env().labelled(instance).await?)
}

/// The app on its own data dir (with the [`TEST_PRESET`] preset in it), its own `HOME` (so no credential file of
/// this machine is read), a scratch folder, and the clean-up of everything it made in the engine.
///
/// Fields drop in order: the app stops first, then the engine objects go.
pub struct TestApp {
    /// The running app.
    pub app: App,
    /// The app's `HOME`.
    pub user_home: tempfile::TempDir,
    /// Scratch space for the test (repositories, files).
    pub work: tempfile::TempDir,
    /// The instance id of the app's data dir (the `dev.sandboxdesktop.instance` label).
    pub instance: String,
    _cleanup: EngineCleanup,
}

impl std::ops::Deref for TestApp {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

impl TestApp {
    /// Launch the app on a fresh data dir and `HOME`, with the test preset in place.
    pub async fn launch() -> Result<TestApp> {
        TestApp::launch_with_env(Vec::new()).await
    }

    /// [`TestApp::launch`], with `env` set on the app's process too — e.g. [`TEST_FILE_ENV`], the answer of every
    /// file dialog (which a WebDriver cannot drive).
    pub async fn launch_with_env(env: Vec<(String, String)>) -> Result<TestApp> {
        let data = tempfile::tempdir()?;
        let preset = data.path().join("presets").join(TEST_PRESET);
        std::fs::create_dir_all(&preset)?;
        std::fs::write(
            preset.join("Dockerfile"),
            format!("FROM {}\n", test_image()),
        )?;
        let instance = instance_of(data.path())?;
        let cleanup = EngineCleanup::new(
            instance.clone(),
            vec![format!("sandbox-desktop/preset-{TEST_PRESET}")],
        );
        let user_home = tempfile::tempdir()?;
        let work = tempfile::tempdir()?;
        let mut env = env;
        env.push(("HOME".into(), user_home.path().display().to_string()));
        let app = App::launch_with(Launch {
            env,
            home: Some(data),
        })
        .await?;
        Ok(TestApp {
            app,
            user_home,
            work,
            instance,
            _cleanup: cleanup,
        })
    }

    /// A git repository `name` in the scratch folder with one commit of `files` (path, content).
    pub fn git_repo(&self, name: &str, files: &[(&str, &str)]) -> Result<PathBuf> {
        let root = self.work.path().join(name);
        for (path, content) in files {
            let file = root.join(path);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(file, content)?;
        }
        for args in [
            &["init", "-q", "-b", "main"][..],
            &["add", "-A"],
            &["commit", "-q", "-m", "first"],
        ] {
            let status = Command::new("git")
                .args(args)
                .current_dir(&root)
                .env("HOME", self.user_home.path())
                .env("GIT_AUTHOR_NAME", "e2e")
                .env("GIT_AUTHOR_EMAIL", "e2e@example.com")
                .env("GIT_COMMITTER_NAME", "e2e")
                .env("GIT_COMMITTER_EMAIL", "e2e@example.com")
                .status()
                .context("running git")?;
            if !status.success() {
                bail!("git {args:?} failed in {}", root.display());
            }
        }
        Ok(root)
    }

    /// Engine objects labelled with this app's instance: (containers, volumes, images).
    pub async fn engine_objects(&self) -> Result<(Vec<String>, Vec<String>, Vec<String>)> {
        engine_objects(&self.instance).await
    }

    /// Close the window, stop the driver, then remove the engine objects.
    pub async fn finish(self) -> Result<()> {
        let TestApp { app, _cleanup, .. } = self;
        app.close().await?;
        drop(_cleanup);
        Ok(())
    }
}

/// A free TCP port on 127.0.0.1 (free when asked; the OS may hand it out again later).
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
