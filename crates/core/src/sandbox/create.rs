//! Creating a sandbox (S1–S5): a checked plan (see [`super::plan`]: every invalid value is an error before anything
//! exists), the repository cloned on the host, then the build as a job — image, git volume, container, checkout,
//! start — that leaves either a working sandbox or nothing.
//!
//! The repository is untrusted input: its setup script must be a regular file inside it (symlinks followed) of at
//! most 1 MiB, its `[sandbox] snapshot` is honoured only for a snapshot taken from the same repository, and a
//! repository or branch that git could read as an option is refused. A URL's user-info is used for the clone only;
//! what is recorded, labelled, explained and reported is the URL without it ([`git::without_userinfo`]).

use sbx_api::{ApiError, CreateSandboxRequest, GitChoice, JobKind, JobStage, Sandbox, UiEvent};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

use crate::engine::helpers::HelperOf;
use crate::snapshot::transfer::tar_io::{CHUNKS_IN_FLIGHT, ChunkWriter};

use crate::git::{self, RepoSource};
use crate::jobs::JobHandle;
use crate::sandbox::container::{self, ContainerPlan, NOOP_SETUP};
use crate::sandbox::spec::SandboxSpec;
use crate::sandbox::state::Phase;
use crate::store::sandboxes;
use crate::{Core, Error, Result, labels};

/// The scratch clone of a create (a folder of the data dir's scratch dir): its checkout, which the upload consumes
/// (see [`git::pack_consuming`]), and the removal of what is left, on a blocking thread, started as soon as the
/// checkout is in the volume so that it overlaps the sandbox's start.
pub(crate) struct ScratchClone {
    /// The folder removed.
    root: PathBuf,
    /// The checkout inside it.
    checkout: PathBuf,
    /// The removal, once started.
    removing: Option<tokio::task::JoinHandle<()>>,
}

impl ScratchClone {
    /// Start removing it (once).
    fn start_removal(&mut self) {
        if self.removing.is_none() {
            let root = self.root.clone();
            self.removing = Some(tokio::task::spawn_blocking(move || {
                let _ = std::fs::remove_dir_all(root);
            }));
        }
    }

    /// Remove it (starting the removal if needed) and wait until it is gone.
    async fn remove(clone: Option<ScratchClone>) {
        if let Some(mut clone) = clone {
            clone.start_removal();
            if let Some(removing) = clone.removing.take() {
                let _ = removing.await;
            }
        }
    }
}

/// How long `wait_for_ready` waits for setup to finish.
pub const READY_TIMEOUT: Duration = Duration::from_secs(60 * 60);

pub(crate) use super::plan::host_port_free;
pub use super::plan::{CreatePlan, ImageSource};

impl Core {
    /// Create a sandbox. Checks everything first (and clones the repository, so a clone failure creates nothing),
    /// records it as `creating`, then builds it in the background. With `wait_for_ready` the call returns once the
    /// sandbox is running (or its setup failed); otherwise at once, with the sandbox `creating`.
    pub async fn create_sandbox(
        self: &Arc<Self>,
        request: &CreateSandboxRequest,
    ) -> Result<Sandbox> {
        let plan = self.plan_sandbox(request, None).await?;
        self.engine().connect().await?;
        let job_id = uuid::Uuid::new_v4().to_string();
        let scratch = self.paths().scratch_dir().join(&job_id);
        let checkout = match &plan.repo {
            Some(source) => {
                self.emit_stage(
                    &job_id,
                    &plan.spec.name,
                    JobStage::Cloning,
                    &source.display(),
                );
                match self.clone_checkout(source, &plan, &scratch).await {
                    Ok(dir) => Some(dir),
                    Err(error) => {
                        let _ = std::fs::remove_dir_all(&scratch);
                        return Err(error);
                    }
                }
            }
            None => None,
        };
        // A remote repository's config file could only be read now that it is cloned.
        let plan = match (&plan.repo, &checkout) {
            (Some(RepoSource { url: Some(_), .. }), Some(dir)) => {
                match self.plan_sandbox(request, Some(dir)).await {
                    Ok(mut again) => {
                        again.spec.name = plan.spec.name.clone();
                        if let (Some(a), Some(b)) = (&mut again.spec.repo, &plan.spec.repo) {
                            a.volume = b.volume.clone();
                        }
                        again
                    }
                    Err(error) => {
                        let _ = std::fs::remove_dir_all(&scratch);
                        return Err(error);
                    }
                }
            }
            _ => plan,
        };
        let clone = checkout.map(|checkout| ScratchClone {
            root: scratch,
            checkout,
            removing: None,
        });
        self.launch(
            plan,
            clone,
            job_id,
            JobKind::Create,
            None,
            request.wait_for_ready,
        )
        .await
    }

