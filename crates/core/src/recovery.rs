//! Reconciling the database with the engine at start: finishing or undoing the work of processes that died
//! mid-way (jobs without a live owner), and rebuilding records from labels when the database was lost (E2).

use sbx_api::{JobKind, JobStatus};
use std::collections::HashSet;

use crate::sandbox::spec::SandboxSpec;
use crate::sandbox::state::Phase;
use crate::store::{jobs, sandboxes, snapshots};
use crate::{Core, Result, labels};

impl Core {
    /// Run every reconciliation step; errors of one step do not stop the others. Needs the engine; does nothing
    /// (and says so in the log) when it does not answer.
    pub async fn recover(&self) {
        if let Err(error) = self.move_secrets_to_store().await {
            tracing::warn!("moving secret values into the secret store: {error}");
        }
        if self.engine().connect().await.is_err() {
            return;
        }
        if let Err(error) = self.recover_jobs().await {
            tracing::warn!("recovering interrupted jobs: {error}");
        }
        if let Err(error) = self.rebuild_sandboxes().await {
            tracing::warn!("rebuilding sandbox records from the engine: {error}");
        }
        if let Err(error) = self.recover_snapshots().await {
            tracing::warn!("recovering snapshots: {error}");
        }
        if let Err(error) = self.recover_markers().await {
            tracing::warn!("recovering repository defaults and failed snapshots: {error}");
        }
        self.recover_profiles().await;
        if let Err(error) = self.remove_stray_helpers().await {
            tracing::warn!("removing helper containers: {error}");
        }
        if let Err(error) = self.clear_scratch().await {
            tracing::warn!("clearing scratch files: {error}");
        }
    }

    /// Records written before the secret store existed kept secret values in their configuration: move each into
    /// the store and write the record again without it.
    async fn move_secrets_to_store(&self) -> Result<()> {
        let pool = self.store().pool();
        for (id, json) in sandboxes::holding_secret_values(pool).await? {
            if let Some(redacted) = self.move_secret_values(&id, &json)? {
                sandboxes::set_spec(pool, &id, &redacted).await?;
            }
        }
        for (id, json) in snapshots::holding_secret_values(pool).await? {
            if let Some(redacted) = self.move_secret_values(&id, &json)? {
                snapshots::set_spec(pool, &id, &redacted).await?;
            }
        }
        Ok(())
    }

    /// Put the secret values of record `id`'s configuration (`json`) into the secret store; the configuration to
    /// write back without them (`None` when it cannot be read, and is left as it is).
    fn move_secret_values(&self, id: &str, json: &str) -> Result<Option<String>> {
        let Ok(spec) = serde_json::from_str::<SandboxSpec>(json) else {
            return Ok(None);
        };
        self.secrets()
            .put(id, &crate::secrets::secret_values(&spec.env))
            .map_err(|e| crate::Error::io("keeping the secret variables", e))?;
        Ok(Some(serde_json::to_string(&spec).unwrap_or_default()))
    }

