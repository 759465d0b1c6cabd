//! Images: whether one exists, its id and its size, commits of containers, another name, removal (typed: removed,
//! missing, in use), listing by label, building (a preset), pulling, and the `docker save` / `docker load` streams
//! of export and import.

use bollard::models::ContainerConfig;
use bollard::query_parameters::{
    BuildImageOptionsBuilder, CommitContainerOptionsBuilder, CreateImageOptionsBuilder,
    ImportImageOptionsBuilder, ListImagesOptionsBuilder, RemoveImageOptionsBuilder,
    TagImageOptionsBuilder,
};
use futures_util::{Stream, StreamExt};
use std::collections::HashMap;

use super::{ByteStream, Engine, error};
use crate::labels;
use crate::{Error, Result};

/// An image listed by label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedImage {
    /// The engine's id.
    pub id: String,
    /// When it was made (unix seconds).
    pub created: i64,
    /// Its names (`repository:tag`).
    pub repo_tags: Vec<String>,
    /// Its labels.
    pub labels: HashMap<String, String>,
}

/// A commit of a container to an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit<'a> {
    /// The container committed (not paused by the commit).
    pub container: &'a str,
    /// The image's repository.
    pub repo: &'a str,
    /// The image's tag.
    pub tag: &'a str,
    /// The image's comment.
    pub comment: Option<&'a str>,
    /// The image's labels.
    pub labels: HashMap<String, String>,
}

/// An image build: the context and what to call and label the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build<'a> {
    /// The build context, a tar holding the `Dockerfile`.
    pub context: Vec<u8>,
    /// The image's name.
    pub tag: &'a str,
    /// Build arguments.
    pub args: HashMap<String, String>,
    /// The image's labels.
    pub labels: HashMap<String, String>,
}

/// What removing an image by name did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Removed.
    Removed,
    /// There was no such image.
    Missing,
    /// A container uses it; nothing was removed.
    InUse,
}

impl Engine {
    /// Whether the engine has the image `name`.
    pub(crate) async fn image_exists(&self, name: &str) -> Result<bool> {
        let docker = self.client().await?;
        match docker.inspect_image(name).await {
            Ok(_) => Ok(true),
            Err(e) if error::status_of(&e) == Some(404) => Ok(false),
            Err(e) => Err(self.fail(format!("inspecting image {name}"), e)),
        }
    }

    /// The engine id (`sha256:…`) of the image `name`; `None` when the engine does not have it.
    pub(crate) async fn image_id(&self, name: &str) -> Result<Option<String>> {
        let docker = self.client().await?;
        match docker.inspect_image(name).await {
            Ok(inspect) => Ok(inspect.id),
            Err(e) if error::status_of(&e) == Some(404) => Ok(None),
            Err(e) => Err(self.fail(format!("inspecting image {name}"), e)),
        }
    }

    /// The image's own entrypoint followed by its command (its configuration's `Entrypoint` and `Cmd`), what
    /// `docker run IMAGE` runs; `None` when the engine does not have the image.
    pub(crate) async fn image_command(&self, name: &str) -> Result<Option<Vec<String>>> {
        let docker = self.client().await?;
        match docker.inspect_image(name).await {
            Ok(inspect) => {
                let config = inspect.config.unwrap_or_default();
                let mut argv = config.entrypoint.unwrap_or_default();
                argv.extend(config.cmd.unwrap_or_default());
                Ok(Some(argv))
            }
            Err(e) if error::status_of(&e) == Some(404) => Ok(None),
            Err(e) => Err(self.fail(format!("inspecting image {name}"), e)),
        }
    }

    /// Give the image `name` one more name, `repo:tag`.
    pub(crate) async fn tag_image(&self, name: &str, repo: &str, tag: &str) -> Result<()> {
        let docker = self.client().await?;
        let options = TagImageOptionsBuilder::default()
            .repo(repo)
            .tag(tag)
            .build();
        docker
            .tag_image(name, Some(options))
            .await
            .map_err(|e| self.fail(format!("tagging image {name} as {repo}:{tag}"), e))
    }

    /// The bytes of the image `name` on disk, its layers and its parents'.
    pub(crate) async fn image_size(&self, name: &str) -> Result<i64> {
        let docker = self.client().await?;
        let inspect = docker
            .inspect_image(name)
            .await
            .map_err(|e| self.fail(format!("inspecting image {name}"), e))?;
        Ok(inspect.size.unwrap_or(0))
    }

    /// Commit a container (without pausing it) to an image.
    pub(crate) async fn commit(&self, commit: Commit<'_>) -> Result<()> {
        let docker = self.client().await?;
        let mut options = CommitContainerOptionsBuilder::default()
            .container(commit.container)
            .repo(commit.repo)
            .tag(commit.tag)
            .pause(false);
        if let Some(comment) = commit.comment {
            options = options.comment(comment);
        }
        let config = ContainerConfig {
            labels: Some(commit.labels),
            ..Default::default()
        };
        docker
            .commit_container(options.build(), config)
            .await
            .map_err(|e| {
                let doing = format!(
                    "committing container {} to {}:{}",
                    commit.container, commit.repo, commit.tag
                );
                self.fail(doing, e)
            })?;
        Ok(())
    }

