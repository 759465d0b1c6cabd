//! The values of a sandbox-to-be that `sbx config explain` and the Create dialog's "Effective configuration" name,
//! each with where it came from. In JSON a key is its name as a plain string (`"setup_script"`, `"env.FOO"`); the
//! UI matches the variants.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Which value of a sandbox's configuration an [`EffectiveValue`](crate::EffectiveValue) is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigKey {
    /// The repository: `repository`.
    Repository,
    /// Its branch: `branch`.
    Branch,
    /// The snapshot the sandbox starts from: `snapshot`.
    Snapshot,
    /// The preset: `preset`.
    Preset,
    /// The custom image: `image`.
    Image,
    /// The setup script: `setup_script`.
    SetupScript,
    /// One environment variable, by name: `env.NAME`.
    Env(String),
    /// A published port (one value each): `port`.
    Port,
    /// The CPU limit: `cpus`.
    Cpus,
    /// The memory limit: `memory`.
    Memory,
    /// Idle minutes before auto-stop: `auto_stop`.
    AutoStop,
    /// Minutes after stopping before auto-delete: `auto_delete`.
    AutoDelete,
    /// The automatic snapshot schedule: `snapshot_schedule`.
    SnapshotSchedule,
    /// The agent credentials mounted: `credentials`.
    Credentials,
    /// What the sandbox runs once set up (keep-alive, a command, the image's own): `main_command`.
    MainCommand,
    /// A name this version does not know, as written.
    Other(String),
}

/// The keys named by one fixed word, with their word.
const NAMED: [(ConfigKey, &str); 14] = [
    (ConfigKey::Repository, "repository"),
    (ConfigKey::Branch, "branch"),
    (ConfigKey::Snapshot, "snapshot"),
    (ConfigKey::Preset, "preset"),
    (ConfigKey::Image, "image"),
    (ConfigKey::SetupScript, "setup_script"),
    (ConfigKey::Port, "port"),
    (ConfigKey::Cpus, "cpus"),
    (ConfigKey::Memory, "memory"),
    (ConfigKey::AutoStop, "auto_stop"),
    (ConfigKey::AutoDelete, "auto_delete"),
    (ConfigKey::SnapshotSchedule, "snapshot_schedule"),
    (ConfigKey::Credentials, "credentials"),
    (ConfigKey::MainCommand, "main_command"),
];

/// The prefix of an environment variable's key.
const ENV_PREFIX: &str = "env.";

impl ConfigKey {
    /// The key's name as the JSON carries it and `sbx config explain` prints it.
    pub fn name(&self) -> String {
        match self {
            ConfigKey::Env(var) => format!("{ENV_PREFIX}{var}"),
            ConfigKey::Other(name) => name.clone(),
            named => NAMED
                .iter()
                .find(|(key, _)| key == named)
                .map_or_else(String::new, |(_, word)| (*word).to_string()),
        }
    }

    /// The key a name stands for: a fixed word, `env.NAME`, else [`ConfigKey::Other`].
    pub fn parse(name: &str) -> ConfigKey {
        if let Some(var) = name.strip_prefix(ENV_PREFIX) {
            return ConfigKey::Env(var.to_string());
        }
        NAMED.iter().find(|(_, word)| *word == name).map_or_else(
            || ConfigKey::Other(name.to_string()),
            |(key, _)| key.clone(),
        )
    }
}

impl From<&str> for ConfigKey {
    fn from(name: &str) -> ConfigKey {
        ConfigKey::parse(name)
    }
}

impl fmt::Display for ConfigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl PartialEq<&str> for ConfigKey {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

impl Serialize for ConfigKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for ConfigKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ConfigKey, D::Error> {
        String::deserialize(deserializer).map(|name| ConfigKey::parse(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (key, word) in &NAMED {
            assert_eq!(key.name(), *word);
            assert_eq!(ConfigKey::parse(word), *key);
            let json = serde_json::to_string(key).unwrap();
            assert_eq!(json, format!("\"{word}\""));
            assert_eq!(serde_json::from_str::<ConfigKey>(&json).unwrap(), *key);
        }
        let env = ConfigKey::parse("env.API_TOKEN");
        assert_eq!(env, ConfigKey::Env("API_TOKEN".into()));
        assert_eq!(env, "env.API_TOKEN");
        assert_eq!(serde_json::to_string(&env).unwrap(), "\"env.API_TOKEN\"");
        assert_eq!(ConfigKey::parse("later"), ConfigKey::Other("later".into()));
    }
}
