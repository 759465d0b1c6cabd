//! Agent credential files on the host (S5): which of the known files exist, to be mounted read-only at the same
//! path under `/home/amika/` in the sandbox.
//!
//! Discovery starts from the user's home directory as `HOME` names it (tests point `HOME` at a temporary directory
//! with dummy files, so the credentials of the machine running the tests are never read).

use std::path::{Path, PathBuf};

/// The home directory inside a sandbox.
pub const SANDBOX_HOME: &str = "/home/amika";

/// The credential files, relative to the home directory, in the order of the seed documents.
pub const FILES: &[&str] = &[
    ".claude.json.api",
    ".claude.json",
    ".claude/.credentials.json",
    ".claude-oauth-credentials.json",
    ".codex/auth.json",
    ".local/share/opencode/auth.json",
    ".local/state/opencode/model.json",
];

/// One credential file found on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// Path relative to the home directory, e.g. `.codex/auth.json`.
    pub relative: String,
    /// Absolute path on the host.
    pub host_path: PathBuf,
}

impl Credential {
    /// Where it is mounted in the sandbox.
    pub fn sandbox_path(&self) -> String {
        format!("{SANDBOX_HOME}/{}", self.relative)
    }
}

/// The user's home directory: `HOME` when set (also on Windows, where tests set it), else the platform's.
pub fn home_dir() -> Option<PathBuf> {
    match std::env::var_os("HOME") {
        Some(home) if !home.is_empty() => Some(PathBuf::from(home)),
        _ => dirs::home_dir(),
    }
}

/// The credential files that exist (as regular files) under `home`.
pub fn discover(home: &Path) -> Vec<Credential> {
    FILES
        .iter()
        .map(|relative| Credential {
            relative: (*relative).to_string(),
            host_path: home.join(relative),
        })
        .filter(|c| c.host_path.is_file())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_present_files() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".codex")).unwrap();
        std::fs::write(home.path().join(".codex/auth.json"), "{}").unwrap();
        std::fs::write(home.path().join(".claude.json"), "{}").unwrap();
        // A directory with a credential's name is not a credential file.
        std::fs::create_dir_all(home.path().join(".claude-oauth-credentials.json")).unwrap();
        let found = discover(home.path());
        let names: Vec<_> = found.iter().map(|c| c.relative.as_str()).collect();
        assert_eq!(names, vec![".claude.json", ".codex/auth.json"]);
        assert_eq!(found[1].sandbox_path(), "/home/amika/.codex/auth.json");
    }
}
