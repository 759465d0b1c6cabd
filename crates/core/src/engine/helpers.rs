//! Helper containers and files in and out of containers. A helper is a short-lived container of an image, labelled
//! with the job using it so recovery removes it when the job dies: either stopped (entrypoint `/bin/sh`, never
//! started) for moving files in or out of that image through the API, or run ([`Engine::run_helper`]: a shell
//! script, no network, named volumes mounted) so that files move between a volume and the helper's own filesystem
//! inside the engine — the capture's workspace copy, a volume filled from an image — without passing through the
//! app. Tar archives go into any container at a path as a stream with back-pressure, and a path comes out of one as
//! a tar stream.

use bollard::models::{ContainerCreateBody, HostConfig, Mount as DockerMount, MountType};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, DownloadFromContainerOptionsBuilder,
    RemoveContainerOptionsBuilder, UploadToContainerOptionsBuilder, WaitContainerOptionsBuilder,
};
use futures_util::{Stream, StreamExt};

use super::{ByteStream, Engine, LogOptions, NewContainer};
use crate::labels;
use crate::{Error, Result};

/// A named volume mounted into a run helper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelperMount<'a> {
    /// The volume's name.
    pub volume: &'a str,
    /// Where it appears in the helper.
    pub target: &'a str,
    /// Mounted read-only.
    pub read_only: bool,
}

/// A helper that ran to its end: still there (to be committed, or removed by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelperRun {
    /// The helper's id.
    pub id: String,
    /// The script's exit code.
    pub exit_code: i64,
    /// The last lines it printed.
    pub output: String,
}

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
        let helper = NewContainer {
            image: image.to_string(),
            entrypoint: vec!["/bin/sh".into()],
            labels: helper_labels(of),
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

    /// A helper of `image` that runs `/bin/sh -c script sbx-helper ARGS…` as root, with no network and `mounts`,
    /// until it ends. It is left in place for the caller to commit or remove; when it cannot be run it is removed.
    pub(crate) async fn run_helper(
        &self,
        image: &str,
        of: HelperOf<'_>,
        mounts: &[HelperMount<'_>],
        script: &str,
        args: &[&str],
    ) -> Result<HelperRun> {
        let docker = self.client().await?;
        let mut entrypoint = vec![
            "/bin/sh".to_string(),
            "-c".to_string(),
            script.to_string(),
            "sbx-helper".to_string(),
        ];
        entrypoint.extend(args.iter().map(|a| a.to_string()));
        let body = ContainerCreateBody {
            image: Some(image.to_string()),
            entrypoint: Some(entrypoint),
            cmd: Some(Vec::new()),
            user: Some("0:0".to_string()),
            network_disabled: Some(true),
            labels: Some(helper_labels(of)),
            host_config: Some(HostConfig {
                network_mode: Some("none".to_string()),
                mounts: Some(
                    mounts
                        .iter()
                        .map(|m| DockerMount {
                            target: Some(m.target.to_string()),
                            source: Some(m.volume.to_string()),
                            typ: Some(MountType::VOLUME),
                            read_only: Some(m.read_only),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            }),
            ..Default::default()
        };
        let created = docker
            .create_container(Some(CreateContainerOptionsBuilder::default().build()), body)
            .await
            .map_err(|e| self.fail(format!("creating a helper container of {image}"), e))?;
        let id = created.id;
        match self.run_to_end(&id).await {
            Ok(exit_code) => {
                let output = self.log_tail(&id, 20).await;
                Ok(HelperRun {
                    id,
                    exit_code,
                    output,
                })
            }
            Err(error) => {
                self.remove_helper(&id).await;
                Err(error)
            }
        }
    }

    /// Start a created container and wait until it ends; its exit code.
    async fn run_to_end(&self, id: &str) -> Result<i64> {
        self.start_container(id).await?;
        let docker = self.client().await?;
        let options = WaitContainerOptionsBuilder::default()
            .condition("not-running")
            .build();
        let mut waiting = docker.wait_container(id, Some(options));
        let mut code = 0;
        while let Some(item) = waiting.next().await {
            match item {
                Ok(answer) => code = answer.status_code,
                Err(bollard::errors::Error::DockerContainerWaitError { code: c, .. }) => code = c,
                Err(e) => return Err(self.fail(format!("waiting for container {id}"), e)),
            }
        }
        Ok(code)
    }

    /// The last `lines` lines a container printed (empty when they cannot be read).
    pub(crate) async fn log_tail(&self, id: &str, lines: u32) -> String {
        let read = LogOptions {
            tail: Some(lines),
            ..Default::default()
        };
        let mut text = String::new();
        if let Ok(mut stream) = self.logs(id, &read).await {
            while let Some(Ok(chunk)) = stream.next().await {
                text.push_str(&chunk);
            }
        }
        text.trim_end().to_string()
    }

    /// Fill the empty volume `volume` with what `image` has at `path`, inside the engine: a helper of the image
    /// with the volume mounted there (the engine copies the image's files into an empty volume when it is first
    /// mounted), run once and removed.
    pub(crate) async fn fill_volume(
        &self,
        image: &str,
        volume: &str,
        path: &str,
        of: HelperOf<'_>,
    ) -> Result<()> {
        let mount = HelperMount {
            volume,
            target: path,
            read_only: false,
        };
        let run = self.run_helper(image, of, &[mount], ":", &[]).await?;
        self.remove_helper(&run.id).await;
        if run.exit_code != 0 {
            return Err(Error::Other(format!(
                "filling volume {volume} from image {image} failed (exit code {}): {}",
                run.exit_code, run.output
            )));
        }
        Ok(())
    }

    /// Unpack the tar coming from `archive` into `container` (created or running) at the folder `path`, as it
    /// comes: the engine reads the stream as fast as it unpacks it, so no more than the stream's chunks in flight
    /// are held.
    pub(crate) async fn upload_stream(
        &self,
        container: &str,
        path: &str,
        archive: impl Stream<Item = std::io::Result<Vec<u8>>> + Send + 'static,
    ) -> Result<()> {
        let docker = self.client().await?;
        let options = UploadToContainerOptionsBuilder::default()
            .path(path)
            .build();
        let body = bollard::body_try_stream(archive.map(|chunk| chunk.map(Into::into)));
        docker
            .upload_to_container(container, Some(options), body)
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

/// The labels of a helper: the app's, the job using it and the snapshot it works on.
fn helper_labels(of: HelperOf<'_>) -> std::collections::HashMap<String, String> {
    let mut map = labels::base(of.instance, labels::KIND_HELPER);
    map.insert(labels::JOB.into(), of.job.to_string());
    if let Some(id) = of.snapshot {
        map.insert(labels::ID.into(), id.to_string());
    }
    map
}
