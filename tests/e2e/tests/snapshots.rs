//! End-to-end: the snapshot flow of the seed, clicked through in the real window against the real engine — a base
//! sandbox from a repository with the setup script skipped, configured from "Run a command", Take Snapshot (Full
//! snapshot), the Snapshots tab, a new sandbox started from the snapshot (the change is there), the snapshot as the
//! repository default (listed as set in the app, and preselected in the Create Sandbox dialog), Restore and Delete.

use anyhow::{Context, Result, ensure};
use sbx_e2e::{TEST_PRESET, TestApp, attr_css};
use std::time::{Duration, Instant};

/// Long enough for a first build of the test preset, a clone and a container start on a slow machine.
const READY: Duration = Duration::from_secs(90);
/// Long enough for a capture (pause, commit, workspace) of a small sandbox.
const CAPTURED: Duration = Duration::from_secs(120);
/// For UI reactions to what the engine did.
const SOON: Duration = Duration::from_secs(20);

const REPO: &str = "example-repo";
const SNAPSHOT: &str = "example-repo-base";

/// Open the Create Sandbox dialog from the Sandboxes page.
async fn open_create_dialog(app: &TestApp) -> Result<()> {
    app.go_to("Sandboxes").await?;
    app.click_label("Create Sandbox").await?;
    app.wait_for_css("[role=dialog][aria-label=\"Create Sandbox\"]", SOON)
        .await?;
    Ok(())
}

/// Expand the dialog's Sandbox Snapshot section (once).
async fn expand_snapshot_section(app: &TestApp) -> Result<()> {
    let section = app.wait_for_css("details.section", SOON).await?;
    if section.attr("open").await?.is_none() {
        app.click_label("Sandbox Snapshot").await?;
    }
    app.wait_for_css("details.section[open]", SOON).await?;
    Ok(())
}

/// The path of a file in the sandbox's checkout of the repository.
fn in_workspace(file: &str) -> String {
    format!("/home/amika/workspace/{REPO}/{file}")
}

