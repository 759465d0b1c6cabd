//! `sbx config explain`: the configuration a new sandbox would get, value by value, and where each value comes
//! from (a flag, `.amika/config.toml`, the app, or the default).

use clap::{Args, Subcommand};
use sbx_api::{ApiError, CreateSandboxRequest, GitChoice, SnapshotChoice};
use sbx_core::Core;
use std::process::ExitCode;

use crate::output;
use crate::sandbox::current_dir;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Show the configuration `sbx sandbox create --git PATH` would use, and where each value comes from.
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A path inside the repository, or a URL (default: the current repository).
    #[arg(value_name = "PATH")]
    path: Option<String>,
    /// As `sbx sandbox create --preset`.
    #[arg(long, value_name = "NAME")]
    preset: Option<String>,
    /// As `sbx sandbox create --image`.
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,
    /// As `sbx sandbox create --env` (repeatable).
    #[arg(long = "env", value_name = "K=V")]
    env: Vec<String>,
    /// As `sbx sandbox create --port` (repeatable).
    #[arg(long = "port", value_name = "HOST:CONTAINER[/udp]")]
    ports: Vec<String>,
    /// As `sbx sandbox create --setup-script`.
    #[arg(long, value_name = "FILE", conflicts_with = "no_setup")]
    setup_script: Option<String>,
    /// As `sbx sandbox create --no-setup`.
    #[arg(long)]
    no_setup: bool,
    /// As `sbx sandbox create --snapshot`.
    #[arg(long, value_name = "NAME", conflicts_with = "no_snapshot")]
    snapshot: Option<String>,
    /// As `sbx sandbox create --no-snapshot`.
    #[arg(long)]
    no_snapshot: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(core: &Core, command: ConfigCommand) -> Result<ExitCode, ApiError> {
    let ConfigCommand::Explain(args) = command;
    let request = CreateSandboxRequest {
        git: args.path.map(GitChoice::Source).unwrap_or(GitChoice::Auto),
        cwd: current_dir(),
        preset: args.preset,
        image: args.image,
        env: args.env,
        ports: args.ports,
        setup_script: args.setup_script,
        no_setup: args.no_setup,
        snapshot: match (args.snapshot, args.no_snapshot) {
            (_, true) => SnapshotChoice::Off,
            (Some(name), false) => SnapshotChoice::Named(name),
            (None, false) => SnapshotChoice::RepoDefault,
        },
        ..Default::default()
    };
    let explanation = core.explain_config(&request).await?;
    if args.json {
        output::json(&explanation)?;
        return Ok(ExitCode::SUCCESS);
    }
    output::facts(&[
        (
            "repository",
            explanation
                .repo_root
                .clone()
                .unwrap_or_else(|| "none (not inside a repository)".into()),
        ),
        (
            "config file",
            explanation
                .config_file
                .clone()
                .unwrap_or_else(|| "no .amika/config.toml".into()),
        ),
    ]);
    println!();
    let rows: Vec<Vec<String>> = explanation
        .values
        .iter()
        .map(|v| {
            vec![
                v.field.to_string(),
                v.value.clone(),
                v.source.as_str().to_string(),
            ]
        })
        .collect();
    output::table(&["FIELD", "VALUE", "SOURCE"], &rows);
    for warning in &explanation.warnings {
        println!("warning: {warning}");
    }
    Ok(ExitCode::SUCCESS)
}
