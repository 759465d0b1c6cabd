//! End-to-end harness: launches the built app under tauri-driver (which drives WebKitWebDriver), with its own
//! data dir and environment, and gives the test a WebDriver client on the real window.
//!
//! The tests are `#[ignore]`d: they need the built app, an X display and tauri-driver, which `cargo xtask test`
//! provides (it runs them with `--ignored`, one at a time, because tauri-driver listens on fixed ports).

use anyhow::{Context, Result, anyhow, bail};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Port tauri-driver listens on.
const DRIVER_PORT: u16 = 4444;
/// Port of the WebKitWebDriver tauri-driver starts.
const NATIVE_PORT: u16 = 4445;

/// The image the tests run sandboxes and plain containers from (built locally by `cargo xtask test`).
pub fn test_image() -> String {
    std::env::var("SBX_TEST_IMAGE").unwrap_or_else(|_| "sandbox-desktop-test/busybox:latest".into())
}

/// The built app binary (`SBX_APP_BINARY`, else `target/debug/sandbox-desktop`).
pub fn app_binary() -> PathBuf {
    std::env::var_os("SBX_APP_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/debug/sandbox-desktop"))
}

/// The built CLI binary (`SBX_CLI_BINARY`, else `target/debug/sbx`).
pub fn cli_binary() -> PathBuf {
    std::env::var_os("SBX_CLI_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/debug/sbx"))
}

/// The repository root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Where screenshots go (`target/e2e-screenshots`).
pub fn screenshot_dir() -> PathBuf {
    workspace_root().join("target/e2e-screenshots")
}

/// One running app window and the driver around it.
pub struct App {
    /// The WebDriver client on the app's window.
    pub client: Client,
    driver: Child,
    /// The app's data dir (`SANDBOX_DESKTOP_HOME`).
    pub home: tempfile::TempDir,
}

/// How to launch the app.
#[derive(Default)]
pub struct Launch {
    /// Extra environment for the app (e.g. `DOCKER_HOST`, `HOME`).
    pub env: Vec<(String, String)>,
    /// Use this data dir instead of a fresh temporary one.
    pub home: Option<tempfile::TempDir>,
}

impl App {
    /// Launch the app with a fresh data dir.
    pub async fn launch() -> Result<App> {
        App::launch_with(Launch::default()).await
    }

    /// Launch the app as `launch` says.
    pub async fn launch_with(launch: Launch) -> Result<App> {
        let binary = app_binary();
        if !binary.is_file() {
            bail!(
                "{} is missing: run `cargo xtask build` first",
                binary.display()
            );
        }
        let home = match launch.home {
            Some(home) => home,
            None => tempfile::tempdir()?,
        };
        let mut command = Command::new("tauri-driver");
        command
            .args([
                "--port",
                &DRIVER_PORT.to_string(),
                "--native-port",
                &NATIVE_PORT.to_string(),
            ])
            .env("SANDBOX_DESKTOP_HOME", home.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (key, value) in &launch.env {
            command.env(key, value);
        }
        let driver = command
            .spawn()
            .context("starting tauri-driver (cargo install tauri-driver --locked)")?;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "tauri:options".to_string(),
            serde_json::json!({ "application": binary }),
        );
        let url = format!("http://127.0.0.1:{DRIVER_PORT}");
        let started = Instant::now();
        let client = loop {
            let mut builder =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
            builder.capabilities(capabilities.clone());
            let attempt = builder.connect(&url);
            match tokio::time::timeout(Duration::from_secs(30), attempt).await {
                Ok(Ok(client)) => break client,
                Ok(Err(error)) if started.elapsed() > Duration::from_secs(40) => {
                    bail!("could not open a WebDriver session: {error}")
                }
                Err(_) => bail!("opening a WebDriver session timed out"),
                _ => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        };
        let app = App {
            client,
            driver,
            home,
        };
        app.wait_for_css("nav.sidebar", Duration::from_secs(30))
            .await
            .context("the app window did not render its sidebar")?;
        Ok(app)
    }

    /// Wait until an element matching `css` exists.
    pub async fn wait_for_css(&self, css: &str, timeout: Duration) -> Result<Element> {
        self.client
            .wait()
            .at_most(timeout)
            .every(Duration::from_millis(100))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("no element matches `{css}` after {timeout:?}"))
    }

    /// Wait until the page's visible text contains `text`.
    pub async fn wait_for_text(&self, text: &str, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        loop {
            let body = self.body_text().await.unwrap_or_default();
            if body.contains(text) {
                return Ok(());
            }
            if started.elapsed() > timeout {
                bail!("the page did not show `{text}` within {timeout:?}; it shows:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Wait until the page's visible text no longer contains `text`.
    pub async fn wait_for_no_text(&self, text: &str, timeout: Duration) -> Result<()> {
        let started = Instant::now();
        loop {
            let body = self.body_text().await.unwrap_or_default();
            if !body.contains(text) {
                return Ok(());
            }
            if started.elapsed() > timeout {
                bail!("the page still shows `{text}` after {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// The visible text of the page.
    pub async fn body_text(&self) -> Result<String> {
        Ok(self.client.find(Locator::Css("body")).await?.text().await?)
    }

    /// The element with this accessible label (`aria-label`).
    pub async fn by_label(&self, label: &str) -> Result<Element> {
        let css = format!("[aria-label=\"{}\"]", label.replace('"', "\\\""));
        self.wait_for_css(&css, Duration::from_secs(15)).await
    }

    /// Click the element with this accessible label.
    pub async fn click_label(&self, label: &str) -> Result<()> {
        self.by_label(label)
            .await?
            .click()
            .await
            .map_err(|e| anyhow!("clicking `{label}`: {e}"))
    }

    /// Replace the value of the input with this accessible label.
    pub async fn fill_label(&self, label: &str, text: &str) -> Result<()> {
        let input = self.by_label(label).await?;
        input.clear().await?;
        input.send_keys(text).await?;
        Ok(())
    }

    /// Save a screenshot of the window as `target/e2e-screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = self.client.screenshot().await?;
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Close the window and stop the driver.
    pub async fn close(mut self) -> Result<()> {
        let client = self.client.clone();
        let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
        stop_driver(&mut self.driver);
        Ok(())
    }
}

impl Drop for App {
    fn drop(&mut self) {
        stop_driver(&mut self.driver);
    }
}

/// SIGTERM, not SIGKILL: only then does tauri-driver stop WebKitWebDriver (and the app) too.
fn stop_driver(driver: &mut Child) {
    if let Ok(Some(_)) = driver.try_wait() {
        return;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &driver.id().to_string()])
        .status();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if let Ok(Some(_)) = driver.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = driver.kill();
    let _ = driver.wait();
}

/// A client of the same engine the app uses, for the tests' own checks and set-up.
pub async fn docker() -> Result<bollard::Docker> {
    Ok(bollard::Docker::connect_with_defaults()?
        .negotiate_version()
        .await?)
}
