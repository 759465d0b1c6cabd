//! What the tests read and do on particular pages, as helpers on [`App`]: the sidebar, the Sandboxes and
//! Snapshots tables (a row's status badge), and a sandbox's detail page (its status, running a command).

use anyhow::{Context, Result};
use fantoccini::Locator;
use std::time::Duration;

use crate::app::{App, attr_css, wait_for_shown};

/// The sidebar.
impl App {
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
}

/// The Sandboxes and Snapshots pages.
impl App {
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
}

/// A sandbox's detail page.
impl App {
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
