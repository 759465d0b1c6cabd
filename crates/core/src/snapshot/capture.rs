//! Taking a snapshot (N1–N3): checks, the one-in-flight rule (a unique index, so it holds across processes), the
//! scrub of injected secrets (fail closed), and the capture itself — pause, commit, the workspace copied from its
//! volume inside the engine, then a commit that adds it with the labels, flattened when the chain nears the
//! engine's layer limit (see [`super::image`]) — as a job that ends active or failed, never half-made.

use chrono::Utc;
use sbx_api::{
    ApiError, CreateSnapshotRequest, JobKind, JobStage, SandboxState, Snapshot, SnapshotMode,
    SnapshotStatus, UiEvent,
};
use std::sync::Arc;

use crate::jobs::JobHandle;
use crate::sandbox::SandboxRecord;
use crate::sandbox::spec::SandboxSpec;
use crate::snapshot::SnapshotRecord;
use crate::snapshot::image::{Made, SnapshotImage};
use crate::store::snapshots::{self, CaptureRefused};
use crate::{Core, Error, Result, labels, settings, validate};

/// A snapshot name of at most 40 characters: `<prefix>-<sandbox part>-<time>-<random>`. The random part keeps
/// names made in the same second apart (concurrent clones of one sandbox, in one process or several).
pub fn generated_name(prefix: &str, sandbox: &str) -> String {
    let stamp = Utc::now().format("%Y%m%d%H%M%S").to_string();
    let random = uuid::Uuid::new_v4().simple().to_string();
    let random = &random[..6];
    let room = 40usize.saturating_sub(prefix.len() + stamp.len() + random.len() + 3);
    let part: String = sandbox.chars().take(room).collect();
    let part = part.trim_matches('-');
    if part.is_empty() {
        format!("{prefix}-{stamp}-{random}")
    } else {
        format!("{prefix}-{part}-{stamp}-{random}")
    }
}

/// Why a snapshot could not be recorded, besides bad input and a sandbox that is not running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refused {
    /// A snapshot has the name asked for.
    NameTaken,
    /// Another snapshot of the sandbox is capturing or finalizing.
    InFlight {
        /// The sandbox's id.
        sandbox_id: String,
        /// The sandbox's name.
        sandbox: String,
        /// The snapshot in flight, when it could be read.
        snapshot: Option<String>,
    },
}

impl Refused {
    /// The error a plain snapshot request answers with (N3: a second request while one is in flight is refused).
    pub(crate) fn into_error(self, name: &str) -> Error {
        match self {
            Refused::NameTaken => {
                ApiError::invalid(sbx_api::Field::Name, name, "a snapshot with this name already exists")
            }
            Refused::InFlight {
                sandbox, snapshot, ..
            } => ApiError::conflict(format!(
                "a snapshot of sandbox '{sandbox}' is already in flight ({}); wait until it is active or failed",
                snapshot.unwrap_or_default()
            )),
        }
        .into()
    }
}

impl Core {
    /// Take a snapshot of a running sandbox. Returns at once with the snapshot `capturing` (or, with `wait`, when it
    /// is active or failed). A second request while one is in flight for the sandbox is rejected.
    pub async fn create_snapshot(
        self: &Arc<Self>,
        request: &CreateSnapshotRequest,
    ) -> Result<Snapshot> {
        self.take_snapshot(request, false).await
    }

    /// [`Core::create_snapshot`]; `automatic` records it as taken by the sandbox's schedule.
    pub(crate) async fn take_snapshot(
        self: &Arc<Self>,
        request: &CreateSnapshotRequest,
        automatic: bool,
    ) -> Result<Snapshot> {
        let (record, job) = self.begin_snapshot(request, automatic).await?;
        let name = request.name.clone();
        let core = Arc::clone(self);
        let mode = request.mode;
        let quick = request.quick;
        let task = tokio::spawn(async move { core.capture(&record, job, mode, quick).await });
        if request.wait {
            let _ = task.await;
        }
        Ok(self.snapshot_record(&name).await?.to_api())
    }

