//! `sbx`: the command-line client of Sandbox Desktop, over the same core and database as the desktop app.
//!
//! Every command that prints data takes `--json`; every failure is one line `sbx: …` on stderr and exit code 1
//! (`sbx sandbox exec` and `ssh` exit with the command's own code).

mod api;
mod config;
mod engine;
mod output;
mod profile;
mod progress;
mod repo;
mod sandbox;
mod serve;
mod session;
mod snapshot;
mod volume;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};
use sbx_core::Core;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "sbx",
    version,
    about = "Local development sandboxes and snapshots on your own Docker engine",
    after_help = "Data: SANDBOX_DESKTOP_HOME (default: the per-user app data dir). Engine: DOCKER_HOST (default: the local socket)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show the Docker engine the app talks to.
    Engine(engine::EngineArgs),
    /// Create, inspect, run commands in and delete sandboxes.
    #[command(subcommand)]
    Sandbox(sandbox::SandboxCommand),
    /// Take, list, restore, delete, export and import snapshots.
    #[command(subcommand)]
    Snapshot(snapshot::SnapshotCommand),
    /// Sandbox profiles: versioned recipes baked into snapshot images that sandboxes launch from.
    #[command(subcommand)]
    Profile(profile::ProfileCommand),
    /// List and delete the git volumes of sandboxes.
    #[command(subcommand)]
    Volume(volume::VolumeCommand),
    /// Explain the configuration a new sandbox would get.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// A repository's default snapshot.
    #[command(subcommand)]
    Repo(repo::RepoCommand),
    /// Run the background work (idle auto-stop and auto-delete, automatic snapshots, expiry) until Ctrl-C; with
    /// --api, the local HTTP API too.
    Serve(serve::ServeArgs),
    /// The local HTTP API's key.
    #[command(subcommand)]
    Api(api::ApiCommand),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(error),
    };
    init_logging(matches!(cli.command, Command::Serve(_)));
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
    let result = runtime.block_on(run(cli));
    // A read of our stdin may still be blocked (exec, ssh); do not wait for it.
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("sbx: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr: `info` for `sbx serve`, only errors for the other commands; `RUST_LOG` overrides.
fn init_logging(serve: bool) {
    let default = if serve { "info,sqlx=warn" } else { "error" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Help and version go out as clap prints them; a usage error becomes one line `sbx: …` and exit code 1.
fn usage_error(error: clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprintln!("sbx: {}", missing_subcommand());
            ExitCode::FAILURE
        }
        _ => {
            let text = error.render().to_string();
            let first: Vec<&str> = text
                .lines()
                .take_while(|line| !line.trim().is_empty())
                .map(str::trim)
                .collect();
            let line = first.join(" ");
            eprintln!("sbx: {}", line.strip_prefix("error: ").unwrap_or(&line));
            ExitCode::FAILURE
        }
    }
}

/// `'sbx sandbox' needs a subcommand: create, list, … (see 'sbx sandbox --help')` for the command line given.
fn missing_subcommand() -> String {
    let mut command = Cli::command();
    let mut path = vec!["sbx".to_string()];
    for arg in std::env::args().skip(1) {
        let Some(sub) = command.find_subcommand(&arg).cloned() else {
            break;
        };
        path.push(arg);
        command = sub;
    }
    let names: Vec<String> = command
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
        .map(|c| c.get_name().to_string())
        .collect();
    let path = path.join(" ");
    format!(
        "'{path}' needs a subcommand: {} (see '{path} --help')",
        names.join(", ")
    )
}

async fn run(cli: Cli) -> Result<ExitCode, sbx_api::ApiError> {
    let core: Arc<Core> = Core::open_default().await?;
    match &cli.command {
        Command::Engine(_) | Command::Serve(_) | Command::Api(_) => {}
        // Clean up after work a crashed process left half done; it logs what it could not do.
        _ => core.recover().await,
    }
    match cli.command {
        Command::Engine(args) => engine::run(&core, args).await,
        Command::Sandbox(command) => sandbox::run(&core, command).await,
        Command::Snapshot(command) => snapshot::run(&core, command).await,
        Command::Profile(command) => profile::run(&core, command).await,
        Command::Volume(command) => volume::run(&core, command).await,
        Command::Config(command) => config::run(&core, command).await,
        Command::Repo(command) => repo::run(&core, command).await,
        Command::Serve(args) => serve::run(&core, args).await,
        Command::Api(command) => api::run(&core, command).await,
    }
}
