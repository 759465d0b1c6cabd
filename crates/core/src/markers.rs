//! Marker volumes: what only the database would otherwise hold, kept on the engine as labels so it comes back
//! when the database is lost (E2). A marker is an empty named volume — it takes no space and no container mounts
//! it — carrying the app's labels and the record as JSON:
//!
//! - **a repository default set in the app** (`kind = repo-default`, one per repository, named
//!   `sbx-marker-<instance>-repo-<hash of the repository key>`, its record `{root, name, snapshot}`, the snapshot's
//!   name also as the `source` label so deleting the snapshot finds it). Set: the database, then the marker
//!   replaced; cleared: the marker removed first, then the database, so a marker never outlives a cleared default.
//! - **a failed snapshot** (`kind = failed-snapshot`, named `sbx-marker-<instance>-failed-<snapshot id>`, its
//!   record `{snapshot, spec}` as a snapshot image's is), made when the snapshot fails (its images are gone by
//!   then) and removed when the record is deleted (by the user or the reaper).
//!
//! [`Core::recover_markers`] (part of [`Core::recover`]) puts back what the database lacks. Volume labels cannot
//! change, so a marker is replaced, never edited. Like the git volumes, markers are removed by
//! `docker volume prune` and by the data dir's purge.

use sbx_api::{Snapshot, SnapshotStatus};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

use crate::sandbox::spec::SandboxSpec;
use crate::snapshot::SnapshotRecord;
use crate::store::{repositories, snapshots};
use crate::{Core, Result, labels};

/// A repository default set in the app.
pub const KIND_REPO_DEFAULT: &str = "repo-default";
/// A failed snapshot's record.
pub const KIND_FAILED_SNAPSHOT: &str = "failed-snapshot";

/// The record a repository default's marker carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoDefaultMarker {
    /// The repository key (host root or URL).
    pub root: String,
    /// The repository name.
    pub name: String,
    /// The default snapshot's name.
    pub snapshot: String,
}

/// The record a failed snapshot's marker carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FailedSnapshotMarker {
    snapshot: Snapshot,
    spec: SandboxSpec,
}

/// The marker volume of repository `key`'s default in data dir `instance`.
pub fn repo_default_volume(instance: &str, key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("sbx-marker-{instance}-repo-{hash}")
}

/// The marker volume of failed snapshot `id` in data dir `instance`.
pub fn failed_snapshot_volume(instance: &str, id: &str) -> String {
    format!("sbx-marker-{instance}-failed-{id}")
}

impl Core {
    /// Replace the marker of repository `key`'s app default with one naming `snapshot`, or remove it (`None`).
    pub(crate) async fn keep_repo_default_marker(
        &self,
        key: &str,
        name: &str,
        snapshot: Option<&str>,
    ) -> Result<()> {
        let volume = repo_default_volume(self.paths().instance(), key);
        self.remove_marker(&volume).await?;
        let Some(snapshot) = snapshot else {
            return Ok(());
        };
        let record = RepoDefaultMarker {
            root: key.to_string(),
            name: name.to_string(),
            snapshot: snapshot.to_string(),
        };
        let mut map = labels::base(self.paths().instance(), KIND_REPO_DEFAULT);
        map.insert(labels::NAME.into(), name.to_string());
        map.insert(labels::SOURCE.into(), snapshot.to_string());
        map.insert(labels::RECORD.into(), to_json(&record));
        self.engine().create_volume(&volume, map).await
    }

    /// Remove the markers of every repository default naming `snapshot` (it is being deleted).
    pub(crate) async fn drop_repo_default_markers(&self, snapshot: &str) -> Result<()> {
        let with = labels::of_instance(
            self.paths().instance(),
            &[
                (labels::KIND, KIND_REPO_DEFAULT),
                (labels::SOURCE, snapshot),
            ],
        );
        for volume in self.engine().list_volumes(&with).await? {
            self.remove_marker(&volume.name).await?;
        }
        Ok(())
    }

