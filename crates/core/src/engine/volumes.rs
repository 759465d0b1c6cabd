//! Volumes: create one with labels, list by label, remove one (after the app's ending helpers that mount it).

use bollard::models::VolumeCreateRequest;
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListVolumesOptionsBuilder, RemoveVolumeOptionsBuilder,
};
use std::collections::HashMap;

use super::Engine;
use crate::Result;
use crate::labels;

/// How long removing a volume waits for an ending helper that mounts it.
const HELPER_ENDING: std::time::Duration = std::time::Duration::from_secs(10);

/// A volume listed by label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedVolume {
    /// Its name.
    pub name: String,
    /// Its labels.
    pub labels: HashMap<String, String>,
    /// When it was made, as the engine writes it.
    pub created_at: Option<String>,
}

impl Engine {
    /// Create the volume `name` with `labels`.
    pub(crate) async fn create_volume(
        &self,
        name: &str,
        labels: HashMap<String, String>,
    ) -> Result<()> {
        let docker = self.client().await?;
        docker
            .create_volume(VolumeCreateRequest {
                name: Some(name.to_string()),
                labels: Some(labels),
                ..Default::default()
            })
            .await
            .map_err(|e| self.fail(format!("creating volume {name}"), e))?;
        Ok(())
    }

    /// The volumes carrying all of `with_labels` (`key=value`).
    pub(crate) async fn list_volumes(&self, with_labels: &[String]) -> Result<Vec<ListedVolume>> {
        let docker = self.client().await?;
        let options = ListVolumesOptionsBuilder::default()
            .filters(&labels::filters(with_labels))
            .build();
        let list = docker
            .list_volumes(Some(options))
            .await
            .map_err(|e| self.fail("listing volumes by label", e))?;
        Ok(list
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|volume| ListedVolume {
                name: volume.name,
                labels: volume.labels,
                created_at: volume.created_at,
            })
            .collect())
    }

    /// Remove the volume `name` (refused while a container uses it). A helper of the app that mounts it and is
    /// ending (released after a capture, the engine removing it) is waited for, a little, first.
    pub(crate) async fn remove_volume(&self, name: &str) -> Result<()> {
        let docker = self.client().await?;
        let remove =
            || docker.remove_volume(name, Some(RemoveVolumeOptionsBuilder::default().build()));
        let refused = match remove().await {
            Err(e) if super::error::status_of(&e) == Some(409) => e,
            other => return other.map_err(|e| self.fail(format!("removing volume {name}"), e)),
        };
        let helpers = helpers_mounting(&docker, name).await;
        if helpers.is_empty() {
            return Err(self.fail(format!("removing volume {name}"), refused));
        }
        for id in helpers {
            super::containers::wait_removed(&docker, &id, HELPER_ENDING).await;
        }
        remove()
            .await
            .map_err(|e| self.fail(format!("removing volume {name}"), e))
    }
}

/// The ids of the app's helper containers that mount the volume `name`.
async fn helpers_mounting(docker: &bollard::Docker, name: &str) -> Vec<String> {
    let mut filters = labels::filters(&[labels::filter(labels::KIND, labels::KIND_HELPER)]);
    filters.insert("volume".to_string(), vec![name.to_string()]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    docker
        .list_containers(Some(options))
        .await
        .unwrap_or_default()
        .into_iter()
        .filter_map(|container| container.id)
        .collect()
}
