//! The Tauri commands, generated from the API's request types: one command per [`sbx_api::Request`], named by
//! its `METHOD`, taking its `Params` as the one argument `params` and answering its `Result` or an [`ApiError`].
//!
//! What each command does is one line of delegation to the core, written per domain in this module's children as
//! an implementation of [`Command`] (through [`handle!`]). The commands themselves and the handler that registers
//! them are generated here from [`sbx_api::for_each_request!`], the one list of request types, so:
//!
//! - a request type without a [`Command`] implementation does not compile (the generated command calls it);
//! - an implementation whose parameters or result differ from the request's does not compile (the trait's
//!   signature is the request's);
//! - the registered names are the `METHOD`s the UI invokes, because the function names come from the same list.

mod engine;
pub mod files;
mod http;
mod profile;
mod repo;
mod sandbox;
mod settings;
mod snapshot;
mod terminal;
mod volume;

use sbx_api::{ApiError, Request};
use sbx_core::Core;
use std::future::Future;
use std::sync::Arc;
use tauri::{Runtime, State, ipc::Invoke};

use crate::AppState;

/// What one request does: a delegation to the core, with the request's own parameter and result types.
trait Command: Request {
    /// Answer `params` for the window.
    fn run(
        core: &Arc<Core>,
        params: Self::Params,
    ) -> impl Future<Output = Result<Self::Result, ApiError>> + Send;
}

/// Implement [`Command`] for each `Request => |core, params| body` (the body's `?` turns core errors into
/// [`ApiError`]s).
macro_rules! handle {
    ($($request:ty => |$core:ident, $params:pat_param| $body:expr;)*) => {
        $(
            impl $crate::commands::Command for $request {
                async fn run(
                    $core: &std::sync::Arc<sbx_core::Core>,
                    params: <Self as sbx_api::Request>::Params,
                ) -> Result<<Self as sbx_api::Request>::Result, sbx_api::ApiError> {
                    let $params = params;
                    $body
                }
            }
        )*
    };
}
use handle;

/// One `#[tauri::command]` per request of [`sbx_api::for_each_request!`], and [`handler`] registering them all.
macro_rules! commands {
    ($($(#[$doc:meta])* $request:ident, $method:ident, $params:ty => $result:ty;)*) => {
        $(
            #[tauri::command]
            async fn $method(
                state: State<'_, AppState>,
                params: <sbx_api::requests::$request as Request>::Params,
            ) -> Result<<sbx_api::requests::$request as Request>::Result, ApiError> {
                <sbx_api::requests::$request as Command>::run(&state.core, params).await
            }
        )*

        /// The invoke handler with every command registered.
        pub fn handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($method),*]
        }
    };
}

sbx_api::for_each_request!(commands);

