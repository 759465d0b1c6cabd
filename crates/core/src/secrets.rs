//! The secret store: the one place the values of secret environment variables live, as one private file per owner
//! (a sandbox or a full snapshot) in the data dir. Everything else — records, labels, exports, events — carries a
//! secret variable's name with an empty value (see [`serialize_redacted`]).
//!
//! A sandbox's file is also what its container mounts read-only at
//! [`crate::sandbox::container::SECRET_ENV_PATH`], so it is a POSIX shell file of `NAME='value'` lines.

use sbx_api::EnvVar;
use serde::Serializer;
use serde::ser::SerializeSeq;
use std::path::{Path, PathBuf};

use crate::private;

/// The secret values of the data dir: `<data dir>/secrets/<owner id>.env`, 0600 in a 0700 folder.
#[derive(Debug, Clone)]
pub struct SecretStore {
    dir: PathBuf,
}

impl SecretStore {
    /// The store kept in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> SecretStore {
        SecretStore { dir: dir.into() }
    }

    /// The file of `owner` (a sandbox or snapshot id). Ids are the app's own UUIDs; anything else is refused so a
    /// value from a file can never name a path outside the store.
    pub fn path(&self, owner: &str) -> std::io::Result<PathBuf> {
        let plain = !owner.is_empty()
            && owner.len() <= 64
            && owner.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        if !plain {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("'{owner}' is not an id of the secret store"),
            ));
        }
        Ok(self.dir.join(format!("{owner}.env")))
    }

    /// Keep `vars` (name, value) as the secrets of `owner`, replacing what it had. Returns the file, or `None`
    /// (and no file) when there is nothing to keep.
    pub fn put(&self, owner: &str, vars: &[(String, String)]) -> std::io::Result<Option<PathBuf>> {
        let path = self.path(owner)?;
        if vars.is_empty() {
            remove_if_present(&path)?;
            return Ok(None);
        }
        private::create_dir(&self.dir)?;
        private::write(&path, render(vars).as_bytes())?;
        Ok(Some(path))
    }

    /// The secrets of `owner` (none when it has no file).
    pub fn get(&self, owner: &str) -> std::io::Result<Vec<(String, String)>> {
        let path = self.path(owner)?;
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Forget the secrets of `owner`.
    pub fn remove(&self, owner: &str) -> std::io::Result<()> {
        remove_if_present(&self.path(owner)?)
    }

    /// Give `to` the secrets of `from` (a full snapshot of a sandbox, a sandbox restored from one).
    pub fn copy(&self, from: &str, to: &str) -> std::io::Result<()> {
        let vars = self.get(from)?;
        self.put(to, &vars).map(|_| ())
    }

    /// Put the values of `owner`'s secrets into the secret variables of `env` that have none.
    pub fn fill(&self, owner: &str, env: &mut [EnvVar]) -> std::io::Result<()> {
        let values = self.get(owner)?;
        for var in env.iter_mut().filter(|v| v.secret && v.value.is_empty()) {
            if let Some((_, value)) = values.iter().find(|(name, _)| name == &var.name) {
                var.value = value.clone();
            }
        }
        Ok(())
    }
}

fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// An environment variable, for the unit tests.
#[cfg(test)]
pub(crate) fn env_var(name: &str, value: &str, secret: bool) -> EnvVar {
    EnvVar {
        name: name.into(),
        value: value.into(),
        secret,
    }
}

/// The secret variables of `env` with their values, as (name, value).
pub fn secret_values(env: &[EnvVar]) -> Vec<(String, String)> {
    env.iter()
        .filter(|v| v.secret)
        .map(|v| (v.name.clone(), v.value.clone()))
        .collect()
}

/// `NAME='value'` lines a POSIX shell can source (`'` written as `'\''`).
pub fn render(vars: &[(String, String)]) -> String {
    let mut text = String::new();
    for (name, value) in vars {
        text.push_str(name);
        text.push_str("='");
        text.push_str(&value.replace('\'', "'\\''"));
        text.push_str("'\n");
    }
    text
}

/// Read back what [`render`] wrote.
pub fn parse(text: &str) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    let mut rest = text;
    while let Some(eq) = rest.find("='") {
        let name = rest[..eq].trim_start_matches('\n').to_string();
        let mut value = String::new();
        let mut body = &rest[eq + 2..];
        loop {
            match body.find('\'') {
                Some(end) if body[end..].starts_with("'\\''") => {
                    value.push_str(&body[..end]);
                    value.push('\'');
                    body = &body[end + 4..];
                }
                Some(end) => {
                    value.push_str(&body[..end]);
                    body = &body[end + 1..];
                    break;
                }
                None => {
                    value.push_str(body);
                    body = "";
                    break;
                }
            }
        }
        vars.push((name, value));
        rest = body.strip_prefix('\n').unwrap_or(body);
    }
    vars
}

/// Serialize environment variables with the values of secret ones left empty: the shape every record, label and
/// export of a sandbox's configuration is written in.
pub fn serialize_redacted<S: Serializer>(env: &[EnvVar], serializer: S) -> Result<S::Ok, S::Error> {
    let mut seq = serializer.serialize_seq(Some(env.len()))?;
    for var in env {
        if var.secret {
            seq.serialize_element(&EnvVar {
                name: var.name.clone(),
                value: String::new(),
                secret: true,
            })?;
        } else {
            seq.serialize_element(var)?;
        }
    }
    seq.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_the_file_whatever_they_hold() {
        let vars = vec![
            ("A".to_string(), "plain".to_string()),
            ("B".to_string(), "it's 'quoted'".to_string()),
            ("C".to_string(), "two\nlines='x'\n".to_string()),
            ("D".to_string(), String::new()),
        ];
        assert_eq!(parse(&render(&vars)), vars);
    }

    #[test]
    fn the_store_keeps_files_private_and_refuses_odd_owners() {
        let dir = tempfile::tempdir().unwrap();
        let store = SecretStore::new(dir.path().join("secrets"));
        let owner = "0f1e2d3c-aaaa-bbbb-cccc-0123456789ab";
        let vars = vec![("TOKEN".to_string(), "x1".to_string())];
        let path = store.put(owner, &vars).unwrap().unwrap();
        assert_eq!(store.get(owner).unwrap(), vars);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&dir.path().join("secrets")), 0o700);
        }
        store.copy(owner, "11111111-2222").unwrap();
        assert_eq!(store.get("11111111-2222").unwrap(), vars);
        assert!(store.put(owner, &[]).unwrap().is_none());
        assert!(!path.exists());
        for odd in ["../x", "", "a/b", "..", "ABCDEFG"] {
            assert!(store.get(odd).is_err(), "{odd}");
        }
    }

    #[test]
    fn records_never_carry_secret_values() {
        #[derive(serde::Serialize)]
        struct Record {
            #[serde(serialize_with = "serialize_redacted")]
            env: Vec<EnvVar>,
        }
        let record = Record {
            env: vec![
                EnvVar {
                    name: "TOKEN".into(),
                    value: "x1-secret".into(),
                    secret: true,
                },
                EnvVar {
                    name: "MODE".into(),
                    value: "dev".into(),
                    secret: false,
                },
            ],
        };
        let json = serde_json::to_string(&record).unwrap();
        assert!(!json.contains("x1-secret"), "{json}");
        assert!(json.contains("\"TOKEN\"") && json.contains("dev"), "{json}");
    }
}
