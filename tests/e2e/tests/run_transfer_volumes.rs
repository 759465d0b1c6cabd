//! End-to-end: the window's pieces of issue 12, clicked through in the real window against the real engine — the
//! Create dialog's Main command and automatic snapshots (the schedule required, the next fire time on the sandbox's
//! page), a main command that exits shown like a setup failure, the sandbox page's list of its snapshots (and the
//! one it came from) with Restore, Export (with the secrets warning) and Import on the Snapshots page, and the
//! Volumes page (sizes, orphaned, Delete with a confirmation naming the volume).
//!
//! No native file dialog can be driven through WebDriver: the app is launched with [`TEST_FILE_ENV`] set, which
//! its file dialogs answer with instead of showing one; the export and import from that path on are real.

use anyhow::{Context, Result, ensure};
use sbx_e2e::{TEST_FILE_ENV, TEST_PRESET, TestApp, attr_css};
use std::time::{Duration, Instant};

/// Long enough for a first build of the test preset, a clone and a container start on a slow machine.
const READY: Duration = Duration::from_secs(90);
/// Long enough for a capture, an export or an import of a small sandbox.
const CAPTURED: Duration = Duration::from_secs(120);
/// For UI reactions to what the engine did.
const SOON: Duration = Duration::from_secs(20);

async fn open_create_dialog(app: &TestApp) -> Result<()> {
    app.go_to("Sandboxes").await?;
    app.click_label("Create Sandbox").await?;
    app.wait_for_css("[role=dialog][aria-label=\"Create Sandbox\"]", SOON)
        .await?;
    Ok(())
}

async fn expand_snapshot_section(app: &TestApp) -> Result<()> {
    let section = app.wait_for_css("details.section", SOON).await?;
    if section.attr("open").await?.is_none() {
        app.click_label("Sandbox Snapshot").await?;
    }
    app.wait_for_css("details.section[open]", SOON).await?;
    Ok(())
}