    /// Record the sandbox of `plan` as creating, then build it in the background as a job of `kind`, with the
    /// checkout of `clone` when there is one. With `wait`, returns once it is running (or setup failed); else at
    /// once. `restore_of` marks a restore of that snapshot id as in flight until the build ends (deleting the
    /// snapshot waits for it).
    pub(crate) async fn launch(
        self: &Arc<Self>,
        plan: CreatePlan,
        mut clone: Option<ScratchClone>,
        job_id: String,
        kind: JobKind,
        restore_of: Option<String>,
        wait: bool,
    ) -> Result<Sandbox> {
        // The job first: recovery in another process undoes a `creating` sandbox without a running job.
        let job = match self.begin_job_with_id(&job_id, kind, &plan.spec.name).await {
            Ok(job) => job,
            Err(error) => {
                ScratchClone::remove(clone).await;
                return Err(error);
            }
        };
        if let Err(error) = self.insert_creating(&plan.spec).await {
            job.discard().await;
            ScratchClone::remove(clone).await;
            return Err(error);
        }
        if let Some(snapshot_id) = &restore_of {
            self.mark_restore(&job_id, snapshot_id).await?;
        }
        self.emit(UiEvent::SandboxesChanged {
            name: Some(plan.spec.name.clone()),
        });
        let name = plan.spec.name.clone();
        let core = Arc::clone(self);
        let build = tokio::spawn(async move {
            let result = core.build_sandbox(&plan, &job, clone.as_mut()).await;
            // What the upload left of the scratch clone (its folders; all of it when the build failed before) is
            // removed on a blocking thread from the moment the checkout is in the volume, while the sandbox starts
            // and boots; the job ends once it is gone.
            if let Some(clone) = clone.as_mut() {
                clone.start_removal();
            }
            if restore_of.is_some() {
                core.unmark_restore(&job.id).await;
            }
            match result {
                Ok(()) => {
                    if let Err(error) = core.record_origin(&plan.spec, restore_of.as_deref()).await
                    {
                        tracing::warn!(
                            "recording where sandbox {} came from: {error}",
                            plan.spec.name
                        );
                    }
                    // The setup script's output is the job's progress until the sandbox is ready.
                    let _ = tokio::time::timeout(
                        READY_TIMEOUT,
                        core.follow_until_ready(&plan.spec.name, |line| {
                            if !line.starts_with("[amikad]") {
                                job.output(JobStage::SettingUp, line);
                            }
                        }),
                    )
                    .await;
                    ScratchClone::remove(clone).await;
                    let _ = job.succeed().await;
                    Ok(())
                }
                Err(error) => {
                    ScratchClone::remove(clone).await;
                    let message = ApiError::from(error).to_string();
                    core.undo_create(&plan.spec.id).await;
                    let _ = job.fail(&message).await;
                    core.emit(UiEvent::SandboxesChanged {
                        name: Some(plan.spec.name.clone()),
                    });
                    Err(Error::Api(ApiError::internal(format!(
                        "creating sandbox '{}' failed: {message}",
                        plan.spec.name
                    ))))
                }
            }
        });
        if wait {
            build
                .await
                .map_err(|e| Error::Other(format!("the create task stopped: {e}")))??;
            self.wait_until_ready(&name, READY_TIMEOUT).await
        } else {
            self.get_sandbox(&name).await
        }
    }

    fn emit_stage(&self, job_id: &str, target: &str, stage: JobStage, message: &str) {
        self.emit(UiEvent::Progress(sbx_api::Progress {
            job_id: job_id.to_string(),
            kind: JobKind::Create,
            target: target.to_string(),
            stage,
            message: message.to_string(),
            fraction: None,
            done: false,
            error: None,
        }));
    }

    async fn clone_checkout(
        &self,
        source: &RepoSource,
        plan: &CreatePlan,
        scratch: &Path,
    ) -> Result<PathBuf> {
        std::fs::create_dir_all(scratch)
            .map_err(|e| Error::io(format!("creating {}", scratch.display()), e))?;
        let dest = scratch.join("checkout");
        let source = source.clone();
        let branch = plan.branch.clone();
        let no_clean = plan.no_clean;
        let target = dest.clone();
        tokio::task::spawn_blocking(move || {
            git::clone(&source, branch.as_deref(), no_clean, &target)
        })
        .await
        .map_err(|e| Error::Other(format!("the clone task stopped: {e}")))??;
        Ok(dest)
    }

