//! Managing snapshots: listing (N4), deleting (N6), retention and the reaper (N7), automatic snapshots (N8), and
//! recovery after a crash mid-capture (N2). Moving a snapshot to another machine (N10) is in [`super::transfer`].

use bollard::query_parameters::{ListImagesOptionsBuilder, RemoveImageOptionsBuilder};
use chrono::{DateTime, Utc};
use sbx_api::{
    ApiError, CreateSnapshotRequest, ListSnapshotsRequest, Snapshot, SnapshotMode, SnapshotPage,
    SnapshotStatus, UiEvent,
};
use std::sync::Arc;

use crate::jobs::JobRow;
use crate::sandbox::spec::SandboxSpec;
use crate::sandbox::state::Phase;
use crate::snapshot::{COLUMNS, SnapshotRecord};
use crate::{Core, Error, Result, labels, validate};

impl Core {
    /// One page of snapshots, newest first; all of them, or those of one sandbox (by name).
    pub async fn list_snapshots(&self, request: &ListSnapshotsRequest) -> Result<SnapshotPage> {
        if request.page == 0 {
            return Err(ApiError::invalid("page", "0", "pages start at 1").into());
        }
        if !(1..=1000).contains(&request.limit) {
            return Err(ApiError::invalid(
                "limit",
                request.limit.to_string(),
                "must be between 1 and 1000",
            )
            .into());
        }
        let offset = i64::from(request.page - 1) * i64::from(request.limit);
        let (filter, bind) = match &request.sandbox {
            Some(name) => ("WHERE source_sandbox_name = ?", Some(name.clone())),
            None => ("", None),
        };
        let query = format!(
            "SELECT {COLUMNS} FROM snapshots {filter} ORDER BY created_at DESC, id LIMIT ? OFFSET ?"
        );
        let mut q = sqlx::query_as::<_, SnapshotRecord>(&query);
        if let Some(name) = &bind {
            q = q.bind(name);
        }
        let items = q
            .bind(i64::from(request.limit))
            .bind(offset)
            .fetch_all(self.store().pool())
            .await?;
        let totals =
            format!("SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM snapshots {filter}");
        let mut t = sqlx::query_as::<_, (i64, i64)>(&totals);
        if let Some(name) = &bind {
            t = t.bind(name);
        }
        let (total, size) = t.fetch_one(self.store().pool()).await?;
        Ok(SnapshotPage {
            items: items.iter().map(SnapshotRecord::to_api).collect(),
            page: request.page,
            limit: request.limit,
            total: total.max(0) as u64,
            total_size_bytes: size.max(0) as u64,
        })
    }

    /// One snapshot by name.
    pub async fn get_snapshot(&self, name: &str) -> Result<Snapshot> {
        Ok(self.snapshot_record(name).await?.to_api())
    }