/// Take a Full snapshot of the sandbox whose page is open, and wait until it is active.
async fn take_full_snapshot(app: &TestApp, name: &str) -> Result<()> {
    app.click_label("Take Snapshot").await?;
    app.wait_for_css("[role=dialog][aria-label=\"Take Snapshot\"]", SOON)
        .await?;
    app.fill_label("Snapshot name", name).await?;
    app.click_label("Full snapshot").await?;
    app.click_label("Create snapshot").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    app.wait_for_css_text(
        ".capture-status",
        &format!("Snapshot {name} is active"),
        CAPTURED,
    )
    .await?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs the built app, a display and tauri-driver: run through `cargo xtask test`"]
async fn main_command_automatic_snapshots_and_the_sandbox_snapshots_with_restore() -> Result<()> {
    let started = Instant::now();
    let app = TestApp::launch().await?;
    app.wait_for_text("No sandboxes yet", SOON).await?;

    // A main command and automatic snapshots: the schedule is required once Automatic is chosen.
    open_create_dialog(&app).await?;
    app.fill_label("Name", "runner").await?;
    app.select_value("Preset", TEST_PRESET).await?;
    app.fill_label("Main command", "echo main-says-hi; sleep 600")
        .await?;
    expand_snapshot_section(&app).await?;
    ensure!(
        !app.is_enabled("Snapshot schedule").await?,
        "a manual sandbox has no schedule"
    );
    app.select_value("Snapshots", "automatic").await?;
    app.wait_for_css_text("#create-fix", "need a five-field cron schedule", SOON)
        .await
        .context("Automatic without a schedule blocks Create")?;
    ensure!(!app.is_enabled("Create").await?, "Create is disabled");
    app.fill_label("Snapshot schedule", "0 3 * * *").await?;
    app.wait_for_no_css("#create-fix", SOON).await?;
    app.screenshot("create-dialog-main-command").await?;
    app.click_label("Create").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    app.wait_for_sandbox_status("runner", "running", READY)
        .await?;

    // Its page: the main command, the schedule and its next fire time (03:00 local).
    app.open_sandbox("runner").await?;
    app.wait_for_css_text(".fact-main-command", "echo main-says-hi; sleep 600", SOON)
        .await?;
    let mode = app
        .wait_for_css_text(
            ".fact-snapshot-mode",
            "automatic (0 3 * * *, local time) — next",
            SOON,
        )
        .await?;
    ensure!(mode.ends_with("03:00"), "the next fire time: {mode}");
    app.wait_for_text("No snapshots of this sandbox yet", SOON)
        .await?;

    // Its snapshots, on its page, with Restore.
    take_full_snapshot(&app, "runner-snap").await?;
    let row = app
        .wait_for_css_text(
            &format!(
                ".sandbox-snapshots {}",
                attr_css("data-snapshot", "runner-snap")
            ),
            "active",
            SOON,
        )
        .await?;
    ensure!(row.contains("taken"), "the row: {row}");
    app.screenshot("sandbox-snapshots").await?;
    app.click_label("Restore runner-snap").await?;
    app.wait_for_css("[role=dialog][aria-label=\"Restore snapshot\"]", SOON)
        .await?;
    app.fill_label("New sandbox name", "from-runner").await?;
    app.click_label("Restore now").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    app.wait_for_css_text(".sandbox-snapshots .notice", "from-runner", SOON)
        .await?;
    app.go_to("Sandboxes").await?;
    app.wait_for_sandbox_status("from-runner", "running", READY)
        .await?;
    // The restored one lists the snapshot it came from, and runs the same main command.
    app.open_sandbox("from-runner").await?;
    app.wait_for_css_text(
        &format!(
            ".sandbox-snapshots {}",
            attr_css("data-snapshot", "runner-snap")
        ),
        "came from",
        SOON,
    )
    .await?;
    app.wait_for_css_text(".fact-main-command", "echo main-says-hi; sleep 600", SOON)
        .await?;

    // A main command that exits non-zero ends the sandbox as failed, shown like a setup failure.
    open_create_dialog(&app).await?;
    app.fill_label("Name", "quits").await?;
    app.select_value("Preset", TEST_PRESET).await?;
    app.fill_label("Main command", "echo about-to-quit; exit 3")
        .await?;
    app.click_label("Create").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    app.wait_for_sandbox_status("quits", "failed", READY)
        .await?;
    app.open_sandbox("quits").await?;
    app.wait_for_css_text(".state-reason", "the main command exited with code 3", SOON)
        .await?;
    app.wait_for_css_text(".main-command-failed", "Main command failed", SOON)
        .await?;
    app.wait_for_text("about-to-quit", SOON)
        .await
        .context("its output is in the log shown")?;
    app.screenshot("main-command-failed").await?;

    app.finish().await?;
    eprintln!("main command and schedule took {:?}", started.elapsed());
    Ok(())
}

#[tokio::test]
#[ignore = "needs the built app, a display and tauri-driver: run through `cargo xtask test`"]
async fn export_and_import_from_the_snapshots_page_and_the_volumes_page() -> Result<()> {
    let started = Instant::now();
    let files = tempfile::tempdir()?;
    let file = files.path().join("to-file.tar");
    let app = TestApp::launch_with_env(vec![(
        TEST_FILE_ENV.to_string(),
        file.display().to_string(),
    )])
    .await?;
    let repo = app.git_repo("kept-repo", &[("README.md", "# kept\n")])?;
    app.wait_for_text("No sandboxes yet", SOON).await?;

    // A sandbox from a repository (it gets a git volume), and a Full snapshot of it.
    open_create_dialog(&app).await?;
    app.fill_label("Repository", &repo.display().to_string())
        .await?;
    app.wait_for_css_text(".repository-note", "Repository at", SOON)
        .await?;
    app.fill_label("Name", "exported").await?;
    app.select_value("Preset", TEST_PRESET).await?;
    app.click_label("Create").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    app.wait_for_sandbox_status("exported", "running", READY)
        .await?;
    app.open_sandbox("exported").await?;
    take_full_snapshot(&app, "to-file").await?;

    // Export, with the secret values after the warning.
    app.go_to("Snapshots").await?;
    app.wait_for_snapshot_status("to-file", "active", SOON)
        .await?;
    app.click_label("Export to-file").await?;
    app.wait_for_css("[role=dialog][aria-label=\"Export snapshot\"]", SOON)
        .await?;
    app.click_label("Include secret values").await?;
    app.wait_for_css_text(
        "#export-secrets-warning",
        "Warning: the file will hold",
        SOON,
    )
    .await?;
    app.screenshot("export-snapshot").await?;
    app.click_label("Choose file and export").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    let done = app
        .wait_for_css_text(".transfer-result", "Exported to-file to", CAPTURED)
        .await?;
    ensure!(done.contains(&file.display().to_string()), "{done}");
    ensure!(
        std::fs::metadata(&file)?.len() > 100_000,
        "the file is written"
    );
    app.screenshot("snapshot-exported").await?;
    app.click_label("Dismiss").await?;

    // Deleted, then imported back from the file.
    app.click_label("Delete to-file").await?;
    app.click_label("Delete snapshot").await?;
    app.wait_for_no_css(&attr_css("data-snapshot", "to-file"), SOON)
        .await?;
    app.click_label("Import snapshot").await?;
    app.wait_for_css_text(".transfer-result", "Imported to-file from", CAPTURED)
        .await?;
    app.wait_for_snapshot_status("to-file", "active", SOON)
        .await?;
    app.screenshot("snapshot-imported").await?;
    // Importing it again is a clear error, shown where it happened.
    app.click_label("Dismiss").await?;
    app.click_label("Import snapshot").await?;
    app.wait_for_css_text(".transfer-error", "already exists", CAPTURED)
        .await?;

    // The Volumes page: the kept volume, its size and its sandbox; orphaned once the sandbox is gone.
    app.go_to("Volumes").await?;
    let row = app
        .wait_for_css_text("table.volumes-table tbody tr", "exported", SOON)
        .await?;
    ensure!(row.contains("kept-repo"), "the row: {row}");
    let size = app
        .text_of("table.volumes-table .volume-size")
        .await?
        .unwrap_or_default();
    ensure!(size.ends_with('B') && size != "—", "a size: {size}");
    app.go_to("Sandboxes").await?;
    app.open_sandbox("exported").await?;
    app.click_label("Stop").await?;
    app.wait_for_detail_status("stopped", READY).await?;
    app.click_label("Delete").await?;
    app.click_label("Delete sandbox").await?;
    app.wait_for_text("No sandboxes yet", SOON).await?;
    app.go_to("Volumes").await?;
    app.wait_for_css_text(
        "table.volumes-table .volume-sandbox",
        "orphaned (was exported)",
        SOON,
    )
    .await?;
    app.screenshot("volumes").await?;
    let volume = app
        .text_of("table.volumes-table .volume-name")
        .await?
        .unwrap_or_default();
    app.click_label(&format!("Delete {volume}")).await?;
    app.wait_for_css_text(
        "[role=dialog][aria-label=\"Confirm volume deletion\"]",
        &format!("Delete volume {volume}?"),
        SOON,
    )
    .await?;
    app.click_label("Delete volume").await?;
    app.wait_for_text("No git volumes", SOON).await?;
    let (_, volumes, _) = app.engine_objects().await?;
    ensure!(
        !volumes.iter().any(|v| v == &volume),
        "the volume is gone from the engine: {volumes:?}"
    );

    app.finish().await?;
    eprintln!("export, import and volumes took {:?}", started.elapsed());
    Ok(())
}
