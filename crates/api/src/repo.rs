//! Repositories the app has seen, and their default snapshot.

use serde::{Deserialize, Serialize};

/// Where a repository's default snapshot comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefaultSource {
    /// Set in the app (stored in the database); wins over the config file.
    App,
    /// `[sandbox] snapshot` in `.amika/config.toml`.
    RepoConfig,
}

/// A repository sandboxes were created from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    /// Repository root on the host (or the URL it was cloned from).
    pub root: String,
    /// Repository name.
    pub name: String,
    /// The effective default snapshot.
    pub default_snapshot: Option<String>,
    /// Where the effective default comes from.
    pub default_source: Option<DefaultSource>,
    /// The value set in the app, if any.
    pub app_snapshot: Option<String>,
    /// The value in `.amika/config.toml`, if any.
    pub config_snapshot: Option<String>,
    /// Sandboxes created from it so far.
    pub sandboxes_created: u64,
}

/// `sbx repo default set|unset PATH [SNAPSHOT]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RepoDefaultRequest {
    /// A path inside the repository.
    pub path: String,
    /// The snapshot name; `None` clears the app's default.
    pub snapshot: Option<String>,
}