    /// Check the request and record the snapshot as `capturing` with its job. The database rejects a second
    /// snapshot in flight for the same sandbox.
    pub(crate) async fn begin_snapshot(
        self: &Arc<Self>,
        request: &CreateSnapshotRequest,
        automatic: bool,
    ) -> Result<(SandboxRecord, JobHandle)> {
        self.try_begin_snapshot(request, automatic)
            .await?
            .map_err(|refused| refused.into_error(&request.name))
    }

    /// [`Core::begin_snapshot`], with a taken name or a snapshot in flight as a [`Refused`] the caller can wait on
    /// (a clone waits for the snapshot in flight, then takes its own).
    pub(crate) async fn try_begin_snapshot(
        self: &Arc<Self>,
        request: &CreateSnapshotRequest,
        automatic: bool,
    ) -> Result<std::result::Result<(SandboxRecord, JobHandle), Refused>> {
        validate::name(sbx_api::Field::Name, &request.name)?;
        let record = self.sandbox_record(&request.sandbox).await?;
        let view = self.sandbox_view(&record).await?;
        if view.state != SandboxState::Running {
            return Err(ApiError::conflict(format!(
                "sandbox '{}' is {}; only a running sandbox can be snapshotted",
                request.sandbox, view.state
            ))
            .into());
        }
        if self.snapshot_record(&request.name).await.is_ok() {
            return Ok(Err(Refused::NameTaken));
        }
        // An expired snapshot is gone: its name is free, so the reaper's work is done now.
        if let Some(expired) = snapshots::by_name(self.store().pool(), &request.name).await? {
            self.remove_snapshot(expired).await?;
        }
        let settings = settings::load(&self.paths().settings());
        let now = Utc::now();
        let expires_at = settings.snapshot_retention_days.map(|days| {
            now + chrono::Duration::from_std(self.minute() * (days * 24 * 60))
                .unwrap_or(chrono::Duration::days(i64::from(days)))
        });
        let spec = snapshot_spec(&record.spec, request.mode);
        let spec_json = serde_json::to_string(&spec).map_err(|e| Error::Other(e.to_string()))?;
        let id = uuid::Uuid::new_v4().to_string();
        let job_id = uuid::Uuid::new_v4().to_string();
        // The job first: recovery in another process treats a capturing snapshot without a running job as
        // interrupted.
        let job = self
            .begin_job_with_id(&job_id, JobKind::Snapshot, &request.name)
            .await?;
        let row = snapshots::NewSnapshot {
            id: &id,
            name: &request.name,
            source_template: &record.spec.template,
            source_sandbox_id: &record.spec.id,
            source_sandbox_name: &record.spec.name,
            repository: record.spec.repo_key.as_deref(),
            created_at: now,
            expires_at,
            mode: request.mode.as_str(),
            consistency: if request.quick {
                "crash"
            } else {
                "application"
            },
            spec: &spec_json,
            job_id: &job_id,
            automatic,
        };
        let refused = match snapshots::insert_capturing(self.store().pool(), &row).await {
            Ok(Ok(())) => None,
            Ok(Err(refused)) => Some(refused),
            Err(e) => {
                job.discard().await;
                return Err(e);
            }
        };
        if let Some(refused) = refused {
            job.discard().await;
            return Ok(Err(match refused {
                CaptureRefused::NameTaken => Refused::NameTaken,
                CaptureRefused::InFlight => Refused::InFlight {
                    sandbox_id: record.spec.id.clone(),
                    sandbox: record.spec.name.clone(),
                    snapshot: snapshots::in_flight_of(self.store().pool(), &record.spec.id).await?,
                },
            }));
        }
        self.emit(UiEvent::SnapshotsChanged);
        Ok(Ok((record, job)))
    }

