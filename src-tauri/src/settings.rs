//! User settings through tauri-plugin-store, in the data dir's `settings.json` that the core and CLI also read.

use sbx_api::{ApiError, Settings};
use sbx_core::settings::KEY;
use tauri::{AppHandle, Runtime};
use tauri_plugin_store::StoreExt;

/// The saved settings, or the defaults.
pub fn load<R: Runtime>(app: &AppHandle<R>, file: &std::path::Path) -> Result<Settings, ApiError> {
    let store = app
        .store(file)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(store
        .get(KEY)
        .and_then(|value| serde_json::from_value(value).ok())
        .unwrap_or_default())
}

/// Save `settings` and answer what was saved.
pub fn save<R: Runtime>(
    app: &AppHandle<R>,
    core: &sbx_core::Core,
    settings: Settings,
) -> Result<Settings, ApiError> {
    core.check_settings(&settings)?;
    let file = core.paths().settings();
    let store = app
        .store(&file)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let value = serde_json::to_value(&settings).map_err(|e| ApiError::internal(e.to_string()))?;
    store.set(KEY, value);
    store
        .save()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(settings)
}
