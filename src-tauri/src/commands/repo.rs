//! Commands about repositories and their default snapshot, and the presets a sandbox can start from.

use sbx_api::{ApiError, RepoDefaultRequest, Repository};
use tauri::State;

use crate::AppState;

#[tauri::command]
pub async fn repo_list(
    state: State<'_, AppState>,
    params: (),
) -> Result<Vec<Repository>, ApiError> {
    let () = params;
    Ok(state.core.list_repositories().await?)
}

#[tauri::command]
pub async fn repo_default_set(
    state: State<'_, AppState>,
    params: RepoDefaultRequest,
) -> Result<Repository, ApiError> {
    Ok(state.core.set_repo_default(&params).await?)
}

#[tauri::command]
pub fn preset_list(state: State<'_, AppState>, params: ()) -> Result<Vec<String>, ApiError> {
    let () = params;
    Ok(state.core.presets().into_iter().map(|p| p.name).collect())
}
