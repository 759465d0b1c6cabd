//! `sbx serve`: the background work without the desktop app — following the engine's events and the runner
//! (recovery, idle auto-stop and auto-delete, automatic snapshots, the expiry reaper) — until Ctrl-C or SIGTERM.

use sbx_api::ApiError;
use sbx_core::Core;
use sbx_core::runner::RUNNER_LEASE;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

pub async fn run(core: &Arc<Core>) -> Result<ExitCode, ApiError> {
    core.start_background();
    println!(
        "serving (data dir: {}); press Ctrl-C to stop",
        core.paths().root().display()
    );
    let _ = std::io::stdout().flush();
    shutdown_signal().await;
    tracing::info!("stopping");
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
