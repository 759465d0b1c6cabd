//! What only the window keeps, through tauri-plugin-store: the main window's size and whether it was maximized,
//! in `<data dir>/window.json`, put back when the app starts and saved when the window closes.
//!
//! This is the only file the plugin opens, and only from Rust: the window has no `store:` permission (the
//! plugin's commands would let page script read and write any JSON file). The user's settings are not here: the
//! core owns `settings.json` (`sbx_core::settings`), which the CLI writes too, and the plugin's in-memory copy
//! of a file (written back whole on save and at exit) would put back what another process changed.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use tauri::{LogicalSize, Manager, Runtime, Window, WindowEvent};
use tauri_plugin_store::StoreExt;

use crate::AppState;

/// The store file, in the data dir.
const FILE: &str = "window.json";

/// The label of the window whose state is kept (the one `tauri.conf.json` opens).
const MAIN: &str = "main";

/// The main window as it was when it last closed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Geometry {
    /// Inner width in logical pixels (when not maximized).
    width: f64,
    /// Inner height in logical pixels (when not maximized).
    height: f64,
    /// Whether it was maximized.
    maximized: bool,
}

impl Geometry {
    fn is_usable(&self) -> bool {
        [self.width, self.height]
            .iter()
            .all(|v| v.is_finite() && *v >= 1.0)
    }
}

/// The store file of the app's data dir, created private (0600) before the plugin first writes it.
fn file<R: Runtime, M: Manager<R>>(manager: &M) -> Option<PathBuf> {
    let state = manager.try_state::<AppState>()?;
    let file = state.core.paths().root().join(FILE);
    if let Err(error) = sbx_core::private::touch(&file) {
        tracing::warn!("window state file {}: {error}", file.display());
    }
    Some(file)
}

/// Give the main window the size (and maximized state) it had when it last closed, if it was saved.
pub fn restore<R: Runtime>(app: &tauri::AppHandle<R>) {
    let (Some(window), Some(file)) = (app.get_webview_window(MAIN), file(app)) else {
        return;
    };
    let saved = match app.store(&file) {
        Ok(store) => store
            .get(MAIN)
            .and_then(|value| serde_json::from_value::<Geometry>(value).ok()),
        Err(error) => {
            tracing::warn!("window state {}: {error}", file.display());
            None
        }
    };
    let Some(geometry) = saved.filter(Geometry::is_usable) else {
        return;
    };
    let _ = window.set_size(LogicalSize::new(geometry.width, geometry.height));
    if geometry.maximized {
        let _ = window.maximize();
    }
}

/// On the main window's close request, save its size and maximized state.
pub fn on_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if window.label() == MAIN
        && matches!(event, WindowEvent::CloseRequested { .. })
        && let Err(error) = remember(window)
    {
        tracing::warn!("saving the window state: {error}");
    }
}

fn remember<R: Runtime>(window: &Window<R>) -> Result<(), Box<dyn std::error::Error>> {
    let Some(file) = file(window) else {
        return Ok(());
    };
    let store = window.store(&file)?;
    let maximized = window.is_maximized()?;
    let size = window
        .inner_size()?
        .to_logical::<f64>(window.scale_factor()?);
    let previous = store
        .get(MAIN)
        .and_then(|value| serde_json::from_value::<Geometry>(value).ok());
    let geometry = match previous {
        // A maximized window keeps the size it had before, for when it is restored.
        Some(previous) if maximized => Geometry {
            maximized,
            ..previous
        },
        _ => Geometry {
            width: size.width,
            height: size.height,
            maximized,
        },
    };
    store.set(MAIN, serde_json::to_value(geometry)?);
    store.save()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tauri::test::{mock_builder, mock_context, noop_assets};

    /// The window's state goes to its own private file in the data dir, through the plugin; the plugin never
    /// opens the settings file (whose only writer is the core).
    #[test]
    fn the_window_state_has_its_own_file() {
        let dir = tempfile::tempdir().unwrap();
        let paths = sbx_core::paths::Paths::at(dir.path()).unwrap();
        let engine = sbx_core::engine::Engine::at("unix:///nonexistent/docker.sock");
        let core = tauri::async_runtime::block_on(sbx_core::Core::open(paths, engine)).unwrap();
        let app = mock_builder()
            .plugin(tauri_plugin_store::Builder::default().build())
            .build(mock_context(noop_assets()))
            .unwrap();
        app.manage(AppState { core: core.clone() });
        let window = tauri::WebviewWindowBuilder::new(&app, MAIN, Default::default())
            .build()
            .unwrap();
        restore(app.handle());
        remember(&window.as_ref().window()).unwrap();
        let file = core.paths().root().join(FILE);
        let saved: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(saved[MAIN]["maximized"], false, "{saved}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(app.get_store(core.paths().settings()).is_none());
    }
}
