//! Every call the UI can make: one type per Tauri command, naming its parameter and result types.

use crate::*;

/// Calls `$callback!` with every request of the API, one entry each, in the form
///
/// ```text
/// /// doc comment
/// TypeName, method_name, Params => Result;
/// ```
///
/// `method_name` is the Tauri command name (the type's [`Request::METHOD`](crate::Request::METHOD), as an
/// identifier so a callback can name a function after it). This list is the only place a request type is
/// declared: this crate defines the types from it, and the desktop shell generates its commands from it, so a
/// request without a command cannot compile. `Params` and `Result` are written as this module sees them; a
/// callback in another crate names them through the type instead (`<sbx_api::requests::TypeName as
/// Request>::Params`).
#[macro_export]
macro_rules! for_each_request {
    ($callback:ident) => {
        $callback! {
            /// The engine's status (connects, or reconnects, as needed).
            GetEngineStatus, engine_status, () => EngineStatus;
            /// Every container of the engine, managed or not.
            ListContainers, list_containers, () => Vec<ContainerSummary>;
            /// Create a sandbox.
            CreateSandbox, sandbox_create, CreateSandboxRequest => Sandbox;
            /// Effective values of a sandbox-to-be and where each comes from.
            ExplainConfig, config_explain, ExplainRequest => ConfigExplanation;
            /// All sandboxes.
            ListSandboxes, sandbox_list, ListSandboxesRequest => SandboxPage;
            /// One sandbox.
            GetSandbox, sandbox_show, SandboxRef => Sandbox;
            /// Start a stopped sandbox.
            StartSandbox, sandbox_start, SandboxRef => Sandbox;
            /// Stop a running sandbox.
            StopSandbox, sandbox_stop, SandboxRef => Sandbox;
            /// Restart a sandbox.
            RestartSandbox, sandbox_restart, SandboxRef => Sandbox;
            /// Delete a sandbox (`force` for a running one). Its git volume is kept.
            DeleteSandbox, sandbox_delete, SandboxRef => ();
            /// Setup and container logs.
            GetLogs, sandbox_logs, LogsRequest => SandboxLogs;
            /// Run a command and wait for its output.
            ExecInSandbox, sandbox_exec, ExecRequest => ExecOutput;
            /// Open an interactive shell; output arrives as [`TerminalOutput`] events. Returns the session id.
            OpenTerminal, terminal_open, TerminalOpen => String;
            /// Send keystrokes to a terminal session.
            WriteTerminal, terminal_write, TerminalInput => ();
            /// Close a terminal session.
            CloseTerminal, terminal_close, String => ();
            /// Git volumes.
            ListVolumes, volume_list, () => Vec<Volume>;
            /// Delete a git volume.
            DeleteVolume, volume_delete, String => ();
            /// Take a snapshot.
            CreateSnapshot, snapshot_create, CreateSnapshotRequest => Snapshot;
            /// What a scrubbing snapshot of a sandbox (by name) would remove now.
            PreviewScrub, snapshot_preview_scrub, String => ScrubPreview;
            /// List snapshots.
            ListSnapshots, snapshot_list, ListSnapshotsRequest => SnapshotPage;
            /// One snapshot, by name.
            GetSnapshot, snapshot_show, String => Snapshot;
            /// A new sandbox from a snapshot.
            RestoreSnapshot, snapshot_restore, RestoreSnapshotRequest => Sandbox;
            /// Delete a snapshot, by name.
            DeleteSnapshot, snapshot_delete, String => ();
            /// Clone a sandbox: snapshot, then restore.
            CloneSandbox, sandbox_clone, CloneSandboxRequest => CloneResult;
            /// Write a snapshot (by name) to a file; progress arrives as [`Progress`] events of kind export.
            ExportSnapshot, snapshot_export, SnapshotFileRequest => ExportResult;
            /// Load a snapshot from a file an export wrote (checked whole first).
            ImportSnapshot, snapshot_import, SnapshotFileRequest => Snapshot;
            /// Ask for a file with the system's file dialog; `None` when the user cancels.
            ChooseFile, file_choose, FileChoice => Option<String>;
            /// The lineage tree of a snapshot (by name or id): its ancestors and descendants.
            GetLineage, snapshot_lineage, String => SnapshotLineage;
            /// What the snapshots take on the engine's disk and the room left there.
            GetStorage, snapshot_storage, () => SnapshotStorage;
            /// Repositories and their defaults.
            ListRepositories, repo_list, () => Vec<Repository>;
            /// Set or clear a repository's default snapshot.
            SetRepoDefault, repo_default_set, RepoDefaultRequest => Repository;
            /// Presets the user can pick.
            ListPresets, preset_list, () => Vec<String>;
            /// Every sandbox profile, with its draft and versions.
            ListProfiles, profile_list, () => Vec<Profile>;
            /// One profile, by name.
            GetProfile, profile_show, String => Profile;
            /// Create a profile with its draft.
            CreateProfile, profile_create, ProfileRequest => Profile;
            /// Change a profile's draft (started from its newest version when it has none) and its schedule.
            EditProfile, profile_edit, ProfileRequest => Profile;
            /// Publish a profile's draft (by profile name) as its next version and queue its first snapshot job.
            PublishProfile, profile_publish, String => ProfileJob;
            /// Queue a snapshot job for a published version (or skip it as unchanged).
            RefreshProfile, profile_refresh, RefreshProfileRequest => ProfileJob;
            /// A snapshot job (by id) and its output so far.
            GetProfileJob, profile_job, String => ProfileJobOutput;
            /// A sandbox from a profile's draft that runs its setup script.
            TestProfile, profile_test, TestProfileRequest => Sandbox;
            /// Delete a profile (by name): its draft, versions, jobs and images.
            DeleteProfile, profile_delete, String => ();
            /// The user's settings.
            GetSettings, settings_get, () => Settings;
            /// Save the user's settings.
            SaveSettings, settings_save, Settings => Settings;
            /// Whether the window serves the local HTTP API, and where.
            GetHttpApi, http_api_status, () => HttpApiStatus;
            /// Start (`true`) or stop (`false`) the window's HTTP API; a port in use is a conflict naming it.
            SetHttpApi, http_api_set, bool => HttpApiStatus;
        }
    };
}

