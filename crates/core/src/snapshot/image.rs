//! The image a capture makes, inside the engine: the sandbox's filesystem committed, its workspace copied in from
//! the git volume by a helper container, and the whole flattened into one layer when the chain of snapshots nears
//! the engine's layer limit.
//!
//! - **Freeze** (while the sandbox is paused, unless quick): `docker commit` of the sandbox's container — to the
//!   snapshot's image itself when there is no workspace and nothing to flatten, else to a partial image. With a
//!   workspace, a helper container of the partial image, with the sandbox's git volume mounted read-only, empties
//!   the workspace folder of its own filesystem (what an earlier generation left there) and copies the volume into
//!   it with `cp -a`, then waits (a held helper). The bytes move inside the engine, volume to layer, never through
//!   the app. An image without `cp` (the helper exits 127) falls back to the engine's archive stream, through the
//!   app with back-pressure.
//! - **Finalize** (the sandbox runs again): the helper is committed with the partial image's configuration and the
//!   snapshot's labels; when the source image's layers plus the ones this capture adds pass [`FLATTEN_ABOVE`], or
//!   when a scrub's capture runs on a snapshot image whose layers may hold secrets (a full snapshot: its files are
//!   removed in the top layer only, and stay in the ones below), the result is flattened
//!   ([`crate::engine::Engine::flatten_image`]) into one layer with that configuration. The
//!   helper is then released: the engine removes it (and its copy of the workspace) while the snapshot is already
//!   usable; only a flattening or a failure waits for it to go, as the partial image is removed next.
//!
//! Every generation of snapshot → restore → snapshot adds two layers (one without a workspace); the engine refuses
//! images past 125, so a chain flattens about every 50 generations and never breaks.

use sbx_api::{JobStage, SnapshotMode};
use std::collections::HashMap;

use crate::engine::helpers::{Held, HeldHelper, HelperMount, HelperOf};
use crate::engine::image_config::ImageConfig;
use crate::engine::images::Commit;
use crate::jobs::JobHandle;
use crate::sandbox::SandboxRecord;
use crate::snapshot::restore::parent_folder;
use crate::{Core, Error, Result, labels};

/// A snapshot whose image would have more layers than this is flattened into one layer. The engine's limit is 125
/// (overlay2); the margin leaves room for images that already came deep.
pub const FLATTEN_ABOVE: usize = 100;

/// The repository of the partial images of captures (the container's filesystem before the workspace is added).
pub(crate) const PARTIAL_REPO: &str = "sandbox-desktop/partial";

/// Where a capture's helper sees the sandbox's git volume.
const SOURCE_MOUNT: &str = "/var/lib/amikad/capture-source";

/// The helper's script: `$1` the workspace folder of the image, `$2` the volume. It empties the folder (files an
/// earlier generation put there would otherwise come back) and copies the volume into it, owners, modes, times and
/// links kept. POSIX sh, so busybox runs it.
const COPY_SCRIPT: &str = r#"set -e
mkdir -p "$1"
cd "$1"
for f in * .[!.]* ..?*; do
  if [ -e "$f" ] || [ -L "$f" ]; then rm -rf -- "$f"; fi
done
cp -a "$2/." "$1/"
"#;

/// The image a capture makes.
#[derive(Debug, Clone)]
pub(crate) struct SnapshotImage {
    /// Its repository.
    pub(crate) repo: String,
    /// Its tag.
    pub(crate) tag: String,
    /// Its comment.
    pub(crate) comment: String,
    /// Its labels (with the record).
    pub(crate) labels: HashMap<String, String>,
}

impl SnapshotImage {
    /// `repository:tag`.
    pub(crate) fn name(&self) -> String {
        format!("{}:{}", self.repo, self.tag)
    }
}

/// What the freeze left for the finalize.
#[derive(Debug)]
pub(crate) struct Frozen {
    /// The partial image, when the container was not committed to the snapshot's image directly.
    partial: Option<String>,
    /// The helper holding the workspace in its filesystem.
    helper: Option<Copied>,
    /// Why the result is to be flattened, when it is.
    flatten: Option<&'static str>,
}

/// The helper holding a capture's workspace: held (copied inside the engine, waiting until released) or created
/// (never started, filled through the engine's archive endpoints).
#[derive(Debug)]
enum Copied {
    Held(HeldHelper),
    Created(String),
}

impl Copied {
    fn id(&self) -> &str {
        match self {
            Copied::Held(helper) => &helper.id,
            Copied::Created(id) => id,
        }
    }

    /// Done with it, its image not to be removed now: a held helper is released (the engine removes it, and
    /// nobody waits for the removal of its copy of the workspace); a created one is removed.
    async fn release(&self, engine: &crate::engine::Engine) {
        match self {
            Copied::Held(helper) => helper.release(engine),
            Copied::Created(id) => engine.remove_helper(id).await,
        }
    }

