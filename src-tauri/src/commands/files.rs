//! Snapshot files from the window (the Snapshots page's **Export** and **Import**): the system's file dialog and
//! the transfer itself.
//!
//! The dialog is tauri-plugin-dialog's, opened from Rust here: the page asks `file_choose` and gets the path the
//! user chose (or nothing), so the window's capability set grants no dialog or file permission. Export and import
//! then go through the core exactly as `sbx snapshot export|import` do; their progress reaches the page as the
//! core's `Progress` events.
//!
//! For end-to-end tests, where no native dialog can be driven, [`TEST_FILE_ENV`] set on the app's process is the
//! answer of every dialog instead (the harness sets it; nothing else does).

use sbx_api::requests::{ChooseFile, ExportSnapshot, ImportSnapshot};
use sbx_api::{ApiError, ExportResult, FileChoice, SnapshotFileRequest};
use sbx_core::Core;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use tauri::{AppHandle, Wry};
use tauri_plugin_dialog::{DialogExt, FilePath};

/// The path every file dialog answers with, without showing one (end-to-end tests only).
pub const TEST_FILE_ENV: &str = "SANDBOX_DESKTOP_TEST_FILE";

/// The app, for showing dialogs; set once the app is set up.
static APP: OnceLock<AppHandle<Wry>> = OnceLock::new();

/// Remember the app, so `file_choose` can show its dialogs.
pub fn remember(app: &AppHandle<Wry>) {
    let _ = APP.set(app.clone());
}

/// Show the save or open dialog `choice` asks for; the chosen path, or `None` when the user cancelled.
async fn choose(choice: FileChoice) -> Result<Option<String>, ApiError> {
    if let Some(path) = std::env::var_os(TEST_FILE_ENV) {
        return Ok(Some(path.to_string_lossy().into_owned()));
    }
    let app = APP
        .get()
        .ok_or_else(|| ApiError::internal("there is no window to show a file dialog in"))?;
    let (answer, chosen) = tokio::sync::oneshot::channel::<Option<FilePath>>();
    let dialog = app.dialog().file().add_filter("Snapshot archive", &["tar"]);
    match choice {
        FileChoice::Export { suggested_name } => dialog
            .set_title("Export snapshot")
            .set_file_name(suggested_name)
            .save_file(move |path| {
                let _ = answer.send(path);
            }),
        FileChoice::Import => dialog.set_title("Import snapshot").pick_file(move |path| {
            let _ = answer.send(path);
        }),
    }
    let path = chosen.await.unwrap_or(None);
    path.map(|path| {
        path.into_path()
            .map(|p| p.display().to_string())
            .map_err(|e| ApiError::internal(format!("the file dialog answered no file path: {e}")))
    })
    .transpose()
}

/// Export as the CLI does, and say how big the file is.
async fn export(core: &Arc<Core>, request: SnapshotFileRequest) -> Result<ExportResult, ApiError> {
    let file = Path::new(&request.file);
    let report = core
        .export_snapshot_with(&request.name, file, request.include_secrets)
        .await?;
    Ok(ExportResult {
        size_bytes: std::fs::metadata(file).map(|m| m.len()).unwrap_or(0),
        file: request.file,
        secret_values: report.secret_values,
    })
}

super::handle! {
    ChooseFile => |_core, choice| choose(choice).await;
    ExportSnapshot => |core, request| export(core, request).await;
    ImportSnapshot => |core, request| Ok(core.import_snapshot(Path::new(&request.file)).await?);
}
