//! Git volumes (S3): the named volumes holding repository checkouts, kept when their sandbox is deleted, listed (with
//! their size and whether the sandbox that made them is gone: "orphaned") and deleted on request.

use sbx_api::{ApiError, Volume};

use crate::{Core, Result, labels};

impl Core {
    /// The git volumes of this data dir, with the sandboxes that mount them now, their size and whether the sandbox
    /// that made them is gone.
    pub async fn list_volumes(&self) -> Result<Vec<Volume>> {
        let list = self
            .engine()
            .list_volumes(&labels::of_instance(
                self.paths().instance(),
                &[(labels::KIND, labels::KIND_GIT_VOLUME)],
            ))
            .await?;
        let records = self.sandbox_records().await?;
        let sizes = if list.is_empty() {
            Default::default()
        } else {
            self.engine().volume_sizes().await
        };
        let mut volumes: Vec<Volume> = list
            .into_iter()
            .map(|v| {
                let used_by = records
                    .iter()
                    .filter(|r| {
                        r.spec
                            .repo
                            .as_ref()
                            .is_some_and(|repo| repo.volume == v.name)
                    })
                    .map(|r| r.spec.name.clone())
                    .collect();
                let maker = v.labels.get(labels::SANDBOX_ID);
                Volume {
                    size_bytes: sizes.get(&v.name).copied(),
                    orphaned: !records.iter().any(|r| Some(&r.spec.id) == maker),
                    sandbox: v.labels.get(labels::NAME).cloned().unwrap_or_default(),
                    repo: v.labels.get(labels::REPO).cloned().unwrap_or_default(),
                    created_at: v.created_at.clone(),
                    used_by,
                    name: v.name,
                }
            })
            .collect();
        volumes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(volumes)
    }

    /// Delete a git volume that no sandbox uses.
    pub async fn delete_volume(&self, name: &str) -> Result<()> {
        let volume = self
            .list_volumes()
            .await?
            .into_iter()
            .find(|v| v.name == name)
            .ok_or_else(|| ApiError::not_found("volume", name))?;
        if !volume.used_by.is_empty() {
            return Err(ApiError::conflict(format!(
                "volume '{name}' is used by sandbox {}; delete the sandbox first",
                volume.used_by.join(", ")
            ))
            .into());
        }
        self.engine().remove_volume(name).await?;
        self.emit(sbx_api::UiEvent::SandboxesChanged { name: None });
        Ok(())
    }
}
