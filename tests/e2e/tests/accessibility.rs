//! End-to-end: accessibility checked by axe-core on every page and every dialog of the real window, in the light
//! and the dark theme. Any serious or critical violation fails (see `sbx_e2e`'s `axe` module); the pages are
//! reached and the dialogs opened as a user would, with a real sandbox, snapshot and profile so that tables, the
//! detail page, the terminal and the row actions are there.

use anyhow::Result;
use sbx_e2e::{TEST_PRESET, TestApp, attr_css};
use std::time::Duration;

/// Long enough for a first build of the test preset and a container start on a slow machine.
const READY: Duration = Duration::from_secs(90);
/// For UI reactions.
const SOON: Duration = Duration::from_secs(20);
/// A full snapshot of a small container.
const CAPTURED: Duration = Duration::from_secs(120);

const SANDBOX: &str = "a11y-box";
const SNAPSHOT: &str = "a11y-snap";

/// Open the dialog `label` with the button `opener`, check it, and cancel it.
async fn check_dialog(app: &TestApp, opener: &str, label: &str, theme: &str) -> Result<()> {
    app.click_label(opener).await?;
    app.wait_for_css(
        &format!("[role=dialog]{}", attr_css("aria-label", label)),
        SOON,
    )
    .await?;
    // Dialogs fill in what they fetch (presets, previews) right after opening.
    tokio::time::sleep(Duration::from_millis(800)).await;
    app.check_accessibility(&format!("the {label} dialog ({theme})"))
        .await?;
    app.click_label("Cancel").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await
}

/// Go to page `title` and check it.
async fn check_page(app: &TestApp, title: &str, theme: &str) -> Result<()> {
    app.go_to(title).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.check_accessibility(&format!("the {title} page ({theme})"))
        .await
}

/// The pages and dialogs there are once a sandbox, its snapshot and a profile exist.
async fn check_everything(app: &TestApp, theme: &str) -> Result<()> {
    check_page(app, "Sandboxes", theme).await?;
    app.wait_for_sandbox_status(SANDBOX, "running", READY)
        .await?;
    app.check_accessibility(&format!("the Sandboxes table ({theme})"))
        .await?;
    check_dialog(app, "Create Sandbox", "Create Sandbox", theme).await?;
    app.open_sandbox(SANDBOX).await?;
    app.wait_for_detail_status("running", READY).await?;
    app.check_accessibility(&format!("a sandbox's page ({theme})"))
        .await?;
    check_dialog(app, "Take Snapshot", "Take Snapshot", theme).await?;
    check_dialog(app, "Clone", "Clone sandbox", theme).await?;
    app.click_label("Open terminal").await?;
    app.wait_for_css(&attr_css("aria-label", "Terminal input"), SOON)
        .await?;
    app.check_accessibility(&format!("a sandbox's terminal ({theme})"))
        .await?;
    app.click_label("Close terminal").await?;
    app.click_label("Delete").await?;
    app.wait_for_css(&attr_css("aria-label", "Confirm delete"), SOON)
        .await?;
    app.check_accessibility(&format!("the delete confirmation ({theme})"))
        .await?;
    app.click_label("Cancel").await?;

    check_page(app, "Snapshots", theme).await?;
    app.wait_for_snapshot_status(SNAPSHOT, "active", SOON)
        .await?;
    check_dialog(
        app,
        &format!("Restore {SNAPSHOT}"),
        "Restore snapshot",
        theme,
    )
    .await?;
    check_dialog(
        app,
        &format!("Delete {SNAPSHOT}"),
        "Confirm snapshot deletion",
        theme,
    )
    .await?;
    check_page(app, "Repositories", theme).await?;
    check_page(app, "Profiles", theme).await?;
    check_dialog(app, "New Profile", "New Profile", theme).await?;
    check_page(app, "Settings", theme).await?;
    app.wait_for_css(".engine-link", SOON)
        .await?
        .click()
        .await?;
    app.wait_for_css(".engine-server-version", SOON).await?;
    app.check_accessibility(&format!("the Engine page ({theme})"))
        .await
}

#[tokio::test]
#[ignore = "needs the built app, a display, tauri-driver and axe-core: run through `cargo xtask test`"]
async fn every_page_and_dialog_passes_axe_in_both_themes() -> Result<()> {
    let app = TestApp::launch().await?;

    // The empty states first.
    for page in ["Sandboxes", "Snapshots", "Repositories", "Profiles"] {
        check_page(&app, page, "light, empty").await?;
    }

    // A sandbox and a full snapshot of it, through the dialogs.
    app.go_to("Sandboxes").await?;
    app.click_label("Create Sandbox").await?;
    app.wait_for_css("[role=dialog]", SOON).await?;
    app.fill_label("Name", SANDBOX).await?;
    app.select_value("Preset", TEST_PRESET).await?;
    app.click_label("Create").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    app.open_sandbox(SANDBOX).await?;
    app.wait_for_detail_status("running", READY).await?;
    app.click_label("Take Snapshot").await?;
    app.wait_for_css("[role=dialog][aria-label=\"Take Snapshot\"]", SOON)
        .await?;
    app.fill_label("Snapshot name", SNAPSHOT).await?;
    app.click_label("Full snapshot").await?;
    app.click_label("Create snapshot").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    app.wait_for_css_text(
        ".capture-status",
        &format!("Snapshot {SNAPSHOT} is active"),
        CAPTURED,
    )
    .await?;

    check_everything(&app, "light").await?;

    app.go_to("Settings").await?;
    app.select_value("Theme", "dark").await?;
    app.click_label("Save settings").await?;
    app.wait_for_css("html[data-theme=dark]", SOON).await?;
    check_everything(&app, "dark").await?;

    app.finish().await
}
