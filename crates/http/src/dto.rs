//! The shapes of seed 002 — a sandbox `{id, name, created_at, cpu, memory, storage, status, …}`, a snapshot `{id,
//! name, source_sandbox_id, source_sandbox_name, status, created_at, consistency, size, …}` and the request bodies —
//! converted from and to the app's own types (`sbx_api`), which the window and `sbx --json` use.
//!
//! The seed's `status` values are coarser than the app's states; the app's word is kept beside it as `state`:
//!
//! | sandbox `state` (the app) | `status` (the seed) |
//! | --- | --- |
//! | `creating`, `setting-up` | `creating` |
//! | `running` | `running` |
//! | `stopped` | `stopped` |
//! | `setup-failed`, `failed` | `failed` (the reason in `status_reason`) |
//!
//! | snapshot `state` (the app) | `status` (the seed) |
//! | --- | --- |
//! | `capturing`, `finalizing` | `creating` |
//! | `active` | `ready` |
//! | `failed` | `failed` (the reason in `failure_reason`) |

use chrono::{DateTime, Utc};
use sbx_api::{Sandbox, SandboxState, Snapshot, SnapshotMode, SnapshotPage, SnapshotStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The seed's status of a sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SandboxStatus {
    /// Being made, or running its setup script.
    Creating,
    /// Ready: setup finished.
    Running,
    /// Stopped.
    Stopped,
    /// Creation or setup failed, or the container is gone.
    Failed,
}

impl From<SandboxState> for SandboxStatus {
    fn from(state: SandboxState) -> SandboxStatus {
        match state {
            SandboxState::Creating | SandboxState::SettingUp => SandboxStatus::Creating,
            SandboxState::Running => SandboxStatus::Running,
            SandboxState::Stopped => SandboxStatus::Stopped,
            SandboxState::SetupFailed | SandboxState::Failed => SandboxStatus::Failed,
        }
    }
}

/// The seed's status of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = SnapshotStatus)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotStatusDto {
    /// Being captured or finalized.
    Creating,
    /// Restorable.
    Ready,
    /// Capture failed; never retried.
    Failed,
}

impl From<SnapshotStatus> for SnapshotStatusDto {
    fn from(status: SnapshotStatus) -> SnapshotStatusDto {
        match status {
            SnapshotStatus::Capturing | SnapshotStatus::Finalizing => SnapshotStatusDto::Creating,
            SnapshotStatus::Active => SnapshotStatusDto::Ready,
            SnapshotStatus::Failed => SnapshotStatusDto::Failed,
        }
    }
}

/// A sandbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Sandbox)]
pub struct SandboxDto {
    /// Stable id (a UUID); `{id}` in paths takes it or the name.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// CPU limit; null when it has none.
    pub cpu: Option<u32>,
    /// Memory limit in MiB; null when it has none.
    pub memory: Option<u32>,
    /// Disk quota in GB: always null, a local sandbox has none.
    pub storage: Option<u32>,
    /// The seed's status (see the module's table).
    pub status: SandboxStatus,
    /// The app's own state: `creating`, `setting-up`, `running`, `stopped`, `setup-failed`, `failed`.
    pub state: String,
    /// Why it failed, when it did.
    pub status_reason: Option<String>,
    /// The image its container runs.
    pub image: String,
    /// The preset it was made from, when it was.
    pub preset: Option<String>,
    /// The snapshot it was restored from, when it was.
    pub from_snapshot: Option<String>,
    /// Published ports, `host_ip:host_port:container_port[/udp]`.
    pub ports: Vec<String>,
    /// Idle minutes before it is stopped; 0 never.
    pub auto_stop_interval: u32,
    /// Minutes after stopping before it is deleted; null keeps it.
    pub auto_delete_interval: Option<u32>,
}

impl From<Sandbox> for SandboxDto {
    fn from(sandbox: Sandbox) -> SandboxDto {
        SandboxDto {
            id: sandbox.id,
            name: sandbox.name,
            created_at: sandbox.created_at,
            cpu: sandbox.cpus,
            memory: sandbox.memory_mib,
            storage: None,
            status: sandbox.state.into(),
            state: sandbox.state.as_str().to_string(),
            status_reason: sandbox.state_reason,
            image: sandbox.image,
            preset: sandbox.preset,
            from_snapshot: sandbox.from_snapshot,
            ports: sandbox.ports.iter().map(ToString::to_string).collect(),
            auto_stop_interval: sandbox.auto_stop_minutes,
            auto_delete_interval: sandbox.auto_delete_minutes,
        }
    }
}

