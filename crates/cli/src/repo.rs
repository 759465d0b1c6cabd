//! `sbx repo default …`: a repository's default snapshot, set in the app (wins) or in `.amika/config.toml`.

use clap::{Args, Subcommand};
use sbx_api::{ApiError, DefaultSource, RepoDefaultRequest, Repository};
use sbx_core::Core;
use std::process::ExitCode;

use crate::output;

#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    /// The default snapshot new sandboxes of a repository start from.
    #[command(subcommand)]
    Default(DefaultCommand),
}

#[derive(Debug, Subcommand)]
pub enum DefaultCommand {
    /// Show the repository's default snapshot and where it comes from.
    Show(ShowArgs),
    /// Set the app's default snapshot of the repository (wins over .amika/config.toml).
    Set(SetArgs),
    /// Clear the app's default snapshot of the repository (.amika/config.toml still applies).
    Unset(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A path inside the repository.
    path: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// A path inside the repository.
    path: String,
    /// An active snapshot.
    snapshot: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(core: &Core, command: RepoCommand) -> Result<ExitCode, ApiError> {
    let RepoCommand::Default(command) = command;
    let (repository, json) = match command {
        DefaultCommand::Show(args) => (core.repository(&args.path).await?, args.json),
        DefaultCommand::Set(args) => (
            core.set_repo_default(&RepoDefaultRequest {
                path: args.path,
                snapshot: Some(args.snapshot),
            })
            .await?,
            args.json,
        ),
        DefaultCommand::Unset(args) => (
            core.set_repo_default(&RepoDefaultRequest {
                path: args.path,
                snapshot: None,
            })
            .await?,
            args.json,
        ),
    };
    if json {
        output::json(&repository)?;
    } else {
        print_repository(&repository);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_repository(repository: &Repository) {
    let source = match repository.default_source {
        Some(DefaultSource::App) => "set in the app",
        Some(DefaultSource::RepoConfig) => ".amika/config.toml",
        None => "none",
    };
    let default = match &repository.default_snapshot {
        Some(name) => format!("{name} ({source})"),
        None => "none".to_string(),
    };
    let mut pairs = vec![
        ("repository", repository.name.clone()),
        ("root", repository.root.clone()),
        ("default snapshot", default),
    ];
    if let (Some(app), Some(file)) = (&repository.app_snapshot, &repository.config_snapshot) {
        pairs.push(("set in the app", app.clone()));
        pairs.push((".amika/config.toml", file.clone()));
    }
    output::facts(&pairs);
}
