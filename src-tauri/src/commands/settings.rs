//! Commands about the user's settings: the core owns the file (see `sbx_core::settings`).

use sbx_api::{ApiError, Settings};
use tauri::State;

use crate::AppState;

#[tauri::command]
pub fn settings_get(state: State<'_, AppState>, params: ()) -> Result<Settings, ApiError> {
    let () = params;
    Ok(state.core.settings())
}

#[tauri::command]
pub fn settings_save(state: State<'_, AppState>, params: Settings) -> Result<Settings, ApiError> {
    Ok(state.core.save_settings(&params)?)
}
