//! Every call the UI can make: one type per Tauri command, naming its parameter and result types.

use crate::*;

macro_rules! request {
    ($(#[$doc:meta])* $name:ident, $method:literal, $params:ty => $result:ty) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub enum $name {}
        impl Request for $name {
            const METHOD: &'static str = $method;
            type Params = $params;
            type Result = $result;
        }
    };
}

request!(
    /// The engine's status (connects, or reconnects, as needed).
    GetEngineStatus, "engine_status", () => EngineStatus
);
request!(
    /// Every container of the engine, managed or not.
    ListContainers, "list_containers", () => Vec<ContainerSummary>
);
request!(
    /// Create a sandbox.
    CreateSandbox, "sandbox_create", CreateSandboxRequest => Sandbox
);
request!(
    /// Effective values of a sandbox-to-be and where each comes from.
    ExplainConfig, "config_explain", ExplainRequest => ConfigExplanation
);
request!(
    /// All sandboxes.
    ListSandboxes, "sandbox_list", () => Vec<Sandbox>
);
request!(
    /// One sandbox.
    GetSandbox, "sandbox_show", SandboxRef => Sandbox
);
request!(
    /// Start a stopped sandbox.
    StartSandbox, "sandbox_start", SandboxRef => Sandbox
);
request!(
    /// Stop a running sandbox.
    StopSandbox, "sandbox_stop", SandboxRef => Sandbox
);
request!(
    /// Restart a sandbox.
    RestartSandbox, "sandbox_restart", SandboxRef => Sandbox
);
request!(
    /// Delete a sandbox (`force` for a running one). Its git volume is kept.
    DeleteSandbox, "sandbox_delete", SandboxRef => ()
);
request!(
    /// Setup and container logs.
    GetLogs, "sandbox_logs", LogsRequest => SandboxLogs
);
request!(
    /// Run a command and wait for its output.
    ExecInSandbox, "sandbox_exec", ExecRequest => ExecOutput
);
request!(
    /// Open an interactive shell; output arrives as [`TerminalOutput`] events. Returns the session id.
    OpenTerminal, "terminal_open", TerminalOpen => String
);
request!(
    /// Send keystrokes to a terminal session.
    WriteTerminal, "terminal_write", TerminalInput => ()
);
request!(
    /// Close a terminal session.
    CloseTerminal, "terminal_close", String => ()
);
request!(
    /// Git volumes.
    ListVolumes, "volume_list", () => Vec<Volume>
);
request!(
    /// Delete a git volume.
    DeleteVolume, "volume_delete", String => ()
);
request!(
    /// Take a snapshot.
    CreateSnapshot, "snapshot_create", CreateSnapshotRequest => Snapshot
);
request!(
    /// What a scrubbing snapshot of a sandbox (by name) would remove now.
    PreviewScrub, "snapshot_preview_scrub", String => ScrubPreview
);
request!(
    /// List snapshots.
    ListSnapshots, "snapshot_list", ListSnapshotsRequest => SnapshotPage
);
request!(
    /// One snapshot, by name.
    GetSnapshot, "snapshot_show", String => Snapshot
);
request!(
    /// A new sandbox from a snapshot.
    RestoreSnapshot, "snapshot_restore", RestoreSnapshotRequest => Sandbox
);
request!(
    /// Delete a snapshot, by name.
    DeleteSnapshot, "snapshot_delete", String => ()
);
request!(
    /// Clone a sandbox: snapshot, then restore.
    CloneSandbox, "sandbox_clone", CloneSandboxRequest => CloneResult
);
request!(
    /// Repositories and their defaults.
    ListRepositories, "repo_list", () => Vec<Repository>
);
request!(
    /// Set or clear a repository's default snapshot.
    SetRepoDefault, "repo_default_set", RepoDefaultRequest => Repository
);
request!(
    /// Presets the user can pick.
    ListPresets, "preset_list", () => Vec<String>
);
request!(
    /// The user's settings.
    GetSettings, "settings_get", () => Settings
);
request!(
    /// Save the user's settings.
    SaveSettings, "settings_save", Settings => Settings
);

/// Open a terminal in a sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct TerminalOpen {
    /// The sandbox name.
    pub name: String,
    /// Terminal width in columns.
    pub cols: u16,
    /// Terminal height in rows.
    pub rows: u16,
}

/// Keystrokes for a terminal session.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct TerminalInput {
    /// Session id from [`OpenTerminal`].
    pub session: String,
    /// Text to send.
    pub data: String,
}