#[tokio::test]
#[ignore = "needs the built app, a display and tauri-driver: run through `cargo xtask test`"]
async fn base_sandbox_snapshot_launch_from_it_and_set_the_repository_default() -> Result<()> {
    let started = Instant::now();
    let app = TestApp::launch().await?;
    let repo = app.git_repo(REPO, &[("README.md", "# example\n")])?;
    let repo_path = repo.display().to_string();
    app.wait_for_text("No sandboxes yet", SOON).await?;

    // Step 1: a base sandbox from the repository, setup skipped.
    open_create_dialog(&app).await?;
    app.fill_label("Repository", &repo_path).await?;
    app.wait_for_css_text(".repository-note", "Repository at", SOON)
        .await
        .context("the dialog reads the repository")?;
    app.fill_label("Name", "base-box").await?;
    app.select_value("Preset", TEST_PRESET).await?;
    expand_snapshot_section(&app).await?;
    app.click_label("Skip setup script").await?;
    ensure!(
        app.is_checked("Skip setup script").await?,
        "Skip setup script is checked"
    );
    ensure!(
        app.selected_option_text("Start from snapshot").await? == "None (start from the preset)",
        "no snapshot is chosen while there is none"
    );
    app.screenshot("create-dialog-skip-setup").await?;
    app.click_label("Create").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    app.wait_for_sandbox_status("base-box", "running", READY)
        .await?;
    let row = app
        .text_of(&attr_css("data-sandbox", "base-box"))
        .await?
        .unwrap_or_default();
    ensure!(row.contains(REPO), "the row names the repository: {row}");

    // Step 2: configure it.
    app.open_sandbox("base-box").await?;
    app.wait_for_css_text(".fact-repository", REPO, SOON)
        .await?;
    app.wait_for_text("skipped (no-op)", SOON).await?;
    let marker = in_workspace("marker.txt");
    let (_, exit) = app
        .run_command(
            &format!("echo configured > {marker} && cat {marker}"),
            "configured",
        )
        .await?;
    ensure!(exit == "exit code 0", "exit line: {exit}");

    // Step 3: Take Snapshot, Full snapshot.
    app.click_label("Take Snapshot").await?;
    app.wait_for_css("[role=dialog][aria-label=\"Take Snapshot\"]", SOON)
        .await?;
    app.fill_label("Snapshot name", SNAPSHOT).await?;
    app.click_label("Full snapshot").await?;
    ensure!(
        app.is_checked("Full snapshot").await?,
        "Full snapshot is chosen"
    );
    app.wait_for_text("baked into the image", SOON)
        .await
        .context("a Full snapshot warns about secrets")?;
    app.screenshot("take-snapshot").await?;
    app.click_label("Create snapshot").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    app.wait_for_css_text(
        ".capture-status",
        &format!("Snapshot {SNAPSHOT} is active"),
        CAPTURED,
    )
    .await?;
    // A Full snapshot leaves the sandbox running.
    app.wait_for_detail_status("running", SOON).await?;
    app.screenshot("snapshot-taken").await?;

    // The Snapshots tab lists it, active.
    app.go_to("Snapshots").await?;
    app.wait_for_snapshot_status(SNAPSHOT, "active", SOON)
        .await?;
    let row = app
        .text_of(&attr_css("data-snapshot", SNAPSHOT))
        .await?
        .unwrap_or_default();
    ensure!(
        row.contains("base-box"),
        "the row names the source sandbox: {row}"
    );
    // One page: the pager says so, and neither way goes anywhere.
    let pager = app.text_of("nav.pager").await?.unwrap_or_default();
    ensure!(
        pager.starts_with("Previous") && pager.contains("Page 1 of 1") && pager.ends_with("Next"),
        "the pager shows: {pager}"
    );
    let next = app.text_of(&attr_css("aria-label", "Next")).await?;
    ensure!(
        next.as_deref() == Some("Next"),
        "the Next button shows: {next:?}"
    );
    ensure!(
        !app.is_enabled("Next").await?,
        "Next is enabled on the last page"
    );
    app.screenshot("snapshots").await?;

    // Step 4: a new sandbox for the repository, started from the snapshot.
    open_create_dialog(&app).await?;
    app.fill_label("Repository", &repo_path).await?;
    app.wait_for_css_text(".repository-note", "Repository at", SOON)
        .await?;
    app.fill_label("Name", "from-snap").await?;
    app.select_value("Preset", TEST_PRESET).await?;
    expand_snapshot_section(&app).await?;
    app.select_value("Start from snapshot", SNAPSHOT).await?;
    app.click_label("Create").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    app.wait_for_sandbox_status("from-snap", "running", READY)
        .await?;
    let row = app
        .text_of(&attr_css("data-sandbox", "from-snap"))
        .await?
        .unwrap_or_default();
    ensure!(
        row.contains(&format!("from snapshot {SNAPSHOT}")),
        "the row says where it started from: {row}"
    );
    app.open_sandbox("from-snap").await?;
    let (output, _) = app
        .run_command(&format!("cat {marker}"), "configured")
        .await?;
    ensure!(output.trim() == "configured", "marker: {output}");

    // The snapshot as the repository's default, set in the app.
    app.go_to("Repositories").await?;
    let repo_row = attr_css("data-repository", REPO);
    app.wait_for_css(&repo_row, SOON).await?;
    app.select_value(&format!("Default snapshot for {REPO}"), SNAPSHOT)
        .await?;
    app.click_label(&format!("Set default for {REPO}")).await?;
    let shown = app
        .wait_for_css_text(&repo_row, "set in the app", SOON)
        .await?;
    ensure!(
        shown.contains(SNAPSHOT),
        "the row names the default: {shown}"
    );
    app.screenshot("repositories").await?;

    // The dialog preselects it for that repository.
    open_create_dialog(&app).await?;
    app.fill_label("Repository", &repo_path).await?;
    expand_snapshot_section(&app).await?;
    let preselected = sbx_e2e::wait_until("the repository default preselected", SOON, || async {
        let text = app.selected_option_text("Start from snapshot").await?;
        Ok(text.contains("(repository default)").then_some(text))
    })
    .await?;
    ensure!(
        preselected == format!("{SNAPSHOT} (repository default)"),
        "preselected: {preselected}"
    );
    app.wait_for_css_text("#create-snapshot + .source", "set in the app", SOON)
        .await
        .context("the source tag says the default was set in the app")?;
    app.screenshot("create-dialog-repository-default").await?;
    app.click_label("Cancel").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;

    // Restore from the Snapshots row: a new sandbox appears.
    app.go_to("Snapshots").await?;
    app.click_label(&format!("Restore {SNAPSHOT}")).await?;
    app.wait_for_css("[role=dialog][aria-label=\"Restore snapshot\"]", SOON)
        .await?;
    app.fill_label("New sandbox name", "restored-box").await?;
    app.screenshot("restore-snapshot").await?;
    app.click_label("Restore now").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    // "Restoring into …" while its work runs (it may be over already on a fast machine).
    app.wait_for_text("into restored-box", SOON).await?;
    app.screenshot("snapshots-restoring").await?;
    // Once it is over the notice says so and offers the new sandbox.
    app.wait_for_text("Restored into restored-box", READY)
        .await?;
    app.click_label("Open restored-box").await?;
    app.wait_for_detail_status("running", READY).await?;
    app.run_command(&format!("cat {marker}"), "configured")
        .await?;

    // Delete the snapshot from its row, after a confirmation naming it.
    app.go_to("Snapshots").await?;
    app.click_label(&format!("Delete {SNAPSHOT}")).await?;
    app.wait_for_css_text(
        "[role=dialog][aria-label=\"Confirm snapshot deletion\"]",
        &format!("Delete snapshot {SNAPSHOT}?"),
        SOON,
    )
    .await?;
    // The safe choice has the focus: Enter does not delete.
    sbx_e2e::wait_until("the focus on Cancel", SOON, || async {
        Ok((app.focused().await?.label == "Cancel").then_some(()))
    })
    .await?;
    app.screenshot("delete-snapshot").await?;
    app.click_label("Delete snapshot").await?;
    app.wait_for_no_css(&attr_css("data-snapshot", SNAPSHOT), SOON)
        .await?;
    app.wait_for_text("No snapshots yet", SOON).await?;
    // Sandboxes restored from it keep running.
    app.go_to("Sandboxes").await?;
    app.wait_for_sandbox_status("from-snap", "running", SOON)
        .await?;
    app.wait_for_sandbox_status("restored-box", "running", SOON)
        .await?;

    app.finish().await?;
    eprintln!("the snapshot flow took {:?}", started.elapsed());
    Ok(())
}

