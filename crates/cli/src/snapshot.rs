//! `sbx snapshot …`: take, list, show, restore, delete, export and import snapshots.

use clap::{Args, Subcommand, ValueEnum};
use sbx_api::{
    ApiError, CreateSnapshotRequest, JobKind, ListSnapshotsRequest, RestoreSnapshotRequest,
    SnapshotMode, SnapshotStatus,
};
use sbx_core::Core;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::output;
use crate::progress::{Filter, Watch};
use crate::sandbox;

#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// Take a snapshot of a running sandbox and wait until it is active.
    Create(CreateArgs),
    /// List snapshots, newest first.
    List(ListArgs),
    /// Show one snapshot.
    Show(ShowArgs),
    /// Create a sandbox from a snapshot and wait until it is ready.
    Restore(RestoreArgs),
    /// Delete a snapshot for good (sandboxes restored from it keep running).
    Delete(NameArg),
    /// Write a snapshot to a file, to import it on another machine.
    Export(ExportArgs),
    /// Load a snapshot from a file written by export.
    Import(ImportArgs),
    /// Show where a snapshot comes from and what came of it, as a tree: the sandbox it was taken from, the snapshot
    /// that sandbox was restored from, …, and the sandboxes restored from it and their snapshots.
    Lineage(ShowArgs),
}

/// Capture mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Remove injected secrets, capture, then delete the source sandbox (recommended).
    Scrub,
    /// Capture as is, secrets included; the source keeps running.
    Full,
}

