//! `sbx engine`: the Docker engine the app talks to.

use clap::Args;
use sbx_api::{ApiError, EngineStatus};
use sbx_core::Core;
use std::process::ExitCode;

use crate::output;

#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(core: &Core, args: EngineArgs) -> Result<ExitCode, ApiError> {
    let status = core.engine_status().await;
    if args.json {
        output::json(&status)?;
    } else {
        match &status {
            EngineStatus::Connected(info) => output::facts(&[
                ("address", info.address.clone()),
                ("server version", info.server_version.clone()),
                ("API version", info.api_version.clone()),
                ("OS", info.os.clone()),
                (
                    "containers",
                    format!("{} ({} running)", info.containers, info.containers_running),
                ),
                ("images", info.images.to_string()),
            ]),
            EngineStatus::Unreachable { address, reason } => output::facts(&[
                ("engine", "unreachable".into()),
                ("address", address.clone()),
                ("reason", reason.clone()),
            ]),
        }
    }
    Ok(match status {
        EngineStatus::Connected(_) => ExitCode::SUCCESS,
        EngineStatus::Unreachable { .. } => ExitCode::FAILURE,
    })
}
