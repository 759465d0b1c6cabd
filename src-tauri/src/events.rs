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
                // Events were dropped: whatever they said changed, the window fetches again.
                Err(RecvError::Lagged(_)) => {
                    for event in resync() {
                        let _ = app.emit(sbx_api::UI_EVENT, event);
                    }
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
}

/// What the window is told when events were dropped: every list may have changed.
fn resync() -> [sbx_api::UiEvent; 4] {
    use sbx_api::UiEvent;
    [
        UiEvent::SandboxesChanged { name: None },
        UiEvent::SnapshotsChanged,
        UiEvent::ProfilesChanged { name: None },
        UiEvent::ContainersChanged {
            id: None,
            action: "resync".to_string(),
        },
    ]
}
