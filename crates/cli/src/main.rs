//! `sbx`: the command-line client of Sandbox Desktop, over the same core and database as the desktop app.
//!
//! Every command that prints data takes `--json`; every failure is one line on stderr and a non-zero exit.

mod engine;
mod output;

use clap::{Parser, Subcommand};
use sbx_core::Core;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "sbx",
    version,
    about = "Local development sandboxes and snapshots on your own Docker engine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show the Docker engine the app talks to.
    Engine(engine::EngineArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(error) => {
            eprintln!("sbx: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("sbx: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, sbx_api::ApiError> {
    let core: Arc<Core> = Core::open_default().await?;
    match cli.command {
        Command::Engine(args) => engine::run(&core, args).await,
    }
}
