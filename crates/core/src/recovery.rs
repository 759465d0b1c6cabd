//! Reconciling the database with the engine at start: finishing or undoing the work of processes that died
//! mid-way (jobs without a live owner), and rebuilding records from labels when the database was lost (E2).

use bollard::query_parameters::{ListContainersOptionsBuilder, RemoveContainerOptionsBuilder};
use std::collections::HashSet;

use crate::sandbox::spec::SandboxSpec;
use crate::sandbox::state::Phase;
use crate::{Core, Result, labels};

impl Core {
    /// Run every reconciliation step; errors of one step do not stop the others. Needs the engine; does nothing
    /// (and says so in the log) when it does not answer.
    pub async fn recover(&self) {
        if let Err(error) = self.move_secrets_to_store().await {
            tracing::warn!("moving secret values into the secret store: {error}");
        }
        if self.engine().client().await.is_err() {
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
        const HOLDS_A_SECRET: &str = "EXISTS (SELECT 1 FROM json_each(spec, '$.env') \
             WHERE json_extract(value, '$.secret') = 1 AND json_extract(value, '$.value') != '')";
        for table in ["sandboxes", "snapshots"] {
            let rows: Vec<(String, String)> = sqlx::query_as(&format!(
                "SELECT id, spec FROM {table} WHERE json_valid(spec) AND {HOLDS_A_SECRET}"
            ))
            .fetch_all(self.store().pool())
            .await?;
            for (id, json) in rows {
                let Ok(spec) = serde_json::from_str::<SandboxSpec>(&json) else {
                    continue;
                };
                self.secrets()
                    .put(&id, &crate::secrets::secret_values(&spec.env))
                    .map_err(|e| crate::Error::io("keeping the secret variables", e))?;
                let redacted = serde_json::to_string(&spec).unwrap_or_default();
                sqlx::query(&format!("UPDATE {table} SET spec = ? WHERE id = ?"))
                    .bind(redacted)
                    .bind(&id)
                    .execute(self.store().pool())
                    .await?;
            }
        }
        Ok(())
    }

    /// Clones and archives left in the scratch dir by interrupted work, when no work is running.
    async fn clear_scratch(&self) -> Result<()> {
        let (running,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE status = 'running'")
                .fetch_one(self.store().pool())
                .await?;
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
            match job.kind.as_str() {
                "create" => {
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
                "snapshot" | "restore" | "clone" | "import" => {
                    self.recover_snapshot_job(&job).await?
                }
                _ => {
                    self.fail_job(&job.id, "interrupted: the process doing it stopped")
                        .await?;
                }
            }
        }
        // A record still `creating` with no running job at all cannot finish.
        let stuck: Vec<(String, String)> = sqlx::query_as(
            "SELECT s.id, s.name FROM sandboxes s WHERE s.phase = 'creating' AND NOT EXISTS \
             (SELECT 1 FROM jobs j WHERE j.target = s.name AND j.status = 'running')",
        )
        .fetch_all(self.store().pool())
        .await?;
        for (id, _name) in stuck {
            self.undo_create(&id).await;
        }
        Ok(())
    }

    /// Add a record for every labelled sandbox container the database does not know (the database was deleted
    /// or is from another machine).
    pub async fn rebuild_sandboxes(&self) -> Result<usize> {
        let docker = self.engine().client().await?;
        let filters = labels::instance_filters(
            self.paths().instance(),
            &[(labels::KIND, labels::KIND_SANDBOX)],
        );
        let containers = docker
            .list_containers(Some(
                ListContainersOptionsBuilder::default()
                    .all(true)
                    .filters(&filters)
                    .build(),
            ))
            .await
            .map_err(|e| self.engine().fail(e))?;
        let known: HashSet<String> = sqlx::query_as::<_, (String,)>("SELECT id FROM sandboxes")
            .fetch_all(self.store().pool())
            .await?
            .into_iter()
            .map(|r| r.0)
            .collect();
        let mut added = 0;
        for container in containers {
            let container_labels = container.labels.unwrap_or_default();
            let Some(spec) = container_labels
                .get(labels::RECORD)
                .and_then(|json| serde_json::from_str::<SandboxSpec>(json).ok())
            else {
                continue;
            };
            if known.contains(&spec.id) {
                continue;
            }
            let json = serde_json::to_string(&spec).unwrap_or_default();
            let inserted = sqlx::query(
                "INSERT OR IGNORE INTO sandboxes (id, name, spec, container_id, phase, created_at, last_active_at) \
                 VALUES (?, ?, ?, ?, 'created', ?, ?)",
            )
            .bind(&spec.id)
            .bind(&spec.name)
            .bind(json)
            .bind(container.id.clone())
            .bind(spec.created_at)
            .bind(chrono::Utc::now())
            .execute(self.store().pool())
            .await?;
            if inserted.rows_affected() > 0 {
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
        let docker = self.engine().client().await?;
        let filters = labels::instance_filters(self.paths().instance(), &[]);
        let (running_jobs,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE status = 'running'")
                .fetch_one(self.store().pool())
                .await?;
        let helpers = docker
            .list_containers(Some(
                ListContainersOptionsBuilder::default()
                    .all(true)
                    .filters(&filters)
                    .build(),
            ))
            .await
            .map_err(|e| self.engine().fail(e))?;
        for helper in helpers {
            let label = |key: &str| helper.labels.as_ref().and_then(|l| l.get(key)).cloned();
            let stray = match label(labels::KIND).as_deref() {
                Some(labels::KIND_SANDBOX) => false,
                Some(labels::KIND_HELPER) => match label(labels::JOB) {
                    Some(id) => self.job(&id).await?.is_none_or(|j| j.status != "running"),
                    None => true,
                },
                _ => running_jobs == 0,
            };
            if stray {
                let _ = docker
                    .remove_container(
                        &helper.id.unwrap_or_default(),
                        Some(RemoveContainerOptionsBuilder::default().force(true).build()),
                    )
                    .await;
            }
        }
        Ok(())
    }
}