    /// Remove the image `name` (by id, or by name: a name used by a running container is refused as in use).
    pub(crate) async fn remove_image(&self, name: &str) -> Result<Removal> {
        let docker = self.client().await?;
        let options = RemoveImageOptionsBuilder::default().force(true).build();
        match docker.remove_image(name, Some(options), None).await {
            Ok(_) => Ok(Removal::Removed),
            Err(e) if error::status_of(&e) == Some(404) => Ok(Removal::Missing),
            Err(e) if error::status_of(&e) == Some(409) => Ok(Removal::InUse),
            Err(e) => Err(self.fail(format!("removing image {name}"), e)),
        }
    }

    /// Remove one name of an image, keeping its untagged parents; the image goes when nothing else names or uses
    /// it.
    pub(crate) async fn untag_image(&self, name: &str) -> Result<()> {
        let docker = self.client().await?;
        let options = RemoveImageOptionsBuilder::default().noprune(true).build();
        docker
            .remove_image(name, Some(options), None)
            .await
            .map_err(|e| self.fail(format!("removing the name {name}"), e))?;
        Ok(())
    }

    /// Remove the name `name` of an image that a container still runs, keeping the image and its untagged parents
    /// (the engine refuses this without force; with force it still keeps an image a running container uses).
    pub(crate) async fn untag_image_in_use(&self, name: &str) -> Result<()> {
        let docker = self.client().await?;
        let options = RemoveImageOptionsBuilder::default()
            .force(true)
            .noprune(true)
            .build();
        docker
            .remove_image(name, Some(options), None)
            .await
            .map_err(|e| self.fail(format!("removing the name {name}"), e))?;
        Ok(())
    }

    /// The images carrying all of `with_labels` (`key=value`); with `intermediate`, untagged parents too.
    pub(crate) async fn list_images(
        &self,
        with_labels: &[String],
        intermediate: bool,
    ) -> Result<Vec<ListedImage>> {
        let docker = self.client().await?;
        let mut options =
            ListImagesOptionsBuilder::default().filters(&labels::filters(with_labels));
        if intermediate {
            options = options.all(true);
        }
        let list = docker
            .list_images(Some(options.build()))
            .await
            .map_err(|e| self.fail("listing images by label", e))?;
        Ok(list
            .into_iter()
            .map(|image| ListedImage {
                id: image.id,
                created: image.created,
                repo_tags: image.repo_tags,
                labels: image.labels,
            })
            .collect())
    }

    /// Build an image, telling `on_line` each line of output; `Ok(Err(reason))` when the build failed.
    pub(crate) async fn build_image(
        &self,
        build: Build<'_>,
        mut on_line: impl FnMut(&str),
    ) -> Result<std::result::Result<(), String>> {
        let docker = self.client().await?;
        let options = BuildImageOptionsBuilder::default()
            .dockerfile("Dockerfile")
            .t(build.tag)
            .rm(true)
            .forcerm(true)
            .buildargs(&build.args)
            .labels(&build.labels)
            .build();
        let mut stream = docker.build_image(
            options,
            None,
            Some(bollard::body_full(build.context.into())),
        );
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(detail) = info.error_detail {
                        return Ok(Err(detail.message.unwrap_or_else(|| "build failed".into())));
                    }
                    if let Some(line) = info.stream.or(info.status) {
                        on_line(&line);
                    }
                }
                Err(bollard::errors::Error::DockerStreamError { error }) => return Ok(Err(error)),
                Err(e) => return Err(self.fail(format!("building image {}", build.tag), e)),
            }
        }
        Ok(Ok(()))
    }

    /// Pull the image `name`, telling `on_status` each status line; `Ok(Err(reason))` when it could not be
    /// pulled.
    pub(crate) async fn pull_image(
        &self,
        name: &str,
        mut on_status: impl FnMut(&str),
    ) -> Result<std::result::Result<(), String>> {
        let docker = self.client().await?;
        let options = CreateImageOptionsBuilder::default()
            .from_image(name)
            .build();
        let mut stream = docker.create_image(Some(options), None, None);
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(status) = info.status {
                        on_status(&status);
                    }
                }
                Err(e) => return Ok(Err(e.to_string())),
            }
        }
        Ok(Ok(()))
    }

    /// The image `name` as `docker save` writes it, streamed.
    pub(crate) async fn export_image(&self, name: &str) -> Result<ByteStream> {
        let docker = self.client().await?;
        let engine = self.clone();
        let doing = format!("saving image {name}");
        let stream = docker.export_image(name).map(move |chunk| {
            chunk
                .map(Vec::from)
                .map_err(|e| engine.fail(doing.clone(), e))
        });
        Ok(Box::pin(stream))
    }

    /// Load the images of a `docker save` archive, streamed from `archive`, until the engine answers.
    pub(crate) async fn load_image(
        &self,
        archive: impl Stream<Item = std::io::Result<Vec<u8>>> + Send + 'static,
    ) -> Result<()> {
        let docker = self.client().await?;
        let body = bollard::body_try_stream(archive.map(|chunk| chunk.map(Into::into)));
        let mut stream = docker.import_image(
            ImportImageOptionsBuilder::default().quiet(true).build(),
            body,
            None,
        );
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| self.fail("loading an image", e))?;
            if let Some(detail) = info.error_detail {
                return Err(Error::Other(format!(
                    "loading the image failed: {}",
                    detail.message.unwrap_or_default()
                )));
            }
        }
        Ok(())
    }
}