    /// Delete a snapshot for good. Waits for its restores in flight; sandboxes restored from it keep running.
    pub async fn delete_snapshot(&self, name: &str) -> Result<()> {
        let record = self.snapshot_record(name).await?;
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
            let docker = self.engine().client().await?;
            // By tag: when restored sandboxes still run on it, the engine only removes the name and keeps the
            // layers they use.
            match docker
                .remove_image(
                    image,
                    Some(RemoveImageOptionsBuilder::default().force(true).build()),
                    None,
                )
                .await
            {
                Ok(_) => {}
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => {}
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 409, ..
                }) => {
                    // Used by a running container: keep the layers, drop the name only.
                    let _ = docker
                        .remove_image(
                            image,
                            Some(RemoveImageOptionsBuilder::default().noprune(true).build()),
                            None,
                        )
                        .await;
                }
                Err(e) => return Err(self.engine().fail(e)),
            }
        }
        sqlx::query("DELETE FROM snapshots WHERE id = ?")
            .bind(&record.id)
            .execute(self.store().pool())
            .await?;
        self.secrets()
            .remove(&record.id)
            .map_err(|e| Error::io("removing the snapshot's secret variables", e))?;
        sqlx::query("UPDATE repositories SET default_snapshot = NULL WHERE default_snapshot = ?")
            .bind(name)
            .execute(self.store().pool())
            .await?;
        self.emit(UiEvent::SnapshotsChanged);
        Ok(())
    }

    /// Delete every snapshot whose `expires_at` has passed (the reaper runs this hourly).
    pub async fn reap_expired(&self) -> Result<Vec<String>> {
        let expired: Vec<(String,)> = sqlx::query_as(
            "SELECT name FROM snapshots WHERE expires_at IS NOT NULL AND expires_at < ? \
             AND status IN ('active', 'failed')",
        )
        .bind(Utc::now())
        .fetch_all(self.store().pool())
        .await?;
        let mut deleted = Vec::new();
        for (name,) in expired {
            match self.delete_snapshot(&name).await {
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

    /// Automatic snapshots: for each sandbox with a schedule, when a cron tick has come since the last one, take a
    /// snapshot if the sandbox is running and none is in flight; otherwise skip the tick (never queued).
    pub(crate) async fn schedule_pass(self: &Arc<Self>) -> Result<()> {
        let rows: Vec<(String, Option<DateTime<Utc>>, DateTime<Utc>)> = sqlx::query_as(
            "SELECT name, last_schedule_tick, created_at FROM sandboxes WHERE phase = 'created'",
        )
        .fetch_all(self.store().pool())
        .await?;
        let now = Utc::now();
        for (name, last_tick, created_at) in rows {
            let Ok(record) = self.sandbox_record(&name).await else {
                continue;
            };
            let Some(schedule) = record.spec.snapshot_schedule.clone() else {
                continue;
            };
            let since = last_tick.unwrap_or(created_at);
            if !tick_due(&schedule, since, now) {
                continue;
            }
            sqlx::query("UPDATE sandboxes SET last_schedule_tick = ? WHERE id = ?")
                .bind(now)
                .bind(&record.spec.id)
                .execute(self.store().pool())
                .await?;
            let request = CreateSnapshotRequest {
                sandbox: name.clone(),
                name: super::capture::generated_name("auto", &name),
                mode: SnapshotMode::Full,
                quick: false,
                wait: false,
            };
            match self.create_snapshot(&request).await {
                Ok(snapshot) => tracing::info!("automatic snapshot {} of {name}", snapshot.name),
                Err(error) => tracing::info!("automatic snapshot of {name} skipped: {error}"),
            }
        }
        Ok(())
    }

    /// Record an active snapshot (imported, or rebuilt from its image's labels) unless one with its id or name
    /// exists; whether it was inserted.
    pub(crate) async fn insert_snapshot_record(
        &self,
        snapshot: &Snapshot,
        spec: &SandboxSpec,
    ) -> Result<bool> {
        let spec_json = serde_json::to_string(spec).map_err(|e| Error::Other(e.to_string()))?;
        let inserted = sqlx::query(
            "INSERT OR IGNORE INTO snapshots (id, name, source_template, source_sandbox_id, source_sandbox_name, \
             repository, status, created_at, expires_at, size_bytes, mode, consistency, image, spec, imported) \
             VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&snapshot.id)
        .bind(&snapshot.name)
        .bind(&snapshot.source_template)
        .bind(&snapshot.source_sandbox_id)
        .bind(&snapshot.source_sandbox_name)
        .bind(&snapshot.repository)
        .bind(snapshot.created_at)
        .bind(snapshot.expires_at)
        .bind(snapshot.size_bytes.map(|s| s as i64))
        .bind(snapshot.mode.as_str())
        .bind(snapshot.consistency.as_str())
        .bind(&snapshot.image)
        .bind(spec_json)
        .bind(snapshot.imported)
        .execute(self.store().pool())
        .await?;
        Ok(inserted.rows_affected() > 0)
    }

    /// After a crash: fail captures whose job is gone (removing what they half-made), rebuild records of snapshot
    /// images the database does not know, and fail records whose image disappeared.
    pub(crate) async fn recover_snapshots(&self) -> Result<()> {
        let stuck: Vec<(String, Option<String>, String)> = sqlx::query_as(
            "SELECT s.id, s.job_id, s.source_sandbox_name FROM snapshots s WHERE s.status IN ('capturing', 'finalizing') \
             AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = s.job_id AND j.status = 'running')",
        )
        .fetch_all(self.store().pool())
        .await?;
        for (id, job_id, source) in stuck {
            self.abandon_capture(&id, job_id.as_deref().unwrap_or(""), Some(&source))
                .await;
            sqlx::query("UPDATE snapshots SET status = 'failed', failure_reason = ? WHERE id = ?")
                .bind("interrupted: the process capturing it stopped; nothing was kept")
                .bind(&id)
                .execute(self.store().pool())
                .await?;
            self.emit(UiEvent::SnapshotsChanged);
        }

        let docker = self.engine().client().await?;
        let filters = labels::instance_filters(
            self.paths().instance(),
            &[(labels::KIND, labels::KIND_SNAPSHOT)],
        );
        let images = docker
            .list_images(Some(
                ListImagesOptionsBuilder::default()
                    .filters(&filters)
                    .build(),
            ))
            .await
            .map_err(|e| self.engine().fail(e))?;
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
        let active: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT id, image FROM snapshots WHERE status = 'active'")
                .fetch_all(self.store().pool())
                .await?;
        for (id, image) in active {
            let missing = match &image {
                Some(image) => !present.contains(image) && !self.image_exists(image).await?,
                None => true,
            };
            if missing {
                sqlx::query(
                    "UPDATE snapshots SET status = 'failed', failure_reason = ? WHERE id = ?",
                )
                .bind("its image was removed outside the app")
                .bind(&id)
                .execute(self.store().pool())
                .await?;
                self.emit(UiEvent::SnapshotsChanged);
            }
        }
        Ok(())
    }

    /// A snapshot, restore or clone job whose process died.
    pub(crate) async fn recover_snapshot_job(&self, job: &JobRow) -> Result<()> {
        match job.kind.as_str() {
            "snapshot" => {
                if let Ok(record) = self.snapshot_record(&job.target).await
                    && matches!(
                        record.status(),
                        SnapshotStatus::Capturing | SnapshotStatus::Finalizing
                    )
                {
                    self.abandon_capture(&record.id, &job.id, Some(&record.source_sandbox_name))
                        .await;
                    sqlx::query(
                        "UPDATE snapshots SET status = 'failed', failure_reason = ? WHERE id = ?",
                    )
                    .bind("interrupted: the process capturing it stopped; nothing was kept")
                    .bind(&record.id)
                    .execute(self.store().pool())
                    .await?;
                    self.emit(UiEvent::SnapshotsChanged);
                }
            }
            "import" => self.recover_import_job(job).await,
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

/// Whether a cron tick of `schedule` falls in `(since, now]`.
pub fn tick_due(schedule: &str, since: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    validate::cron_next(schedule, since).is_some_and(|next| next <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fire_once_per_period_and_are_not_queued() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // Every two hours: a tick at 10:00 is due at 10:00:30 since 09:30.
        assert!(tick_due(
            "0 */2 * * *",
            at("2026-11-23T09:30:00Z"),
            at("2026-11-23T10:00:30Z")
        ));
        // Not due again until 12:00 once the 10:00 tick was taken.
        assert!(!tick_due(
            "0 */2 * * *",
            at("2026-11-23T10:00:30Z"),
            at("2026-11-23T11:59:00Z")
        ));
        // Missed ticks (asleep from 10:00 to 17:00) give one tick, not several: the caller records "now".
        assert!(tick_due(
            "0 */2 * * *",
            at("2026-11-23T09:30:00Z"),
            at("2026-11-23T17:00:00Z")
        ));
        assert!(!tick_due(
            "0 */2 * * *",
            at("2026-11-23T17:00:00Z"),
            at("2026-11-23T17:30:00Z")
        ));
    }
}