/// Defines one request type per entry of [`for_each_request!`].
macro_rules! define_requests {
    ($($(#[$doc:meta])* $name:ident, $method:ident, $params:ty => $result:ty;)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug)]
            pub enum $name {}
            impl Request for $name {
                const METHOD: &'static str = stringify!($method);
                type Params = $params;
                type Result = $result;
            }
        )*
    };
}

for_each_request!(define_requests);

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

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! methods {
        ($($(#[$doc:meta])* $name:ident, $method:ident, $params:ty => $result:ty;)*) => {
            [$(<$name as Request>::METHOD),*]
        };
    }

    /// The command names the UI invokes, pinned: renaming a request's method renames a Tauri command.
    #[test]
    fn method_names_are_pinned() {
        assert_eq!(
            for_each_request!(methods),
            [
                "engine_status",
                "list_containers",
                "sandbox_create",
                "config_explain",
                "sandbox_list",
                "sandbox_show",
                "sandbox_start",
                "sandbox_stop",
                "sandbox_restart",
                "sandbox_delete",
                "sandbox_logs",
                "sandbox_exec",
                "terminal_open",
                "terminal_write",
                "terminal_close",
                "volume_list",
                "volume_delete",
                "snapshot_create",
                "snapshot_preview_scrub",
                "snapshot_list",
                "snapshot_show",
                "snapshot_restore",
                "snapshot_delete",
                "sandbox_clone",
                "snapshot_export",
                "snapshot_import",
                "file_choose",
                "snapshot_lineage",
                "snapshot_storage",
                "repo_list",
                "repo_default_set",
                "preset_list",
                "profile_list",
                "profile_show",
                "profile_create",
                "profile_edit",
                "profile_publish",
                "profile_refresh",
                "profile_job",
                "profile_test",
                "profile_delete",
                "settings_get",
                "settings_save",
                "http_api_status",
                "http_api_set",
            ]
        );
    }
}
