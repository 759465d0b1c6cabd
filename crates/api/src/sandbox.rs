//! Sandboxes: their state, their configuration, and the requests that create and drive them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ConfigKey;

/// Where a sandbox is in its life, derived from the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxState {
    /// Being created: image build, clone, container creation.
    Creating,
    /// The container runs its setup script.
    SettingUp,
    /// Setup finished; the sandbox is ready.
    Running,
    /// Stopped by the user or by auto-stop.
    Stopped,
    /// The setup script exited non-zero; its output is in the setup log.
    SetupFailed,
    /// The container is gone, died, or creation failed.
    Failed,
}

impl SandboxState {
    /// The word shown in tables and printed by the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxState::Creating => "creating",
            SandboxState::SettingUp => "setting-up",
            SandboxState::Running => "running",
            SandboxState::Stopped => "stopped",
            SandboxState::SetupFailed => "setup-failed",
            SandboxState::Failed => "failed",
        }
    }
}

impl std::fmt::Display for SandboxState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a sandbox runs once its setup script has succeeded (SPEC S6): the app's keep-alive unless the user gives a
/// main command. A main command that exits ends the sandbox: stopped when it exits 0, failed (with its code) when
/// not.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum MainCommand {
    /// The app's long-running keep-alive: the sandbox runs until stopped.
    #[default]
    KeepAlive,
    /// `--command CMD`: a command line run by `/bin/sh -c` in `$AMIKA_AGENT_CWD`.
    Shell(String),
    /// `--image-command`: the image's own entrypoint and command (argv), as read from the image when the sandbox
    /// was created (a snapshot keeps it).
    Image(Vec<String>),
}

impl MainCommand {
    /// Whether this is the app's keep-alive.
    pub fn is_keep_alive(&self) -> bool {
        matches!(self, MainCommand::KeepAlive)
    }

    /// How it is shown: `keep-alive`, the command line, or `image: ARGV`.
    pub fn describe(&self) -> String {
        match self {
            MainCommand::KeepAlive => "keep-alive (runs until stopped)".to_string(),
            MainCommand::Shell(command) => command.clone(),
            MainCommand::Image(argv) if argv.is_empty() => "the image's own command".to_string(),
            MainCommand::Image(argv) => format!("the image's own command: {}", argv.join(" ")),
        }
    }
}

/// Whether a sandbox takes snapshots on a schedule (seed 003's `snapshotMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotScheduleMode {
    /// Only when asked (the default); no schedule may be given.
    #[default]
    Manual,
    /// On a five-field cron schedule, which must be given.
    Automatic,
}

impl SnapshotScheduleMode {
    /// `manual` or `automatic`.
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotScheduleMode::Manual => "manual",
            SnapshotScheduleMode::Automatic => "automatic",
        }
    }

    /// The mode called `word` (`manual` or `automatic`).
    pub fn parse(word: &str) -> Option<SnapshotScheduleMode> {
        match word.trim() {
            "manual" => Some(SnapshotScheduleMode::Manual),
            "automatic" => Some(SnapshotScheduleMode::Automatic),
            _ => None,
        }
    }
}

/// Transport protocol of a published port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP (the default).
    Tcp,
    /// UDP.
    Udp,
}

impl Protocol {
    /// `tcp` or `udp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

/// A container port published on the host.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PortBinding {
    /// Host address it binds to; `127.0.0.1` unless the user asked for another.
    pub host_ip: String,
    /// Port on the host.
    pub host_port: u16,
    /// Port inside the sandbox.
    pub container_port: u16,
    /// TCP or UDP.
    pub protocol: Protocol,
}

impl std::fmt::Display for PortBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.host_ip, self.host_port, self.container_port
        )?;
        if self.protocol == Protocol::Udp {
            f.write_str("/udp")?;
        }
        Ok(())
    }
}

/// An environment variable of a sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvVar {
    /// Variable name.
    pub name: String,
    /// Value; secret values are shown masked by the UI.
    pub value: String,
    /// Whether a scrubbing snapshot removes it.
    pub secret: bool,
}

/// The repository a sandbox was created from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxRepo {
    /// Repository name: the last path segment, without `.git`.
    pub name: String,
    /// What the user gave: a host path (the repository root) or a URL.
    pub source: String,
    /// The branch checked out, when one was asked for.
    pub branch: Option<String>,
    /// Whether untracked and uncommitted files were included.
    pub no_clean: bool,
    /// The volume holding the checkout.
    pub volume: String,
    /// Where the checkout is mounted inside the sandbox.
    pub mount_path: String,
}