    /// Mark the snapshot `id` failed with `reason`, and keep its record on a marker so it comes back with the
    /// database.
    pub(crate) async fn fail_snapshot(&self, id: &str, reason: &str) -> Result<()> {
        snapshots::set_failed(self.store().pool(), id, reason).await?;
        if let Some(record) = snapshots::by_id(self.store().pool(), id).await?
            && let Err(error) = self.keep_failed_snapshot_marker(&record).await
        {
            tracing::warn!(
                "keeping the record of failed snapshot {}: {error}",
                record.name
            );
        }
        Ok(())
    }

    async fn keep_failed_snapshot_marker(&self, record: &SnapshotRecord) -> Result<()> {
        let volume = failed_snapshot_volume(self.paths().instance(), &record.id);
        self.remove_marker(&volume).await?;
        let marker = FailedSnapshotMarker {
            snapshot: record.to_api(),
            spec: record.sandbox_spec()?,
        };
        let mut map = labels::base(self.paths().instance(), KIND_FAILED_SNAPSHOT);
        map.insert(labels::ID.into(), record.id.clone());
        map.insert(labels::NAME.into(), record.name.clone());
        map.insert(labels::RECORD.into(), to_json(&marker));
        self.engine().create_volume(&volume, map).await
    }

    /// Remove the failed-snapshot marker of snapshot `id`, if there is one.
    pub(crate) async fn drop_failed_snapshot_marker(&self, id: &str) -> Result<()> {
        self.remove_marker(&failed_snapshot_volume(self.paths().instance(), id))
            .await
    }

    /// Put back what the database lacks from the markers: each repository's app default (when its snapshot is
    /// known; a marker naming a snapshot that is gone is removed) and each failed snapshot's record.
    pub async fn recover_markers(&self) -> Result<()> {
        let instance = self.paths().instance().to_string();
        let pool = self.store().pool();
        let failed = labels::of_instance(&instance, &[(labels::KIND, KIND_FAILED_SNAPSHOT)]);
        for volume in self.engine().list_volumes(&failed).await? {
            let Some(marker) = record_of::<FailedSnapshotMarker>(&volume.labels) else {
                continue;
            };
            if marker.snapshot.status != SnapshotStatus::Failed {
                continue;
            }
            let spec = serde_json::to_string(&marker.spec).unwrap_or_default();
            if snapshots::insert_ended(pool, &marker.snapshot, &spec).await? {
                self.emit(sbx_api::UiEvent::SnapshotsChanged);
            }
        }
        let defaults = labels::of_instance(&instance, &[(labels::KIND, KIND_REPO_DEFAULT)]);
        for volume in self.engine().list_volumes(&defaults).await? {
            let Some(marker) = record_of::<RepoDefaultMarker>(&volume.labels) else {
                continue;
            };
            if snapshots::by_name(pool, &marker.snapshot).await?.is_none() {
                self.remove_marker(&volume.name).await?;
                continue;
            }
            if repositories::default_snapshot(pool, &marker.root)
                .await?
                .is_none()
            {
                repositories::set_default_snapshot(
                    pool,
                    &marker.root,
                    &marker.name,
                    Some(&marker.snapshot),
                    chrono::Utc::now(),
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Remove the marker volume `name`; one that is not there is fine.
    async fn remove_marker(&self, name: &str) -> Result<()> {
        match self.engine().remove_volume(name).await {
            Err(error) if error.is_engine_not_found() => Ok(()),
            other => other,
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn record_of<T: for<'de> Deserialize<'de>>(map: &HashMap<String, String>) -> Option<T> {
    serde_json::from_str(map.get(labels::RECORD)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_names_are_per_data_dir_and_valid_volume_names() {
        let a = repo_default_volume("0123456789ab", "/home/me/project");
        assert_eq!(a, repo_default_volume("0123456789ab", "/home/me/project"));
        assert_ne!(a, repo_default_volume("ba9876543210", "/home/me/project"));
        assert_ne!(a, repo_default_volume("0123456789ab", "/home/me/other"));
        for name in [
            a,
            repo_default_volume("0123456789ab", "https://example.com/x.git"),
            failed_snapshot_volume("0123456789ab", "7f0c1c1e-2f7a-4b8e-9d55-0c8a2a1b3c4d"),
        ] {
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)),
                "{name}"
            );
        }
    }
}
