//! User settings, kept by the core in the data dir's `settings.json` (the shell's settings commands go through it).

use serde::{Deserialize, Serialize};

/// Colour theme of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Follow the operating system.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

/// Every user setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Days a new snapshot is kept before the reaper deletes it; `None` keeps it forever.
    pub snapshot_retention_days: Option<u32>,
    /// Preset used when the user names neither a preset nor an image.
    pub default_preset: String,
    /// Default idle minutes before auto-stop for new sandboxes (0 disables).
    pub default_auto_stop_minutes: u32,
    /// UI theme.
    pub theme: Theme,
    /// How many automatic snapshots each sandbox keeps (the newest; older ones are deleted), besides the retention.
    pub automatic_snapshots_kept: u32,
}

/// Automatic snapshots kept per sandbox unless the settings say otherwise.
pub const DEFAULT_AUTOMATIC_SNAPSHOTS_KEPT: u32 = 5;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            snapshot_retention_days: None,
            default_preset: "coder".to_string(),
            default_auto_stop_minutes: 30,
            theme: Theme::System,
            automatic_snapshots_kept: DEFAULT_AUTOMATIC_SNAPSHOTS_KEPT,
        }
    }
}
