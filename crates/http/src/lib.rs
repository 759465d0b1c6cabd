//! Sandbox Desktop's local HTTP API (SPEC B6): the routes and shapes of seed 002 — sandboxes, execute, snapshots,
//! restore, clone, events, the OpenAPI document — as a third face on the same core as the window and `sbx`.
//!
//! [`Server::start`] serves [`router`] on an address (127.0.0.1:[`DEFAULT_PORT`] unless told otherwise): every
//! request needs the header `x-api-key` with the data dir's token ([`token`]), compared in constant time, before
//! anything else happens; bodies are capped at [`BODY_LIMIT`]; every error is JSON
//! (`{"error": {"code", "message", "field"}}`, [`error`]). Handlers resolve `{id}` (id or name) and call the core's
//! methods with the core's request types, so the rules are the core's and written once.

pub mod dto;
pub mod error;
pub mod events;
pub mod extract;
pub mod openapi;
pub mod sandboxes;
pub mod snapshots;
pub mod token;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sbx_api::ApiError;
use sbx_core::Core;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use error::HttpError;

/// The port the API listens on unless told otherwise (outside the sandboxes' reserved 60899–60999).
pub const DEFAULT_PORT: u16 = 7323;

/// The largest request body, in bytes (1 MiB); a bigger one is refused with 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// How long [`Server::stop`] lets requests in flight finish.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// What every handler gets.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The core of the data dir.
    pub core: Arc<Core>,
    /// The token file, read on every request.
    pub token_file: PathBuf,
    /// Turns true when the server stops (ends the event streams).
    pub stopping: watch::Receiver<bool>,
}

/// The API's routes over `core`, behind the key check, the body limit and the error shape. `stopping` ends the
/// event streams when it turns true.
pub fn router(core: Arc<Core>, stopping: watch::Receiver<bool>) -> Router {
    let state = AppState {
        token_file: token::token_path(core.paths()),
        core,
        stopping,
    };
    Router::new()
        .route(
            "/v1/sandboxes",
            post(sandboxes::create).get(sandboxes::list),
        )
        .route(
            "/v1/sandboxes/{id}",
            get(sandboxes::get).delete(sandboxes::delete),
        )
        .route("/v1/sandboxes/{id}/execute", post(sandboxes::execute))
        .route("/v1/sandboxes/{id}/snapshot", post(snapshots::create))
        .route("/v1/sandboxes/{id}/clone", post(sandboxes::clone))
        .route("/v1/snapshots", get(snapshots::list_all))
        .route("/v1/snapshots/list", get(snapshots::list))
        .route(
            "/v1/snapshots/{id}",
            get(snapshots::get).delete(snapshots::delete),
        )
        .route("/v1/snapshots/{id}/restore", post(snapshots::restore))
        .route("/v1/events", get(events::stream))
        .route("/v1/openapi.json", get(openapi::document))
        .fallback(no_route)
        // Inner to outer: the body limit, the key, the error shape, tracing.
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), authorize))
        .layer(middleware::map_response(error::normalize))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn no_route(request: Request) -> HttpError {
    HttpError::no_route(request.uri().path())
}

/// The key check, before anything else: exactly one `x-api-key` header whose value is the token now in the token
/// file, compared in constant time. Anything else is 401 and nothing is done.
async fn authorize(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut presented = request.headers().get_all(token::HEADER).iter();
    let (Some(key), None) = (presented.next(), presented.next()) else {
        return HttpError::unauthorized().into_response();
    };
    let expected = match token::read(&state.token_file) {
        Ok(Some(expected)) => expected,
        Ok(None) => {
            tracing::warn!(
                "the API token file {} is missing or empty: every request is refused (run `sbx api token`)",
                state.token_file.display()
            );
            return HttpError::unauthorized().into_response();
        }
        Err(error) => {
            tracing::warn!(
                "reading the API token file {}: {error}",
                state.token_file.display()
            );
            return HttpError::unauthorized().into_response();
        }
    };
    if !token::matches(key.as_bytes(), expected.as_bytes()) {
        return HttpError::unauthorized().into_response();
    }
    next.run(request).await
}

/// Run core work in its own task, so it ends as it would for the CLI even when the client goes away mid-request.
pub(crate) async fn detached<T: Send + 'static>(
    work: impl Future<Output = sbx_core::Result<T>> + Send + 'static,
) -> Result<T, HttpError> {
    tokio::spawn(work)
        .await
        .map_err(|e| {
            HttpError::from(ApiError::internal(format!(
                "the request's task stopped: {e}"
            )))
        })?
        .map_err(HttpError::from)
}

/// A running API server.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Serve the API of `core` on `addr`; the token is made first if the data dir has none. A port in use is a
    /// conflict naming it; an address that cannot be bound is invalid `listen`.
    pub async fn start(core: Arc<Core>, addr: SocketAddr) -> Result<Server, ApiError> {
        token::ensure(core.paths()).map_err(|e| {
            ApiError::internal(format!(
                "making the API token in {}: {e}",
                core.paths().root().display()
            ))
        })?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| bind_error(addr, &e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ApiError::internal(format!("reading the API's address: {e}")))?;
        let (stop, stopping) = watch::channel(false);
        let app = router(core, stopping.clone());
        let mut shutdown = stopping;
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = shutdown.wait_for(|stop| *stop).await;
                })
                .await;
            if let Err(error) = served {
                tracing::warn!("the HTTP API stopped: {error}");
            }
        });
        tracing::info!("HTTP API on http://{addr}");
        Ok(Server { addr, stop, task })
    }

    /// Where it listens (with the port the system picked, when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stop listening; requests in flight get a few seconds to finish, event streams end at once.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
            task.abort();
        }
    }
}

/// The error of a failed bind, naming the address.
fn bind_error(addr: SocketAddr, error: &std::io::Error) -> ApiError {
    if error.kind() == std::io::ErrorKind::AddrInUse {
        ApiError::conflict(format!(
            "cannot serve the HTTP API on {addr}: port {} is already in use (another `sbx serve --api`, or the \
             app's HTTP API?); choose another with --port",
            addr.port()
        ))
    } else {
        ApiError::invalid(
            sbx_api::Field::Listen,
            addr.to_string(),
            format!("cannot serve the HTTP API there: {error}"),
        )
    }
}
