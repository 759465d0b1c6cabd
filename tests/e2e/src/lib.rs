//! End-to-end harness: launches the built app under tauri-driver (which drives WebKitWebDriver), with its own
//! data dir and environment, and gives the test a WebDriver client on the real window.
//!
//! [`TestApp`] is what most tests use: the app on its own data dir (with the busybox-based `e2e` preset) and its own
//! `HOME`, and a guard that removes every container, image and volume labelled with that data dir's instance
//! when the test ends, passed or failed. The `App` helpers find controls by accessible label or `data-*`
//! attribute, wait for what the user sees (never a fixed sleep), and save screenshots.
//!
//! The tests are `#[ignore]`d: they need the built app, an X display and tauri-driver, which `cargo xtask test`
//! provides (it runs them with `--ignored`, one at a time: each drives a whole app on one shared X display).

use anyhow::{Context, Result, anyhow, bail};
use bollard::query_parameters::ListImagesOptionsBuilder;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
async fn start_window(
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

    /// Launch the app as `launch` says. A window that does not come up is started once more (the first failure is
    /// printed in full, so it stays visible in the test output).
    pub async fn launch_with(launch: Launch) -> Result<App> {
        const ATTEMPTS: u32 = 2;
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
        let mut attempt = 1;
        loop {
            match start_window(&binary, &launch.env, home.path()).await {
                Ok((client, driver)) => {
                    return Ok(App {
                        client,
                        driver,
                        home,
                    });
                }
                Err(error) if attempt < ATTEMPTS => {
                    eprintln!(
                        "e2e: the app window did not come up (attempt {attempt} of {ATTEMPTS}); starting it again. \
                         Why:\n{error:?}"
                    );
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
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

    /// Replace the value of the input with this accessible label. A `\n` in `text` is typed as the Enter key (a
    /// new line in a textarea): WebKitWebDriver drops a plain `\n`.
    pub async fn fill_label(&self, label: &str, text: &str) -> Result<()> {
        let input = self.by_label(label).await?;
        input.clear().await?;
        if !text.is_empty() {
            let enter = char::from(fantoccini::key::Key::Enter).to_string();
            input.send_keys(&text.replace('\n', &enter)).await?;
        }
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

    /// Close the window and stop the driver (and the app, should it outlive them).
    pub async fn close(mut self) -> Result<()> {
        let client = self.client.clone();
        let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
        stop_driver(&mut self.driver);
        stop_app(self.home.path());
        Ok(())
    }
}

impl Drop for App {
    fn drop(&mut self) {
        stop_driver(&mut self.driver);
        stop_app(self.home.path());
    }
}

/// Stop every process started with `SANDBOX_DESKTOP_HOME=home`: WebKitWebDriver does not always stop the app it
/// launched when it is stopped itself, and a stray app would keep running background work on this data dir.
fn stop_app(home: &Path) {
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

/// Poll `check` every 150 ms until it answers `Some`; fail after `timeout`, naming `what` and the last error.
pub async fn wait_until<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let started = Instant::now();
    let mut last_error = None;
    loop {
        match check().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(error) => last_error = Some(error),
        }
        if started.elapsed() > timeout {
            return Err(match last_error {
                Some(error) => error.context(format!("{what}: not within {timeout:?}")),
                None => anyhow!("{what}: not within {timeout:?}"),
            });
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Poll `probe` (what the page shows now, if anything) until `wanted` accepts it; on timeout the error quotes the
/// last thing shown.
pub async fn wait_for_shown<F, Fut>(
    what: &str,
    timeout: Duration,
    mut probe: F,
    wanted: impl Fn(&str) -> bool,
) -> Result<String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<String>>>,
{
    let last = std::cell::RefCell::new(None::<String>);
    let waited = wait_until(what, timeout, || {
        let shown = probe();
        let last = &last;
        let wanted = &wanted;
        async move {
            let shown = shown.await?;
            let matched = shown.as_deref().filter(|t| wanted(t)).map(str::to_string);
            *last.borrow_mut() = shown;
            Ok(matched)
        }
    })
    .await;
    waited.with_context(|| match last.borrow().as_ref() {
        Some(shown) => format!("it shows:\n{shown}"),
        None => "it is not shown".to_string(),
    })
}

/// A CSS attribute selector `[name="value"]`, quoting `value`.
pub fn attr_css(name: &str, value: &str) -> String {
    format!(
        "[{name}=\"{}\"]",
        value.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

impl App {
    /// The first element matching `css` now, if any.
    pub async fn find_css(&self, css: &str) -> Result<Option<Element>> {
        Ok(self
            .client
            .find_all(Locator::Css(css))
            .await?
            .into_iter()
            .next())
    }

    /// The visible text of the first element matching `css` now, if there is one.
    pub async fn text_of(&self, css: &str) -> Result<Option<String>> {
        match self.find_css(css).await? {
            Some(element) => Ok(Some(element.text().await?)),
            None => Ok(None),
        }
    }

    /// Wait until the first element matching `css` shows `text`; answers all its text.
    pub async fn wait_for_css_text(
        &self,
        css: &str,
        text: &str,
        timeout: Duration,
    ) -> Result<String> {
        wait_for_shown(
            &format!("`{css}` showing `{text}`"),
            timeout,
            || self.text_of(css),
            |shown| shown.contains(text),
        )
        .await
    }

    /// Wait until no element matches `css`.
    pub async fn wait_for_no_css(&self, css: &str, timeout: Duration) -> Result<()> {
        wait_for_shown(
            &format!("`{css}` gone"),
            timeout,
            || async {
                Ok(Some(match self.find_css(css).await? {
                    Some(element) => element.text().await?,
                    None => String::new(),
                }))
            },
            str::is_empty,
        )
        .await
        .map(drop)
    }

    /// Click the sidebar's button for the page `title` (Sandboxes, Snapshots, Repositories, Profiles, Settings).
    pub async fn go_to(&self, title: &str) -> Result<()> {
        let xpath = format!("//nav[@aria-label='Pages']//button[normalize-space()='{title}']");
        let button = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(&xpath))
            .await
            .with_context(|| format!("no sidebar button `{title}`"))?;
        button.click().await?;
        self.wait_for_css_text(".page-head h1", title, Duration::from_secs(10))
            .await?;
        Ok(())
    }

    /// Pick the option with `value` in the select with the accessible label `label`.
    pub async fn select_value(&self, label: &str, value: &str) -> Result<()> {
        let select = self.by_label(label).await?;
        let option = attr_css("value", value);
        wait_until(
            &format!("an option `{value}` in `{label}`"),
            Duration::from_secs(15),
            || async {
                Ok(select
                    .find_all(Locator::Css(&format!("option{option}")))
                    .await?
                    .into_iter()
                    .next())
            },
        )
        .await?;
        select
            .select_by_value(value)
            .await
            .with_context(|| format!("picking `{value}` in `{label}`"))?;
        let picked = select.prop("value").await?.unwrap_or_default();
        if picked != value {
            bail!("`{label}` shows `{picked}` after picking `{value}`");
        }
        Ok(())
    }

    /// The text of the option shown selected in the select with the accessible label `label`.
    pub async fn selected_option_text(&self, label: &str) -> Result<String> {
        let select = self.by_label(label).await?;
        for option in select.find_all(Locator::Css("option")).await? {
            if option.is_selected().await? {
                return Ok(option.text().await?.trim().to_string());
            }
        }
        Ok(String::new())
    }

    /// Whether the control with the accessible label `label` is enabled.
    pub async fn is_enabled(&self, label: &str) -> Result<bool> {
        Ok(self.by_label(label).await?.is_enabled().await?)
    }

    /// Whether the checkbox with the accessible label `label` is checked.
    pub async fn is_checked(&self, label: &str) -> Result<bool> {
        Ok(self.by_label(label).await?.is_selected().await?)
    }

    /// The status badge of the sandbox `name` in the Sandboxes table, if its row is there.
    pub async fn sandbox_row_status(&self, name: &str) -> Result<Option<String>> {
        self.text_of(&format!("{} .badge", attr_css("data-sandbox", name)))
            .await
    }

    /// Wait until the Sandboxes table shows the sandbox `name` with the badge `status`.
    pub async fn wait_for_sandbox_status(
        &self,
        name: &str,
        status: &str,
        timeout: Duration,
    ) -> Result<()> {
        self.wait_for_badge("sandbox", name, status, timeout).await
    }

    /// Wait until the row whose `data-<kind>` is `name` shows the badge `status`.
    async fn wait_for_badge(
        &self,
        kind: &str,
        name: &str,
        status: &str,
        timeout: Duration,
    ) -> Result<()> {
        let badge = format!("{} .badge", attr_css(&format!("data-{kind}"), name));
        let waited = wait_for_shown(
            &format!("{kind} {name} listed as {status}"),
            timeout,
            || self.text_of(&badge),
            |shown| shown.trim() == status,
        )
        .await;
        self.with_page_text(waited).await
    }

    /// The status badge of the snapshot `name` in the Snapshots table, if its row is there.
    pub async fn snapshot_row_status(&self, name: &str) -> Result<Option<String>> {
        self.text_of(&format!("{} .badge", attr_css("data-snapshot", name)))
            .await
    }

    /// Wait until the Snapshots table shows the snapshot `name` with the badge `status`.
    pub async fn wait_for_snapshot_status(
        &self,
        name: &str,
        status: &str,
        timeout: Duration,
    ) -> Result<()> {
        self.wait_for_badge("snapshot", name, status, timeout).await
    }

    /// Open the detail page of the sandbox `name` by clicking its row in the Sandboxes table.
    pub async fn open_sandbox(&self, name: &str) -> Result<()> {
        self.wait_for_css(&attr_css("data-sandbox", name), Duration::from_secs(15))
            .await?
            .click()
            .await
            .with_context(|| format!("clicking the row of {name}"))?;
        self.wait_for_css_text(".detail-head h1", name, Duration::from_secs(15))
            .await?;
        Ok(())
    }

    /// A failed wait gets the page's whole text as context: what else it says (a failed job, an alert) is what
    /// explains a state that never came.
    async fn with_page_text<T>(&self, waited: Result<T>) -> Result<()> {
        match waited {
            Ok(_) => Ok(()),
            Err(error) => {
                let page = self.body_text().await.unwrap_or_default();
                Err(error.context(format!("the page shows:\n{page}")))
            }
        }
    }

    /// The status badge in a sandbox detail page's header.
    pub async fn detail_status(&self) -> Result<Option<String>> {
        self.text_of(".detail-head .badge").await
    }

    /// Wait until the sandbox detail page's header shows the badge `status`.
    pub async fn wait_for_detail_status(&self, status: &str, timeout: Duration) -> Result<()> {
        let waited = wait_for_shown(
            &format!("the detail page showing {status}"),
            timeout,
            || self.detail_status(),
            |shown| shown.trim() == status,
        )
        .await;
        self.with_page_text(waited).await
    }

    /// On a sandbox detail page: type `command` into "Run a command", press Run, and wait until the command output
    /// shows `expect`. Answers the output and the exit-code line.
    pub async fn run_command(&self, command: &str, expect: &str) -> Result<(String, String)> {
        self.fill_label("Command", command).await?;
        self.click_label("Run").await?;
        let output = self
            .wait_for_css_text(
                &attr_css("aria-label", "Command output"),
                expect,
                Duration::from_secs(30),
            )
            .await
            .with_context(|| format!("running `{command}`"))?;
        let exit = self
            .text_of(".command .exit-code")
            .await?
            .unwrap_or_default();
        Ok((output, exit))
    }
}

/// The test preset's name: a user preset whose Dockerfile is `FROM` the busybox test image.
pub const TEST_PRESET: &str = "e2e";

/// The instance id of the data dir `dir`, exactly as the app computes it.
pub fn instance_of(dir: &Path) -> Result<String> {
    Ok(sbx_core::Paths::at(dir)?.instance().to_string())
}

/// Names of the engine objects labelled with `instance`: (containers, volumes, images).
pub async fn engine_objects(instance: &str) -> Result<(Vec<String>, Vec<String>, Vec<String>)> {
    let docker = docker().await?;
    Ok(sbx_core::purge::labelled(&docker, instance).await?)
}

/// Remove every container, image and volume labelled with `instance`, and the images named `repositories`
/// (any tag). Best effort: what is left afterwards is reported, not fatal.
pub async fn remove_engine_objects(instance: &str, repositories: &[String]) -> Vec<String> {
    let docker = match docker().await {
        Ok(docker) => docker,
        Err(error) => return vec![format!("no engine: {error}")],
    };
    sbx_core::purge::purge_instance(&docker, instance).await;
    let mut problems = Vec::new();
    if !repositories.is_empty() {
        match docker
            .list_images(Some(ListImagesOptionsBuilder::default().build()))
            .await
        {
            Ok(list) => {
                for tag in list.into_iter().flat_map(|i| i.repo_tags) {
                    let named = tag.rsplit_once(':').is_some_and(|(repository, _)| {
                        repositories.iter().any(|r| r == repository)
                    });
                    if named
                        && let Err(error) = docker
                            .remove_image(
                                &tag,
                                None::<bollard::query_parameters::RemoveImageOptions>,
                                None,
                            )
                            .await
                    {
                        problems.push(format!("image {tag}: {error}"));
                    }
                }
            }
            Err(error) => problems.push(format!("listing images: {error}")),
        }
    }
    match engine_objects(instance).await {
        Ok((containers, volumes, images)) => {
            problems.extend(
                containers
                    .into_iter()
                    .map(|c| format!("container {c} left")),
            );
            problems.extend(volumes.into_iter().map(|v| format!("volume {v} left")));
            problems.extend(images.into_iter().map(|i| format!("image {i} left")));
        }
        Err(error) => problems.push(format!("listing what is left: {error}")),
    }
    problems
}

/// Removes the engine objects of a data dir when dropped — also when the test failed or panicked. A test process
/// killed outright runs no Drop: each clean-up is therefore written down first (see [`unfinished_dir`], with the
/// test process's pid) and crossed out when done, and the next test finishes what a dead process left.
pub struct EngineCleanup {
    instance: String,
    repositories: Vec<String>,
}

/// Where unfinished clean-ups are written down: one file per instance, the pid on its first line, then the image
/// repositories to remove. In the machine's temporary folder, not under `target/`: a run killed in one clone of
/// the repository is cleaned up by the next run in any other clone (they share the engine).
fn unfinished_dir() -> PathBuf {
    std::env::temp_dir().join("sandbox-desktop-e2e-unfinished")
}

/// Run `remove_engine_objects` on a thread and runtime of its own (callers may be inside a runtime, or
/// unwinding) and answer what is left.
fn remove_on_own_thread(instance: String, repositories: Vec<String>) -> Vec<String> {
    let worker = std::thread::spawn(move || {
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(remove_engine_objects(&instance, &repositories)),
            Err(error) => vec![format!("no runtime for the clean-up: {error}")],
        }
    });
    worker
        .join()
        .unwrap_or_else(|_| vec!["the clean-up panicked".to_string()])
}

/// Finish the clean-ups written down by test processes that are gone (killed before their Drop ran).
fn finish_unfinished_cleanups() {
    let Ok(entries) = std::fs::read_dir(unfinished_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let (Some(instance), Ok(text)) = (
            path.file_name()
                .and_then(|n| n.to_str())
                .map(str::to_string),
            std::fs::read_to_string(&path),
        ) else {
            continue;
        };
        let mut lines = text.lines();
        let pid = lines.next().and_then(|l| l.trim().parse::<u32>().ok());
        if pid.is_some_and(sbx_core::jobs::process_alive) {
            continue;
        }
        let repositories = lines.map(str::to_string).collect();
        let problems = remove_on_own_thread(instance.clone(), repositories);
        if problems.is_empty() {
            let _ = std::fs::remove_file(&path);
        } else {
            for problem in problems {
                eprintln!("e2e clean-up left by an earlier run, instance {instance}: {problem}");
            }
        }
    }
}

impl EngineCleanup {
    /// Clean up after the data dir whose instance is `instance`, and the images named `repositories`. First
    /// finishes what killed test runs left behind (their sandboxes would hold the names this test uses).
    pub fn new(instance: impl Into<String>, repositories: Vec<String>) -> EngineCleanup {
        finish_unfinished_cleanups();
        let instance = instance.into();
        let note = std::iter::once(std::process::id().to_string())
            .chain(repositories.iter().cloned())
            .collect::<Vec<_>>()
            .join("\n");
        if let Err(error) = std::fs::create_dir_all(unfinished_dir())
            .and_then(|()| std::fs::write(unfinished_dir().join(&instance), note))
        {
            eprintln!("e2e clean-up of instance {instance} not written down: {error}");
        }
        EngineCleanup {
            instance,
            repositories,
        }
    }
}

impl Drop for EngineCleanup {
    fn drop(&mut self) {
        let problems = remove_on_own_thread(self.instance.clone(), self.repositories.clone());
        if problems.is_empty() {
            let _ = std::fs::remove_file(unfinished_dir().join(&self.instance));
        }
        for problem in problems {
            eprintln!("e2e clean-up of instance {}: {problem}", self.instance);
        }
    }
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
        let app = App::launch_with(Launch {
            env: vec![("HOME".into(), user_home.path().display().to_string())],
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

/// What has the keyboard focus: its accessible label (or text), tag, and whether a focus ring is drawn around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Focused {
    /// `aria-label`, else the sandbox a Sandboxes row is of (`data-sandbox`), else the visible text; trimmed.
    pub label: String,
    /// The lower-case tag name.
    pub tag: String,
    /// Whether the computed outline is drawn (style not `none`, width not zero).
    pub ring: bool,
}

impl App {
    /// Press `key` on whatever has the keyboard focus.
    pub async fn press(&self, key: fantoccini::key::Key) -> Result<()> {
        let focused = self.client.active_element().await?;
        focused.send_keys(&char::from(key).to_string()).await?;
        Ok(())
    }

    /// What has the keyboard focus now.
    pub async fn focused(&self) -> Result<Focused> {
        let answer = self
            .client
            .execute(
                r#"const e = document.activeElement;
                   if (!e) return null;
                   const s = getComputedStyle(e);
                   return {
                     label: (e.getAttribute('aria-label') || e.getAttribute('data-sandbox') || e.innerText || '').trim(),
                     tag: e.tagName.toLowerCase(),
                     ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
                   };"#,
                vec![],
            )
            .await?;
        Ok(Focused {
            label: answer["label"].as_str().unwrap_or_default().to_string(),
            tag: answer["tag"].as_str().unwrap_or_default().to_string(),
            ring: answer["ring"].as_bool().unwrap_or(false),
        })
    }

    /// Press Tab until the control labelled `label` has the focus (at most `limit` presses); answers what is focused.
    pub async fn tab_to(&self, label: &str, limit: usize) -> Result<Focused> {
        for _ in 0..limit {
            self.press(fantoccini::key::Key::Tab).await?;
            let focused = self.focused().await?;
            if focused.label == label {
                return Ok(focused);
            }
        }
        bail!("Tab did not reach `{label}` in {limit} presses")
    }

    /// A computed style property of the first element matching `css`.
    pub async fn computed_style(&self, css: &str, property: &str) -> Result<String> {
        let answer = self
            .client
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? getComputedStyle(e).getPropertyValue(arguments[1]) : null;",
                vec![css.into(), property.into()],
            )
            .await?;
        answer
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("nothing matches `{css}`"))
    }
}
