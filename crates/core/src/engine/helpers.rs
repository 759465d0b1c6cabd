//! Helper containers and files in and out of containers: a helper is a stopped container of an image (entrypoint
//! `/bin/sh`, never started) that a capture, a copy or an import uses to move files in or out of that image, labelled
//! with the job using it so recovery removes it when the job dies. Tar archives go into any container at a path, and
//! a path comes out of one as a tar stream.

use bollard::query_parameters::{
    DownloadFromContainerOptionsBuilder, RemoveContainerOptionsBuilder,
    UploadToContainerOptionsBuilder,
};
use futures_util::StreamExt;

use super::{ByteStream, Engine, NewContainer};
use crate::labels;
use crate::{Error, Result};

/// Whose helper a helper container is, for its labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelperOf<'a> {
    /// The data dir's instance id.
    pub instance: &'a str,
    /// The job using it.
    pub job: &'a str,
    /// The snapshot it works on, if any.
    pub snapshot: Option<&'a str>,
}

impl Engine {
    /// A helper container of `image` (see the module documentation); its id.
    pub(crate) async fn create_helper(&self, image: &str, of: HelperOf<'_>) -> Result<String> {
        let mut helper_labels = labels::base(of.instance, labels::KIND_HELPER);
        helper_labels.insert(labels::JOB.into(), of.job.to_string());
        if let Some(id) = of.snapshot {
            helper_labels.insert(labels::ID.into(), id.to_string());
        }
        let helper = NewContainer {
            image: image.to_string(),
            entrypoint: vec!["/bin/sh".into()],
            labels: helper_labels,
            ..Default::default()
        };
        self.create_container(&helper).await?.map_err(|taken| {
            Error::Other(format!(
                "creating a helper container of {image}: {}",
                taken.message
            ))
        })
    }

    /// Remove a helper container. Best effort: recovery removes one that stayed.
    pub(crate) async fn remove_helper(&self, id: &str) {
        if let Ok(docker) = self.client().await {
            let _ = docker
                .remove_container(
                    id,
                    Some(RemoveContainerOptionsBuilder::default().force(true).build()),
                )
                .await;
        }
    }

    /// Unpack the tar `archive` into `container` (created or running) at the folder `path`.
    pub(crate) async fn upload_tar(
        &self,
        container: &str,
        path: &str,
        archive: Vec<u8>,
    ) -> Result<()> {
        let docker = self.client().await?;
        let options = UploadToContainerOptionsBuilder::default()
            .path(path)
            .build();
        docker
            .upload_to_container(container, Some(options), bollard::body_full(archive.into()))
            .await
            .map_err(|e| {
                self.fail(
                    format!("copying files into container {container} at {path}"),
                    e,
                )
            })
    }

    /// The file or folder `path` of `container` as a tar stream.
    pub(crate) async fn download(&self, container: &str, path: &str) -> Result<ByteStream> {
        let docker = self.client().await?;
        let options = DownloadFromContainerOptionsBuilder::default()
            .path(path)
            .build();
        let engine = self.clone();
        let doing = format!("copying {path} out of container {container}");
        let stream = docker
            .download_from_container(container, Some(options))
            .map(move |chunk| {
                chunk
                    .map(Vec::from)
                    .map_err(|e| engine.fail(doing.clone(), e))
            });
        Ok(Box::pin(stream))
    }
}
