//! Removing engine objects by label, best effort: what a failed create made, what a capture left, everything of a
//! data dir. The [`Engine`] methods are public for the tests, the bench and uninstalling (they take and give only
//! names and labels); the functions taking a bollard client stay inside the engine layer.

use bollard::Docker;
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListImagesOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder, RemoveVolumeOptionsBuilder,
};

use super::Engine;
use crate::labels;

impl Engine {
    /// Remove every container, volume and image labelled with data dir `instance`. Returns how many.
    pub async fn purge_instance(&self, instance: &str) -> crate::Result<usize> {
        let docker = self.client().await?;
        Ok(purge_instance(&docker, instance).await)
    }

    /// Remove (unpausing first) every container carrying all of `with_labels` (`key=value`). Returns how many.
    pub async fn remove_containers(&self, with_labels: &[String]) -> usize {
        match self.client().await {
            Ok(docker) => remove_containers(&docker, with_labels).await,
            Err(_) => 0,
        }
    }

    /// Remove every volume carrying all of `with_labels`. Returns how many.
    pub async fn remove_volumes(&self, with_labels: &[String]) -> usize {
        match self.client().await {
            Ok(docker) => remove_volumes(&docker, with_labels).await,
            Err(_) => 0,
        }
    }

    /// Remove every image carrying all of `with_labels`, children before parents. Returns how many.
    pub async fn remove_images(&self, with_labels: &[String]) -> usize {
        match self.client().await {
            Ok(docker) => remove_images(&docker, with_labels).await,
            Err(_) => 0,
        }
    }

    /// Names of the containers, volumes and image ids labelled with data dir `instance` (what a purge would
    /// remove).
    pub async fn labelled(&self, instance: &str) -> crate::Result<Labelled> {
        let docker = self.client().await?;
        labelled(&docker, instance)
            .await
            .map_err(|e| self.fail(format!("listing the objects of data dir {instance}"), e))
    }
}

/// Containers (their names), volumes (names) and images (ids) of one data dir.
pub type Labelled = (Vec<String>, Vec<String>, Vec<String>);

/// Remove (unpausing first) every container matching all `filters` (`key=value` labels). Returns how many.
async fn remove_containers(docker: &Docker, filters: &[String]) -> usize {
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&labels::filters(filters))
        .build();
    let mut removed = 0;
    for container in docker
        .list_containers(Some(options))
        .await
        .unwrap_or_default()
    {
        let id = container.id.unwrap_or_default();
        let _ = docker.unpause_container(&id).await;
        if docker
            .remove_container(
                &id,
                Some(RemoveContainerOptionsBuilder::default().force(true).build()),
            )
            .await
            .is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Remove every volume matching all `filters`. Returns how many.
async fn remove_volumes(docker: &Docker, filters: &[String]) -> usize {
    let options = ListVolumesOptionsBuilder::default()
        .filters(&labels::filters(filters))
        .build();
    let mut removed = 0;
    let volumes = docker
        .list_volumes(Some(options))
        .await
        .ok()
        .and_then(|l| l.volumes);
    for volume in volumes.unwrap_or_default() {
        if docker
            .remove_volume(
                &volume.name,
                Some(RemoveVolumeOptionsBuilder::default().force(true).build()),
            )
            .await
            .is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Remove every image matching all `filters`, children before parents. Returns how many.
async fn remove_images(docker: &Docker, filters: &[String]) -> usize {
    let options = ListImagesOptionsBuilder::default()
        .all(true)
        .filters(&labels::filters(filters))
        .build();
    let mut images = docker.list_images(Some(options)).await.unwrap_or_default();
    images.sort_by_key(|image| std::cmp::Reverse(image.created));
    let mut removed = 0;
    // Twice: an image whose child was listed after it can go on the second round.
    for _ in 0..2 {
        let mut left = Vec::new();
        for image in images {
            match docker
                .remove_image(
                    &image.id,
                    Some(RemoveImageOptionsBuilder::default().force(true).build()),
                    None,
                )
                .await
            {
                Ok(_) => removed += 1,
                Err(_) => left.push(image),
            }
        }
        images = left;
    }
    removed
}

/// Names of the containers, volumes and image ids labelled with data dir `instance` (what a purge would remove).
async fn labelled(docker: &Docker, instance: &str) -> Result<Labelled, bollard::errors::Error> {
    let filters = labels::instance_filters(instance, &[]);
    let containers = docker
        .list_containers(Some(
            ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&filters)
                .build(),
        ))
        .await?
        .into_iter()
        .map(|c| c.names.unwrap_or_default().join(","))
        .collect();
    let volumes = docker
        .list_volumes(Some(
            ListVolumesOptionsBuilder::default()
                .filters(&filters)
                .build(),
        ))
        .await?
        .volumes
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.name)
        .collect();
    let images = docker
        .list_images(Some(
            ListImagesOptionsBuilder::default()
                .all(true)
                .filters(&filters)
                .build(),
        ))
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    Ok((containers, volumes, images))
}

/// Remove every container, volume and image labelled with data dir `instance`.
async fn purge_instance(docker: &Docker, instance: &str) -> usize {
    let filters = [labels::filter(labels::INSTANCE, instance)];
    remove_containers(docker, &filters).await
        + remove_volumes(docker, &filters).await
        + remove_images(docker, &filters).await
}
