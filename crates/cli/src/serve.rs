//! `sbx serve [--api [--port N] [--listen ADDR]]`: the background work without the desktop app — following the
//! engine's events and the runner (recovery, idle auto-stop and auto-delete, automatic snapshots, the expiry reaper)
//! — and, with `--api`, the local HTTP API (`sbx-http`) beside it, until Ctrl-C or SIGTERM.

use clap::Args;
use sbx_api::ApiError;
use sbx_core::Core;
use sbx_core::runner::RUNNER_LEASE;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Also serve the local HTTP API (the routes of seed 002; every request needs the header x-api-key with the
    /// token `sbx api token` prints).
    #[arg(long)]
    api: bool,
    /// The HTTP API's port.
    #[arg(long, requires = "api", default_value_t = sbx_http::DEFAULT_PORT)]
    port: u16,
    /// The address the HTTP API listens on instead of 127.0.0.1 (e.g. 0.0.0.0: then other machines can reach it,
    /// and anyone who can reach it can try keys).
    #[arg(long, requires = "api", value_name = "ADDR")]
    listen: Option<IpAddr>,
}

pub async fn run(core: &Arc<Core>, args: ServeArgs) -> Result<ExitCode, ApiError> {
    // The API first: a busy port is an error before any background work starts.
    let server = if args.api {
        let ip = args.listen.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        if !ip.is_loopback() {
            eprintln!(
                "sbx: warning: the HTTP API listens on {ip}, not only on this machine: whoever can reach it can \
                 try keys, and requests travel unencrypted"
            );
        }
        Some(sbx_http::Server::start(Arc::clone(core), SocketAddr::new(ip, args.port)).await?)
    } else {
        None
    };
    core.start_background();
    println!(
        "serving (data dir: {}); press Ctrl-C to stop",
        core.paths().root().display()
    );
    if let Some(server) = &server {
        println!(
            "HTTP API on {} (send the header x-api-key: the token `sbx api token` prints)",
            server.url()
        );
    }
    let _ = std::io::stdout().flush();
    shutdown_signal().await;
    tracing::info!("stopping");
    if let Some(server) = server {
        server.stop().await;
    }
    core.release_lease(RUNNER_LEASE).await?;
    Ok(ExitCode::SUCCESS)
}

/// Returns on Ctrl-C, or (on Unix) SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
