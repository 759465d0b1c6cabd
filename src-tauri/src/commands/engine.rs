//! Commands about the Docker engine.

use sbx_api::{ApiError, ContainerSummary, EngineStatus};
use tauri::State;

use crate::AppState;

#[tauri::command]
pub async fn engine_status(
    state: State<'_, AppState>,
    params: (),
) -> Result<EngineStatus, ApiError> {
    let () = params;
    Ok(state.core.engine_status().await)
}

#[tauri::command]
pub async fn list_containers(
    state: State<'_, AppState>,
    params: (),
) -> Result<Vec<ContainerSummary>, ApiError> {
    let () = params;
    Ok(state.core.list_containers().await?)
}
