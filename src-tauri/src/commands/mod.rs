//! The Tauri commands: one module per domain, each command a one-line delegation to the core.
//!
//! Every command takes one argument named `params` and answers `Result<_, ApiError>`; the types are those named
//! by the matching [`sbx_api::Request`] (a test checks the names).

mod engine;
mod repo;
mod sandbox;
mod settings;
mod snapshot;
mod terminal;
mod volume;

/// The names of every registered command, in registration order (checked against `sbx_api::requests`).
#[cfg(test)]
const NAMES: &[&str] = &[
    "engine_status",
    "list_containers",
    "settings_get",
    "settings_save",
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
    "repo_list",
    "repo_default_set",
    "preset_list",
];

/// The invoke handler with every command registered.
pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        engine::engine_status,
        engine::list_containers,
        settings::settings_get,
        settings::settings_save,
        sandbox::sandbox_create,
        sandbox::config_explain,
        sandbox::sandbox_list,
        sandbox::sandbox_show,
        sandbox::sandbox_start,
        sandbox::sandbox_stop,
        sandbox::sandbox_restart,
        sandbox::sandbox_delete,
        sandbox::sandbox_logs,
        sandbox::sandbox_exec,
        terminal::terminal_open,
        terminal::terminal_write,
        terminal::terminal_close,
        volume::volume_list,
        volume::volume_delete,
        snapshot::snapshot_create,
        snapshot::snapshot_preview_scrub,
        snapshot::snapshot_list,
        snapshot::snapshot_show,
        snapshot::snapshot_restore,
        snapshot::snapshot_delete,
        snapshot::sandbox_clone,
        repo::repo_list,
        repo::repo_default_set,
        repo::preset_list,
    ]
}

#[cfg(test)]
mod tests {
    use sbx_api::Request;
    use sbx_api::requests::*;

    /// Every request type of the API names a registered command, and every command has a request type.
    #[test]
    fn every_request_has_a_command() {
        let methods = [
            GetEngineStatus::METHOD,
            ListContainers::METHOD,
            GetSettings::METHOD,
            SaveSettings::METHOD,
            CreateSandbox::METHOD,
            ExplainConfig::METHOD,
            ListSandboxes::METHOD,
            GetSandbox::METHOD,
            StartSandbox::METHOD,
            StopSandbox::METHOD,
            RestartSandbox::METHOD,
            DeleteSandbox::METHOD,
            GetLogs::METHOD,
            ExecInSandbox::METHOD,
            OpenTerminal::METHOD,
            WriteTerminal::METHOD,
            CloseTerminal::METHOD,
            ListVolumes::METHOD,
            DeleteVolume::METHOD,
            CreateSnapshot::METHOD,
            PreviewScrub::METHOD,
            ListSnapshots::METHOD,
            GetSnapshot::METHOD,
            RestoreSnapshot::METHOD,
            DeleteSnapshot::METHOD,
            CloneSandbox::METHOD,
            ListRepositories::METHOD,
            SetRepoDefault::METHOD,
            ListPresets::METHOD,
        ];
        let mut sorted_methods = methods.to_vec();
        sorted_methods.sort_unstable();
        let mut names = super::NAMES.to_vec();
        names.sort_unstable();
        assert_eq!(sorted_methods, names);
    }

    /// The app's identifier is the one the core uses for the per-user data dir, so the app and the CLI share it.
    #[test]
    fn identifier_matches_the_core() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../../../tauri.conf.json")).unwrap();
        assert_eq!(config["identifier"], sbx_core::paths::IDENTIFIER);
    }

    /// The window may call the app's own commands and listen to its events, nothing else: no plugin's commands
    /// (the store plugin's would let page script read and write any JSON file), no window, path or file access,
    /// and no remote page gets any of it.
    #[test]
    fn the_window_may_call_only_the_apps_own_commands() {
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../../capabilities/default.json")).unwrap();
        let mut keys: Vec<&str> = capability
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "$schema",
                "description",
                "identifier",
                "permissions",
                "windows"
            ],
            "no remote URLs, no platforms beyond the default"
        );
        assert_eq!(capability["windows"], serde_json::json!(["main"]));
        assert_eq!(
            capability["permissions"],
            serde_json::json!(["core:event:allow-listen", "core:event:allow-unlisten"])
        );
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities");
        let files: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        assert_eq!(files.len(), 1, "one capability file: {files:?}");
    }
}
