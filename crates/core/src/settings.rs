//! The user's settings: the `settings` object of the data dir's `settings.json`, owned by the core.
//!
//! The core is the one writer of the file, for the desktop shell (its settings commands delegate here) and for
//! the CLI and tests alike, so a change made by one process while another is open is never lost:
//!
//! - every read goes to the file (nothing keeps a copy that a later write could put back);
//! - every write is a read-modify-write under an exclusive lock on `settings.json.lock` beside the file (so two
//!   writers, in one process or in two, take turns), replaces only the key [`KEY`] (other keys are kept), and
//!   lands by an atomic rename of a file that is 0600 from creation ([`crate::private::write`]).
//!
//! tauri-plugin-store never opens this file: the shell uses it only for the window's own state.

use sbx_api::Settings;
use std::path::{Path, PathBuf};

/// The key of the settings object inside the file.
pub const KEY: &str = "settings";

/// The settings in `file`, or the defaults when the file or the key is missing or unreadable.
pub fn load(file: &Path) -> Settings {
    read_root(file)
        .get_mut(KEY)
        .map(serde_json::Value::take)
        .and_then(|value| serde_json::from_value(value).ok())
        .unwrap_or_default()
}

/// The whole JSON object in `file`, or an empty object when it is missing or not an object.
fn read_root(file: &Path) -> serde_json::Value {
    std::fs::read(file)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .filter(serde_json::Value::is_object)
        .unwrap_or_else(|| serde_json::json!({}))
}

/// Check every value of `settings`; the error names the offending one (the rules are [`sbx_api::rules::settings`]).
pub fn validate(settings: &Settings) -> Result<(), sbx_api::ApiError> {
    sbx_api::rules::settings(settings)
}

impl crate::Core {
    /// Check `settings` before they are saved: every value in range, and the default preset one that exists.
    pub fn check_settings(&self, settings: &Settings) -> Result<(), sbx_api::ApiError> {
        validate(settings)?;
        self.preset(settings.default_preset.trim())
            .map(|_| ())
            .map_err(|error| match error {
                crate::Error::Api(sbx_api::ApiError::InvalidInput { message, .. }) => {
                    sbx_api::ApiError::invalid(
                        sbx_api::Field::DefaultPreset,
                        &settings.default_preset,
                        message,
                    )
                }
                other => sbx_api::ApiError::from(other),
            })
    }
}

impl crate::Core {
    /// The saved settings (read from the file now), or the defaults.
    pub fn settings(&self) -> Settings {
        load(&self.paths().settings())
    }

    /// Check `settings` and save them in place of the saved ones; answers what was saved.
    pub fn save_settings(&self, settings: &Settings) -> crate::Result<Settings> {
        self.check_settings(settings)?;
        save(&self.paths().settings(), settings)
            .map_err(|e| crate::Error::io("saving the settings", e))?;
        Ok(settings.clone())
    }
}

/// Make sure the settings file exists (an empty object when new) and only this user can read it.
pub fn ensure_private(file: &Path) -> std::io::Result<()> {
    with_lock(file, || {
        if file.exists() {
            crate::private::touch(file)
        } else {
            crate::private::write(file, b"{}")
        }
    })
}

/// Write `settings` under [`KEY`] into `file`, keeping other keys.
pub fn save(file: &Path, settings: &Settings) -> std::io::Result<()> {
    update(file, |saved| *saved = settings.clone()).map(|_| ())
}

/// Change the saved settings with `change`, as one read-modify-write under the file's lock; answers the settings
/// as saved. A change another writer saved before the lock was taken is what `change` sees.
pub fn update(file: &Path, change: impl FnOnce(&mut Settings)) -> std::io::Result<Settings> {
    with_lock(file, || {
        let mut root = read_root(file);
        let mut settings = root
            .get_mut(KEY)
            .map(serde_json::Value::take)
            .and_then(|value| serde_json::from_value(value).ok())
            .unwrap_or_default();
        change(&mut settings);
        root[KEY] = serde_json::to_value(&settings).map_err(std::io::Error::other)?;
        let text = serde_json::to_vec_pretty(&root).map_err(std::io::Error::other)?;
        crate::private::write(file, &text)?;
        Ok(settings)
    })
}

/// The lock file beside `file` (never removed: removing it would let two writers lock different files).
fn lock_file(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    file.with_file_name(name)
}

/// Run `work` holding the exclusive lock of `file` (waiting for another holder, in any process, to finish).
fn with_lock<T>(file: &Path, work: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T> {
    let lock = lock_file(file);
    crate::private::touch(&lock)?;
    let handle = std::fs::OpenOptions::new().write(true).open(&lock)?;
    handle.lock()?;
    let result = work();
    let _ = handle.unlock();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_defaults_and_save_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("settings.json");
        assert_eq!(load(&file), Settings::default());
        std::fs::write(&file, r#"{"other": 1}"#).unwrap();
        let settings = Settings {
            snapshot_retention_days: Some(7),
            ..Settings::default()
        };
        save(&file, &settings).unwrap();
        assert_eq!(load(&file), settings);
        let raw: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(raw["other"], 1);
    }

    async fn open_core(dir: &Path) -> std::sync::Arc<crate::Core> {
        let paths = crate::paths::Paths::at(dir).unwrap();
        crate::Core::open(paths, crate::engine::Engine::at("unix:///nonexistent.sock"))
            .await
            .unwrap()
    }

    /// Two processes on one data dir (the window's core and `sbx`'s): what one saves while the other is open is
    /// what the other reads and builds on, and nothing the other does later (saving, opening again) puts an older
    /// copy back.
    #[tokio::test]
    async fn a_change_saved_by_one_core_is_not_lost_by_another() {
        let dir = tempfile::tempdir().unwrap();
        let window = open_core(dir.path()).await;
        let older_copy = window.settings();
        let cli = open_core(dir.path()).await;
        let retention = Settings {
            snapshot_retention_days: Some(7),
            ..older_copy.clone()
        };
        cli.save_settings(&retention).unwrap();
        assert_eq!(
            window.settings(),
            retention,
            "read from the file, not a copy"
        );
        let dark = Settings {
            theme: sbx_api::Theme::Dark,
            ..window.settings()
        };
        assert_eq!(window.save_settings(&dark).unwrap(), dark);
        drop(window);
        let reopened = open_core(dir.path()).await;
        assert_eq!(reopened.settings().snapshot_retention_days, Some(7));
        assert_eq!(cli.settings(), dark);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&cli.paths().settings()), 0o600);
            assert_eq!(mode(&lock_file(&cli.paths().settings())), 0o600);
        }
    }

    /// Saving checks the values first and changes nothing when one is refused.
    #[tokio::test]
    async fn a_refused_save_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let core = open_core(dir.path()).await;
        let bad = Settings {
            default_preset: "no-such-preset".into(),
            ..Settings::default()
        };
        let error = sbx_api::ApiError::from(core.save_settings(&bad).unwrap_err());
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(json["field"], "default_preset", "{json}");
        assert_eq!(core.settings(), Settings::default());
    }

    /// Writers that overlap take turns: every read-modify-write sees the one before it.
    #[test]
    fn overlapping_writers_lose_no_update() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("settings.json");
        std::fs::write(&file, r#"{"other": 1}"#).unwrap();
        let start = load(&file).default_auto_stop_minutes;
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..25 {
                        update(&file, |s| s.default_auto_stop_minutes += 1).unwrap();
                    }
                });
            }
        });
        assert_eq!(load(&file).default_auto_stop_minutes, start + 200);
        let raw: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(raw["other"], 1);
    }
}
