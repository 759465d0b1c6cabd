//! Restoring (N5) and cloning (S9): a new sandbox from an active snapshot — fresh id, the snapshot's template and
//! configuration, its workspace, optional name and resource overrides.
//!
//! The workspace never passes through the app: the new, empty git volume is mounted where the snapshot's image holds
//! the workspace, and the engine fills an empty volume from the image when it is first mounted. With an image
//! override (a clone onto another image) a helper container of the snapshot's image fills the volume that way before
//! the sandbox's container exists.

use chrono::Utc;
use sbx_api::{
    ApiError, CloneResult, CloneSandboxRequest, ConfigExplanation, CreateSnapshotRequest, JobKind,
    RestoreSnapshotRequest, Sandbox, Snapshot, SnapshotMode, SnapshotStatus,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

use crate::sandbox::create::{CreatePlan, ImageSource};
use crate::snapshot::SnapshotRecord;
use crate::snapshot::capture::Refused;
use crate::store::{restores, snapshots};
use crate::{Core, Error, Result, credentials, git, validate};

/// How long deleting a snapshot waits for its restores to finish.
const RESTORE_WAIT: Duration = Duration::from_secs(600);

/// How long a clone waits for one snapshot of its source in flight (another clone's) to end.
const CLONE_WAIT: Duration = Duration::from_secs(600);

/// How often a waiting clone looks whether the snapshot ahead of it has ended.
const CLONE_POLL: Duration = Duration::from_millis(200);

impl Core {
    /// A new sandbox from an active snapshot.
    pub async fn restore_snapshot(
        self: &Arc<Self>,
        request: &RestoreSnapshotRequest,
    ) -> Result<Sandbox> {
        let snapshot = self
            .active_snapshot(&sbx_api::Field::Snapshot, &request.snapshot)
            .await?;
        let plan = self
            .restore_plan(
                &snapshot,
                request.name.as_deref(),
                request.cpus,
                request.memory_mib,
                request.no_setup,
                request.credentials,
                None,
            )
            .await?;
        let job_id = uuid::Uuid::new_v4().to_string();
        self.launch(
            plan,
            None,
            job_id,
            JobKind::Restore,
            Some(snapshot.id.clone()),
            request.wait_for_ready,
        )
        .await
    }

    /// The plan of a sandbox restored from `snapshot`. It mounts the agent credentials found here when the
    /// snapshot's configuration did, or when `credentials` asks for them (an imported snapshot's never does).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn restore_plan(
        &self,
        snapshot: &SnapshotRecord,
        name: Option<&str>,
        cpus: Option<u32>,
        memory_mib: Option<u32>,
        no_setup: bool,
        credentials: bool,
        image_override: Option<&str>,
    ) -> Result<CreatePlan> {
        let name = self.new_sandbox_name(name).await?;
        if let Some(cpus) = cpus {
            validate::cpus(cpus)?;
        }
        if let Some(memory) = memory_mib {
            validate::memory_mib(memory)?;
        }
        let snapshot_image = snapshot.image.clone().ok_or_else(|| {
            ApiError::invalid(
                sbx_api::Field::Snapshot,
                &snapshot.name,
                "the snapshot has no image",
            )
        })?;
        if !self.image_exists(&snapshot_image).await? {
            return Err(ApiError::invalid(
                sbx_api::Field::Snapshot,
                &snapshot.name,
                format!("its image {snapshot_image} is missing from the engine"),
            )
            .into());
        }
        let mut spec = snapshot.sandbox_spec()?;
        // A full snapshot's secret values are in the secret store, under its id.
        self.secrets()
            .fill(&snapshot.id, &mut spec.env)
            .map_err(|e| Error::io("reading the snapshot's secret variables", e))?;
        let created_at = Utc::now();
        spec.id = uuid::Uuid::new_v4().to_string();
        spec.name = name;
        spec.created_at = created_at;
        spec.from_snapshot = Some(snapshot.name.clone());
        spec.template = snapshot.source_template.clone();
        spec.cpus = cpus.or(spec.cpus);
        // Also a limit inherited from the snapshot (taken, or imported, from a bigger machine).
        self.check_cpus_fit(spec.cpus).await?;
        spec.memory_mib = memory_mib.or(spec.memory_mib);
        if no_setup {
            spec.setup_skipped = true;
        }
        if let Some(repo) = &mut spec.repo {
            repo.volume = format!(
                "amika-git-{}-{}-{}",
                spec.name,
                git::volume_safe(&repo.name),
                created_at.timestamp_millis()
            );
        }
        // Host ports still held (by the source of a clone, say) are published on free ports instead.
        for port in &mut spec.ports {
            if !crate::sandbox::create::host_port_free(port) {
                port.host_port = 0;
            }
        }
        spec.credentials_enabled |= credentials;
        let found = if spec.credentials_enabled {
            self.credentials_home()
                .map(|home| credentials::discover(&home))
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        spec.credentials = found.iter().map(|c| c.relative.clone()).collect();
        let (image, workspace_from_image) =
            match image_override.map(str::trim).filter(|i| !i.is_empty()) {
                Some(other) => {
                    spec.image = other.to_string();
                    spec.preset = None;
                    (ImageSource::Image(other.to_string()), Some(snapshot_image))
                }
                None => {
                    spec.image = snapshot_image.clone();
                    (
                        ImageSource::Snapshot {
                            name: snapshot.name.clone(),
                            image: snapshot_image,
                        },
                        None,
                    )
                }
            };
        Ok(CreatePlan {
            spec,
            image,
            repo: None,
            branch: None,
            no_clean: false,
            credentials: found,
            explanation: ConfigExplanation {
                repo_root: None,
                config_file: None,
                values: Vec::new(),
                warnings: Vec::new(),
            },
            workspace_from_image,
        })
    }

    /// Clone a running sandbox: a full, application-consistent snapshot (the source keeps running), then a restore.
    pub async fn clone_sandbox(
        self: &Arc<Self>,
        request: &CloneSandboxRequest,
    ) -> Result<CloneResult> {
        // Checked before the snapshot is taken; the restore checks it again.
        self.new_sandbox_name(request.name.as_deref()).await?;
        if let Some(cpus) = request.cpus {
            validate::cpus(cpus)?;
        }
        self.check_cpus_fit(request.cpus).await?;
        if let Some(memory) = request.memory_mib {
            validate::memory_mib(memory)?;
        }
        let snapshot = self.clone_snapshot(request).await?;
        if snapshot.status != SnapshotStatus::Active {
            return Err(ApiError::conflict(format!(
                "the intermediate snapshot '{}' failed: {}",
                snapshot.name,
                snapshot.failure_reason.unwrap_or_default()
            ))
            .into());
        }
        let record = self.snapshot_record(&snapshot.name).await?;
        let plan = self
            .restore_plan(
                &record,
                request.name.as_deref(),
                request.cpus,
                request.memory_mib,
                false,
                false,
                request.image.as_deref(),
            )
            .await?;
        let job_id = uuid::Uuid::new_v4().to_string();
        let sandbox = self
            .launch(
                plan,
                None,
                job_id,
                JobKind::Clone,
                Some(record.id.clone()),
                request.wait_for_ready,
            )
            .await?;
        Ok(CloneResult { sandbox, snapshot })
    }

    /// The intermediate snapshot of a clone: full and application-consistent (the source keeps running). Clones of
    /// one sandbox serialize: while another snapshot of it is in flight (another clone's, in this process or
    /// another) this one waits until it ends, then takes its own; it gives up when one snapshot ahead of it stays in
    /// flight for [`CLONE_WAIT`]. A plain snapshot request is still refused while one is in flight (N3). A
    /// generated name that is taken is generated again.
    async fn clone_snapshot(self: &Arc<Self>, request: &CloneSandboxRequest) -> Result<Snapshot> {
        let wanted = request.snapshot_name.as_deref().filter(|n| !n.is_empty());
        if let Some(name) = wanted {
            validate::name(sbx_api::Field::SnapshotName, name)?;
        }
        // The errors of the snapshot request name its `name`, which is the clone's `snapshot-name`.
        let as_snapshot_name = |error: Error| match ApiError::from(error) {
            ApiError::InvalidInput {
                field,
                value,
                message,
            } if field.as_str() == "name" => Error::Api(ApiError::invalid(
                sbx_api::Field::SnapshotName,
                value,
                message,
            )),
            other => Error::Api(other),
        };
        let mut ahead: Option<String> = None;
        let mut deadline = Instant::now() + CLONE_WAIT;
        loop {
            let name = wanted.map_or_else(
                || super::capture::generated_name("clone", &request.sandbox),
                str::to_string,
            );
            let snapshot_request = CreateSnapshotRequest {
                sandbox: request.sandbox.clone(),
                name: name.clone(),
                mode: SnapshotMode::Full,
                quick: false,
                wait: true,
            };
            let begun = self
                .try_begin_snapshot(&snapshot_request, false)
                .await
                .map_err(as_snapshot_name)?;
            let (sandbox_id, in_flight) = match begun {
                Ok((record, job)) => {
                    // Its own task, so the capture ends (active or failed) even if this caller goes away.
                    let core = Arc::clone(self);
                    let _ = tokio::spawn(async move {
                        core.capture(&record, job, SnapshotMode::Full, false).await
                    })
                    .await;
                    return Ok(self.snapshot_record(&name).await?.to_api());
                }
                Err(Refused::NameTaken) if wanted.is_none() => continue,
                Err(refused @ Refused::NameTaken) => {
                    return Err(as_snapshot_name(refused.into_error(&name)));
                }
                Err(Refused::InFlight {
                    sandbox_id,
                    snapshot,
                    ..
                }) => (sandbox_id, snapshot),
            };
            // Wait until the snapshot ahead ends (polling the database: it may be another process's).
            let mut current = in_flight;
            while current.is_some() {
                if current != ahead {
                    ahead.clone_from(&current);
                    deadline = Instant::now() + CLONE_WAIT;
                }
                if Instant::now() >= deadline {
                    return Err(ApiError::conflict(format!(
                        "snapshot '{}' of sandbox '{}' has been in flight for {} s; try the clone again when it ends",
                        current.unwrap_or_default(),
                        request.sandbox,
                        CLONE_WAIT.as_secs()
                    ))
                    .into());
                }
                tokio::time::sleep(CLONE_POLL).await;
                current = snapshots::in_flight_of(self.store().pool(), &sandbox_id).await?;
            }
        }
    }

    /// Record a restore of `snapshot_id` in flight.
    pub(crate) async fn mark_restore(&self, job_id: &str, snapshot_id: &str) -> Result<()> {
        restores::insert(self.store().pool(), job_id, snapshot_id, Utc::now()).await
    }

    /// The restore of job `job_id` ended.
    pub(crate) async fn unmark_restore(&self, job_id: &str) {
        let _ = restores::delete(self.store().pool(), job_id).await;
    }

    /// Wait until no restore of `snapshot_id` is in flight.
    pub(crate) async fn wait_for_restores(&self, snapshot_id: &str, name: &str) -> Result<()> {
        let deadline = tokio::time::Instant::now() + RESTORE_WAIT;
        loop {
            if restores::count_of(self.store().pool(), snapshot_id).await? == 0 {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ApiError::conflict(format!(
                    "snapshot '{name}' is still being restored; try again when the restore finishes"
                ))
                .into());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The folder holding `path` (inside a container), `/` at the top.
pub(crate) fn parent_folder(path: &str) -> String {
    std::path::Path::new(path)
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "/".into())
}
