//! Volumes: create one with labels, list by label, remove one.

use bollard::models::VolumeCreateRequest;
use bollard::query_parameters::{ListVolumesOptionsBuilder, RemoveVolumeOptionsBuilder};
use std::collections::HashMap;

use super::Engine;
use crate::Result;
use crate::labels;

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

    /// Remove the volume `name` (refused while a container uses it).
    pub(crate) async fn remove_volume(&self, name: &str) -> Result<()> {
        let docker = self.client().await?;
        docker
            .remove_volume(name, Some(RemoveVolumeOptionsBuilder::default().build()))
            .await
            .map_err(|e| self.fail(format!("removing volume {name}"), e))
    }
}
