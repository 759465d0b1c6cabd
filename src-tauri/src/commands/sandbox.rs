//! Commands about sandboxes, their commands and logs, and the effective configuration of a new one.

use sbx_api::{
    ApiError, ConfigExplanation, CreateSandboxRequest, ExecOutput, ExecRequest, ExplainRequest,
    LogsRequest, Sandbox, SandboxLogs, SandboxRef,
};
use tauri::State;

use crate::AppState;

#[tauri::command]
pub async fn sandbox_create(
    state: State<'_, AppState>,
    params: CreateSandboxRequest,
) -> Result<Sandbox, ApiError> {
    Ok(state.core.create_sandbox(&params).await?)
}

#[tauri::command]
pub async fn config_explain(
    state: State<'_, AppState>,
    params: ExplainRequest,
) -> Result<ConfigExplanation, ApiError> {
    Ok(state.core.explain_config(&params.create).await?)
}

#[tauri::command]
pub async fn sandbox_list(
    state: State<'_, AppState>,
    params: (),
) -> Result<Vec<Sandbox>, ApiError> {
    let () = params;
    Ok(state.core.list_sandboxes().await?)
}

#[tauri::command]
pub async fn sandbox_show(
    state: State<'_, AppState>,
    params: SandboxRef,
) -> Result<Sandbox, ApiError> {
    Ok(state.core.get_sandbox(&params.name).await?)
}

#[tauri::command]
pub async fn sandbox_start(
    state: State<'_, AppState>,
    params: SandboxRef,
) -> Result<Sandbox, ApiError> {
    Ok(state.core.start_sandbox(&params.name).await?)
}

#[tauri::command]
pub async fn sandbox_stop(
    state: State<'_, AppState>,
    params: SandboxRef,
) -> Result<Sandbox, ApiError> {
    Ok(state.core.stop_sandbox(&params.name).await?)
}

#[tauri::command]
pub async fn sandbox_restart(
    state: State<'_, AppState>,
    params: SandboxRef,
) -> Result<Sandbox, ApiError> {
    Ok(state.core.restart_sandbox(&params.name).await?)
}

#[tauri::command]
pub async fn sandbox_delete(
    state: State<'_, AppState>,
    params: SandboxRef,
) -> Result<(), ApiError> {
    Ok(state
        .core
        .delete_sandbox(&params.name, params.force)
        .await?)
}

#[tauri::command]
pub async fn sandbox_logs(
    state: State<'_, AppState>,
    params: LogsRequest,
) -> Result<SandboxLogs, ApiError> {
    Ok(state.core.sandbox_logs(&params).await?)
}

#[tauri::command]
pub async fn sandbox_exec(
    state: State<'_, AppState>,
    params: ExecRequest,
) -> Result<ExecOutput, ApiError> {
    Ok(state.core.exec_collect(&params).await?)
}