impl From<Mode> for SnapshotMode {
    fn from(mode: Mode) -> SnapshotMode {
        match mode {
            Mode::Scrub => SnapshotMode::Scrub,
            Mode::Full => SnapshotMode::Full,
        }
    }
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The running sandbox to capture.
    sandbox: String,
    /// Snapshot name: 1-40 lowercase letters, digits and hyphens.
    #[arg(long, value_name = "NAME")]
    name: String,
    /// scrub: remove secrets and delete the sandbox after; full: keep everything and the sandbox.
    #[arg(long, value_enum, default_value_t = Mode::Scrub)]
    mode: Mode,
    /// Do not pause the sandbox while capturing (crash-consistent).
    #[arg(long)]
    quick: bool,
    /// List what the scrub would remove (path and kind, never the value) and capture nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only snapshots of this sandbox.
    #[arg(long, value_name = "NAME")]
    sandbox: Option<String>,
    /// Page number, from 1.
    #[arg(long, value_name = "N", default_value_t = 1)]
    page: u32,
    /// Snapshots per page, 1-1000.
    #[arg(long, value_name = "N", default_value_t = 50)]
    limit: u32,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The snapshot.
    name: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The snapshot (must be active).
    snapshot: String,
    /// Name of the new sandbox (generated when omitted).
    #[arg(long, value_name = "NEW")]
    name: Option<String>,
    /// CPU limit, 1-32.
    #[arg(long, value_name = "N")]
    cpus: Option<u32>,
    /// Memory limit in MiB, 128-32768.
    #[arg(long, value_name = "MIB")]
    memory: Option<u32>,
    /// Skip the setup script at boot.
    #[arg(long)]
    no_setup: bool,
    /// Mount the agent credentials found on this machine even if the snapshot's configuration does not (a restore
    /// of an imported snapshot mounts none without it).
    #[arg(long)]
    credentials: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct NameArg {
    /// The snapshot.
    name: String,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The snapshot (must be active).
    name: String,
    /// The file to write.
    file: PathBuf,
    /// Also write the values of a full snapshot's secret variables into the file, in plain text (without it they
    /// are left out: the variables come back empty).
    #[arg(long)]
    include_secrets: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A file written by `sbx snapshot export`.
    file: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(core: &Arc<Core>, command: SnapshotCommand) -> Result<ExitCode, ApiError> {
    match command {
        SnapshotCommand::Create(args) => create(core, args).await,
        SnapshotCommand::List(args) => list(core, args).await,
        SnapshotCommand::Show(args) => {
            let snapshot = core.get_snapshot(&args.name).await?;
            if args.json {
                output::json(&snapshot)?;
            } else {
                output::snapshot_facts(&snapshot);
            }
            Ok(ExitCode::SUCCESS)
        }
        SnapshotCommand::Restore(args) => restore(core, args).await,
        SnapshotCommand::Delete(args) => {
            core.delete_snapshot(&args.name).await?;
            println!("deleted snapshot {}", args.name);
            Ok(ExitCode::SUCCESS)
        }
        SnapshotCommand::Export(args) => {
            let report = core
                .export_snapshot_with(&args.name, &args.file, args.include_secrets)
                .await?;
            if args.include_secrets {
                eprintln!(
                    "warning: --include-secrets: {} holds {} secret value(s) in plain text; keep it private and \
                     delete it once imported{}",
                    args.file.display(),
                    report.secret_values,
                    if report.secret_values == 0 {
                        " (this snapshot kept none: a scrubbing snapshot, or no secret variables)"
                    } else {
                        ""
                    }
                );
            }
            println!("exported {} to {}", args.name, args.file.display());
            Ok(ExitCode::SUCCESS)
        }
        SnapshotCommand::Lineage(args) => {
            let lineage = core.snapshot_lineage(&args.name).await?;
            if args.json {
                output::json(&lineage)?;
            } else {
                print!("{}", lineage_text(&lineage));
            }
            Ok(ExitCode::SUCCESS)
        }
        SnapshotCommand::Import(args) => {
            let snapshot = core.import_snapshot(&args.file).await?;
            if args.json {
                output::json(&snapshot)?;
            } else {
                println!("imported {}", snapshot.name);
                output::snapshot_facts(&snapshot);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A lineage tree as text: one node a line, the snapshot asked about marked.
fn lineage_text(lineage: &sbx_api::SnapshotLineage) -> String {
    lineage.render(|node| {
        let mut line = match node.kind {
            sbx_api::LineageKind::Sandbox => format!("sandbox {}", node.name),
            sbx_api::LineageKind::Snapshot => format!("snapshot {}", node.name),
        };
        if let Some(status) = node.status {
            line.push_str(&format!("  {}", status.as_str()));
        }
        if let Some(layers) = node.layers {
            line.push_str(&format!(
                "  {layers} layer{}",
                if layers == 1 { "" } else { "s" }
            ));
        }
        if node.flattened {
            line.push_str("  [flattened]");
        }
        if !node.exists {
            line.push_str("  (deleted)");
        }
        if node.kind == sbx_api::LineageKind::Snapshot && node.id == lineage.focus {
            line.push_str("  <- this snapshot");
        }
        line
    })
}

/// `--dry-run`: what a scrub of the sandbox would remove now.
async fn preview(core: &Arc<Core>, args: CreateArgs) -> Result<ExitCode, ApiError> {
    if args.mode != Mode::Scrub {
        return Err(ApiError::invalid(
            sbx_api::Field::Mode,
            "full",
            "--dry-run lists what a scrub removes; a full snapshot removes nothing",
        ));
    }
    sbx_core::validate::name(sbx_api::Field::Name, &args.name)?;
    let preview = core.preview_scrub(&args.sandbox).await?;
    if args.json {
        output::json(&preview)?;
    } else {
        output::scrub_preview(&preview);
    }
    Ok(ExitCode::SUCCESS)
}

async fn create(core: &Arc<Core>, args: CreateArgs) -> Result<ExitCode, ApiError> {
    if args.dry_run {
        return preview(core, args).await;
    }
    let request = CreateSnapshotRequest {
        sandbox: args.sandbox.clone(),
        name: args.name.clone(),
        mode: args.mode.into(),
        quick: args.quick,
        wait: true,
    };
    let watch = Watch::start(
        core,
        Filter {
            kinds: &[JobKind::Snapshot],
            target: Some(args.name.clone()),
        },
        false,
    );
    let result = core.create_snapshot(&request).await;
    watch.finish().await;
    let snapshot = result?;
    if snapshot.status == SnapshotStatus::Failed {
        return Err(ApiError::internal(format!(
            "snapshot {} failed: {}",
            snapshot.name,
            snapshot
                .failure_reason
                .as_deref()
                .unwrap_or("no reason recorded")
        )));
    }
    if args.json {
        output::json(&snapshot)?;
    } else {
        println!("snapshot {} is {}", snapshot.name, snapshot.status.as_str());
        if args.mode == Mode::Scrub && core.sandbox_record(&args.sandbox).await.is_err() {
            println!("deleted sandbox {} after capture", args.sandbox);
        }
        output::snapshot_facts(&snapshot);
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(core: &Core, args: ListArgs) -> Result<ExitCode, ApiError> {
    let page = core
        .list_snapshots(&ListSnapshotsRequest {
            sandbox: args.sandbox,
            page: args.page,
            limit: args.limit,
        })
        .await?;
    if args.json {
        output::json(&page)?;
        return Ok(ExitCode::SUCCESS);
    }
    if page.total == 0 {
        println!("No snapshots yet. Take one with: sbx snapshot create SANDBOX --name NAME");
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = page
        .items
        .iter()
        .map(|s| {
            vec![
                s.name.clone(),
                s.source_sandbox_name.clone(),
                s.status.as_str().to_string(),
                output::date(&s.created_at),
                s.expires_at
                    .as_ref()
                    .map(output::date)
                    .unwrap_or_else(|| "never".into()),
                s.size_bytes.map(output::size).unwrap_or_else(|| "-".into()),
                if s.automatic {
                    format!("{} (auto)", s.mode.as_str())
                } else {
                    s.mode.as_str().to_string()
                },
                s.consistency.as_str().to_string(),
            ]
        })
        .collect();
    output::table(
        &[
            "NAME",
            "SOURCE-SANDBOX",
            "STATUS",
            "CREATED",
            "EXPIRES",
            "SIZE",
            "MODE",
            "CONSISTENCY",
        ],
        &rows,
    );
    let pages = page.total.div_ceil(u64::from(page.limit.max(1))).max(1);
    println!(
        "page {} of {pages}, {} snapshots, total size {}",
        page.page,
        page.total,
        output::size(page.total_size_bytes)
    );
    Ok(ExitCode::SUCCESS)
}

async fn restore(core: &Arc<Core>, args: RestoreArgs) -> Result<ExitCode, ApiError> {
    let request = RestoreSnapshotRequest {
        snapshot: args.snapshot.clone(),
        name: args.name.clone(),
        cpus: args.cpus,
        memory_mib: args.memory,
        no_setup: args.no_setup,
        credentials: args.credentials,
        wait_for_ready: true,
    };
    let watch = Watch::start(
        core,
        Filter {
            kinds: &[JobKind::Restore],
            target: args.name,
        },
        true,
    );
    let result = core.restore_snapshot(&request).await;
    let setup_shown = watch.finish().await;
    sandbox::ready(core, result?, setup_shown, args.json, "restored").await
}