    async fn insert_creating(&self, spec: &SandboxSpec) -> Result<()> {
        let json = serde_json::to_string(spec).map_err(|e| Error::Other(e.to_string()))?;
        let row = sandboxes::NewSandbox {
            id: &spec.id,
            name: &spec.name,
            spec: &json,
            created_at: spec.created_at,
        };
        match sandboxes::insert_creating(self.store().pool(), &row).await? {
            Ok(()) => Ok(()),
            Err(_duplicate) => Err(ApiError::invalid(
                sbx_api::Field::Name,
                &spec.name,
                "a sandbox with this name already exists",
            )
            .into()),
        }
    }

    /// Image, setup file, volume, container, checkout (then the clone's removal starts), start; then the record
    /// says `created`.
    async fn build_sandbox(
        &self,
        plan: &CreatePlan,
        job: &JobHandle,
        clone: Option<&mut ScratchClone>,
    ) -> Result<()> {
        let spec = &plan.spec;
        // Image.
        match &plan.image {
            ImageSource::Preset(preset) => {
                self.ensure_preset_image(preset, Some(job)).await?;
            }
            ImageSource::Image(image) => self.ensure_image(image, job).await?,
            ImageSource::Snapshot { name, image } => {
                if !self.image_exists(image).await? {
                    return Err(ApiError::invalid(
                        sbx_api::Field::Snapshot,
                        name,
                        format!("its image {image} is missing"),
                    )
                    .into());
                }
            }
            ImageSource::Profile { version, image } => {
                if !self.image_exists(image).await? {
                    return Err(ApiError::invalid(
                        sbx_api::Field::Profile,
                        version,
                        format!("its snapshot image {image} is missing"),
                    )
                    .into());
                }
            }
        }
        // The image's own command, now that the image is here.
        let resolved = self.resolve_image_command(spec).await?;
        let spec = resolved.as_ref().unwrap_or(spec);
        // Setup script file, mounted read-only.
        let dir = self.paths().sandbox_dir(&spec.id);
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let setup_file = dir.join("setup.sh");
        let script = if spec.setup_skipped {
            NOOP_SETUP.to_string()
        } else {
            spec.setup_script
                .clone()
                .unwrap_or_else(|| NOOP_SETUP.to_string())
        };
        write_executable(&setup_file, &script)?;
        let secret_file = self
            .secrets()
            .put(&spec.id, &crate::secrets::secret_values(&spec.env))
            .map_err(|e| Error::io("keeping the secret variables", e))?;

        // Git volume.
        let volume = match &spec.repo {
            Some(repo) => {
                job.stage(JobStage::CreatingVolume, &repo.volume, None)
                    .await;
                let mut volume_labels =
                    labels::base(self.paths().instance(), labels::KIND_GIT_VOLUME);
                volume_labels.insert(labels::SANDBOX_ID.into(), spec.id.clone());
                volume_labels.insert(labels::NAME.into(), spec.name.clone());
                volume_labels.insert(labels::REPO.into(), repo.name.clone());
                volume_labels.insert(labels::JOB.into(), job.id.clone());
                self.engine()
                    .create_volume(&repo.volume, volume_labels)
                    .await?;
                // A snapshot's workspace when the sandbox runs another image: the empty volume is filled from the
                // snapshot's image inside the engine, before the sandbox's own image could fill it.
                if let Some(image) = &plan.workspace_from_image {
                    job.stage(JobStage::CopyingWorkspace, &repo.mount_path, None)
                        .await;
                    let of = HelperOf {
                        instance: self.paths().instance(),
                        job: &job.id,
                        snapshot: None,
                    };
                    self.engine()
                        .fill_volume(image, &repo.volume, &repo.mount_path, of)
                        .await?;
                }
                Some(repo.volume.as_str())
            }
            None => None,
        };
        // Container.
        job.stage(JobStage::CreatingContainer, &spec.container_name(), None)
            .await;
        let body = container::create_body(
            spec,
            &ContainerPlan {
                instance: self.paths().instance(),
                job_id: &job.id,
                setup_file: &setup_file,
                volume,
                credentials: &plan.credentials,
                secret_env_file: secret_file.as_deref(),
            },
        );
        let created = self
            .engine()
            .create_container(&body)
            .await?
            .map_err(|taken| {
                ApiError::invalid(
                    sbx_api::Field::Name,
                    &spec.name,
                    format!(
                        "the engine already has a container named {}: {}",
                        spec.container_name(),
                        taken.message
                    ),
                )
            })?;
        sandboxes::set_container(self.store().pool(), &spec.id, &created).await?;
        // Checkout into the volume (over what a snapshot's image put there), streamed.
        if let (Some(clone), Some(repo)) = (clone, &spec.repo) {
            job.stage(JobStage::CopyingCheckout, &repo.mount_path, None)
                .await;
            self.move_checkout(&created, &clone.checkout, &repo.mount_path)
                .await?;
            clone.start_removal();
        }
        // Start.
        job.stage(JobStage::Starting, &spec.name, None).await;
        self.engine().start_container(&created).await?;
        sandboxes::set_phase(self.store().pool(), &spec.id, Phase::Created).await?;
        if let Some(key) = &spec.repo_key
            && let Some(repo) = &spec.repo
        {
            self.note_repository(key, &repo.name).await?;
        }
        job.stage(JobStage::SettingUp, &spec.name, None).await;
        Ok(())
    }