#[tokio::test]
#[ignore = "needs the built app, a display and tauri-driver: run through `cargo xtask test`"]
async fn snapshot_and_delete_scrubs_secrets_deletes_the_source_and_restores() -> Result<()> {
    let started = Instant::now();
    let app = TestApp::launch().await?;
    app.wait_for_text("No sandboxes yet", SOON).await?;

    // A sandbox with a plain and a secret environment variable, and a file made after boot.
    open_create_dialog(&app).await?;
    app.fill_label("Name", "scrub-me").await?;
    app.select_value("Preset", TEST_PRESET).await?;
    app.fill_label("Environment", "MODE=dev\nAPI_TOKEN=hunter2")
        .await?;
    app.fill_label("Secret variables", "API_TOKEN").await?;
    app.click_label("Create").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    app.wait_for_sandbox_status("scrub-me", "running", READY)
        .await?;
    app.open_sandbox("scrub-me").await?;
    app.wait_for_css_text(".fact-env", "API_TOKEN=••••", SOON)
        .await
        .context("a secret value is masked")?;
    app.run_command(
        "echo tools-installed > /root/configured && echo $API_TOKEN",
        "hunter2",
    )
    .await?;
    app.run_command("echo $API_TOKEN > /root/notes.txt && echo noted", "noted")
        .await?;

    // Take Snapshot, Snapshot and delete (the default, recommended mode), which names the sandbox it deletes.
    app.click_label("Take Snapshot").await?;
    app.wait_for_css("[role=dialog][aria-label=\"Take Snapshot\"]", SOON)
        .await?;
    ensure!(
        app.is_checked("Snapshot and delete").await?,
        "Snapshot and delete is the default"
    );
    app.wait_for_text("This deletes sandbox scrub-me after capturing.", SOON)
        .await?;
    // Before confirming, the dialog lists what the scrub removes (B1): paths and kinds, never a value.
    app.wait_for_css_text(".scrub-findings", "/root/notes.txt", SOON)
        .await
        .context("the scrub preview lists a file holding the secret value")?;
    app.wait_for_css_text(".scrub-findings", "API_TOKEN", SOON)
        .await
        .context("the scrub preview lists the secret variable")?;
    let preview = app.text_of(".scrub-preview").await?.unwrap_or_default();
    ensure!(
        !preview.contains("hunter2"),
        "the preview shows a secret value: {preview}"
    );
    app.fill_label("Snapshot name", "scrubbed-base").await?;
    app.screenshot("take-snapshot-and-delete").await?;
    app.click_label("Create snapshot").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;

    // The source goes; the page says so, with the capture's outcome.
    app.wait_for_text("Sandbox scrub-me was deleted", CAPTURED)
        .await?;
    app.wait_for_text("Snapshot scrubbed-base is active", CAPTURED)
        .await?;
    app.screenshot("snapshot-and-delete-done").await?;
    app.go_to("Sandboxes").await?;
    app.wait_for_text("No sandboxes yet", SOON).await?;

    // Restore: the file is there, the plain variable too; the secret is not.
    app.go_to("Snapshots").await?;
    app.wait_for_snapshot_status("scrubbed-base", "active", SOON)
        .await?;
    app.click_label("Restore scrubbed-base").await?;
    app.wait_for_css("[role=dialog][aria-label=\"Restore snapshot\"]", SOON)
        .await?;
    app.fill_label("New sandbox name", "after-scrub").await?;
    app.click_label("Restore now").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    app.go_to("Sandboxes").await?;
    app.wait_for_sandbox_status("after-scrub", "running", READY)
        .await?;
    app.open_sandbox("after-scrub").await?;
    let (output, _) = app
        .run_command(
            "cat /root/configured; echo \"mode=$MODE token=$API_TOKEN.\"",
            "token=",
        )
        .await?;
    ensure!(output.contains("tools-installed"), "the file: {output}");
    ensure!(output.contains("mode=dev"), "the plain variable: {output}");
    ensure!(!output.contains("hunter2"), "the secret survived: {output}");

    app.finish().await?;
    eprintln!("snapshot and delete took {:?}", started.elapsed());
    Ok(())
}