/// A sandbox as listed and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sandbox {
    /// Stable id (UUID).
    pub id: String,
    /// Unique name; how the user addresses it.
    pub name: String,
    /// Current state, from the engine.
    pub state: SandboxState,
    /// Why it is failed or setup-failed, when known.
    pub state_reason: Option<String>,
    /// Preset it was created from, when it was.
    pub preset: Option<String>,
    /// Image reference the container runs.
    pub image: String,
    /// Snapshot it was restored from, when it was.
    pub from_snapshot: Option<String>,
    /// The profile version it was launched from (`NAME@N`), when it was.
    #[serde(default)]
    pub profile: Option<String>,
    /// The repository checkout, when there is one.
    pub repo: Option<SandboxRepo>,
    /// Published ports.
    pub ports: Vec<PortBinding>,
    /// The services of the repository's `.amika/config.toml`, with the host port each port got and its URL.
    #[serde(default)]
    pub services: Vec<crate::SandboxService>,
    /// Environment variables.
    pub env: Vec<EnvVar>,
    /// CPU limit, when set.
    pub cpus: Option<u32>,
    /// Memory limit in MiB, when set.
    pub memory_mib: Option<u32>,
    /// Most processes the sandbox may run at once.
    #[serde(default = "default_pids_limit")]
    pub pids_limit: u32,
    /// Whether setup was skipped (no-op script).
    pub setup_skipped: bool,
    /// Credential files mounted, as paths relative to `/home/amika/`.
    pub credentials: Vec<String>,
    /// Minutes of idleness before auto-stop; 0 disables.
    pub auto_stop_minutes: u32,
    /// Minutes after stopping before auto-delete; `None` keeps it.
    pub auto_delete_minutes: Option<u32>,
    /// Five-field cron expression of automatic snapshots, when automatic.
    pub snapshot_schedule: Option<String>,
    /// Manual, or automatic on `snapshot_schedule`.
    #[serde(default)]
    pub snapshot_mode: SnapshotScheduleMode,
    /// When the schedule fires next (cron in the machine's local time zone), when automatic.
    #[serde(default)]
    pub next_snapshot_at: Option<DateTime<Utc>>,
    /// What it runs once set up: the app's keep-alive, a command, or the image's own command.
    #[serde(default)]
    pub main_command: MainCommand,
    /// Engine container id, once created.
    pub container_id: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Most processes a sandbox may run at once, unless it says otherwise.
pub const DEFAULT_PIDS_LIMIT: u32 = 4096;

/// [`DEFAULT_PIDS_LIMIT`], for serde.
pub fn default_pids_limit() -> u32 {
    DEFAULT_PIDS_LIMIT
}

/// Which repository to clone into a new sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "mode", content = "value", rename_all = "snake_case")]
pub enum GitChoice {
    /// The repository containing the working directory, if there is one (no `--git` flag).
    #[default]
    Auto,
    /// `--git` alone: the repository containing the working directory; an error if there is none.
    Current,
    /// `--git PATH|URL`: a path inside a repository, or a URL to clone.
    Source(String),
    /// `--no-git`.
    Off,
}

/// Which snapshot a new sandbox starts from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "mode", content = "value", rename_all = "snake_case")]
pub enum SnapshotChoice {
    /// The repository default, if the repository has one.
    #[default]
    RepoDefault,
    /// `--snapshot NAME`.
    Named(String),
    /// `--no-snapshot`: the preset or image.
    Off,
}

/// Everything `sbx sandbox create` and the Create Sandbox dialog can say.
///
/// Values are kept as the user typed them (ports as `8080:80/udp`, env as `K=V`) so the core can name the
/// offending value in its error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CreateSandboxRequest {
    /// `--name`; generated when absent.
    pub name: Option<String>,
    /// `--preset`.
    pub preset: Option<String>,
    /// `--image`.
    pub image: Option<String>,
    /// `--env K=V`, repeatable.
    pub env: Vec<String>,
    /// Names among `env` the user marked secret (besides those secret by name).
    pub secret_env: Vec<String>,
    /// `--port [IP:]HOST:CONTAINER[/udp]`, repeatable.
    pub ports: Vec<String>,
    /// `--cpus`.
    pub cpus: Option<u32>,
    /// `--memory` in MiB.
    pub memory_mib: Option<u32>,
    /// `--no-setup`: put a no-op setup script in place.
    pub no_setup: bool,
    /// `--setup-script FILE`: a host path.
    pub setup_script: Option<String>,
    /// The setup script's text, when given inline (the dialog) rather than as a file.
    pub setup_script_text: Option<String>,
    /// `--git`, `--git PATH|URL`, `--no-git`.
    pub git: GitChoice,
    /// `--branch`.
    pub branch: Option<String>,
    /// `--no-clean`.
    pub no_clean: bool,
    /// `--no-credentials`.
    pub no_credentials: bool,
    /// `--auto-stop` minutes.
    pub auto_stop_minutes: Option<u32>,
    /// `--auto-delete` minutes.
    pub auto_delete_minutes: Option<u32>,
    /// `--snapshot NAME` / `--no-snapshot`.
    pub snapshot: SnapshotChoice,
    /// `--snapshot-mode manual|automatic`; manual when absent.
    pub snapshot_mode: Option<SnapshotScheduleMode>,
    /// `--snapshot-schedule CRON`: required when automatic, refused otherwise.
    pub snapshot_schedule: Option<String>,
    /// `--command CMD`: the main command, run by `/bin/sh -c` after the setup script instead of the keep-alive.
    pub command: Option<String>,
    /// `--image-command`: run the image's own entrypoint and command after the setup script instead.
    pub image_command: bool,
    /// `--profile NAME[@N]`: launch from a profile version's snapshot (the newest usable one without `@N`); its
    /// setup script is not run again.
    pub profile: Option<String>,
    /// Return only once the sandbox is running (or failed).
    pub wait_for_ready: bool,
    /// The directory relative paths and the current repository are resolved from (the CLI's working directory).
    pub cwd: Option<String>,
}

