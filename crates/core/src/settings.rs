//! Reads the user's settings from the JSON file the desktop app writes through tauri-plugin-store.
//!
//! The app owns writing (through the plugin); the core and the CLI only read, under the key [`KEY`].

use sbx_api::Settings;
use std::path::Path;

/// The key of the settings object inside the store file.
pub const KEY: &str = "settings";

/// The settings in `file`, or the defaults when the file or the key is missing or unreadable.
pub fn load(file: &Path) -> Settings {
    std::fs::read(file)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|mut value| value.get_mut(KEY).map(serde_json::Value::take))
        .and_then(|value| serde_json::from_value(value).ok())
        .unwrap_or_default()
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
                    sbx_api::ApiError::invalid("default_preset", &settings.default_preset, message)
                }
                other => sbx_api::ApiError::from(other),
            })
    }
}

/// Make sure the settings file exists (an empty object when new) and only this user can read it, before
/// tauri-plugin-store or [`save`] write to it.
pub fn ensure_private(file: &Path) -> std::io::Result<()> {
    if file.exists() {
        crate::private::touch(file)
    } else {
        crate::private::write(file, b"{}")
    }
}

/// Write `settings` under [`KEY`] into `file`, keeping other keys (used by the CLI and tests; the app uses the plugin).
pub fn save(file: &Path, settings: &Settings) -> std::io::Result<()> {
    let mut root = std::fs::read(file)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .filter(serde_json::Value::is_object)
        .unwrap_or_else(|| serde_json::json!({}));
    root[KEY] = serde_json::to_value(settings).map_err(std::io::Error::other)?;
    let text = serde_json::to_vec_pretty(&root).map_err(std::io::Error::other)?;
    crate::private::write(file, &text)
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
}