/// A snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = Snapshot)]
pub struct SnapshotDto {
    /// Stable id (a UUID); `{id}` in paths takes it or the name.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Id of the sandbox it was taken from.
    pub source_sandbox_id: String,
    /// Name of the sandbox it was taken from.
    pub source_sandbox_name: String,
    /// Id of the sandbox it was taken from (seed 003's name for it).
    pub sandbox_id: String,
    /// The preset or image the source was made from; restored sandboxes inherit it.
    pub source_template: String,
    /// The seed's status (see the module's table).
    pub status: SnapshotStatusDto,
    /// The app's own status: `capturing`, `finalizing`, `active`, `failed`.
    pub state: String,
    /// Why it failed, when it did.
    pub failure_reason: Option<String>,
    /// When it was requested.
    pub created_at: DateTime<Utc>,
    /// When the reaper deletes it; null keeps it.
    pub expires_at: Option<DateTime<Utc>>,
    /// `application` (paused while captured) or `crash` (`quick`).
    pub consistency: String,
    /// `full` (as is, secrets kept in the app's secret store) or `scrub` (secrets removed, source deleted).
    pub mode: String,
    /// Bytes its own layers take on disk, once ready.
    pub size: Option<u64>,
    /// The repository of the source, when it had one.
    pub repository: Option<String>,
}

impl From<Snapshot> for SnapshotDto {
    fn from(snapshot: Snapshot) -> SnapshotDto {
        SnapshotDto {
            sandbox_id: snapshot.source_sandbox_id.clone(),
            id: snapshot.id,
            name: snapshot.name,
            source_sandbox_id: snapshot.source_sandbox_id,
            source_sandbox_name: snapshot.source_sandbox_name,
            source_template: snapshot.source_template,
            status: snapshot.status.into(),
            state: snapshot.status.as_str().to_string(),
            failure_reason: snapshot.failure_reason,
            created_at: snapshot.created_at,
            expires_at: snapshot.expires_at,
            consistency: snapshot.consistency.as_str().to_string(),
            mode: snapshot.mode.as_str().to_string(),
            size: snapshot.size_bytes,
            repository: snapshot.repository,
        }
    }
}

/// A page of snapshots, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = SnapshotPage)]
pub struct SnapshotPageDto {
    /// The snapshots of this page.
    pub items: Vec<SnapshotDto>,
    /// Page number, from 1.
    pub page: u32,
    /// Page size.
    pub limit: u32,
    /// Snapshots matching, all pages.
    pub total: u64,
    /// Bytes all matching snapshots take on disk.
    pub total_size: u64,
}

impl From<SnapshotPage> for SnapshotPageDto {
    fn from(page: SnapshotPage) -> SnapshotPageDto {
        SnapshotPageDto {
            items: page.items.into_iter().map(SnapshotDto::from).collect(),
            page: page.page,
            limit: page.limit,
            total: page.total,
            total_size: page.total_size_bytes,
        }
    }
}

/// Every sandbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = SandboxList)]
pub struct SandboxListDto {
    /// The sandboxes, oldest first.
    pub items: Vec<SandboxDto>,
    /// How many.
    pub total: u64,
}

/// What a clone made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = CloneResult)]
pub struct CloneResultDto {
    /// The new sandbox.
    pub sandbox: SandboxDto,
    /// The intermediate snapshot it was restored from.
    pub snapshot: SnapshotDto,
}

/// CPU and memory limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// CPUs, 1–32.
    pub cpus: Option<u32>,
    /// Memory in MiB, 128–32768.
    pub memory: Option<u32>,
}

