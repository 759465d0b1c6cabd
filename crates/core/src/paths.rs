//! Where the app keeps its files (database, settings, per-sandbox files) and the instance id derived from it.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The bundle identifier of the desktop app; the per-user data dir is `<data dir>/<IDENTIFIER>`.
///
/// Must equal `identifier` in `tauri.conf.json` (a test checks it) so the app and the CLI share one database.
pub const IDENTIFIER: &str = "dev.sandboxdesktop.app";

/// Environment variable that overrides the data dir (tests, several side-by-side installs).
pub const HOME_ENV: &str = "SANDBOX_DESKTOP_HOME";

/// The files of one data dir.
#[derive(Debug, Clone)]
pub struct Paths {
    root: PathBuf,
    instance: String,
}

impl Paths {
    /// The data dir: `$SANDBOX_DESKTOP_HOME`, else the per-user app data dir.
    pub fn from_env() -> std::io::Result<Paths> {
        let root = match std::env::var_os(HOME_ENV) {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => dirs::data_dir()
                .ok_or_else(|| std::io::Error::other("no per-user data directory on this system"))?
                .join(IDENTIFIER),
        };
        Paths::at(root)
    }

    /// A data dir at `root`, created if missing; only this user can enter it (0700).
    pub fn at(root: impl Into<PathBuf>) -> std::io::Result<Paths> {
        let root = root.into();
        crate::private::create_dir(&root)?;
        let root = std::fs::canonicalize(&root)?;
        let digest = Sha256::digest(root.to_string_lossy().as_bytes());
        let instance = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        Ok(Paths { root, instance })
    }

    /// The data dir itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The SQLite database.
    pub fn database(&self) -> PathBuf {
        self.root.join("sandbox-desktop.db")
    }

    /// The settings file (plain JSON), written only through [`crate::settings`].
    pub fn settings(&self) -> PathBuf {
        self.root.join("settings.json")
    }

    /// The secret store: the values of secret environment variables (see [`crate::secrets`]).
    pub fn secrets_dir(&self) -> PathBuf {
        self.root.join("secrets")
    }

    /// Files of one sandbox (its setup script), kept outside the engine so they can be mounted read-only.
    pub fn sandbox_dir(&self, sandbox_id: &str) -> PathBuf {
        self.root.join("sandboxes").join(sandbox_id)
    }

    /// User presets: `presets/<name>/Dockerfile`.
    pub fn presets_dir(&self) -> PathBuf {
        self.root.join("presets")
    }

    /// Scratch space for clones and archives.
    pub fn scratch_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// A short id of this data dir, put on every engine object as a label so that several data dirs
    /// (the user's, each test's) share one engine without seeing each other's objects.
    pub fn instance(&self) -> &str {
        &self.instance
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_is_stable_per_dir_and_differs_between_dirs() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let pa = Paths::at(a.path()).unwrap();
        assert_eq!(pa.instance(), Paths::at(a.path()).unwrap().instance());
        assert_ne!(pa.instance(), Paths::at(b.path()).unwrap().instance());
        assert_eq!(pa.instance().len(), 12);
    }
}
