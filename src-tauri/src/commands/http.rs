//! The window's HTTP API (Settings → HTTP API): the server of `sbx-http` — the one `sbx serve --api` runs — on
//! 127.0.0.1 at its default port, started and stopped from the page and gone with the app. One per app process.

use sbx_api::requests::{GetHttpApi, SetHttpApi};
use sbx_api::{ApiError, HttpApiStatus};
use sbx_core::Core;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use tokio::sync::Mutex;

/// The server the window runs, if it runs one.
fn server() -> &'static Mutex<Option<sbx_http::Server>> {
    static SERVER: OnceLock<Mutex<Option<sbx_http::Server>>> = OnceLock::new();
    SERVER.get_or_init(|| Mutex::new(None))
}

fn status(server: Option<&sbx_http::Server>) -> HttpApiStatus {
    HttpApiStatus {
        running: server.is_some(),
        address: server.map(sbx_http::Server::url),
    }
}

/// Start or stop it; starting twice or stopping twice changes nothing.
async fn set(core: &Arc<Core>, on: bool) -> Result<HttpApiStatus, ApiError> {
    let mut slot = server().lock().await;
    match (on, slot.take()) {
        (true, Some(running)) => *slot = Some(running),
        (true, None) => {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, sbx_http::DEFAULT_PORT));
            *slot = Some(sbx_http::Server::start(Arc::clone(core), addr).await?);
        }
        (false, Some(running)) => running.stop().await,
        (false, None) => {}
    }
    Ok(status(slot.as_ref()))
}

super::handle! {
    GetHttpApi => |_core, ()| Ok(status(server().lock().await.as_ref()));
    SetHttpApi => |core, on| set(core, on).await;
}