#[tokio::test]
#[ignore = "needs the built app, a display and tauri-driver: run through `cargo xtask test`"]
async fn clone_from_the_sandbox_page_names_the_new_sandbox_and_its_snapshot() -> Result<()> {
    let started = Instant::now();
    let app = TestApp::launch().await?;
    app.wait_for_text("No sandboxes yet", SOON).await?;
    open_create_dialog(&app).await?;
    app.fill_label("Name", "clone-source").await?;
    app.select_value("Preset", TEST_PRESET).await?;
    app.click_label("Create").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    app.wait_for_sandbox_status("clone-source", "running", READY)
        .await?;
    app.open_sandbox("clone-source").await?;
    app.run_command("echo configured > /root/state && echo done", "done")
        .await?;

    app.click_label("Clone").await?;
    app.wait_for_css("[role=dialog][aria-label=\"Clone sandbox\"]", SOON)
        .await?;
    // A name the shell refuses (taken) comes back beside its field, and the dialog stays.
    app.fill_label("New sandbox name", "clone-source").await?;
    app.click_label("Clone sandbox now").await?;
    app.wait_for_css_text(
        "[role=dialog] .field-error",
        "a sandbox with this name already exists",
        SOON,
    )
    .await?;
    ensure!(
        app.find_css("[aria-label=\"New sandbox name\"][aria-invalid=\"true\"]")
            .await?
            .is_some(),
        "the name field is marked invalid"
    );
    app.fill_label("New sandbox name", "the-clone").await?;
    app.wait_for_no_css("[role=dialog] .field-error", SOON)
        .await?;
    app.fill_label("Snapshot name", "clone-point").await?;
    // A value out of range keeps the button disabled, with the reason beside it.
    app.fill_label("CPUs", "64").await?;
    app.wait_for_text("64 is out of range: use 1–32", SOON)
        .await?;
    app.wait_for_text("Fix the CPUs", SOON).await?;
    ensure!(
        !app.is_enabled("Clone sandbox now").await?,
        "Clone is disabled while the CPUs are invalid"
    );
    app.fill_label("CPUs", "1").await?;
    app.wait_for_no_text("Fix the CPUs", SOON).await?;
    app.click_label("Clone sandbox now").await?;
    app.wait_for_text("Cloned into the-clone from snapshot clone-point", CAPTURED)
        .await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;

    // The source keeps running; the clone runs with the source's file.
    app.go_to("Sandboxes").await?;
    app.wait_for_sandbox_status("the-clone", "running", READY)
        .await?;
    app.wait_for_sandbox_status("clone-source", "running", SOON)
        .await?;
    app.open_sandbox("the-clone").await?;
    let (output, _) = app.run_command("cat /root/state", "configured").await?;
    ensure!(output.contains("configured"), "the file: {output}");
    app.go_to("Snapshots").await?;
    app.wait_for_snapshot_status("clone-point", "active", SOON)
        .await?;

    app.finish().await?;
    eprintln!("the clone flow took {:?}", started.elapsed());
    Ok(())
}
