//! End-to-end: every page of the real window — empty states that say what to do next, keyboard navigation with a
//! visible focus ring, status badges, and the dark theme chosen in Settings (saved, and applied to every page).

use anyhow::{Result, ensure};
use fantoccini::key::Key;
use sbx_e2e::{TEST_PRESET, TestApp, attr_css};
use std::time::Duration;

/// Long enough for a first build of the test preset and a container start on a slow machine.
const READY: Duration = Duration::from_secs(90);
/// For UI reactions.
const SOON: Duration = Duration::from_secs(20);

/// Create a sandbox `name` with the test preset and `setup` as its setup script, through the dialog.
async fn create(app: &TestApp, name: &str, setup: &str) -> Result<()> {
    app.click_label("Create Sandbox").await?;
    app.wait_for_css("[role=dialog]", SOON).await?;
    app.fill_label("Name", name).await?;
    app.select_value("Preset", TEST_PRESET).await?;
    app.fill_label("Setup script", setup).await?;
    app.click_label("Create").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await
}

#[tokio::test]
#[ignore = "needs the built app, a display and tauri-driver: run through `cargo xtask test`"]
async fn empty_states_keyboard_focus_badges_and_the_dark_theme() -> Result<()> {
    let app = TestApp::launch().await?;

    // The frame `index.html` paints while the module loads is gone once the app has drawn its own: one name, one
    // sidebar.
    app.wait_for_no_css("#shell", SOON).await?;
    let brands = app
        .client
        .find_all(fantoccini::Locator::Css(".brand"))
        .await?;
    ensure!(brands.len() == 1, "{} .brand elements", brands.len());

    // Empty states say what to do next.
    app.wait_for_text("No sandboxes yet — Create Sandbox", SOON)
        .await?;
    app.go_to("Snapshots").await?;
    app.wait_for_text("No snapshots yet", SOON).await?;
    app.screenshot("snapshots-empty").await?;
    app.go_to("Repositories").await?;
    app.wait_for_text("No repositories yet", SOON).await?;
    app.go_to("Profiles").await?;
    app.screenshot("profiles").await?;
    app.go_to("Sandboxes").await?;

    // The keyboard reaches Create Sandbox with a visible focus ring; Enter opens the dialog with the focus in
    // its first field; Escape closes it and gives the focus back.
    let focused = app.tab_to("Create Sandbox", 12).await?;
    ensure!(focused.ring, "no focus ring on Create Sandbox: {focused:?}");
    app.screenshot("keyboard-focus").await?;
    app.press(Key::Enter).await?;
    app.wait_for_css("[role=dialog][aria-label=\"Create Sandbox\"]", SOON)
        .await?;
    let first = sbx_e2e::wait_until("the focus in the dialog", SOON, || async {
        let focused = app.focused().await?;
        Ok((focused.label == "Repository").then_some(focused))
    })
    .await?;
    ensure!(first.tag == "input", "focused: {first:?}");
    app.press(Key::Escape).await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    let back = app.focused().await?;
    ensure!(
        back.label == "Create Sandbox",
        "focus after Escape: {back:?}"
    );

    // Badges: setting up blue with a spinner (live, as setup runs), running green, setup-failed red.
    create(&app, "green-box", "true").await?;
    create(&app, "red-box", "echo nope; exit 1").await?;
    create(&app, "slow-box", "echo preparing; sleep 8").await?;
    app.wait_for_sandbox_status("slow-box", "setting-up", READY)
        .await?;
    let slow = attr_css("data-sandbox", "slow-box");
    app.wait_for_css(&format!("{slow} .badge .spinner"), SOON)
        .await?;
    let busy = app
        .computed_style(&format!("{slow} .badge"), "color")
        .await?;
    ensure!(
        busy == "rgb(9, 105, 218)",
        "setting-up badge colour: {busy}"
    );
    app.screenshot("sandboxes-busy").await?;
    app.wait_for_sandbox_status("slow-box", "running", READY)
        .await?;
    app.wait_for_sandbox_status("green-box", "running", READY)
        .await?;
    app.wait_for_sandbox_status("red-box", "setup-failed", READY)
        .await?;
    let green = format!("{} .badge", attr_css("data-sandbox", "green-box"));
    let red = format!("{} .badge", attr_css("data-sandbox", "red-box"));
    let light_ok = app.computed_style(&green, "color").await?;
    let light_bad = app.computed_style(&red, "color").await?;
    ensure!(
        light_ok == "rgb(26, 127, 55)",
        "running badge colour: {light_ok}"
    );
    ensure!(
        light_bad == "rgb(207, 34, 46)",
        "setup-failed badge colour: {light_bad}"
    );

    // A row is reachable by keyboard, with its focus ring, and Enter opens it.
    let row = app.tab_to("green-box", 20).await?;
    ensure!(row.ring, "no focus ring on the row: {row:?}");
    app.screenshot("sandboxes-keyboard").await?;
    app.press(Key::Enter).await?;
    app.wait_for_css_text(".detail-head h1", "green-box", SOON)
        .await?;
    app.go_to("Sandboxes").await?;

    // Settings: the dark theme, saved and applied.
    app.go_to("Settings").await?;
    app.wait_for_css(&attr_css("aria-label", "Theme"), SOON)
        .await?;
    app.screenshot("settings").await?;
    app.select_value("Theme", "dark").await?;
    // The default preset is picked from the presets there are.
    app.select_value("Default preset", TEST_PRESET).await?;
    app.click_label("Save settings").await?;
    app.wait_for_text("Saved.", SOON).await?;
    let theme = app
        .wait_for_css("html[data-theme=dark]", SOON)
        .await?
        .attr("data-theme")
        .await?;
    ensure!(theme.as_deref() == Some("dark"));
    let background = app.computed_style("body", "background-color").await?;
    ensure!(background == "rgb(13, 17, 23)", "dark body: {background}");
    app.screenshot("settings-dark").await?;
    // A new sandbox starts from it.
    app.go_to("Sandboxes").await?;
    app.click_label("Create Sandbox").await?;
    sbx_e2e::wait_until("the default preset preselected", SOON, || async {
        let shown = app.selected_option_text("Preset").await?;
        Ok((shown == TEST_PRESET).then_some(()))
    })
    .await?;
    app.click_label("Cancel").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;

    app.go_to("Sandboxes").await?;
    app.wait_for_sandbox_status("green-box", "running", SOON)
        .await?;
    let dark_ok = app.computed_style(&green, "color").await?;
    let dark_bad = app.computed_style(&red, "color").await?;
    ensure!(
        dark_ok == "rgb(63, 185, 80)",
        "dark running badge: {dark_ok}"
    );
    ensure!(
        dark_bad == "rgb(248, 81, 73)",
        "dark setup-failed badge: {dark_bad}"
    );
    app.screenshot("sandboxes-dark").await?;
    app.open_sandbox("red-box").await?;
    app.wait_for_css_text("h2.setup-failed", "Setup failed", SOON)
        .await?;
    app.screenshot("setup-failed-dark").await?;
    app.go_to("Sandboxes").await?;
    create_dialog_dark(&app).await?;
    app.finish().await
}

/// The Create Sandbox dialog in the dark theme.
async fn create_dialog_dark(app: &TestApp) -> Result<()> {
    app.click_label("Create Sandbox").await?;
    app.wait_for_css("[role=dialog]", SOON).await?;
    app.select_value("Preset", TEST_PRESET).await?;
    app.fill_label("CPUs", "64").await?;
    app.wait_for_css_text("#create-fix", "CPUs", SOON).await?;
    app.screenshot("create-dialog-dark").await?;
    app.click_label("Cancel").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await
}