    /// Move the checkout at `dir` into `container` at `path`: packed on a blocking thread as the engine reads it,
    /// a few chunks in flight (never the whole checkout in memory, nor an archive on disk), each file removed from
    /// `dir` once packed. A packing error is sent into the stream, so the engine never takes a cut archive for a
    /// whole one.
    async fn move_checkout(&self, container: &str, dir: &Path, path: &str) -> Result<()> {
        let (chunks, mut received) = mpsc::channel::<io::Result<Vec<u8>>>(CHUNKS_IN_FLIGHT);
        let failed = chunks.clone();
        let source = dir.to_path_buf();
        let packer = tokio::task::spawn_blocking(move || {
            let packed = git::pack_consuming(&source, ChunkWriter::new(chunks));
            if let Err(error) = &packed {
                let _ = failed.blocking_send(Err(io::Error::other(error.to_string())));
            }
            packed
        });
        let body = futures_util::stream::poll_fn(move |cx| received.poll_recv(cx));
        let uploaded = self.engine().upload_stream(container, path, body).await;
        let packed = packer
            .await
            .map_err(|e| Error::Other(format!("the pack task stopped: {e}")))?;
        match (uploaded, packed) {
            (_, Err(e)) => Err(Error::io("packing the checkout", e)),
            (Err(error), Ok(())) => Err(error),
            (Ok(()), Ok(())) => Ok(()),
        }
    }

    /// Pull `image` when the engine does not have it.
    async fn ensure_image(&self, image: &str, job: &JobHandle) -> Result<()> {
        if self.image_exists(image).await? {
            return Ok(());
        }
        job.stage(JobStage::PullingImage, image, None).await;
        let pulled = self
            .engine()
            .pull_image(image, |status| job.output(JobStage::PullingImage, status))
            .await?;
        pulled.map_err(|reason| {
            ApiError::invalid(
                sbx_api::Field::Image,
                image,
                format!("not on this engine and it could not be pulled: {reason}"),
            )
            .into()
        })
    }

    /// Remove everything a create made (container, volumes, files, record). Used when creation failed or was
    /// interrupted.
    pub(crate) async fn undo_create(&self, sandbox_id: &str) {
        let instance = self.paths().instance();
        self.engine()
            .remove_containers(&labels::of_instance(instance, &[(labels::ID, sandbox_id)]))
            .await;
        self.engine()
            .remove_volumes(&labels::of_instance(
                instance,
                &[(labels::SANDBOX_ID, sandbox_id)],
            ))
            .await;
        let _ = self.forget_sandbox(sandbox_id).await;
    }
}

fn write_executable(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io(format!("making {} executable", path.display()), e))?;
    }
    Ok(())
}

/// Default request values the CLI and the UI share.
pub fn git_choice(git: Option<Option<String>>, no_git: bool) -> GitChoice {
    match (no_git, git) {
        (true, _) => GitChoice::Off,
        (false, None) => GitChoice::Auto,
        (false, Some(None)) => GitChoice::Current,
        (false, Some(Some(value))) => GitChoice::Source(value),
    }
}
