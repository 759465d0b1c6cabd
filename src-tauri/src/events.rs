//! Forwards the core's events to the window as Tauri events named [`sbx_api::UI_EVENT`].

use sbx_core::Core;
use std::sync::Arc;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::error::RecvError;

/// Start forwarding for as long as the app runs.
pub fn forward(app: AppHandle, core: &Arc<Core>) {
    let mut events = core.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    let _ = app.emit(sbx_api::UI_EVENT, event);
                }
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            }
        }
    });
}
