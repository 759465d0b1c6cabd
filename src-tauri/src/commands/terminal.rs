//! Commands about interactive terminal sessions (output arrives as events).

use sbx_api::{ApiError, requests::TerminalInput, requests::TerminalOpen};
use tauri::State;

use crate::AppState;

#[tauri::command]
pub async fn terminal_open(
    state: State<'_, AppState>,
    params: TerminalOpen,
) -> Result<String, ApiError> {
    Ok(state
        .core
        .open_terminal(&params.name, params.cols, params.rows)
        .await?)
}

#[tauri::command]
pub async fn terminal_write(
    state: State<'_, AppState>,
    params: TerminalInput,
) -> Result<(), ApiError> {
    Ok(state
        .core
        .write_terminal(&params.session, &params.data)
        .await?)
}

#[tauri::command]
pub async fn terminal_close(state: State<'_, AppState>, params: String) -> Result<(), ApiError> {
    Ok(state.core.close_terminal(&params).await?)
}
