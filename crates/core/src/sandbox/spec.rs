//! A sandbox's resolved configuration: what was asked for, after defaults, the repository's config file and the
//! flags were merged. Stored in SQLite and, as a label, on the container (so the database can be rebuilt).

use chrono::{DateTime, Utc};
use sbx_api::{
    EnvVar, MainCommand, PortBinding, Sandbox, SandboxRepo, SandboxState, SnapshotScheduleMode,
};
use serde::{Deserialize, Serialize};

/// Everything needed to (re)create a sandbox's container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxSpec {
    /// Stable id (UUID).
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Image reference the container runs.
    pub image: String,
    /// Preset name, when created from a preset (or restored from a snapshot of one).
    pub preset: Option<String>,
    /// The template a snapshot records: the preset name, or the custom image reference.
    pub template: String,
    /// Snapshot it was restored from.
    pub from_snapshot: Option<String>,
    /// The profile version it was launched from (`NAME@N`).
    #[serde(default)]
    pub profile: Option<String>,
    /// Environment variables the user (or the repository config) set. Secret values are written out empty: they
    /// live in the secret store only ([`crate::secrets`]).
    #[serde(serialize_with = "crate::secrets::serialize_redacted")]
    pub env: Vec<EnvVar>,
    /// Published ports.
    pub ports: Vec<PortBinding>,
    /// The services of the repository's `.amika/config.toml` (name, container ports, protocols, URL schemes); the
    /// host ports and URLs are read from the container when the sandbox is shown.
    #[serde(default)]
    pub services: Vec<sbx_api::SandboxService>,
    /// CPU limit.
    pub cpus: Option<u32>,
    /// Memory limit in MiB.
    pub memory_mib: Option<u32>,
    /// Most processes at once (the engine's pids limit).
    #[serde(default = "sbx_api::default_pids_limit")]
    pub pids_limit: u32,
    /// Whether the no-op setup script was put in place.
    pub setup_skipped: bool,
    /// The setup script's text (`None`: the no-op script).
    pub setup_script: Option<String>,
    /// The repository checkout.
    pub repo: Option<SandboxRepo>,
    /// Repository key for defaults and the Repositories page: the host root, or the URL.
    pub repo_key: Option<String>,
    /// Whether credential files are mounted.
    pub credentials_enabled: bool,
    /// Credential files mounted, relative to `/home/amika/`.
    pub credentials: Vec<String>,
    /// Idle minutes before auto-stop; 0 disables.
    pub auto_stop_minutes: u32,
    /// Minutes after stopping before auto-delete; `None` keeps it.
    pub auto_delete_minutes: Option<u32>,
    /// Cron expression of automatic snapshots.
    pub snapshot_schedule: Option<String>,
    /// What it runs once set up: the keep-alive, a command, or the image's own command (resolved from the image
    /// when the sandbox is created). Older records have none: the keep-alive.
    #[serde(default)]
    pub main_command: MainCommand,
    /// `AMIKA_AGENT_CWD`: the working directory of the setup script and of shells.
    pub agent_cwd: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl SandboxSpec {
    /// The engine container's name.
    pub fn container_name(&self) -> String {
        container_name(&self.name)
    }

    /// The API view of this sandbox in `state` (its services' host ports and URLs are filled in from the
    /// container's published ports by [`Sandbox::resolve_service_urls`]: [`crate::Core::sandbox_view`]).
    pub fn to_api(
        &self,
        state: SandboxState,
        reason: Option<String>,
        container_id: Option<String>,
    ) -> Sandbox {
        Sandbox {
            id: self.id.clone(),
            name: self.name.clone(),
            state,
            state_reason: reason,
            preset: self.preset.clone(),
            image: self.image.clone(),
            from_snapshot: self.from_snapshot.clone(),
            profile: self.profile.clone(),
            repo: self.repo.clone(),
            ports: self.ports.clone(),
            services: self.services.clone(),
            env: self.env.clone(),
            cpus: self.cpus,
            memory_mib: self.memory_mib,
            pids_limit: self.pids_limit,
            setup_skipped: self.setup_skipped,
            credentials: self.credentials.clone(),
            auto_stop_minutes: self.auto_stop_minutes,
            auto_delete_minutes: self.auto_delete_minutes,
            snapshot_schedule: self.snapshot_schedule.clone(),
            snapshot_mode: if self.snapshot_schedule.is_some() {
                SnapshotScheduleMode::Automatic
            } else {
                SnapshotScheduleMode::Manual
            },
            next_snapshot_at: self
                .snapshot_schedule
                .as_deref()
                .and_then(|cron| crate::snapshot::automatic::next_fire(cron, Utc::now())),
            main_command: self.main_command.clone(),
            container_id,
            created_at: self.created_at,
        }
    }
}

/// The engine container name of the sandbox called `name`.
pub fn container_name(name: &str) -> String {
    format!("sbx-{name}")
}
