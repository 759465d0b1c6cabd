//! Snapshots (N1–N10): records of captured sandboxes and their images; taking them in [`capture`], restoring
//! and cloning in [`restore`], listing, deleting, retention and recovery in [`manage`], schedules in [`automatic`],
//! export and import in [`transfer`]. A snapshot past its `expires_at` is gone from that moment (not found,
//! not listed); the reaper only frees its space.

pub mod automatic;
pub mod capture;
pub mod image;
pub mod lineage;
pub mod manage;
pub mod restore;
pub mod scrub;
pub mod space;
pub mod transfer;

use chrono::{DateTime, Utc};
use sbx_api::{ApiError, Consistency, Snapshot, SnapshotMode, SnapshotStatus};

use crate::sandbox::spec::SandboxSpec;
use crate::store::snapshots;
use crate::{Core, Error, Result};

/// A snapshot's record: its row in the database.
pub use crate::store::snapshots::SnapshotRow as SnapshotRecord;

impl SnapshotRecord {
    /// Parsed status.
    pub fn status(&self) -> SnapshotStatus {
        match self.status.as_str() {
            "capturing" => SnapshotStatus::Capturing,
            "finalizing" => SnapshotStatus::Finalizing,
            "active" => SnapshotStatus::Active,
            _ => SnapshotStatus::Failed,
        }
    }

    /// The configuration a restore starts from.
    pub fn sandbox_spec(&self) -> Result<SandboxSpec> {
        serde_json::from_str(&self.spec).map_err(|e| {
            Error::Other(format!(
                "unreadable configuration of snapshot '{}': {e}",
                self.name
            ))
        })
    }

    /// The API view.
    pub fn to_api(&self) -> Snapshot {
        Snapshot {
            id: self.id.clone(),
            name: self.name.clone(),
            source_template: self.source_template.clone(),
            source_sandbox_id: self.source_sandbox_id.clone(),
            source_sandbox_name: self.source_sandbox_name.clone(),
            repository: self.repository.clone(),
            status: self.status(),
            failure_reason: self.failure_reason.clone(),
            created_at: self.created_at,
            expires_at: self.expires_at,
            size_bytes: self.size_bytes.map(|s| s.max(0) as u64),
            mode: if self.mode == "full" {
                SnapshotMode::Full
            } else {
                SnapshotMode::Scrub
            },
            consistency: if self.consistency == "crash" {
                Consistency::Crash
            } else {
                Consistency::Application
            },
            image: self.image.clone(),
            imported: self.imported,
            automatic: self.automatic,
        }
    }

    /// Whether it has ended (active or failed) and its `expires_at` is not after `now`: an expired snapshot is gone
    /// for every use from that moment (restore, clone, launch, listing); the reaper only frees its space.
    pub fn expired_at(&self, now: DateTime<Utc>) -> bool {
        matches!(
            self.status(),
            SnapshotStatus::Active | SnapshotStatus::Failed
        ) && self.expires_at.is_some_and(|at| at <= now)
    }
}

impl Core {
    /// The snapshot called `name`, whatever its status; an expired one is not found.
    pub async fn snapshot_record(&self, name: &str) -> Result<SnapshotRecord> {
        snapshots::by_name(self.store().pool(), name)
            .await?
            .filter(|row| !row.expired_at(Utc::now()))
            .ok_or_else(|| Error::Api(ApiError::not_found("snapshot", name)))
    }

    /// The snapshot called `key`, else the snapshot whose id is `key`, whatever its status; an expired one is not
    /// found.
    pub async fn find_snapshot(&self, key: &str) -> Result<SnapshotRecord> {
        let pool = self.store().pool();
        let row = match snapshots::by_name(pool, key).await? {
            Some(row) => Some(row),
            None => snapshots::by_id(pool, key).await?,
        };
        row.filter(|row| !row.expired_at(Utc::now()))
            .ok_or_else(|| Error::Api(ApiError::not_found("snapshot", key)))
    }

    /// The snapshot called `name`, which must be active to start a sandbox from. `field` names the flag in errors.
    pub async fn active_snapshot(
        &self,
        field: &sbx_api::Field,
        name: &str,
    ) -> Result<SnapshotRecord> {
        let record = self.snapshot_record(name).await?;
        match record.status() {
            SnapshotStatus::Active => Ok(record),
            SnapshotStatus::Capturing | SnapshotStatus::Finalizing => {
                Err(Error::Api(ApiError::invalid(
                    field.clone(),
                    name,
                    format!(
                        "snapshot is still {}; wait until it is active",
                        record.status
                    ),
                )))
            }
            SnapshotStatus::Failed => Err(Error::Api(ApiError::invalid(
                field.clone(),
                name,
                format!(
                    "snapshot failed ({}) and cannot be restored; delete it",
                    record
                        .failure_reason
                        .as_deref()
                        .unwrap_or("no reason recorded")
                ),
            ))),
        }
    }
}
