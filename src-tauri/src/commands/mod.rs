//! The Tauri commands: one module per domain, each command a one-line delegation to the core.
//!
//! Every command takes one argument named `params` and answers `Result<_, ApiError>`; the types are those named
//! by the matching [`sbx_api::Request`] (a test checks the names).

mod engine;
mod settings;

/// The invoke handler with every command registered.
pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        engine::engine_status,
        engine::list_containers,
        settings::settings_get,
        settings::settings_save,
    ]
}
