//! A window under measurement: tauri-driver on fresh ports (it starts WebKitWebDriver, which starts the binary),
//! a WebDriver session on it, the moment the session was asked for (the clock every time is measured from), and
//! the page's first contentful paint as the browser's Paint Timing reports it, and the moment its UI was mounted.

use anyhow::{Context, Result, bail};
use fantoccini::{Client, ClientBuilder};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// One running window and the driver around it.
pub struct Window {
    pub client: Client,
    driver: Child,
    /// Wall-clock time just before the session that started the binary was asked for.
    pub started: SystemTime,
    /// The value of `SBX_FOOTPRINT_MARK` in the window's environment (and its driver's), to find its processes.
    pub mark: String,
}

/// Where tauri-driver's output goes.
fn log_path(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    root.join("target/footprint-logs")
        .join(format!("{name}.log"))
}

/// Start `binary` under tauri-driver with `env` and open a WebDriver session on its window.
pub async fn open(binary: &Path, env: &[(String, String)], name: &str) -> Result<Window> {
    let log = log_path(name);
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::File::create(&log)?;
    let (port, native_port) = {
        let first = std::net::TcpListener::bind("127.0.0.1:0")?;
        let second = std::net::TcpListener::bind("127.0.0.1:0")?;
        (first.local_addr()?.port(), second.local_addr()?.port())
    };
    let mark = uuid::Uuid::new_v4().simple().to_string();
    let mut command = Command::new("tauri-driver");
    command
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .env("SBX_FOOTPRINT_MARK", &mark)
        .stdin(Stdio::null())
        .stdout(Stdio::from(file.try_clone()?))
        .stderr(Stdio::from(file));
    for (key, value) in env {
        command.env(key, value);
    }
    let mut driver = command
        .spawn()
        .context("starting tauri-driver (cargo install tauri-driver --locked)")?;
    match session(binary, port).await {
        Ok((client, started)) => Ok(Window {
            client,
            driver,
            started,
            mark,
        }),
        Err(error) => {
            stop(&mut driver);
            Err(error.context(format!("see {}", log.display())))
        }
    }
}

/// A session on a new window of `binary`, retried while the driver starts; with the time of the attempt that
/// succeeded (a refused connection fails at once, so that is just before the binary was started).
async fn session(binary: &Path, port: u16) -> Result<(Client, SystemTime)> {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "tauri:options".to_string(),
        serde_json::json!({ "application": binary }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let started = SystemTime::now();
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(capabilities.clone());
        match tokio::time::timeout(Duration::from_secs(30), builder.connect(&url)).await {
            Ok(Ok(client)) => return Ok((client, started)),
            Ok(Err(error)) if Instant::now() > deadline => {
                bail!("could not open a WebDriver session: {error}")
            }
            Err(_) => bail!("opening a WebDriver session timed out"),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

impl Window {
    /// Time from asking for the window to its first contentful paint (`first-contentful-paint` of the Paint
    /// Timing API, stamped by WebKit itself, so how often this asks does not matter).
    pub async fn first_paint(&self) -> Result<Duration> {
        self.entry("first-contentful-paint").await
    }

    /// Time from asking for the window to the mark `ui-mounted` the page's module sets once its UI is in the
    /// document (the app and the minimal window both set it), so a frame painted before the module ran does not
    /// hide how long the module took.
    pub async fn mounted(&self) -> Result<Duration> {
        self.entry("ui-mounted").await
    }

    /// Time from asking for the window to the performance entry `name`, waiting up to 60 s for it.
    async fn entry(&self, name: &str) -> Result<Duration> {
        const SCRIPT: &str = "const e = performance.getEntriesByName(arguments[0])[0]; \
            return e ? performance.timeOrigin + e.startTime : null;";
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let value = self.client.execute(SCRIPT, vec![name.into()]).await?;
            if let Some(at_ms) = value.as_f64() {
                let started_ms = self.started.duration_since(UNIX_EPOCH)?.as_secs_f64() * 1000.0;
                return Ok(Duration::from_secs_f64(
                    (at_ms - started_ms).max(0.0) / 1000.0,
                ));
            }
            if Instant::now() > deadline {
                let supported = self
                    .client
                    .execute(
                        "return (window.PerformanceObserver && PerformanceObserver.supportedEntryTypes) || [];",
                        vec![],
                    )
                    .await?;
                bail!("no {name} entry after 60 s (entry types: {supported})");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Close the session and stop the driver (and with it WebKitWebDriver and the window).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(10), self.client.clone().close()).await;
        stop(&mut self.driver);
    }
}

/// SIGTERM, so tauri-driver stops WebKitWebDriver too; SIGKILL after 10 s.
fn stop(driver: &mut Child) {
    if let Ok(Some(_)) = driver.try_wait() {
        return;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &driver.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = driver.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = driver.kill();
    let _ = driver.wait();
}
