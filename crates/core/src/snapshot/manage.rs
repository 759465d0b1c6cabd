//! Managing snapshots: listing (N4), deleting (N6), retention and the reaper (N7: an expired snapshot is gone at
//! once, the reaper frees its space), and recovery after a crash mid-capture (N2). Automatic snapshots (N8) are in
//! [`super::automatic`], moving a snapshot to another machine (N10) in [`super::transfer`].

use chrono::Utc;
use sbx_api::{
    ApiError, JobKind, ListSnapshotsRequest, Snapshot, SnapshotPage, SnapshotStatus, UiEvent,
};

use crate::engine::images::Removal;
use crate::jobs::JobRow;
use crate::sandbox::spec::SandboxSpec;
use crate::sandbox::state::Phase;
use crate::snapshot::SnapshotRecord;
use crate::store::{repositories, snapshots};
use crate::{Core, Error, Result, labels};

/// Why a capture whose process stopped failed.
const INTERRUPTED: &str = "interrupted: the process capturing it stopped; nothing was kept";

impl Core {
    /// One page of snapshots, newest first; all of them, or those of one sandbox (by name).
    pub async fn list_snapshots(&self, request: &ListSnapshotsRequest) -> Result<SnapshotPage> {
        sbx_api::rules::page_and_limit(request.page, request.limit)?;
        let offset = i64::from(request.page - 1) * i64::from(request.limit);
        let sandbox = request.sandbox.as_deref();
        let pool = self.store().pool();
        let now = Utc::now();
        let items = snapshots::page(pool, sandbox, i64::from(request.limit), offset, now).await?;
        let totals = snapshots::totals(pool, sandbox, now).await?;
        Ok(SnapshotPage {
            items: items.iter().map(SnapshotRecord::to_api).collect(),
            page: request.page,
            limit: request.limit,
            total: totals.count.max(0) as u64,
            total_size_bytes: totals.size_bytes.max(0) as u64,
        })
    }

    /// One snapshot by name.
    pub async fn get_snapshot(&self, name: &str) -> Result<Snapshot> {
        Ok(self.snapshot_record(name).await?.to_api())
    }

    /// Delete a snapshot for good. Waits for its restores in flight; sandboxes restored from it keep running.
    pub async fn delete_snapshot(&self, name: &str) -> Result<()> {
        let record = self.snapshot_record(name).await?;
        self.remove_snapshot(record).await
    }

    /// Delete the snapshot of `record`, expired or not: its image, its record, its secret values, the repository
    /// defaults naming it and its markers.
    pub(crate) async fn remove_snapshot(&self, record: SnapshotRecord) -> Result<()> {
        let name = record.name.as_str();
        if matches!(
            record.status(),
            SnapshotStatus::Capturing | SnapshotStatus::Finalizing
        ) {
            return Err(ApiError::conflict(format!(
                "snapshot '{name}' is still {}; delete it once it is active or failed",
                record.status
            ))
            .into());
        }
        self.wait_for_restores(&record.id, name).await?;
        if let Some(image) = &record.image {
            // By tag: when restored sandboxes still run on it, the engine only removes the name and keeps the
            // layers they use.
            match self.engine().remove_image(image).await? {
                Removal::Removed | Removal::Missing => {}
                // Used by a running container: keep the layers, drop the name only.
                Removal::InUse => {
                    let _ = self.engine().untag_image(image).await;
                }
            }
        }
        self.drop_failed_snapshot_marker(&record.id).await?;
        self.drop_repo_default_markers(name).await?;
        snapshots::delete(self.store().pool(), &record.id).await?;
        self.secrets()
            .remove(&record.id)
            .map_err(|e| Error::io("removing the snapshot's secret variables", e))?;
        repositories::clear_default_snapshot(self.store().pool(), name).await?;
        self.emit(UiEvent::SnapshotsChanged);
        Ok(())
    }

    /// Delete every snapshot whose `expires_at` has passed (the reaper runs this hourly). They were gone for every
    /// use already; this frees their space.
    pub async fn reap_expired(&self) -> Result<Vec<String>> {
        let expired = snapshots::expired_names(self.store().pool(), Utc::now()).await?;
        let mut deleted = Vec::new();
        for name in expired {
            let Some(record) = snapshots::by_name(self.store().pool(), &name).await? else {
                continue;
            };
            match self.remove_snapshot(record).await {
                Ok(()) => deleted.push(name),
                Err(error) => tracing::warn!("reaper: deleting expired snapshot {name}: {error}"),
            }
        }
        Ok(deleted)
    }

