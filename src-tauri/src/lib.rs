//! The desktop shell: the only crate that knows Tauri. It opens the core, registers the commands (generated from
//! the API's request types, each a one-line delegation to the core), forwards the core's events to the window,
//! and keeps the window's own state (its size) through tauri-plugin-store.

mod commands;
mod events;
mod window;

use sbx_core::Core;
use std::sync::Arc;
use tauri::Manager;

/// What every command gets: the core of the data dir.
pub struct AppState {
    /// The core, shared with the background tasks.
    pub core: Arc<Core>,
}

/// Build and run the desktop app until its last window closes.
pub fn run() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .try_init();
    let context = tauri::generate_context!("../tauri.conf.json");
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::default().build())
        // Its dialogs are opened from Rust (commands::files); the window has no permission for the plugin.
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            // Inside the async runtime, so the core's background tasks are spawned on it.
            let core = tauri::async_runtime::block_on(async {
                let core = Core::open_default().await?;
                core.start_background();
                Ok::<_, sbx_core::Error>(core)
            })?;
            events::forward(app.handle().clone(), &core);
            commands::files::remember(app.handle());
            app.manage(AppState { core });
            window::restore(app.handle());
            Ok(())
        })
        .on_window_event(window::on_event)
        .invoke_handler(commands::handler())
        .run(context);
    if let Err(error) = result {
        eprintln!("sandbox-desktop: {error}");
        std::process::exit(1);
    }
}
