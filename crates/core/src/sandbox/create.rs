//! Creating a sandbox (S1–S5): resolving the request against the repository's config file, the settings and the
//! defaults into a [`SandboxSpec`] (every invalid value is an error before anything exists), then building it as a
//! job — image, git volume, container, checkout, start — that leaves either a working sandbox or nothing.
//!
//! The repository is untrusted input: its setup script must be a regular file inside it (symlinks followed) of at
//! most 1 MiB, its `[sandbox] snapshot` is honoured only for a snapshot taken from the same repository, and a
//! repository or branch that git could read as an option is refused. A URL's user-info is used for the clone only;
//! what is recorded, labelled, explained and reported is the URL without it ([`git::without_userinfo`]).

use bollard::models::VolumeCreateRequest;
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, UploadToContainerOptionsBuilder,
};
use chrono::Utc;
use futures_util::StreamExt;
use sbx_api::{
    ApiError, ConfigExplanation, CreateSandboxRequest, EffectiveValue, EnvVar, GitChoice,
    PortBinding, Sandbox, SandboxRepo, SnapshotChoice, UiEvent, ValueSource,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::credentials::{self, Credential};
use crate::git::{self, RepoSource};
use crate::jobs::JobHandle;
use crate::presets::Preset;
use crate::sandbox::container::{self, ContainerPlan, NOOP_SETUP};
use crate::sandbox::spec::SandboxSpec;
use crate::sandbox::state::Phase;
use crate::{Core, Error, Result, config, labels, settings, validate};

/// How long `wait_for_ready` waits for setup to finish.
pub const READY_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// Where the sandbox's image comes from.
#[derive(Debug, Clone)]
pub enum ImageSource {
    /// A preset, built on first use.
    Preset(Preset),
    /// A custom image (pulled when missing).
    Image(String),
    /// A snapshot's image.
    Snapshot {
        /// The snapshot's name.
        name: String,
        /// Its image.
        image: String,
    },
}

/// A sandbox to create, fully checked; nothing exists yet.
#[derive(Debug, Clone)]
pub struct CreatePlan {
    /// The configuration it will have.
    pub spec: SandboxSpec,
    /// Where its image comes from.
    pub image: ImageSource,
    /// The repository to clone, if any.
    pub repo: Option<RepoSource>,
    /// Branch to clone.
    pub branch: Option<String>,
    /// Include untracked and uncommitted files.
    pub no_clean: bool,
    /// Credential files to mount.
    pub credentials: Vec<Credential>,
    /// Each effective value and where it came from.
    pub explanation: ConfigExplanation,
    /// A snapshot image whose workspace is copied into the new sandbox (when the sandbox runs another image).
    pub workspace_from_image: Option<String>,
}

/// Where a value came from, by precedence: a flag, the repository's config file, the snapshot started from, else
/// the app's default.
fn source_of(flag: bool, config: bool, snapshot: bool) -> ValueSource {
    if flag {
        ValueSource::Flag
    } else if config {
        ValueSource::RepoConfig
    } else if snapshot {
        ValueSource::Snapshot
    } else {
        ValueSource::Default
    }
}

fn value(field: &str, text: impl Into<String>, source: ValueSource) -> EffectiveValue {
    EffectiveValue {
        field: field.to_string(),
        value: text.into(),
        source,
    }
}

impl Core {
    /// Check a create request and resolve every value, reading the repository's `.amika/config.toml`
    /// (`config_root` overrides where it is read from: a fresh clone of a remote repository). No side effects.
    pub async fn plan_sandbox(
        &self,
        request: &CreateSandboxRequest,
        config_root: Option<&Path>,
    ) -> Result<CreatePlan> {
        let settings = settings::load(&self.paths().settings());
        let mut values = Vec::new();
        let mut warnings = Vec::new();

        // Name.
        let name = self.new_sandbox_name(request.name.as_deref()).await?;

        // Preset or image (mutually exclusive).
        let preset_flag = request
            .preset
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let image_flag = request
            .image
            .as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty());
        if let (Some(preset), Some(image)) = (preset_flag, image_flag) {
            return Err(ApiError::invalid(
                "image",
                image,
                format!("give either a preset ('{preset}') or an image, not both"),
            )
            .into());
        }

        // Repository and its config file.
        let cwd = match &request.cwd {
            Some(dir) => PathBuf::from(dir),
            None => std::env::current_dir()
                .map_err(|e| Error::io("reading the working directory", e))?,
        };
        let repo = git::resolve(&request.git, &cwd)?;
        if let Some(branch) = request.branch.as_deref().filter(|b| !b.is_empty()) {
            git::not_an_option("branch", branch)?;
        }
        if repo.is_none()
            && let Some(branch) = request.branch.as_deref().filter(|b| !b.is_empty())
        {
            return Err(
                ApiError::invalid("branch", branch, "a branch needs a repository (--git)").into(),
            );
        }
        let repo_config = match (&repo, config_root) {
            (_, Some(root)) => config::load(root)?,
            (
                Some(RepoSource {
                    root: Some(root), ..
                }),
                None,
            ) => config::load(root)?,
            (Some(RepoSource { url: Some(_), .. }), None) => {
                warnings.push(
                    "the .amika/config.toml of a remote repository is read when it is cloned"
                        .to_string(),
                );
                None
            }
            _ => None,
        };
        if let Some(cfg) = &repo_config {
            warnings.extend(cfg.warnings.iter().cloned());
        }
        if let Some(repo) = &repo {
            let source = if request.git == GitChoice::Auto {
                ValueSource::Default
            } else {
                ValueSource::Flag
            };
            values.push(value("repository", repo.display(), source));
            if let Some(branch) = request.branch.as_deref().filter(|b| !b.is_empty()) {
                values.push(value("branch", branch, ValueSource::Flag));
            }
        }

        // Snapshot to start from.
        let repo_key = repo.as_ref().map(RepoSource::display);
        let snapshot = match &request.snapshot {
            SnapshotChoice::Off => {
                if request.snapshot == SnapshotChoice::Off && repo_key.is_some() {
                    values.push(value("snapshot", "none", ValueSource::Flag));
                }
                None
            }
            SnapshotChoice::Named(name) => {
                let record = self.active_snapshot("snapshot", name).await?;
                values.push(value("snapshot", name, ValueSource::Flag));
                Some(record)
            }
            SnapshotChoice::RepoDefault => {
                let app = match &repo_key {
                    Some(key) => self.app_default_snapshot(key).await?,
                    None => None,
                };
                let from_file = repo_config.as_ref().and_then(|c| c.snapshot.clone());
                let (chosen, source) = match (app, from_file) {
                    (Some(app), _) => (Some(app), ValueSource::App),
                    (None, Some(file)) => (Some(file), ValueSource::RepoConfig),
                    (None, None) => (None, ValueSource::Default),
                };
                match chosen {
                    Some(name) => match self.active_snapshot("snapshot", &name).await {
                        // The repository's file may only pick a snapshot of the same repository; the user's own
                        // choice (the flag, the app's default) may pick any.
                        Ok(record)
                            if source == ValueSource::RepoConfig
                                && record.repository != repo_key =>
                        {
                            warnings.push(format!(
                                "the snapshot '{name}' named in .amika/config.toml [sandbox] snapshot is ignored: it was taken from {}, not from this repository",
                                if record.repository.is_some() {
                                    "another repository"
                                } else {
                                    "a sandbox without a repository"
                                }
                            ));
                            None
                        }
                        Ok(record) => {
                            values.push(value("snapshot", &name, source));
                            Some(record)
                        }
                        Err(error) => {
                            warnings.push(format!(
                                "the repository default snapshot '{name}' is not usable ({}); starting from the preset",
                                ApiError::from(error)
                            ));
                            None
                        }
                    },
                    None => None,
                }
            }
        };
        let base = match &snapshot {
            Some(record) => {
                let mut spec = record.sandbox_spec()?;
                self.secrets()
                    .fill(&record.id, &mut spec.env)
                    .map_err(|e| Error::io("reading the snapshot's secret variables", e))?;
                Some(spec)
            }
            None => None,
        };

        // Image.
        let config_preset = repo_config.as_ref().and_then(|c| c.preset.clone());
        let (image, preset_name, template) = match (&snapshot, preset_flag, image_flag) {
            (Some(record), _, image_override) => {
                let image = record.image.clone().ok_or_else(|| {
                    ApiError::invalid("snapshot", &record.name, "the snapshot has no image")
                })?;
                if let Some(other) = image_override {
                    return Err(ApiError::invalid(
                        "image",
                        other,
                        format!(
                            "the sandbox starts from snapshot '{}'; an image cannot be given too",
                            record.name
                        ),
                    )
                    .into());
                }
                let preset = base.as_ref().and_then(|b| b.preset.clone());
                match &preset {
                    Some(name) => values.push(value("preset", name, ValueSource::Snapshot)),
                    None => values.push(value(
                        "image",
                        &record.source_template,
                        ValueSource::Snapshot,
                    )),
                }
                (
                    ImageSource::Snapshot {
                        name: record.name.clone(),
                        image,
                    },
                    preset,
                    record.source_template.clone(),
                )
            }
            (None, _, Some(image)) => {
                values.push(value("image", image, ValueSource::Flag));
                (
                    ImageSource::Image(image.to_string()),
                    None,
                    image.to_string(),
                )
            }
            (None, flag, None) => {
                let (name, source) = match (flag, &config_preset) {
                    (Some(p), _) => (p.to_string(), ValueSource::Flag),
                    (None, Some(p)) => (p.clone(), ValueSource::RepoConfig),
                    (None, None) => (settings.default_preset.clone(), ValueSource::Default),
                };
                let preset = self.preset(&name)?;
                values.push(value("preset", &name, source));
                (ImageSource::Preset(preset), Some(name.clone()), name)
            }
        };

        // Setup script.
        let (setup_skipped, setup_script) = if request.no_setup {
            values.push(value(
                "setup_script",
                "skipped (no-op script)",
                ValueSource::Flag,
            ));
            (true, None)
        } else if let Some(text) = request
            .setup_script_text
            .as_ref()
            .filter(|t| !t.trim().is_empty())
        {
            values.push(value(
                "setup_script",
                "given in the dialog",
                ValueSource::Flag,
            ));
            (false, Some(text.clone()))
        } else if let Some(file) = request.setup_script.as_deref().filter(|f| !f.is_empty()) {
            let path = cwd.join(file);
            // The user's own file: a symlink is fine, the size is bounded.
            let text = config::read_script("setup-script", file, &path)?;
            values.push(value(
                "setup_script",
                path.display().to_string(),
                ValueSource::Flag,
            ));
            (false, Some(text))
        } else if let Some(path) = repo_config.as_ref().and_then(|c| c.setup_script.clone()) {
            // The repository's choice: it must stay inside the repository the config file was read from.
            let root = config_root
                .or(repo.as_ref().and_then(|r| r.root.as_deref()))
                .ok_or_else(|| {
                    Error::Other("a repository config file without a repository".into())
                })?;
            let text = config::read_setup_script(root, &path)?;
            values.push(value(
                "setup_script",
                path.display().to_string(),
                ValueSource::RepoConfig,
            ));
            (false, Some(text))
        } else if let Some(base) = &base {
            if base.setup_script.is_some() {
                values.push(value(
                    "setup_script",
                    "from the snapshot",
                    ValueSource::Snapshot,
                ));
            }
            (base.setup_skipped, base.setup_script.clone())
        } else {
            values.push(value(
                "setup_script",
                "none (no-op script)",
                ValueSource::Default,
            ));
            (false, None)
        };

        // Environment: the snapshot's, under the config file's, under the flags.
        let mut flag_env = Vec::new();
        for entry in &request.env {
            flag_env.push(validate::env_var(entry)?);
        }
        let config_env = repo_config
            .as_ref()
            .map(|c| c.env.clone())
            .unwrap_or_default();
        let base_env: Vec<(String, String)> = base
            .as_ref()
            .map(|b| {
                b.env
                    .iter()
                    .map(|v| (v.name.clone(), v.value.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let merged = config::merge_env(&config::merge_env(&base_env, &config_env), &flag_env);
        let env: Vec<EnvVar> = merged
            .into_iter()
            .map(|(name, val)| {
                let secret = validate::is_secret_name(&name)
                    || request.secret_env.iter().any(|s| s == &name)
                    || base
                        .as_ref()
                        .is_some_and(|b| b.env.iter().any(|v| v.name == name && v.secret));
                let from_flag = flag_env.iter().any(|(n, _)| n == &name);
                let from_config = config_env.iter().any(|(n, _)| n == &name);
                let from_snapshot = base_env.iter().any(|(n, _)| n == &name);
                values.push(value(
                    &format!("env.{name}"),
                    if secret {
                        "••••".to_string()
                    } else {
                        val.clone()
                    },
                    source_of(from_flag, from_config, from_snapshot),
                ));
                EnvVar {
                    name,
                    value: val,
                    secret,
                }
            })
            .collect();

        // Ports.
        let mut flag_ports = Vec::new();
        for entry in &request.ports {
            for part in entry
                .split([',', ' '])
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                flag_ports.push(validate::port_binding(part)?);
            }
        }
        for port in &flag_ports {
            if !host_port_free(port) {
                return Err(ApiError::invalid(
                    "port",
                    port.to_string(),
                    format!("host port {} is already in use", port.host_port),
                )
                .into());
            }
        }
        // A repository's service port that is taken on the host (another sandbox of the same repository, say) is
        // published on a free port instead.
        let config_ports: Vec<PortBinding> = repo_config
            .as_ref()
            .map(|c| c.ports.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|mut port| {
                if port.host_port != 0 && !host_port_free(&port) {
                    warnings.push(format!(
                        "host port {} of the repository's services is in use; container port {} is published on a free host port instead",
                        port.host_port, port.container_port
                    ));
                    port.host_port = 0;
                }
                port
            })
            .collect();
        let base_ports = base.as_ref().map(|b| b.ports.clone()).unwrap_or_default();
        let ports = config::merge_ports(
            &config::merge_ports(&base_ports, &config_ports),
            &flag_ports,
        );
        validate::no_duplicate_host_ports(&ports)?;
        for port in &ports {
            values.push(value(
                "port",
                port.to_string(),
                source_of(
                    flag_ports.contains(port),
                    config_ports.contains(port),
                    base_ports.contains(port),
                ),
            ));
        }

        // Resources.
        if let Some(cpus) = request.cpus {
            validate::cpus(cpus)?;
        }
        if let Some(memory) = request.memory_mib {
            validate::memory_mib(memory)?;
        }
        let cpus = request.cpus.or(base.as_ref().and_then(|b| b.cpus));
        self.check_cpus_fit(cpus).await?;
        let memory_mib = request
            .memory_mib
            .or(base.as_ref().and_then(|b| b.memory_mib));
        values.push(value(
            "cpus",
            cpus.map(|c| c.to_string())
                .unwrap_or_else(|| "no limit".into()),
            source_of(request.cpus.is_some(), false, cpus.is_some()),
        ));
        values.push(value(
            "memory",
            memory_mib
                .map(|m| format!("{m} MiB"))
                .unwrap_or_else(|| "no limit".into()),
            source_of(request.memory_mib.is_some(), false, memory_mib.is_some()),
        ));

        // Lifecycle.
        let auto_stop_minutes = request
            .auto_stop_minutes
            .unwrap_or(settings.default_auto_stop_minutes);
        validate::auto_stop_minutes(auto_stop_minutes)?;
        if let Some(minutes) = request.auto_delete_minutes {
            validate::auto_delete_minutes(minutes)?;
        }
        values.push(value(
            "auto_stop",
            if auto_stop_minutes == 0 {
                "off".to_string()
            } else {
                format!("{auto_stop_minutes} min")
            },
            source_of(request.auto_stop_minutes.is_some(), false, false),
        ));
        values.push(value(
            "auto_delete",
            request
                .auto_delete_minutes
                .map(|m| format!("{m} min after stopping"))
                .unwrap_or_else(|| "keep".into()),
            source_of(request.auto_delete_minutes.is_some(), false, false),
        ));
        let snapshot_schedule = request
            .snapshot_schedule
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| validate::cron_schedule(s).map(|()| s.to_string()))
            .transpose()?;
        values.push(value(
            "snapshot_schedule",
            snapshot_schedule.clone().unwrap_or_else(|| "manual".into()),
            source_of(snapshot_schedule.is_some(), false, false),
        ));

        // Credentials.
        let credentials = if request.no_credentials {
            values.push(value("credentials", "off", ValueSource::Flag));
            Vec::new()
        } else {
            let found = self
                .credentials_home()
                .map(|home| credentials::discover(&home))
                .unwrap_or_default();
            values.push(value(
                "credentials",
                if found.is_empty() {
                    "none found".to_string()
                } else {
                    found
                        .iter()
                        .map(|c| c.relative.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                ValueSource::Default,
            ));
            found
        };

        let branch = request.branch.clone().filter(|b| !b.is_empty());
        let created_at = Utc::now();
        let id = uuid::Uuid::new_v4().to_string();
        let repo_api = repo.as_ref().map(|r| SandboxRepo {
            name: r.name.clone(),
            source: r.display(),
            branch: branch.clone(),
            no_clean: request.no_clean,
            volume: format!(
                "amika-git-{}-{}-{}",
                name,
                git::volume_safe(&r.name),
                created_at.timestamp_millis()
            ),
            mount_path: git::mount_path(&r.name),
        });
        let agent_cwd = repo_api
            .as_ref()
            .map(|r| r.mount_path.clone())
            .unwrap_or_else(|| "/home/amika/workspace".to_string());
        let image_ref = match &image {
            ImageSource::Preset(p) => p.image(),
            ImageSource::Image(i) => i.clone(),
            ImageSource::Snapshot { image, .. } => image.clone(),
        };
        let spec = SandboxSpec {
            id,
            name,
            image: image_ref,
            preset: preset_name,
            template,
            from_snapshot: snapshot.as_ref().map(|s| s.name.clone()),
            env,
            ports,
            cpus,
            memory_mib,
            pids_limit: sbx_api::DEFAULT_PIDS_LIMIT,
            setup_skipped,
            setup_script,
            repo: repo_api,
            repo_key,
            credentials_enabled: !request.no_credentials,
            credentials: credentials.iter().map(|c| c.relative.clone()).collect(),
            auto_stop_minutes,
            auto_delete_minutes: request.auto_delete_minutes,
            snapshot_schedule,
            agent_cwd,
            created_at,
        };
        let explanation = ConfigExplanation {
            repo_root: repo
                .as_ref()
                .and_then(|r| r.root.as_ref())
                .map(|p| p.display().to_string()),
            config_file: repo_config.as_ref().map(|c| c.file.display().to_string()),
            values,
            warnings,
        };
        Ok(CreatePlan {
            spec,
            image,
            repo,
            branch,
            no_clean: request.no_clean,
            credentials,
            explanation,
            workspace_from_image: None,
        })
    }

    /// Each effective value of a sandbox-to-be and where it came from (`sbx config explain`, the dialog).
    pub async fn explain_config(
        &self,
        request: &CreateSandboxRequest,
    ) -> Result<ConfigExplanation> {
        Ok(self.plan_sandbox(request, None).await?.explanation)
    }

    /// Create a sandbox. Checks everything first (and clones the repository, so a clone failure creates nothing),
    /// records it as `creating`, then builds it in the background. With `wait_for_ready` the call returns once the
    /// sandbox is running (or its setup failed); otherwise at once, with the sandbox `creating`.
    pub async fn create_sandbox(
        self: &Arc<Self>,
        request: &CreateSandboxRequest,
    ) -> Result<Sandbox> {
        let plan = self.plan_sandbox(request, None).await?;
        self.engine().client().await?;
        let job_id = uuid::Uuid::new_v4().to_string();
        let scratch = self.paths().scratch_dir().join(&job_id);
        let checkout = match &plan.repo {
            Some(source) => {
                self.emit_stage(&job_id, &plan.spec.name, "cloning", &source.display());
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
        self.launch(
            plan,
            checkout,
            Some(scratch),
            job_id,
            "create",
            None,
            request.wait_for_ready,
        )
        .await
    }

    /// Record the sandbox of `plan` as creating, then build it in the background as a job of `kind`. With `wait`,
    /// returns once it is running (or setup failed); else at once. `restore_of` marks a restore of that snapshot
    /// id as in flight until the build ends (deleting the snapshot waits for it).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn launch(
        self: &Arc<Self>,
        plan: CreatePlan,
        checkout: Option<PathBuf>,
        scratch: Option<PathBuf>,
        job_id: String,
        kind: &str,
        restore_of: Option<String>,
        wait: bool,
    ) -> Result<Sandbox> {
        let cleanup_scratch = |scratch: &Option<PathBuf>| {
            if let Some(dir) = scratch {
                let _ = std::fs::remove_dir_all(dir);
            }
        };
        // The job first: recovery in another process undoes a `creating` sandbox without a running job.
        let job = match self.begin_job_with_id(&job_id, kind, &plan.spec.name).await {
            Ok(job) => job,
            Err(error) => {
                cleanup_scratch(&scratch);
                return Err(error);
            }
        };
        if let Err(error) = self.insert_creating(&plan.spec).await {
            job.discard().await;
            cleanup_scratch(&scratch);
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
            let result = core.build_sandbox(&plan, &job, checkout.as_deref()).await;
            cleanup_scratch(&scratch);
            if restore_of.is_some() {
                core.unmark_restore(&job.id).await;
            }
            match result {
                Ok(()) => {
                    // The setup script's output is the job's progress until the sandbox is ready.
                    let _ = tokio::time::timeout(
                        READY_TIMEOUT,
                        core.follow_until_ready(&plan.spec.name, |line| {
                            if !line.starts_with("[amikad]") {
                                job.output("setting up", line);
                            }
                        }),
                    )
                    .await;
                    let _ = job.succeed().await;
                    Ok(())
                }
                Err(error) => {
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

    fn emit_stage(&self, job_id: &str, target: &str, stage: &str, message: &str) {
        self.emit(UiEvent::Progress(sbx_api::Progress {
            job_id: job_id.to_string(),
            kind: "create".into(),
            target: target.to_string(),
            stage: stage.to_string(),
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
        let inserted = sqlx::query(
            "INSERT INTO sandboxes (id, name, spec, phase, created_at, last_active_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&spec.id)
        .bind(&spec.name)
        .bind(json)
        .bind(Phase::Creating.as_str())
        .bind(spec.created_at)
        .bind(spec.created_at)
        .execute(self.store().pool())
        .await;
        match inserted {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(ApiError::invalid(
                "name",
                &spec.name,
                "a sandbox with this name already exists",
            )
            .into()),
            Err(e) => Err(e.into()),
        }
    }

    /// Image, setup file, volume, container, checkout, start; then the record says `created`.
    async fn build_sandbox(
        &self,
        plan: &CreatePlan,
        job: &JobHandle,
        checkout: Option<&Path>,
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
                        "snapshot",
                        name,
                        format!("its image {image} is missing"),
                    )
                    .into());
                }
            }
        }
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

        let docker = self.engine().client().await?;
        // Git volume.
        let volume = match &spec.repo {
            Some(repo) => {
                job.stage("creating volume", &repo.volume, None).await;
                let mut volume_labels =
                    labels::base(self.paths().instance(), labels::KIND_GIT_VOLUME);
                volume_labels.insert(labels::SANDBOX_ID.into(), spec.id.clone());
                volume_labels.insert(labels::NAME.into(), spec.name.clone());
                volume_labels.insert(labels::REPO.into(), repo.name.clone());
                volume_labels.insert(labels::JOB.into(), job.id.clone());
                docker
                    .create_volume(VolumeCreateRequest {
                        name: Some(repo.volume.clone()),
                        labels: Some(volume_labels),
                        ..Default::default()
                    })
                    .await
                    .map_err(|e| self.engine().fail(e))?;
                Some(repo.volume.as_str())
            }
            None => None,
        };
        // Container.
        job.stage("creating container", &spec.container_name(), None)
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
        let options = CreateContainerOptionsBuilder::default()
            .name(&spec.container_name())
            .build();
        let created = docker
            .create_container(Some(options), body)
            .await
            .map_err(|e| match e {
                bollard::errors::Error::DockerResponseServerError {
                    status_code: 409,
                    message,
                } => Error::Api(ApiError::invalid(
                    "name",
                    &spec.name,
                    format!(
                        "the engine already has a container named {}: {message}",
                        spec.container_name()
                    ),
                )),
                other => self.engine().fail(other),
            })?;
        sqlx::query("UPDATE sandboxes SET container_id = ? WHERE id = ?")
            .bind(&created.id)
            .bind(&spec.id)
            .execute(self.store().pool())
            .await?;
        // Checkout into the volume (over what a snapshot's image put there).
        if let (Some(dir), Some(repo)) = (checkout, &spec.repo) {
            job.stage("copying the checkout", &repo.mount_path, None)
                .await;
            let archive = dir.with_extension("tar");
            let source = dir.to_path_buf();
            let target = archive.clone();
            tokio::task::spawn_blocking(move || git::pack(&source, &target))
                .await
                .map_err(|e| Error::Other(format!("the pack task stopped: {e}")))?
                .map_err(|e| Error::io("packing the checkout", e))?;
            let bytes = tokio::fs::read(&archive)
                .await
                .map_err(|e| Error::io("reading the packed checkout", e))?;
            let options = UploadToContainerOptionsBuilder::default()
                .path(&repo.mount_path)
                .build();
            docker
                .upload_to_container(&created.id, Some(options), bollard::body_full(bytes.into()))
                .await
                .map_err(|e| self.engine().fail(e))?;
        }
        // A snapshot's workspace, when the sandbox runs another image.
        if let (Some(image), Some(repo)) = (&plan.workspace_from_image, &spec.repo) {
            job.stage("copying the workspace", &repo.mount_path, None)
                .await;
            self.copy_workspace(image, &created.id, &repo.mount_path, &job.id)
                .await?;
        }
        // Start.
        job.stage("starting", &spec.name, None).await;
        docker
            .start_container(&created.id, None)
            .await
            .map_err(|e| self.engine().fail(e))?;
        sqlx::query("UPDATE sandboxes SET phase = ? WHERE id = ?")
            .bind(Phase::Created.as_str())
            .bind(&spec.id)
            .execute(self.store().pool())
            .await?;
        if let Some(key) = &spec.repo_key
            && let Some(repo) = &spec.repo
        {
            self.note_repository(key, &repo.name).await?;
        }
        job.stage("setting up", &spec.name, None).await;
        Ok(())
    }

    /// Pull `image` when the engine does not have it.
    async fn ensure_image(&self, image: &str, job: &JobHandle) -> Result<()> {
        if self.image_exists(image).await? {
            return Ok(());
        }
        job.stage("pulling image", image, None).await;
        let docker = self.engine().client().await?;
        let options = CreateImageOptionsBuilder::default()
            .from_image(image)
            .build();
        let mut stream = docker.create_image(Some(options), None, None);
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(status) = info.status {
                        job.output("pulling image", &status);
                    }
                }
                Err(e) => {
                    return Err(ApiError::invalid(
                        "image",
                        image,
                        format!("not on this engine and it could not be pulled: {e}"),
                    )
                    .into());
                }
            }
        }
        Ok(())
    }

    /// Remove everything a create made (container, volumes, files, record). Used when creation failed or was
    /// interrupted.
    pub(crate) async fn undo_create(&self, sandbox_id: &str) {
        if let Ok(docker) = self.engine().client().await {
            let instance = labels::filter(labels::INSTANCE, self.paths().instance());
            crate::purge::remove_containers(
                &docker,
                &[labels::filter(labels::ID, sandbox_id), instance.clone()],
            )
            .await;
            crate::purge::remove_volumes(
                &docker,
                &[labels::filter(labels::SANDBOX_ID, sandbox_id), instance],
            )
            .await;
        }
        let _ = self.forget_sandbox(sandbox_id).await;
    }
}

/// Whether nothing listens on the binding's host address and port (0 means "any free port": always free).
pub(crate) fn host_port_free(port: &PortBinding) -> bool {
    if port.host_port == 0 {
        return true;
    }
    let address = (port.host_ip.as_str(), port.host_port);
    match port.protocol {
        sbx_api::Protocol::Tcp => std::net::TcpListener::bind(address).is_ok(),
        sbx_api::Protocol::Udp => std::net::UdpSocket::bind(address).is_ok(),
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