    /// The reaper's pass: once an hour (interval minutes), delete expired snapshots.
    pub(crate) async fn reaper_pass(&self) -> Result<()> {
        let hour =
            chrono::Duration::from_std(self.minute() * 60).unwrap_or(chrono::Duration::hours(1));
        let now = Utc::now();
        let due = match self.reaper_last_run.lock().ok().and_then(|last| *last) {
            Some(last) => now - last >= hour,
            None => true,
        };
        if !due {
            return Ok(());
        }
        if let Ok(mut last) = self.reaper_last_run.lock() {
            *last = Some(now);
        }
        self.reap_expired().await?;
        Ok(())
    }

    /// Record an ended snapshot (imported or rebuilt from its image's labels: active; rebuilt from its marker:
    /// failed) unless one with its id or name exists; whether it was inserted.
    pub(crate) async fn insert_snapshot_record(
        &self,
        snapshot: &Snapshot,
        spec: &SandboxSpec,
    ) -> Result<bool> {
        let spec_json = serde_json::to_string(spec).map_err(|e| Error::Other(e.to_string()))?;
        snapshots::insert_ended(self.store().pool(), snapshot, &spec_json).await
    }

    /// After a crash: fail captures whose job is gone (removing what they half-made), rebuild records of snapshot
    /// images the database does not know, and fail records whose image disappeared.
    pub(crate) async fn recover_snapshots(&self) -> Result<()> {
        for stuck in snapshots::stuck_captures(self.store().pool()).await? {
            self.abandon_capture(
                &stuck.id,
                stuck.job_id.as_deref().unwrap_or(""),
                Some(&stuck.source_sandbox_name),
            )
            .await;
            self.fail_snapshot(&stuck.id, INTERRUPTED).await?;
            self.emit(UiEvent::SnapshotsChanged);
        }

        let snapshot_images = labels::of_instance(
            self.paths().instance(),
            &[(labels::KIND, labels::KIND_SNAPSHOT)],
        );
        let images = self.engine().list_images(&snapshot_images, false).await?;
        let mut present = std::collections::HashSet::new();
        for image in images {
            for tag in &image.repo_tags {
                present.insert(tag.clone());
            }
            let Some(json) = image.labels.get(labels::RECORD) else {
                continue;
            };
            let Ok(value) = serde_json::from_str::<serde_json::Value>(json) else {
                continue;
            };
            let (Some(snapshot), Some(spec)) = (
                value
                    .get("snapshot")
                    .and_then(|s| serde_json::from_value::<Snapshot>(s.clone()).ok()),
                value
                    .get("spec")
                    .and_then(|s| serde_json::from_value::<SandboxSpec>(s.clone()).ok()),
            ) else {
                continue;
            };
            let known = self.snapshot_record(&snapshot.name).await.is_ok();
            if !known && self.insert_snapshot_record(&snapshot, &spec).await? {
                self.emit(UiEvent::SnapshotsChanged);
            }
        }
        for snapshots::ActiveImage { id, image } in
            snapshots::active_images(self.store().pool()).await?
        {
            let missing = match &image {
                Some(image) => !present.contains(image) && !self.image_exists(image).await?,
                None => true,
            };
            if missing {
                self.fail_snapshot(&id, "its image was removed outside the app")
                    .await?;
                self.emit(UiEvent::SnapshotsChanged);
            }
        }
        Ok(())
    }

    /// A snapshot, restore or clone job whose process died.
    pub(crate) async fn recover_snapshot_job(&self, job: &JobRow) -> Result<()> {
        match job.job_kind() {
            Some(JobKind::Snapshot) => {
                if let Ok(record) = self.snapshot_record(&job.target).await
                    && matches!(
                        record.status(),
                        SnapshotStatus::Capturing | SnapshotStatus::Finalizing
                    )
                {
                    self.abandon_capture(&record.id, &job.id, Some(&record.source_sandbox_name))
                        .await;
                    self.fail_snapshot(&record.id, INTERRUPTED).await?;
                    self.emit(UiEvent::SnapshotsChanged);
                }
            }
            Some(JobKind::Import) => self.recover_import_job(job).await,
            _ => {
                if let Ok(record) = self.sandbox_record(&job.target).await
                    && record.phase == Phase::Creating
                {
                    self.undo_create(&record.spec.id).await;
                }
                self.unmark_restore(&job.id).await;
                self.emit(UiEvent::SandboxesChanged {
                    name: Some(job.target.clone()),
                });
            }
        }
        self.fail_job(&job.id, "interrupted: the process doing it stopped")
            .await
    }
}

pub use super::automatic::tick_due;