#[cfg(test)]
mod tests {
    use sbx_api::Request;
    use serde_json::{Value, json};
    use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context};
    use tauri::{Manager, WebviewWindow, WebviewWindowBuilder};

    /// Where the app's own pages are served from (a request from anywhere else is refused).
    const APP_URL: &str = if cfg!(windows) {
        "http://tauri.localhost"
    } else {
        "tauri://localhost"
    };

    /// The shell as the window sees it, without a webview: the handler and a core of a fresh data dir (its
    /// engine an address nothing answers at; these tests never reach it).
    struct Shell {
        window: WebviewWindow<MockRuntime>,
        core: std::sync::Arc<sbx_core::Core>,
        _app: tauri::App<MockRuntime>,
        _dir: tempfile::TempDir,
    }

    impl Shell {
        fn new() -> Shell {
            let dir = tempfile::tempdir().unwrap();
            let paths = sbx_core::paths::Paths::at(dir.path()).unwrap();
            let engine = sbx_core::engine::Engine::at("unix:///nonexistent/docker.sock");
            let core = tauri::async_runtime::block_on(sbx_core::Core::open(paths, engine)).unwrap();
            let app = mock_builder()
                .invoke_handler(super::handler())
                .build(mock_context(tauri::test::noop_assets()))
                .unwrap();
            app.manage(crate::AppState { core: core.clone() });
            let window = WebviewWindowBuilder::new(&app, "main", Default::default())
                .build()
                .unwrap();
            Shell {
                window,
                core,
                _app: app,
                _dir: dir,
            }
        }

        /// Invoke `command` the way `ui/src/ipc.rs` does: one argument named `params`.
        fn invoke(&self, command: &str, params: Value) -> Result<Value, Value> {
            let request = tauri::webview::InvokeRequest {
                cmd: command.into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                url: APP_URL.parse().unwrap(),
                body: tauri::ipc::InvokeBody::Json(json!({ "params": params })),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            };
            get_ipc_response(&self.window, request).map(|body| body.deserialize().unwrap())
        }

        fn call<R: Request>(&self, params: &R::Params) -> Result<R::Result, sbx_api::ApiError> {
            self.invoke(R::METHOD, serde_json::to_value(params).unwrap())
                .map(|value| serde_json::from_value(value).unwrap())
                .map_err(|error| serde_json::from_value(error).unwrap())
        }
    }

    macro_rules! methods {
        ($($(#[$doc:meta])* $request:ident, $method:ident, $params:ty => $result:ty;)*) => {
            [$(<sbx_api::requests::$request as Request>::METHOD),*]
        };
    }

    /// Every request's `METHOD` (the name the UI invokes) reaches a registered command: sent a value no request
    /// takes as its parameters, each refuses the arguments (so nothing runs), where an unknown name is not found.
    #[test]
    fn every_request_has_a_command() {
        let shell = Shell::new();
        let methods = sbx_api::for_each_request!(methods);
        assert_eq!(methods.len(), 45);
        for method in methods {
            let error = shell.invoke(method, json!(5)).unwrap_err();
            let expected = format!("invalid args `params` for command `{method}`");
            assert!(
                error.as_str().unwrap_or_default().starts_with(&expected),
                "{method}: {error}"
            );
        }
        let unknown = shell.invoke("snapshot_take", json!(null)).unwrap_err();
        assert_eq!(unknown, json!("Command snapshot_take not found"));
    }

    /// The settings commands go through the core: what the window saves is in the file the CLI reads, a change
    /// another writer makes is what the window reads next, and a refused value comes back as the field's error.
    #[test]
    fn settings_commands_delegate_to_the_core() {
        use sbx_api::requests::{GetSettings, ListPresets, SaveSettings};
        let shell = Shell::new();
        let file = shell.core.paths().settings();
        assert_eq!(
            shell.call::<GetSettings>(&()).unwrap(),
            sbx_api::Settings::default()
        );
        let dark = sbx_api::Settings {
            theme: sbx_api::Theme::Dark,
            ..Default::default()
        };
        assert_eq!(shell.call::<SaveSettings>(&dark).unwrap(), dark);
        assert_eq!(sbx_core::settings::load(&file), dark);
        sbx_core::settings::update(&file, |s| s.snapshot_retention_days = Some(9)).unwrap();
        let read = shell.call::<GetSettings>(&()).unwrap();
        assert_eq!(
            (read.snapshot_retention_days, read.theme),
            (Some(9), sbx_api::Theme::Dark)
        );
        let refused = sbx_api::Settings {
            default_auto_stop_minutes: 100_000,
            ..read.clone()
        };
        let error = shell.call::<SaveSettings>(&refused).unwrap_err();
        assert_eq!(
            serde_json::to_value(&error).unwrap()["field"],
            "default_auto_stop_minutes"
        );
        assert_eq!(sbx_core::settings::load(&file), read);
        assert_eq!(shell.call::<ListPresets>(&()).unwrap(), ["coder"]);
    }

    /// The HTTP API switch starts the server on the default port (it answers, and wants the key) and stops it;
    /// when something else holds the port, it says so and nothing runs.
    #[test]
    fn the_http_api_switch_starts_and_stops_the_server() {
        use sbx_api::requests::{GetHttpApi, SetHttpApi};
        use std::io::{Read, Write};
        let shell = Shell::new();
        let off = sbx_api::HttpApiStatus::default();
        assert_eq!(shell.call::<GetHttpApi>(&()).unwrap(), off);
        let address = format!("127.0.0.1:{}", sbx_http::DEFAULT_PORT);
        match shell.call::<SetHttpApi>(&true) {
            Ok(on) => {
                assert_eq!(on.address, Some(format!("http://{address}")));
                assert_eq!(shell.call::<GetHttpApi>(&()).unwrap(), on);
                assert_eq!(
                    shell.call::<SetHttpApi>(&true).unwrap(),
                    on,
                    "twice is once"
                );
                let mut stream = std::net::TcpStream::connect(&address).unwrap();
                stream
                    .write_all(
                        b"GET /v1/sandboxes HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
                    )
                    .unwrap();
                let mut answer = String::new();
                stream.read_to_string(&mut answer).unwrap();
                assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
                assert_eq!(shell.call::<SetHttpApi>(&false).unwrap(), off);
                assert!(std::net::TcpStream::connect(&address).is_err(), "stopped");
            }
            Err(error) => {
                assert!(error.to_string().contains("already in use"), "{error}");
                assert_eq!(shell.call::<GetHttpApi>(&()).unwrap(), off);
            }
        }
        assert_eq!(shell.call::<SetHttpApi>(&false).unwrap(), off);
    }

    /// The app's identifier is the one the core uses for the per-user data dir, so the app and the CLI share it.
    #[test]
    fn identifier_matches_the_core() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../../../tauri.conf.json")).unwrap();
        assert_eq!(config["identifier"], sbx_core::paths::IDENTIFIER);
    }

    /// The window may call the app's own commands and listen to its events, nothing else: no plugin's commands
    /// (the store plugin's would let page script read and write any JSON file), no window, path or file access,
    /// and no remote page gets any of it.
    #[test]
    fn the_window_may_call_only_the_apps_own_commands() {
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../../capabilities/default.json")).unwrap();
        let mut keys: Vec<&str> = capability
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "$schema",
                "description",
                "identifier",
                "permissions",
                "windows"
            ],
            "no remote URLs, no platforms beyond the default"
        );
        assert_eq!(capability["windows"], serde_json::json!(["main"]));
        assert_eq!(
            capability["permissions"],
            serde_json::json!(["core:event:allow-listen", "core:event:allow-unlisten"])
        );
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities");
        let files: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        assert_eq!(files.len(), 1, "one capability file: {files:?}");
    }
}