/// `POST /v1/sandboxes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CreateSandboxBody {
    /// Name; generated (like `teal-tokyo`) when absent.
    pub name: Option<String>,
    /// A custom image (pulled when missing); not with `preset` or `snapshot`.
    pub image: Option<String>,
    /// A preset; the app's default preset when neither this nor `image` nor `snapshot` is given.
    pub preset: Option<String>,
    /// CPU and memory limits.
    pub resources: Option<Resources>,
    /// Environment variables.
    pub env: BTreeMap<String, String>,
    /// Names among `env` whose values are secret (kept only in the app's secret store; a scrubbing snapshot
    /// removes them). Names that look secret (`…TOKEN`, `…KEY`, …) are secret anyway.
    pub secret_env: Vec<String>,
    /// Idle minutes before it is stopped (0–10080; 0 never).
    pub auto_stop_interval: Option<u32>,
    /// Minutes after stopping before it is deleted.
    pub auto_delete_interval: Option<u32>,
    /// A snapshot (id or name) to start from.
    pub snapshot: Option<String>,
    /// Answer only once the sandbox is running (or failed, with the reason in `status_reason`).
    pub wait_for_ready: bool,
}

/// `POST /v1/sandboxes/{id}/execute`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecuteBody {
    /// A shell command line, run as `/bin/sh -c COMMAND` in the sandbox's working directory.
    pub command: String,
    /// Seconds to wait for it (1–86400); past it the answer is 408 (the command may still be running).
    #[serde(default)]
    pub timeout: Option<u32>,
}

/// What a command printed and how it exited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExecuteResult {
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
    /// Exit code.
    pub exit_code: i64,
}

/// The capture mode of a snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = SnapshotMode)]
#[serde(rename_all = "snake_case")]
pub enum ModeDto {
    /// As is, the source keeps running (the default here, as the seed's SDK implies).
    #[default]
    Full,
    /// Snapshot and delete: injected secrets removed, then the source is deleted.
    Scrub,
}

impl From<ModeDto> for SnapshotMode {
    fn from(mode: ModeDto) -> SnapshotMode {
        match mode {
            ModeDto::Full => SnapshotMode::Full,
            ModeDto::Scrub => SnapshotMode::Scrub,
        }
    }
}

/// `POST /v1/sandboxes/{id}/snapshot`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SnapshotBody {
    /// Name; generated when absent.
    pub name: Option<String>,
    /// Crash-consistent (not paused) instead of application-consistent.
    pub quick: bool,
    /// `full` (default) or `scrub`.
    pub mode: ModeDto,
    /// Answer only once the snapshot is ready or failed (otherwise at once, `creating`).
    pub wait_for_ready: bool,
}

/// `POST /v1/snapshots/{id}/restore`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RestoreBody {
    /// Name of the new sandbox; generated when absent.
    pub name: Option<String>,
    /// CPU and memory overrides.
    pub resources: Option<Resources>,
    /// Answer only once the sandbox is running (or failed).
    pub wait_for_ready: bool,
}

/// `POST /v1/sandboxes/{id}/clone`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CloneBody {
    /// Name of the new sandbox; generated when absent.
    pub name: Option<String>,
    /// Name of the intermediate snapshot; generated when absent.
    pub snapshot_name: Option<String>,
    /// CPU and memory overrides.
    pub resources: Option<Resources>,
    /// Image override (the workspace is copied from the snapshot).
    pub image: Option<String>,
    /// Answer only once the new sandbox is running (or failed).
    pub wait_for_ready: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_states_map_to_the_seeds_statuses() {
        let cases = [
            (SandboxState::Creating, "creating"),
            (SandboxState::SettingUp, "creating"),
            (SandboxState::Running, "running"),
            (SandboxState::Stopped, "stopped"),
            (SandboxState::SetupFailed, "failed"),
            (SandboxState::Failed, "failed"),
        ];
        for (state, status) in cases {
            let json = serde_json::to_value(SandboxStatus::from(state)).unwrap_or_default();
            assert_eq!(json, status, "{state}");
        }
    }

    #[test]
    fn snapshot_statuses_map_to_the_seeds() {
        let cases = [
            (SnapshotStatus::Capturing, "creating"),
            (SnapshotStatus::Finalizing, "creating"),
            (SnapshotStatus::Active, "ready"),
            (SnapshotStatus::Failed, "failed"),
        ];
        for (state, status) in cases {
            let json = serde_json::to_value(SnapshotStatusDto::from(state)).unwrap_or_default();
            assert_eq!(json, status, "{}", state.as_str());
        }
    }
}
