//! The fields an [`ApiError::InvalidInput`](crate::ApiError::InvalidInput) can name: the flags of the CLI, the
//! values of a request and of the settings, and the keys of the files the user hands the app. In JSON a field is
//! its name as a plain string (`"cpus"`, `"snapshot-name"`, `"env.FOO"`), so the error's shape is that of a
//! string field; the UI matches the variants.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// What an invalid value was given as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// A sandbox's name, or a snapshot's in `sbx snapshot create` and the Take Snapshot dialog: `name`.
    Name,
    /// The name of the intermediate snapshot of a clone: `snapshot-name`.
    SnapshotName,
    /// The repository (a path inside one, or a URL): `git`.
    Git,
    /// The repository's branch: `branch`.
    Branch,
    /// A preset: `preset`.
    Preset,
    /// A custom image: `image`.
    Image,
    /// The snapshot to start from or restore: `snapshot`.
    Snapshot,
    /// The automatic snapshot schedule (cron): `snapshot-schedule`.
    SnapshotSchedule,
    /// A setup script file: `setup-script`.
    SetupScript,
    /// A port binding: `port`.
    Port,
    /// An environment variable: `env`.
    Env,
    /// The CPU limit: `cpus`.
    Cpus,
    /// The memory limit in MiB: `memory`.
    Memory,
    /// Idle minutes before auto-stop: `auto-stop`.
    AutoStop,
    /// Minutes after stopping before auto-delete: `auto-delete`.
    AutoDelete,
    /// The command to run in a sandbox: `command`.
    Command,
    /// The page of a list: `page`.
    Page,
    /// The size of a page of a list: `limit`.
    Limit,
    /// A repository path: `path`.
    Path,
    /// A snapshot export file: `file`.
    File,
    /// A capture mode: `mode`.
    Mode,
    /// Manual or automatic snapshots of a sandbox: `snapshot-mode`.
    SnapshotMode,
    /// The automatic snapshots kept per sandbox setting: `automatic_snapshots_kept`.
    AutomaticSnapshotsKept,
    /// The default preset setting: `default_preset`.
    DefaultPreset,
    /// The default auto-stop setting: `default_auto_stop_minutes`.
    DefaultAutoStopMinutes,
    /// The snapshot retention setting: `snapshot_retention_days`.
    SnapshotRetentionDays,
    /// The repository's configuration file as a whole (it does not parse): `.amika/config.toml`.
    ConfigFile,
    /// A sandbox profile, or one of its versions (`NAME` or `NAME@N`): `profile`.
    Profile,
    /// A profile's refresh schedule (cron, `base-image` or `manual`): `refresh-schedule`.
    RefreshSchedule,
    /// The HTTP API's listening address (`sbx serve --listen`): `listen`.
    Listen,
    /// A key inside a file the user gave, as written: `env.FOO` or `services.web.port` of the repository's
    /// `.amika/config.toml`, `snapshot.json spec.cpus` of an imported snapshot.
    Key(String),
}

/// The fields named by one fixed word, with their word.
const NAMED: [(Field, &str); 30] = [
    (Field::Name, "name"),
    (Field::SnapshotName, "snapshot-name"),
    (Field::Git, "git"),
    (Field::Branch, "branch"),
    (Field::Preset, "preset"),
    (Field::Image, "image"),
    (Field::Snapshot, "snapshot"),
    (Field::SnapshotSchedule, "snapshot-schedule"),
    (Field::SetupScript, "setup-script"),
    (Field::Port, "port"),
    (Field::Env, "env"),
    (Field::Cpus, "cpus"),
    (Field::Memory, "memory"),
    (Field::AutoStop, "auto-stop"),
    (Field::AutoDelete, "auto-delete"),
    (Field::Command, "command"),
    (Field::Page, "page"),
    (Field::Limit, "limit"),
    (Field::Path, "path"),
    (Field::File, "file"),
    (Field::Mode, "mode"),
    (Field::SnapshotMode, "snapshot-mode"),
    (Field::AutomaticSnapshotsKept, "automatic_snapshots_kept"),
    (Field::DefaultPreset, "default_preset"),
    (Field::DefaultAutoStopMinutes, "default_auto_stop_minutes"),
    (Field::SnapshotRetentionDays, "snapshot_retention_days"),
    (Field::ConfigFile, ".amika/config.toml"),
    (Field::Profile, "profile"),
    (Field::RefreshSchedule, "refresh-schedule"),
    (Field::Listen, "listen"),
];

impl Field {
    /// The field's name as the JSON carries it and the CLI's errors print it.
    pub fn as_str(&self) -> &str {
        match self {
            Field::Key(key) => key,
            named => NAMED
                .iter()
                .find(|(field, _)| field == named)
                .map_or("", |(_, word)| word),
        }
    }

    /// The field a name stands for: one of the fixed words, else a [`Field::Key`].
    pub fn parse(name: &str) -> Field {
        NAMED
            .iter()
            .find(|(_, word)| *word == name)
            .map_or_else(|| Field::Key(name.to_string()), |(field, _)| field.clone())
    }
}

impl From<&str> for Field {
    fn from(name: &str) -> Field {
        Field::parse(name)
    }
}

impl From<String> for Field {
    fn from(name: String) -> Field {
        Field::parse(&name)
    }
}

impl From<&String> for Field {
    fn from(name: &String) -> Field {
        Field::parse(name)
    }
}

impl From<&Field> for Field {
    fn from(field: &Field) -> Field {
        field.clone()
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Field {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Field {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Field, D::Error> {
        String::deserialize(deserializer).map(Field::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_names_its_field_and_back() {
        for (field, word) in &NAMED {
            assert_eq!(field.as_str(), *word);
            assert_eq!(Field::parse(word), *field);
            let json = serde_json::to_string(field).unwrap();
            assert_eq!(json, format!("\"{word}\""));
            assert_eq!(serde_json::from_str::<Field>(&json).unwrap(), *field);
        }
        let words: std::collections::HashSet<&str> = NAMED.iter().map(|(_, w)| *w).collect();
        assert_eq!(words.len(), NAMED.len(), "one word per field");
    }

    #[test]
    fn keys_are_kept_as_written() {
        for key in ["env.FOO", "services.web.port", "snapshot.json spec.cpus"] {
            let field = Field::parse(key);
            assert_eq!(field, Field::Key(key.to_string()));
            assert_eq!(field, key);
            assert_eq!(serde_json::to_string(&field).unwrap(), format!("\"{key}\""));
        }
    }
}
