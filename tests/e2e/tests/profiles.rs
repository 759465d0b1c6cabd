//! End-to-end: a sandbox profile through the real window against the real engine — New Profile (a name, the test
//! preset and a setup script), Publish, the version's badge going to ready live (the app's background runner runs
//! the snapshot job; its output shows in the viewer), the Profiles table's ready badge, then Create Sandbox with that
//! Profile: the sandbox runs, the file the setup script made is there, and the setup script did not run again.

use anyhow::{Context, Result, ensure};
use sbx_e2e::{TEST_PRESET, TestApp, attr_css, wait_for_shown};
use std::time::Duration;

/// A first build of the test preset, the one-off sandbox, its setup, the scrub and the commit, on a slow machine.
const BAKED: Duration = Duration::from_secs(180);
/// For UI reactions to what the engine did.
const SOON: Duration = Duration::from_secs(20);
/// Long enough for a container start on a slow machine.
const READY: Duration = Duration::from_secs(90);

/// Wait until the badge inside the element `css` reads `status`.
async fn wait_for_badge(app: &TestApp, css: &str, status: &str, timeout: Duration) -> Result<()> {
    let badge = format!("{css} .badge");
    let waited = wait_for_shown(
        &format!("{css} showing {status}"),
        timeout,
        || app.text_of(&badge),
        |shown| shown.trim() == status,
    )
    .await;
    if let Err(error) = waited {
        let page = app.body_text().await.unwrap_or_default();
        return Err(error.context(format!("the page shows:\n{page}")));
    }
    Ok(())
}

#[tokio::test]
#[ignore = "needs the built app, a display and tauri-driver: run through `cargo xtask test`"]
async fn new_profile_publish_ready_then_create_a_sandbox_with_that_profile() -> Result<()> {
    let app = TestApp::launch().await?;
    let profile = "e2e-tools";
    app.go_to("Profiles").await?;
    app.wait_for_text("No profiles yet", SOON).await?;

    // New Profile: a name, the recipe (the Create dialog's own fields).
    app.click_label("New Profile").await?;
    app.wait_for_css("[role=dialog][aria-label=\"New Profile\"]", SOON)
        .await?;
    app.fill_label("Profile name", profile).await?;
    app.select_value("Preset", TEST_PRESET).await?;
    app.fill_label(
        "Setup script",
        "echo baked-by-setup > /root/baked\necho setup-says-hello\necho run >> /root/setup-runs",
    )
    .await?;
    app.fill_label("Environment", "TOOLS_MODE=baked").await?;
    ensure!(
        app.is_enabled("Create profile").await?,
        "Create profile is disabled with valid fields"
    );
    app.screenshot("profile-new").await?;
    app.click_label("Create profile").await?;
    app.wait_for_no_css("[role=dialog]", SOON)
        .await
        .context("the New Profile dialog did not close")?;

    // The profile's page: its draft, then Publish.
    app.wait_for_css_text(".page-head h1", profile, SOON)
        .await?;
    app.wait_for_text("Draft (not published)", SOON).await?;
    app.click_label("Publish").await?;
    // (The page's "Published version 1" notice can be gone by now: a fast job re-renders the page.)
    let version = attr_css("data-version", "1");
    app.wait_for_css(&version, SOON).await?;
    // The job's output, live, then the ready badge, without a reload.
    app.click_label("Output of version 1").await?;
    wait_for_badge(&app, &version, "ready", BAKED).await?;
    let output = app
        .wait_for_css_text("pre.log", "setup-says-hello", SOON)
        .await
        .context("the job output shows the setup script's line")?;
    ensure!(output.contains("==> committing"), "{output}");
    app.screenshot("profile-detail").await?;

    // The Profiles table: ready, version 1 usable.
    app.click_label("Back to Profiles").await?;
    let row = attr_css("data-profile", profile);
    wait_for_badge(&app, &row, "ready", SOON).await?;
    let text = app.text_of(&row).await?.unwrap_or_default();
    ensure!(
        text.contains("version 1"),
        "the row names the usable version: {text}"
    );
    app.screenshot("profiles").await?;

    // Create Sandbox with that Profile.
    app.go_to("Sandboxes").await?;
    app.click_label("Create Sandbox").await?;
    app.wait_for_css("[role=dialog][aria-label=\"Create Sandbox\"]", SOON)
        .await?;
    let name = "from-profile";
    app.fill_label("Name", name).await?;
    app.select_value("Profile", profile).await?;
    ensure!(
        app.is_enabled("Create").await?,
        "Create is disabled with a profile chosen"
    );
    app.click_label("Create").await?;
    app.wait_for_no_css("[role=dialog]", SOON)
        .await
        .context("the Create Sandbox dialog did not close")?;
    app.wait_for_sandbox_status(name, "running", READY).await?;
    app.open_sandbox(name).await?;
    app.run_command("cat /root/baked", "baked-by-setup").await?;
    // The setup script ran once, in the snapshot job, not at launch.
    let (runs, _) = app.run_command("wc -l < /root/setup-runs", "1").await?;
    ensure!(runs.trim().ends_with('1'), "setup runs: {runs}");
    app.run_command("echo mode=$TOOLS_MODE", "mode=baked")
        .await?;
    app.finish().await
}
