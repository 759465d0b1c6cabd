//! Snapshots: captured sandboxes, their status, and the requests that take, restore, clone and move them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{JobStage, Sandbox};

/// Where a snapshot is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotStatus {
    /// The filesystem is being captured.
    Capturing,
    /// The workspace and configuration are being added to the image.
    Finalizing,
    /// Ready to restore from.
    Active,
    /// Capture failed; the reason is kept. Never retried; can be deleted.
    Failed,
}

impl SnapshotStatus {
    /// The word shown and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotStatus::Capturing => "capturing",
            SnapshotStatus::Finalizing => "finalizing",
            SnapshotStatus::Active => "active",
            SnapshotStatus::Failed => "failed",
        }
    }

    /// The stage of the capture job while a snapshot is at this status (`None` once it has ended).
    pub fn capture_stage(self) -> Option<JobStage> {
        match self {
            SnapshotStatus::Capturing => Some(JobStage::Capturing),
            SnapshotStatus::Finalizing => Some(JobStage::Finalizing),
            SnapshotStatus::Active | SnapshotStatus::Failed => None,
        }
    }
}

/// How secrets are treated when capturing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotMode {
    /// Snapshot and delete: remove injected secrets, capture, delete the source sandbox (recommended).
    #[default]
    Scrub,
    /// Full snapshot: capture as is, secrets included; the source keeps running.
    Full,
}

impl SnapshotMode {
    /// `scrub` or `full`.
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotMode::Scrub => "scrub",
            SnapshotMode::Full => "full",
        }
    }
}

/// Whether the sandbox is paused while captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consistency {
    /// Paused during capture (default).
    #[default]
    Application,
    /// Not paused (`--quick`).
    Crash,
}

impl Consistency {
    /// `application` or `crash`.
    pub fn as_str(self) -> &'static str {
        match self {
            Consistency::Application => "application",
            Consistency::Crash => "crash",
        }
    }
}

/// A snapshot as listed and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Stable id (UUID).
    pub id: String,
    /// Unique name; how the user addresses it.
    pub name: String,
    /// The preset (or image) the source sandbox was made from; restored sandboxes inherit it.
    pub source_template: String,
    /// Id of the sandbox it was taken from.
    pub source_sandbox_id: String,
    /// Name of the sandbox it was taken from.
    pub source_sandbox_name: String,
    /// Repository of the source sandbox, when it had one.
    pub repository: Option<String>,
    /// Current status.
    pub status: SnapshotStatus,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// When the reaper deletes it; `None` keeps it.
    pub expires_at: Option<DateTime<Utc>>,
    /// Bytes on disk the snapshot's own layers take, once active.
    pub size_bytes: Option<u64>,
    /// Capture mode.
    pub mode: SnapshotMode,
    /// Capture consistency.
    pub consistency: Consistency,
    /// Engine image reference, once captured.
    pub image: Option<String>,
    /// Whether it came from a file (`sbx snapshot import`): a restore mounts no agent credentials unless asked.
    #[serde(default)]
    pub imported: bool,
    /// Whether a sandbox's schedule took it (automatic snapshots keep the newest N per sandbox).
    #[serde(default)]
    pub automatic: bool,
}

/// One page of snapshots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotPage {
    /// The snapshots of this page, newest first.
    pub items: Vec<Snapshot>,
    /// Page number, from 1.
    pub page: u32,
    /// Page size.
    pub limit: u32,
    /// Number of snapshots matching, all pages.
    pub total: u64,
    /// Bytes all matching snapshots take on disk.
    pub total_size_bytes: u64,
}

/// `sbx snapshot list [--sandbox NAME] [--page N] [--limit N]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListSnapshotsRequest {
    /// Only snapshots of this sandbox (by name).
    pub sandbox: Option<String>,
    /// Page number, from 1.
    pub page: u32,
    /// Page size, 1–1000.
    pub limit: u32,
}

impl Default for ListSnapshotsRequest {
    fn default() -> Self {
        ListSnapshotsRequest {
            sandbox: None,
            page: 1,
            limit: 50,
        }
    }
}

/// `sbx snapshot create SANDBOX --name NAME [--mode scrub|full] [--quick]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CreateSnapshotRequest {
    /// The sandbox to capture (by name).
    pub sandbox: String,
    /// The snapshot's name.
    pub name: String,
    /// Capture mode.
    pub mode: SnapshotMode,
    /// Crash-consistent (not paused).
    pub quick: bool,
    /// Return only when the snapshot is active or failed.
    pub wait: bool,
}

/// `sbx snapshot restore NAME [--name NEW] [--cpus N] [--memory MIB] [--no-setup] [--credentials]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RestoreSnapshotRequest {
    /// The snapshot (by name).
    pub snapshot: String,
    /// Name of the new sandbox; generated when absent.
    pub name: Option<String>,
    /// CPU override.
    pub cpus: Option<u32>,
    /// Memory override in MiB.
    pub memory_mib: Option<u32>,
    /// Skip the setup script at boot.
    pub no_setup: bool,
    /// Mount the agent credentials found on this machine even when the snapshot's configuration has them off (an
    /// imported snapshot always has: its restores mount none unless asked).
    pub credentials: bool,
    /// Return only once the sandbox is running.
    pub wait_for_ready: bool,
}