/// A sandbox addressed by name, with an optional force flag (delete of a running sandbox).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SandboxRef {
    /// The sandbox name.
    pub name: String,
    /// `--force`.
    pub force: bool,
}

/// A command to run in a sandbox, as argv.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ExecRequest {
    /// The sandbox name.
    pub name: String,
    /// The command and its arguments.
    pub argv: Vec<String>,
}

/// What a finished command printed and how it exited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecOutput {
    /// Exit code of the command.
    pub exit_code: i64,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

/// Which logs to read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LogsRequest {
    /// The sandbox name.
    pub name: String,
    /// Only the setup script's output.
    pub setup_only: bool,
    /// Only the last N lines.
    pub tail: Option<u32>,
}

/// Log text of a sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxLogs {
    /// Setup script output (between the app's start and end markers).
    pub setup: String,
    /// Everything the container printed.
    pub all: String,
}

/// A named volume holding a repository checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    /// Volume name, `amika-git-<sandbox>-<repo>-<timestamp>`.
    pub name: String,
    /// The sandbox it was made for.
    pub sandbox: String,
    /// The repository name.
    pub repo: String,
    /// When the engine created it.
    pub created_at: Option<String>,
    /// Sandboxes (by name) that mount it now.
    pub used_by: Vec<String>,
    /// Bytes its files take, when the engine could tell.
    #[serde(default)]
    pub size_bytes: Option<u64>,
    /// Whether the sandbox that made it is gone.
    #[serde(default)]
    pub orphaned: bool,
}

/// Where an effective configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueSource {
    /// The app's built-in default.
    Default,
    /// `.amika/config.toml` of the repository.
    RepoConfig,
    /// A value stored in the app (e.g. a repository default snapshot set in the Repositories page).
    App,
    /// A flag or a dialog field.
    Flag,
    /// The configuration captured in the snapshot the sandbox starts from.
    Snapshot,
    /// The recipe of the profile version the sandbox launches from.
    Profile,
}

impl ValueSource {
    /// Short word for tables.
    pub fn as_str(&self) -> &'static str {
        match self {
            ValueSource::Default => "default",
            ValueSource::RepoConfig => ".amika/config.toml",
            ValueSource::App => "app",
            ValueSource::Flag => "flag",
            ValueSource::Snapshot => "snapshot",
            ValueSource::Profile => "profile",
        }
    }
}

/// One effective value of a sandbox-to-be, with its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveValue {
    /// Which value: `preset`, `setup_script`, `env.NAME`, `port`, `snapshot`, ... (a string in JSON).
    pub field: ConfigKey,
    /// The value as text.
    pub value: String,
    /// Where it came from.
    pub source: ValueSource,
}

/// What `sbx config explain` prints and the dialog shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigExplanation {
    /// Root of the repository, when the path is inside one.
    pub repo_root: Option<String>,
    /// The config file read, when there is one.
    pub config_file: Option<String>,
    /// Each effective value and its source.
    pub values: Vec<EffectiveValue>,
    /// Unknown keys and other things worth knowing that are not errors.
    pub warnings: Vec<String>,
}

/// Request for [`ConfigExplanation`]: the repository path and the values the user set so far.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ExplainRequest {
    /// The create request as filled in so far (its `git`/`cwd` select the repository).
    pub create: CreateSandboxRequest,
}

/// A page of the sandbox list, as the window's table asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListSandboxesRequest {
    /// Page number, from 1.
    pub page: u32,
    /// Page size, 1–1000.
    pub limit: u32,
}

impl Default for ListSandboxesRequest {
    fn default() -> Self {
        ListSandboxesRequest { page: 1, limit: 50 }
    }
}

/// One page of sandboxes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxPage {
    /// The sandboxes of this page, in the list's order.
    pub items: Vec<Sandbox>,
    /// Page number, from 1.
    pub page: u32,
    /// Page size.
    pub limit: u32,
    /// Number of sandboxes, all pages.
    pub total: u64,
}