    /// Done with it, and gone before this returns (its image is to be removed next).
    async fn end(&self, engine: &crate::engine::Engine) {
        match self {
            Copied::Held(helper) => helper.end(engine).await,
            Copied::Created(id) => engine.remove_helper(id).await,
        }
    }
}

/// What a capture made, for the snapshot's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Made {
    /// Layers of the snapshot's image.
    pub(crate) layers: usize,
    /// Whether it was flattened into one layer.
    pub(crate) flattened: bool,
}

impl Core {
    /// Why a capture of `source` in `mode` must flatten, if it must: the layers of the image its container runs
    /// plus the ones this capture adds (the commit, and the workspace's copy) pass [`FLATTEN_ABOVE`]; or the capture
    /// scrubs and that image is a snapshot whose layers may hold secrets ([`labels::SCRUBBED_LAYERS`]), which a
    /// scrub only hides in the top layer.
    pub(crate) async fn must_flatten(
        &self,
        source: &SandboxRecord,
        mode: SnapshotMode,
    ) -> Result<Option<&'static str>> {
        let facts = self.engine().image_facts(&source.spec.image).await?;
        let base = facts.as_ref().map_or(0, |facts| facts.layers);
        let added = if source.spec.repo.is_some() { 2 } else { 1 };
        if base + added > FLATTEN_ABOVE {
            return Ok(Some("the chain nears the engine's layer limit"));
        }
        let image_labels = facts.map(|facts| facts.config.labels).unwrap_or_default();
        let unscrubbed = image_labels.get(labels::KIND).map(String::as_str)
            == Some(labels::KIND_SNAPSHOT)
            && image_labels
                .get(labels::SCRUBBED_LAYERS)
                .map(String::as_str)
                != Some("true");
        Ok((mode == SnapshotMode::Scrub && unscrubbed).then_some(
            "the sandbox runs a snapshot taken without a scrub, whose layers keep what the scrub removed",
        ))
    }

    /// While the sandbox is paused (or not, when quick): commit its container and copy its workspace into a
    /// helper's filesystem inside the engine. See the module documentation.
    pub(crate) async fn freeze(
        &self,
        container: &str,
        source: &SandboxRecord,
        snapshot_id: &str,
        job: &JobHandle,
        image: &SnapshotImage,
        flatten: Option<&'static str>,
    ) -> Result<Frozen> {
        job.stage(JobStage::Capturing, "committing the filesystem", Some(0.3))
            .await;
        let direct = source.spec.repo.is_none() && flatten.is_none();
        let mut partial_labels = labels::base(self.paths().instance(), labels::KIND_HELPER);
        partial_labels.insert(labels::ID.into(), snapshot_id.to_string());
        partial_labels.insert(labels::JOB.into(), job.id.clone());
        let commit = if direct {
            Commit {
                container,
                repo: &image.repo,
                tag: &image.tag,
                comment: Some(&image.comment),
                labels: image.labels.clone(),
            }
        } else {
            Commit {
                container,
                repo: PARTIAL_REPO,
                tag: snapshot_id,
                comment: None,
                labels: partial_labels,
            }
        };
        self.engine().commit(commit).await?;
        let partial = (!direct).then(|| format!("{PARTIAL_REPO}:{snapshot_id}"));
        let helper = match (&source.spec.repo, &partial) {
            (Some(repo), Some(partial)) => {
                job.stage(
                    JobStage::Capturing,
                    "copying the workspace inside the engine",
                    Some(0.5),
                )
                .await;
                let of = HelperOf {
                    instance: self.paths().instance(),
                    job: &job.id,
                    snapshot: Some(snapshot_id),
                };
                Some(
                    self.copy_workspace_in_engine(
                        container,
                        partial,
                        &repo.volume,
                        &repo.mount_path,
                        of,
                    )
                    .await?,
                )
            }
            _ => None,
        };
        Ok(Frozen {
            partial,
            helper,
            flatten,
        })
    }

    /// A helper of `partial` with the workspace of `volume` copied into its own filesystem at `mount_path`.
    async fn copy_workspace_in_engine(
        &self,
        container: &str,
        partial: &str,
        volume: &str,
        mount_path: &str,
        of: HelperOf<'_>,
    ) -> Result<Copied> {
        let mount = HelperMount {
            volume,
            target: SOURCE_MOUNT,
            read_only: true,
        };
        let held = self
            .engine()
            .hold_helper(
                partial,
                of,
                &[mount],
                COPY_SCRIPT,
                &[mount_path, SOURCE_MOUNT],
            )
            .await?;
        match held {
            Held::Waiting(helper) => Ok(Copied::Held(helper)),
            // No `cp`, `rm` or `mkdir` in the image: the engine's archive stream instead, through the app.
            Held::Ended {
                exit_code: 126 | 127,
                ..
            } => {
                self.copy_workspace_through_api(container, partial, mount_path, of)
                    .await
            }
            Held::Ended { exit_code, output } => {
                let said = crate::engine::error::explain_text(&output)
                    .map(|hint| format!("{output} — {hint}"))
                    .unwrap_or(output);
                Err(Error::Other(format!(
                    "copying the workspace into the snapshot failed (exit code {exit_code}): {said}"
                )))
            }
        }
    }

    /// A helper of `partial` with the workspace streamed into it from `container` through the engine's archive
    /// endpoints (a few chunks in flight).
    async fn copy_workspace_through_api(
        &self,
        container: &str,
        partial: &str,
        mount_path: &str,
        of: HelperOf<'_>,
    ) -> Result<Copied> {
        let helper = self.engine().create_helper(partial, of).await?;
        let copied = async {
            let archive = self.engine().download(container, mount_path).await?;
            let body = futures_util::StreamExt::map(archive, |chunk| {
                chunk.map_err(|e| std::io::Error::other(e.to_string()))
            });
            self.engine()
                .upload_stream(&helper, &parent_folder(mount_path), body)
                .await
        }
        .await;
        match copied {
            Ok(()) => Ok(Copied::Created(helper)),
            Err(error) => {
                self.engine().remove_helper(&helper).await;
                Err(error)
            }
        }
    }

    /// Once the sandbox runs again: the snapshot's image from what the freeze left — the helper committed with the
    /// partial image's configuration and the snapshot's labels, flattened when asked. Removes the helper and the
    /// partial images whatever happens.
    pub(crate) async fn finalize_image(
        &self,
        frozen: Frozen,
        image: &SnapshotImage,
        job: &JobHandle,
    ) -> Result<Made> {
        let result = self.finalize_steps(&frozen, image, job).await;
        // Committed on top of the helper: the partial image is the new image's parent, so its name can go while
        // the helper (which runs it) is still being removed by the engine.
        let on_top = result.is_ok() && frozen.helper.is_some() && frozen.flatten.is_none();
        match &frozen.helper {
            Some(helper) if on_top => helper.release(self.engine()).await,
            Some(helper) => helper.end(self.engine()).await,
            None => {}
        }
        if let Some(partial) = &frozen.partial {
            let _ = if on_top {
                self.engine().untag_image_in_use(partial).await
            } else {
                self.engine().untag_image(partial).await
            };
        }
        result?;
        let layers = self
            .engine()
            .image_facts(&image.name())
            .await?
            .map_or(0, |facts| facts.layers);
        Ok(Made {
            layers,
            flattened: frozen.flatten.is_some(),
        })
    }

    async fn finalize_steps(
        &self,
        frozen: &Frozen,
        image: &SnapshotImage,
        job: &JobHandle,
    ) -> Result<()> {
        let Some(partial) = &frozen.partial else {
            return Ok(());
        };
        let mut config = self
            .engine()
            .image_facts(partial)
            .await?
            .ok_or_else(|| Error::Other(format!("the partial image {partial} is gone")))?
            .config;
        config.labels.extend(image.labels.clone());
        let staged = format!("{partial}-staged");
        let (source, staged) = match (&frozen.helper, frozen.flatten) {
            (Some(helper), None) => {
                job.stage(JobStage::Finalizing, "committing the workspace", Some(0.8))
                    .await;
                return self
                    .engine()
                    .commit_with_config(
                        helper.id(),
                        &image.repo,
                        &image.tag,
                        &image.comment,
                        &config,
                    )
                    .await;
            }
            (Some(helper), Some(_)) => {
                job.stage(JobStage::Finalizing, "committing the workspace", Some(0.7))
                    .await;
                let (repo, tag) = staged.split_once(':').unwrap_or((PARTIAL_REPO, "staged"));
                self.engine()
                    .commit_with_config(helper.id(), repo, tag, &image.comment, &config)
                    .await?;
                (staged.clone(), Some(staged))
            }
            (None, _) => (partial.clone(), None),
        };
        let why = frozen.flatten.unwrap_or("the capture asked for one layer");
        job.stage(
            JobStage::Finalizing,
            &format!("flattening the image into one layer ({why})"),
            Some(0.85),
        )
        .await;
        let flattened = self.flatten(&source, &image.name(), &config, job).await;
        if let Some(staged) = staged {
            let _ = self.engine().untag_image(&staged).await;
        }
        flattened
    }

    /// Flatten `source` into `target` with `config`, the build's lines as the job's output.
    async fn flatten(
        &self,
        source: &str,
        target: &str,
        config: &ImageConfig,
        job: &JobHandle,
    ) -> Result<()> {
        self.engine()
            .flatten_image(source, target, config, |line| {
                job.output(JobStage::Finalizing, line.trim_end())
            })
            .await
    }
}