    /// The capture job: ends with the snapshot active, or failed with its reason and nothing left behind.
    pub(crate) async fn capture(
        &self,
        source: &SandboxRecord,
        job: JobHandle,
        mode: SnapshotMode,
        quick: bool,
    ) -> Result<()> {
        let snapshot = self.snapshot_record(&job.target).await?;
        match self
            .capture_steps(source, &snapshot.id, &job, mode, quick)
            .await
        {
            Ok(()) => {
                let _ = snapshots::set_status(
                    self.store().pool(),
                    &snapshot.id,
                    SnapshotStatus::Active,
                )
                .await;
                let _ = job.succeed().await;
                self.emit(UiEvent::SnapshotsChanged);
                if mode == SnapshotMode::Scrub
                    && let Err(error) = self.delete_sandbox(&source.spec.name, true).await
                {
                    tracing::warn!(
                        "deleting sandbox {} after its snapshot: {error}",
                        source.spec.name
                    );
                }
                Ok(())
            }
            Err(error) => {
                let message = ApiError::from(error).to_string();
                self.abandon_capture(&snapshot.id, &job.id, Some(&source.spec.name))
                    .await;
                let _ = self.secrets().remove(&snapshot.id);
                let _ = self.fail_snapshot(&snapshot.id, &message).await;
                let _ = job.fail(&message).await;
                self.emit(UiEvent::SnapshotsChanged);
                Err(Error::Other(message))
            }
        }
    }

    async fn set_snapshot_status(
        &self,
        id: &str,
        status: SnapshotStatus,
        job: &JobHandle,
        message: &str,
    ) -> Result<()> {
        snapshots::set_status(self.store().pool(), id, status).await?;
        if let Some(stage) = status.capture_stage() {
            job.stage(stage, message, None).await;
        }
        self.emit(UiEvent::SnapshotsChanged);
        Ok(())
    }

    async fn capture_steps(
        &self,
        source: &SandboxRecord,
        snapshot_id: &str,
        job: &JobHandle,
        mode: SnapshotMode,
        quick: bool,
    ) -> Result<()> {
        let snapshot = self.snapshot_record(&job.target).await?;
        let container = self.running_container(&source.spec.name).await?;
        job.stage(JobStage::Capturing, "checking the sandbox", Some(0.05))
            .await;

        match mode {
            SnapshotMode::Scrub => {
                job.stage(JobStage::Capturing, "removing injected secrets", Some(0.1))
                    .await;
                self.scrub(&container, &source.spec).await?;
            }
            // A full snapshot keeps the sandbox's secret values, in the secret store (never in the image).
            SnapshotMode::Full => self
                .secrets()
                .copy(&source.spec.id, snapshot_id)
                .map_err(|e| Error::io("keeping the secret variables", e))?,
        }
        let image = self.snapshot_image(&snapshot, snapshot_id, source, job, mode)?;
        let flatten = self.must_flatten(source, mode).await?;
        // Refused now, with the numbers, rather than failing midway with the engine's disk full.
        self.check_capture_space(&container, source, flatten.is_some())
            .await?;

        // The moment of the snapshot: paused (application-consistent) unless quick. The filesystem is committed and
        // the workspace copied inside the engine while paused.
        if !quick {
            self.engine().pause_container(&container).await?;
        }
        let frozen = self
            .freeze(&container, source, snapshot_id, job, &image, flatten)
            .await;
        if !quick {
            let _ = self.engine().unpause_container(&container).await;
        }
        let frozen = frozen?;
        self.set_snapshot_status(
            snapshot_id,
            SnapshotStatus::Finalizing,
            job,
            if source.spec.repo.is_some() {
                "adding the workspace and configuration"
            } else {
                "recording the image"
            },
        )
        .await?;
        let made = self.finalize_image(frozen, &image, job).await?;
        self.finish_capture(snapshot_id, &image.name(), &source.spec.image, made, job)
            .await
    }

