//! The running app window ([`App`]) and what any test does with it: launch (started once more if the window does
//! not come up), the generic waits (for an element, a text, a value; [`wait_until`] and [`wait_for_shown`] for
//! anything else), the generic actions (click, fill, pick, press, tab), screenshots, and closing.

use anyhow::{Context, Result, anyhow, bail};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use std::future::Future;
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::driver::{app_binary, start_window, stop_app, stop_driver, workspace_root};

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
        // A field below the dialog's fold is scrolled to first: WebKitWebDriver will not type into what it
        // cannot see.
        let element = serde_json::to_value(&input)?;
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![element],
            )
            .await
            .map_err(|e| anyhow!("scrolling to `{label}`: {e:?}"))?;
        input
            .clear()
            .await
            .map_err(|e| anyhow!("clearing `{label}`: {e:?}"))?;
        if !text.is_empty() {
            let enter = char::from(fantoccini::key::Key::Enter).to_string();
            input
                .send_keys(&text.replace('\n', &enter))
                .await
                .map_err(|e| anyhow!("typing into `{label}`: {e:?}"))?;
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