/// `sbx sandbox clone NAME [--name NEW] [--snapshot-name S] [--cpus N] [--memory MIB] [--image IMAGE]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CloneSandboxRequest {
    /// The sandbox to clone (by name).
    pub sandbox: String,
    /// Name of the new sandbox; generated when absent.
    pub name: Option<String>,
    /// Name of the intermediate snapshot; generated when absent.
    pub snapshot_name: Option<String>,
    /// CPU override.
    pub cpus: Option<u32>,
    /// Memory override in MiB.
    pub memory_mib: Option<u32>,
    /// Image override.
    pub image: Option<String>,
    /// Return only once the new sandbox is running.
    pub wait_for_ready: bool,
}

/// What a clone produced: the new sandbox and the intermediate snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloneResult {
    /// The new sandbox.
    pub sandbox: Sandbox,
    /// The snapshot it was restored from.
    pub snapshot: Snapshot,
}

/// `sbx snapshot export NAME FILE [--include-secrets]` / `import FILE`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SnapshotFileRequest {
    /// The snapshot name (export only).
    pub name: String,
    /// Host path of the archive.
    pub file: String,
    /// Export only: write the values of a full snapshot's secret variables into the file (in plain text; the file
    /// then says so). Without it the file holds their names with empty values.
    pub include_secrets: bool,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExportResult {
    /// The file written.
    pub file: String,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// How many secret values went into it (only with `include_secrets`, only of a full snapshot).
    pub secret_values: usize,
}

/// Which file the system's file dialog asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "purpose", rename_all = "snake_case")]
pub enum FileChoice {
    /// A file to export a snapshot to (a save dialog).
    Export {
        /// The file name offered.
        suggested_name: String,
    },
    /// A snapshot file to import (an open dialog).
    Import,
}

/// What a scrub finds: a kind of secret and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScrubKind {
    /// A file at one of the agents' credential paths (under `/home/amika` or `/root`) that the app did not mount.
    CredentialFile,
    /// A byte-for-byte copy of a mounted credential file.
    CredentialCopy,
    /// A file that contains the value of a secret environment variable.
    SecretValue,
    /// A `.git-credentials` file.
    GitCredentials,
    /// A git configuration with credentials in a URL (a remote, or `url.*.insteadOf`).
    GitUrlCredentials,
    /// A git configuration with an `http.extraHeader` (usually an authorization header).
    GitExtraHeader,
    /// A shell or REPL history file.
    ShellHistory,
    /// A secret environment variable: the snapshot's configuration keeps its name, not its value.
    SecretVariable,
}

impl ScrubKind {
    /// Every kind, in the order the preview lists them.
    pub const ALL: [ScrubKind; 8] = [
        ScrubKind::SecretVariable,
        ScrubKind::CredentialFile,
        ScrubKind::CredentialCopy,
        ScrubKind::SecretValue,
        ScrubKind::GitCredentials,
        ScrubKind::GitUrlCredentials,
        ScrubKind::GitExtraHeader,
        ScrubKind::ShellHistory,
    ];

    /// The name used on the wire and by the scrub script.
    pub fn as_str(self) -> &'static str {
        match self {
            ScrubKind::CredentialFile => "credential-file",
            ScrubKind::CredentialCopy => "credential-copy",
            ScrubKind::SecretValue => "secret-value",
            ScrubKind::GitCredentials => "git-credentials",
            ScrubKind::GitUrlCredentials => "git-url-credentials",
            ScrubKind::GitExtraHeader => "git-extra-header",
            ScrubKind::ShellHistory => "shell-history",
            ScrubKind::SecretVariable => "secret-variable",
        }
    }

    /// The kind called `name` (see [`ScrubKind::as_str`]).
    pub fn parse(name: &str) -> Option<ScrubKind> {
        ScrubKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// What it is, in words.
    pub fn describe(self) -> &'static str {
        match self {
            ScrubKind::CredentialFile => "credential file",
            ScrubKind::CredentialCopy => "copy of a mounted credential file",
            ScrubKind::SecretValue => "file containing a secret variable's value",
            ScrubKind::GitCredentials => "git credentials file",
            ScrubKind::GitUrlCredentials => "credentials in a git URL (removed from the file)",
            ScrubKind::GitExtraHeader => "git http.extraHeader (removed from the file)",
            ScrubKind::ShellHistory => "shell history",
            ScrubKind::SecretVariable => "secret variable (its value is not kept)",
        }
    }
}

/// One thing a scrub removes: its kind and where (a path in the sandbox, or a variable's name). Never the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScrubFinding {
    /// What it is.
    pub kind: ScrubKind,
    /// The path in the sandbox, or the variable's name for [`ScrubKind::SecretVariable`].
    pub path: String,
}

/// What a scrubbing snapshot of a sandbox would remove now (`sbx snapshot create … --mode scrub --dry-run`, and the
/// Take Snapshot dialog before **Snapshot and delete**).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScrubPreview {
    /// The sandbox.
    pub sandbox: String,
    /// Each finding, in [`ScrubKind::ALL`] order, then by path.
    pub findings: Vec<ScrubFinding>,
    /// What the scrub cannot cover here (a secret value too short to search for, say).
    pub notes: Vec<String>,
}
