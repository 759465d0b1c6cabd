//! Commands about git volumes.

use sbx_api::{ApiError, Volume};
use tauri::State;

use crate::AppState;

#[tauri::command]
pub async fn volume_list(state: State<'_, AppState>, params: ()) -> Result<Vec<Volume>, ApiError> {
    let () = params;
    Ok(state.core.list_volumes().await?)
}

#[tauri::command]
pub async fn volume_delete(state: State<'_, AppState>, params: String) -> Result<(), ApiError> {
    Ok(state.core.delete_volume(&params).await?)
}
