//! Commands about the user's settings.

use sbx_api::{ApiError, Settings};
use tauri::{AppHandle, State};

use crate::AppState;

#[tauri::command]
pub fn settings_get(
    app: AppHandle,
    state: State<'_, AppState>,
    params: (),
) -> Result<Settings, ApiError> {
    let () = params;
    crate::settings::load(&app, &state.core.paths().settings())
}

#[tauri::command]
pub fn settings_save(
    app: AppHandle,
    state: State<'_, AppState>,
    params: Settings,
) -> Result<Settings, ApiError> {
    crate::settings::save(&app, &state.core, params)
}
