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

/// How long a container that could not be removed may take to be removed by the engine (one already being removed).
const REMOVING: std::time::Duration = std::time::Duration::from_secs(30);

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
        let gone = match docker
            .remove_container(
                &id,
                Some(RemoveContainerOptionsBuilder::default().force(true).build()),
            )
            .await
        {
            Ok(()) => true,
            // The engine is removing it already (a helper that removes itself when it ends).
            Err(e) if super::error::status_of(&e) == Some(409) => {
                super::containers::wait_removed(docker, &id, REMOVING).await
            }
            Err(_) => false,
        };
        if gone {
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

/// Remove every image matching all `filters`, children before parents (by their parent links, so a chain of any
/// length made within the same second goes in one pass). Returns how many.
async fn remove_images(docker: &Docker, filters: &[String]) -> usize {
    let options = ListImagesOptionsBuilder::default()
        .all(true)
        .filters(&labels::filters(filters))
        .build();
    let images = docker.list_images(Some(options)).await.unwrap_or_default();
    let links = images
        .into_iter()
        .map(|image| (image.id, image.parent_id))
        .collect();
    let mut left = children_first(links);
    let mut removed = 0;
    // Again while a round removes something: an image the engine names no parent for (some image stores) may only
    // go once its children have.
    loop {
        let tried = left.len();
        let mut failed = Vec::new();
        for id in left {
            match docker
                .remove_image(
                    &id,
                    Some(RemoveImageOptionsBuilder::default().force(true).build()),
                    None,
                )
                .await
            {
                Ok(_) => removed += 1,
                Err(_) => failed.push(id),
            }
        }
        let progress = failed.len() < tried;
        left = failed;
        if left.is_empty() || !progress {
            return removed;
        }
    }
}

/// The ids of `images` (id, parent id), each once, ordered so that every image comes before its parent. A parent
/// outside the list does not hold anything back.
fn children_first(images: Vec<(String, String)>) -> Vec<String> {
    use std::collections::HashMap;
    // One entry per id, however often the engine lists it.
    let parent_of: HashMap<String, String> = images.into_iter().collect();
    let mut children: HashMap<&str, usize> = HashMap::new();
    for parent in parent_of.values() {
        *children.entry(parent.as_str()).or_default() += 1;
    }
    let mut ready: Vec<&str> = parent_of
        .keys()
        .map(String::as_str)
        .filter(|id| !children.contains_key(id))
        .collect();
    let mut order = Vec::with_capacity(parent_of.len());
    while let Some(id) = ready.pop() {
        if let Some(parent) = parent_of.get(id)
            && let Some(count) = children.get_mut(parent.as_str())
        {
            *count -= 1;
            if *count == 0 && parent_of.contains_key(parent) {
                ready.push(parent);
            }
        }
        order.push(id.to_string());
    }
    // Links that never end (not from a sane engine): those images still get their try, last.
    if order.len() < parent_of.len() {
        let placed: std::collections::HashSet<&str> = order.iter().map(String::as_str).collect();
        let mut rest: Vec<String> = parent_of
            .keys()
            .filter(|id| !placed.contains(id.as_str()))
            .cloned()
            .collect();
        rest.sort();
        order.extend(rest);
    }
    order
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

#[cfg(test)]
mod tests {
    use super::children_first;

    fn link(id: &str, parent: &str) -> (String, String) {
        (id.to_string(), parent.to_string())
    }

    #[test]
    fn a_chain_listed_parents_first_comes_out_children_first() {
        // Listed oldest first, as images made within the same second can be: the naive order fails on each one.
        let chain: Vec<_> = (0..200)
            .map(|i| {
                link(
                    &format!("i{i}"),
                    &if i == 0 {
                        "base".into()
                    } else {
                        format!("i{}", i - 1)
                    },
                )
            })
            .collect();
        let order = children_first(chain);
        let expected: Vec<String> = (0..200).rev().map(|i| format!("i{i}")).collect();
        assert_eq!(order, expected);
    }

    #[test]
    fn an_image_listed_twice_is_tried_once_and_holds_nothing_back() {
        let images = vec![
            link("root", ""),
            link("mid", "root"),
            link("mid", "root"),
            link("leaf", "mid"),
        ];
        assert_eq!(children_first(images), ["leaf", "mid", "root"]);
    }

    #[test]
    fn images_whose_links_loop_are_still_tried() {
        let images = vec![
            link("a", "b"),
            link("b", "a"),
            link("leaf", "c"),
            link("c", ""),
        ];
        assert_eq!(children_first(images), ["leaf", "c", "a", "b"]);
    }

    #[test]
    fn every_image_comes_before_its_parent_in_a_tree() {
        let images = vec![
            link("root", ""),
            link("a", "root"),
            link("b", "root"),
            link("a1", "a"),
            link("a2", "a"),
            link("other", "not-listed"),
        ];
        let order = children_first(images.clone());
        assert_eq!(order.len(), images.len());
        let at = |id: &str| order.iter().position(|o| o == id).unwrap();
        for (id, parent) in &images {
            if images.iter().any(|(i, _)| i == parent) {
                assert!(at(id) < at(parent), "{id} before {parent}: {order:?}");
            }
        }
    }
}
