//! The processes behind a window: tauri-driver on fresh ports (it starts WebKitWebDriver, which starts the app),
//! the WebDriver session opened through it (retried while the driver is starting), and stopping all of them
//! without leaving anything behind.

use anyhow::{Context, Result, anyhow, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The built app binary (`SBX_APP_BINARY`, else `target/debug/sandbox-desktop`).
pub fn app_binary() -> PathBuf {
    std::env::var_os("SBX_APP_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/debug/sandbox-desktop"))
}

/// The repository root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Where tauri-driver's output goes (`target/e2e-logs/tauri-driver.log`, overwritten by each launch).
pub fn driver_log() -> PathBuf {
    workspace_root().join("target/e2e-logs/tauri-driver.log")
}

/// Open a WebDriver session on a new window of the app, retrying while tauri-driver is still starting.
async fn open_session(binary: &Path, port: u16) -> Result<Client> {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "tauri:options".to_string(),
        serde_json::json!({ "application": binary }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(capabilities.clone());
        let attempt = builder.connect(&url);
        match tokio::time::timeout(Duration::from_secs(30), attempt).await {
            Ok(Ok(client)) => return Ok(client),
            Ok(Err(error)) if started.elapsed() > Duration::from_secs(40) => {
                bail!("could not open a WebDriver session: {error}")
            }
            Err(_) => bail!("opening a WebDriver session timed out"),
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// Start tauri-driver on fresh ports and open the app's window through it, on data dir `home`, until the page
/// has rendered its sidebar. On failure nothing is left running, and the error ends with what the page showed and
/// the end of the driver's log.
pub(crate) async fn start_window(
    binary: &Path,
    env: &[(String, String)],
    home: &Path,
) -> Result<(Client, Child)> {
    // tauri-driver, WebKitWebDriver and the app write here; a failed start shows its end.
    let log_path = driver_log();
    if let Some(dir) = log_path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("creating {}", log_path.display()))?;
    // Both listeners open at once, so the two ports differ.
    let (driver_port, native_port) = {
        let first = std::net::TcpListener::bind("127.0.0.1:0")?;
        let second = std::net::TcpListener::bind("127.0.0.1:0")?;
        (first.local_addr()?.port(), second.local_addr()?.port())
    };
    // Fresh ports for tauri-driver and its WebKitWebDriver at each launch: a driver left behind by an earlier
    // run (or another program on the usual 4444) cannot answer in its place.
    let mut command = Command::new("tauri-driver");
    command
        .args([
            "--port",
            &driver_port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .env("SANDBOX_DESKTOP_HOME", home)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log));
    for (key, value) in env {
        command.env(key, value);
    }
    let mut driver = command
        .spawn()
        .context("starting tauri-driver (cargo install tauri-driver --locked)")?;
    let started = match open_session(binary, driver_port).await {
        Ok(client) => {
            let rendered = client
                .wait()
                .at_most(Duration::from_secs(30))
                .every(Duration::from_millis(100))
                .for_element(Locator::Css("nav.sidebar"))
                .await;
            match rendered {
                Ok(_) => Ok(client),
                Err(error) => {
                    let url = client.current_url().await.map(|u| u.to_string());
                    let source = client.source().await.unwrap_or_default();
                    let source: String = source.chars().take(2000).collect();
                    let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
                    Err(anyhow!(error).context(format!(
                        "the app window did not render its sidebar within 30s; the page is {url:?}:\n{source}"
                    )))
                }
            }
        }
        Err(error) => Err(error),
    };
    match started {
        Ok(client) => Ok((client, driver)),
        Err(error) => {
            // Nothing may outlive a failed start: a driver left on its port fails every later test.
            stop_driver(&mut driver);
            stop_app(home);
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            Err(error.context(format!(
                "the end of {} (tauri-driver, WebKitWebDriver and the app):\n{}",
                log_path.display(),
                tail.join("\n")
            )))
        }
    }
}

/// Stop every process started with `SANDBOX_DESKTOP_HOME=home`: WebKitWebDriver does not always stop the app it
/// launched when it is stopped itself, and a stray app would keep running background work on this data dir.
pub(crate) fn stop_app(home: &Path) {
    let marker = format!("SANDBOX_DESKTOP_HOME={}", home.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ
            .split(|b| *b == 0)
            .any(|var| var == marker.as_bytes())
        {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
    }
}

/// SIGTERM, not SIGKILL: only then does tauri-driver stop WebKitWebDriver (and the app) too.
pub(crate) fn stop_driver(driver: &mut Child) {
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
