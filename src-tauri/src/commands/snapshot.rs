//! Commands about snapshots: take, list, show, restore, delete, and cloning a sandbox.

use sbx_api::{
    ApiError, CloneResult, CloneSandboxRequest, CreateSnapshotRequest, ListSnapshotsRequest,
    RestoreSnapshotRequest, Sandbox, ScrubPreview, Snapshot, SnapshotPage,
};
use tauri::State;

use crate::AppState;

#[tauri::command]
pub async fn snapshot_create(
    state: State<'_, AppState>,
    params: CreateSnapshotRequest,
) -> Result<Snapshot, ApiError> {
    Ok(state.core.create_snapshot(&params).await?)
}

#[tauri::command]
pub async fn snapshot_preview_scrub(
    state: State<'_, AppState>,
    params: String,
) -> Result<ScrubPreview, ApiError> {
    Ok(state.core.preview_scrub(&params).await?)
}

#[tauri::command]
pub async fn snapshot_list(
    state: State<'_, AppState>,
    params: ListSnapshotsRequest,
) -> Result<SnapshotPage, ApiError> {
    Ok(state.core.list_snapshots(&params).await?)
}

#[tauri::command]
pub async fn snapshot_show(
    state: State<'_, AppState>,
    params: String,
) -> Result<Snapshot, ApiError> {
    Ok(state.core.get_snapshot(&params).await?)
}

#[tauri::command]
pub async fn snapshot_restore(
    state: State<'_, AppState>,
    params: RestoreSnapshotRequest,
) -> Result<Sandbox, ApiError> {
    Ok(state.core.restore_snapshot(&params).await?)
}

#[tauri::command]
pub async fn snapshot_delete(state: State<'_, AppState>, params: String) -> Result<(), ApiError> {
    Ok(state.core.delete_snapshot(&params).await?)
}

#[tauri::command]
pub async fn sandbox_clone(
    state: State<'_, AppState>,
    params: CloneSandboxRequest,
) -> Result<CloneResult, ApiError> {
    Ok(state.core.clone_sandbox(&params).await?)
}