    /// Clones and archives left in the scratch dir by interrupted work, when no work is running.
    async fn clear_scratch(&self) -> Result<()> {
        let running = jobs::count_running(self.store().pool()).await?;
        let dir = self.paths().scratch_dir();
        if running > 0 || !dir.exists() {
            return Ok(());
        }
        for entry in std::fs::read_dir(&dir)
            .map_err(|e| crate::Error::io("reading the scratch dir", e))?
            .flatten()
        {
            let path = entry.path();
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
        Ok(())
    }

    /// Jobs whose process died: a create that had started its container is kept (the sandbox works), any other
    /// is undone; snapshot and restore jobs are handled by [`Core::recover_snapshots`].
    async fn recover_jobs(&self) -> Result<()> {
        for job in self.orphaned_jobs().await? {
            match job.job_kind() {
                Some(JobKind::Create) => {
                    match self.sandbox_record(&job.target).await {
                        Ok(record) if record.phase == Phase::Creating => {
                            self.undo_create(&record.spec.id).await;
                            self.fail_job(
                                &job.id,
                                "interrupted: the process creating it stopped; nothing was kept",
                            )
                            .await?;
                        }
                        Ok(_) => {
                            self.fail_job(
                                &job.id,
                                "interrupted after the sandbox had started; the sandbox was kept",
                            )
                            .await?;
                        }
                        Err(_) => {
                            self.fail_job(&job.id, "interrupted: the process creating it stopped")
                                .await?;
                        }
                    }
                    self.emit(sbx_api::UiEvent::SandboxesChanged {
                        name: Some(job.target.clone()),
                    });
                }
                Some(JobKind::Snapshot | JobKind::Restore | JobKind::Clone | JobKind::Import) => {
                    self.recover_snapshot_job(&job).await?
                }
                Some(JobKind::Profile) => self.recover_profile_job(&job).await?,
                // An export is progress only (no job row); an unknown kind is failed as it is.
                Some(JobKind::Export) | None => {
                    self.fail_job(&job.id, "interrupted: the process doing it stopped")
                        .await?;
                }
            }
        }
        // A record still `creating` with no running job at all cannot finish.
        for id in sandboxes::creating_without_job(self.store().pool()).await? {
            self.undo_create(&id).await;
        }
        Ok(())
    }

    /// Add a record for every labelled sandbox container the database does not know (the database was deleted
    /// or is from another machine).
    pub async fn rebuild_sandboxes(&self) -> Result<usize> {
        let containers = self
            .engine()
            .list_containers(&labels::of_instance(
                self.paths().instance(),
                &[(labels::KIND, labels::KIND_SANDBOX)],
            ))
            .await?;
        let known: HashSet<String> = sandboxes::ids(self.store().pool())
            .await?
            .into_iter()
            .collect();
        let mut added = 0;
        for container in containers {
            let Some(spec) = container
                .labels
                .get(labels::RECORD)
                .and_then(|json| serde_json::from_str::<SandboxSpec>(json).ok())
            else {
                continue;
            };
            if known.contains(&spec.id) {
                continue;
            }
            let json = serde_json::to_string(&spec).unwrap_or_default();
            let found = sandboxes::FoundSandbox {
                id: &spec.id,
                name: &spec.name,
                spec: &json,
                container_id: Some(container.id.as_str()).filter(|id| !id.is_empty()),
                created_at: spec.created_at,
                last_active_at: chrono::Utc::now(),
            };
            if sandboxes::insert_found(self.store().pool(), &found).await? {
                added += 1;
                if let (Some(key), Some(repo)) = (&spec.repo_key, &spec.repo) {
                    self.note_repository(key, &repo.name).await?;
                }
            }
        }
        if added > 0 {
            self.emit(sbx_api::UiEvent::SandboxesChanged { name: None });
        }
        Ok(added)
    }

    /// Containers that are not sandboxes: helpers (used while capturing) whose job is no longer running, and what
    /// an interrupted preset build left (its steps carry the preset's labels) when no job runs at all.
    async fn remove_stray_helpers(&self) -> Result<()> {
        let running_jobs = jobs::count_running(self.store().pool()).await?;
        let helpers = self
            .engine()
            .list_containers(&labels::of_instance(self.paths().instance(), &[]))
            .await?;
        for helper in helpers {
            let label = |key: &str| helper.labels.get(key).cloned();
            let stray = match label(labels::KIND).as_deref() {
                Some(labels::KIND_SANDBOX) => false,
                Some(labels::KIND_HELPER) => match label(labels::JOB) {
                    Some(id) => self
                        .job(&id)
                        .await?
                        .is_none_or(|j| j.job_status() != Some(JobStatus::Running)),
                    None => true,
                },
                _ => running_jobs == 0,
            };
            if stray {
                let _ = self.engine().remove_container(&helper.id).await;
            }
        }
        Ok(())
    }
}
