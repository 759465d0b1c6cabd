//! `sbx volume …`: the git volumes holding repository checkouts, which outlive their sandboxes: their size, the
//! sandbox that made them ("orphaned" once it is gone), and deleting one.

use clap::{Args, Subcommand};
use sbx_api::ApiError;
use sbx_core::Core;
use std::process::ExitCode;

use crate::output;

#[derive(Debug, Subcommand)]
pub enum VolumeCommand {
    /// List git volumes.
    List(ListArgs),
    /// Delete a git volume (not while a sandbox uses it).
    Delete(DeleteArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The volume.
    name: String,
}

pub async fn run(core: &Core, command: VolumeCommand) -> Result<ExitCode, ApiError> {
    match command {
        VolumeCommand::List(args) => {
            let volumes = core.list_volumes().await?;
            if args.json {
                output::json(&volumes)?;
            } else if volumes.is_empty() {
                println!("No git volumes. They are made by: sbx sandbox create --git");
            } else {
                let rows: Vec<Vec<String>> = volumes
                    .iter()
                    .map(|v| {
                        vec![
                            v.name.clone(),
                            v.size_bytes.map(output::size).unwrap_or_else(|| "-".into()),
                            if v.orphaned {
                                format!("{} (orphaned)", v.sandbox)
                            } else {
                                v.sandbox.clone()
                            },
                            v.repo.clone(),
                            if v.used_by.is_empty() {
                                "-".to_string()
                            } else {
                                v.used_by.join(", ")
                            },
                            v.created_at
                                .as_deref()
                                .map(output::engine_date)
                                .unwrap_or_else(|| "-".into()),
                        ]
                    })
                    .collect();
                output::table(
                    &["NAME", "SIZE", "SANDBOX", "REPO", "USED-BY", "CREATED"],
                    &rows,
                );
            }
        }
        VolumeCommand::Delete(args) => {
            core.delete_volume(&args.name).await?;
            println!("deleted volume {}", args.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}