    /// The name and labels of the snapshot's image: the labels carry the record (as it will be once active), so
    /// the database can be rebuilt from the engine, and whether its layers are scrubbed (a scrub's capture on an
    /// image whose layers may not be is flattened, see [`Core::must_flatten`]).
    fn snapshot_image(
        &self,
        snapshot: &SnapshotRecord,
        snapshot_id: &str,
        source: &SandboxRecord,
        job: &JobHandle,
        mode: SnapshotMode,
    ) -> Result<SnapshotImage> {
        let repo = format!("sandbox-desktop/snapshot-{}", snapshot.name);
        let tag = snapshot_id
            .split('-')
            .next()
            .unwrap_or(snapshot_id)
            .to_string();
        let mut image_labels = labels::base(self.paths().instance(), labels::KIND_SNAPSHOT);
        image_labels.insert(labels::ID.into(), snapshot_id.to_string());
        image_labels.insert(labels::NAME.into(), snapshot.name.clone());
        image_labels.insert(labels::JOB.into(), job.id.clone());
        image_labels.insert(labels::SOURCE.into(), source.spec.name.clone());
        image_labels.insert(
            labels::SCRUBBED_LAYERS.into(),
            (mode == SnapshotMode::Scrub).to_string(),
        );
        let mut record_for_label = snapshot.to_api();
        record_for_label.status = sbx_api::SnapshotStatus::Active;
        record_for_label.image = Some(format!("{repo}:{tag}"));
        image_labels.insert(
            labels::RECORD.into(),
            serde_json::json!({ "snapshot": record_for_label, "spec": snapshot.sandbox_spec()? })
                .to_string(),
        );
        Ok(SnapshotImage {
            repo,
            tag,
            comment: format!("Sandbox Desktop snapshot {}", snapshot.name),
            labels: image_labels,
        })
    }

    /// Record the snapshot's image, its size (the bytes it adds to the source's image; all of them when flattened)
    /// and how it was made.
    async fn finish_capture(
        &self,
        snapshot_id: &str,
        final_image: &str,
        base_image: &str,
        made: Made,
        job: &JobHandle,
    ) -> Result<()> {
        let size = if made.flattened {
            self.engine()
                .image_size(final_image)
                .await
                .ok()
                .map(|s| s.max(0) as u64)
        } else {
            self.image_own_size(final_image, base_image).await.ok()
        };
        self.record_capture(snapshot_id, made).await?;
        snapshots::set_image(
            self.store().pool(),
            snapshot_id,
            final_image,
            size.map(|s| s as i64),
        )
        .await?;
        job.stage(JobStage::Finalizing, "done", Some(1.0)).await;
        Ok(())
    }

    /// Bytes an image adds on top of `base` (its own layers).
    async fn image_own_size(&self, image: &str, base: &str) -> Result<u64> {
        let total = self.engine().image_size(image).await?;
        let base = self.engine().image_size(base).await.unwrap_or(0);
        Ok((total - base).max(0) as u64)
    }

    /// Remove what a capture made (partial and final images, helper containers) and unpause the source.
    pub(crate) async fn abandon_capture(
        &self,
        snapshot_id: &str,
        job_id: &str,
        source: Option<&str>,
    ) {
        let instance = self.paths().instance();
        self.engine()
            .remove_containers(&labels::of_instance(
                instance,
                &[(labels::JOB, job_id), (labels::KIND, labels::KIND_HELPER)],
            ))
            .await;
        self.engine()
            .remove_images(&labels::of_instance(instance, &[(labels::ID, snapshot_id)]))
            .await;
        if let Some(name) = source
            && let Ok(record) = self.sandbox_record(name).await
            && let Ok(Some(inspect)) = self.inspect_container(&record).await
            && inspect.state.as_ref().is_some_and(|s| s.paused)
        {
            let _ = self.engine().unpause_container(&inspect.id).await;
        }
    }
}

/// The configuration a restore of this snapshot starts from: the source's, with secret variables removed when
/// scrubbing.
pub fn snapshot_spec(source: &SandboxSpec, mode: SnapshotMode) -> SandboxSpec {
    let mut spec = source.clone();
    if mode == SnapshotMode::Scrub {
        spec.env.retain(|v| !v.secret);
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::generated_name;

    #[test]
    fn generated_names_are_valid_and_never_the_same_within_a_second() {
        for sandbox in ["base", "a-sandbox-name-of-exactly-forty-chars-xy", "x-", ""] {
            let names: std::collections::HashSet<String> =
                (0..50).map(|_| generated_name("clone", sandbox)).collect();
            assert_eq!(names.len(), 50, "{sandbox}");
            for name in &names {
                assert!(
                    crate::validate::name(sbx_api::Field::Name, name).is_ok(),
                    "{name}"
                );
            }
        }
    }
}
