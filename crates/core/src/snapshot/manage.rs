//! Managing snapshots: listing (N4), deleting (N6), retention and the reaper (N7), automatic snapshots (N8), moving
//! a snapshot to another machine (N10), and recovery after a crash mid-capture (N2).

use bollard::models::ContainerConfig;
use bollard::query_parameters::{
    CommitContainerOptionsBuilder, ImportImageOptionsBuilder, ListImagesOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder,
};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sbx_api::{
    ApiError, CreateSnapshotRequest, ListSnapshotsRequest, Snapshot, SnapshotMode, SnapshotPage,
    SnapshotStatus, UiEvent,
};
use std::io::{Read, Write};
use std::sync::Arc;

use crate::jobs::JobRow;
use crate::sandbox::spec::SandboxSpec;
use crate::sandbox::state::Phase;
use crate::snapshot::{COLUMNS, SnapshotRecord};
use crate::{Core, Error, Result, labels, validate};

/// Version of the export file format.
const EXPORT_FORMAT: u32 = 1;

/// What an export file's `snapshot.json` holds.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct ExportManifest {
    format: u32,
    snapshot: Snapshot,
    spec: SandboxSpec,
    image: String,
}

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

    /// Write the snapshot (image, workspace — which is in the image — and configuration) to one file.
    pub async fn export_snapshot(&self, name: &str, file: &std::path::Path) -> Result<()> {
        let record = self.snapshot_record(name).await?;
        if record.status() != SnapshotStatus::Active {
            return Err(ApiError::conflict(format!(
                "snapshot '{name}' is {}; only an active snapshot can be exported",
                record.status
            ))
            .into());
        }
        let image = record
            .image
            .clone()
            .ok_or_else(|| ApiError::conflict(format!("snapshot '{name}' has no image")))?;
        let docker = self.engine().client().await?;
        let scratch = self.paths().scratch_dir();
        std::fs::create_dir_all(&scratch).map_err(|e| Error::io("creating the scratch dir", e))?;
        let image_tar = scratch.join(format!("{}-image.tar", record.id));
        {
            let mut out = std::fs::File::create(&image_tar)
                .map_err(|e| Error::io(format!("creating {}", image_tar.display()), e))?;
            let mut stream = docker.export_image(&image);
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| self.engine().fail(e))?;
                out.write_all(&chunk)
                    .map_err(|e| Error::io("writing the image", e))?;
            }
        }
        let manifest = ExportManifest {
            format: EXPORT_FORMAT,
            snapshot: record.to_api(),
            spec: record.sandbox_spec()?,
            image,
        };
        let written = (|| -> std::io::Result<()> {
            let out = std::fs::File::create(file)?;
            let mut builder = tar::Builder::new(std::io::BufWriter::new(out));
            let json = serde_json::to_vec_pretty(&manifest).map_err(std::io::Error::other)?;
            let mut header = tar::Header::new_gnu();
            header.set_size(json.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, "snapshot.json", json.as_slice())?;
            builder.append_path_with_name(&image_tar, "image.tar")?;
            builder.into_inner()?.flush()
        })();
        let _ = std::fs::remove_file(&image_tar);
        written.map_err(|e| {
            let _ = std::fs::remove_file(file);
            Error::io(format!("writing {}", file.display()), e)
        })
    }

    /// Load a snapshot written by [`Core::export_snapshot`] (on this or another machine).
    pub async fn import_snapshot(self: &Arc<Self>, file: &std::path::Path) -> Result<Snapshot> {
        let scratch = self
            .paths()
            .scratch_dir()
            .join(format!("import-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&scratch).map_err(|e| Error::io("creating the scratch dir", e))?;
        let result = self.import_from(file, &scratch).await;
        let _ = std::fs::remove_dir_all(&scratch);
        result
    }

    async fn import_from(
        self: &Arc<Self>,
        file: &std::path::Path,
        scratch: &std::path::Path,
    ) -> Result<Snapshot> {
        let shown = file.display().to_string();
        let reader = std::fs::File::open(file)
            .map_err(|e| ApiError::invalid("file", &shown, e.to_string()))?;
        let mut archive = tar::Archive::new(reader);
        let mut manifest: Option<ExportManifest> = None;
        let image_tar = scratch.join("image.tar");
        let entries = archive.entries().map_err(|e| {
            ApiError::invalid("file", &shown, format!("not a snapshot export: {e}"))
        })?;
        for entry in entries {
            let mut entry = entry.map_err(|e| {
                ApiError::invalid("file", &shown, format!("not a snapshot export: {e}"))
            })?;
            let path = entry
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            match path.as_str() {
                "snapshot.json" => {
                    let mut text = String::new();
                    entry
                        .read_to_string(&mut text)
                        .map_err(|e| Error::io("reading snapshot.json", e))?;
                    manifest = Some(serde_json::from_str(&text).map_err(|e| {
                        ApiError::invalid(
                            "file",
                            &shown,
                            format!("snapshot.json is not readable: {e}"),
                        )
                    })?);
                }
                "image.tar" => {
                    entry
                        .unpack(&image_tar)
                        .map_err(|e| Error::io("unpacking the image", e))?;
                }
                _ => {}
            }
        }
        let manifest = manifest.ok_or_else(|| {
            ApiError::invalid("file", &shown, "not a snapshot export (no snapshot.json)")
        })?;
        if manifest.format != EXPORT_FORMAT {
            return Err(ApiError::invalid(
                "file",
                &shown,
                format!("export format {} is not supported", manifest.format),
            )
            .into());
        }
        if !image_tar.is_file() {
            return Err(
                ApiError::invalid("file", &shown, "not a snapshot export (no image.tar)").into(),
            );
        }
        let name = manifest.snapshot.name.clone();
        validate::name("name", &name)?;
        if self.snapshot_record(&name).await.is_ok() {
            return Err(ApiError::conflict(format!(
                "a snapshot named '{name}' already exists here; delete or rename it first"
            ))
            .into());
        }
        let docker = self.engine().client().await?;
        // The export names the image it was saved from. If the engine already has that tag (the original
        // snapshot, in another data dir on this engine), it stays as it is; otherwise the tag is ours to remove.
        let preexisting = docker.inspect_image(&manifest.image).await.is_ok();
        let job = self.begin_job("import", &name).await?;
        let result = self
            .load_import(&job, &image_tar, &manifest, preexisting)
            .await;
        if !preexisting {
            self.remove_image_tag(&manifest.image).await;
        }
        match result {
            Ok(snapshot) => {
                job.succeed().await?;
                self.emit(UiEvent::SnapshotsChanged);
                Ok(snapshot)
            }
            Err(error) => {
                job.fail(&error.to_string()).await?;
                Err(error)
            }
        }
    }

    /// Load an export's image, commit it under this data dir's labels and record the snapshot.
    async fn load_import(
        &self,
        job: &crate::jobs::JobHandle,
        image_tar: &std::path::Path,
        manifest: &ExportManifest,
        preexisting: bool,
    ) -> Result<Snapshot> {
        let docker = self.engine().client().await?;
        let name = manifest.snapshot.name.clone();
        // Recovery reads the message: the tag an interrupted import may have loaded, to be removed. Empty when
        // the tag was there before, and so is not the import's to remove.
        let loading = if preexisting { "" } else { &manifest.image };
        job.stage("loading", loading, None).await;
        let bytes = tokio::fs::read(image_tar)
            .await
            .map_err(|e| Error::io("reading the image", e))?;
        let mut stream = docker.import_image(
            ImportImageOptionsBuilder::default().quiet(true).build(),
            bollard::body_full(bytes.into()),
            None,
        );
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| self.engine().fail(e))?;
            if let Some(detail) = info.error_detail {
                return Err(Error::Other(format!(
                    "loading the image failed: {}",
                    detail.message.unwrap_or_default()
                )));
            }
        }
        // Relabel for this data dir: a commit of an unchanged container of the loaded image.
        let id = uuid::Uuid::new_v4().to_string();
        let image_repo = format!("sandbox-desktop/snapshot-{name}");
        let image_tag = id.split('-').next().unwrap_or(&id).to_string();
        let final_image = format!("{image_repo}:{image_tag}");
        let mut snapshot = manifest.snapshot.clone();
        snapshot.id = id.clone();
        snapshot.image = Some(final_image.clone());
        snapshot.status = SnapshotStatus::Active;
        let mut image_labels = labels::base(self.paths().instance(), labels::KIND_SNAPSHOT);
        image_labels.insert(labels::ID.into(), id.clone());
        image_labels.insert(labels::NAME.into(), name.clone());
        image_labels.insert(labels::SOURCE.into(), snapshot.source_sandbox_name.clone());
        image_labels.insert(
            labels::RECORD.into(),
            serde_json::json!({ "snapshot": snapshot, "spec": manifest.spec }).to_string(),
        );
        let helper = self.create_helper(&manifest.image, &job.id, None).await?;
        let committed = docker
            .commit_container(
                CommitContainerOptionsBuilder::default()
                    .container(&helper)
                    .repo(&image_repo)
                    .tag(&image_tag)
                    .pause(false)
                    .build(),
                ContainerConfig {
                    labels: Some(image_labels),
                    ..Default::default()
                },
            )
            .await;
        let _ = docker
            .remove_container(
                &helper,
                Some(RemoveContainerOptionsBuilder::default().force(true).build()),
            )
            .await;
        committed.map_err(|e| self.engine().fail(e))?;
        if let Err(error) = self.insert_snapshot_record(&snapshot, &manifest.spec).await {
            self.remove_image_tag(&final_image).await;
            return Err(error);
        }
        Ok(self.snapshot_record(&name).await?.to_api())
    }

    /// Remove one tag of an image (the image goes when nothing else names or uses it). Best effort.
    async fn remove_image_tag(&self, image: &str) {
        if let Ok(docker) = self.engine().client().await {
            let _ = docker
                .remove_image(
                    image,
                    Some(RemoveImageOptionsBuilder::default().noprune(true).build()),
                    None,
                )
                .await;
        }
    }

    async fn insert_snapshot_record(
        &self,
        snapshot: &Snapshot,
        spec: &SandboxSpec,
    ) -> Result<bool> {
        let spec_json = serde_json::to_string(spec).map_err(|e| Error::Other(e.to_string()))?;
        let inserted = sqlx::query(
            "INSERT OR IGNORE INTO snapshots (id, name, source_template, source_sandbox_id, source_sandbox_name, \
             repository, status, created_at, expires_at, size_bytes, mode, consistency, image, spec) \
             VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?)",
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
            "import" => {
                // The committed image (if any) carries the record in its labels and is rebuilt from them;
                // the tag the import loaded is removed when it was not there before.
                if job.stage == "loading" && !job.message.is_empty() {
                    self.remove_image_tag(&job.message).await;
                }
            }
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
