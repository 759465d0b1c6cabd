//! Planning a sandbox (S1–S5): a create request resolved against the repository's `.amika/config.toml`, the
//! snapshot it starts from, the settings and the defaults into a [`CreatePlan`], one step at a time — repository,
//! snapshot, image, setup, environment, ports, resources, lifecycle, credentials. Every invalid value is an error
//! before anything exists; every value keeps where it came from (the explanation `sbx config explain` and the
//! dialog show).

use chrono::Utc;
use sbx_api::{
    ApiError, ConfigExplanation, ConfigKey, CreateSandboxRequest, EffectiveValue, EnvVar,
    GitChoice, PortBinding, SandboxRepo, Settings, SnapshotChoice, ValueSource,
};
use std::path::{Path, PathBuf};

use crate::config::{self, RepoConfig};
use crate::credentials::{self, Credential};
use crate::git::{self, RepoSource};
use crate::presets::Preset;
use crate::sandbox::spec::SandboxSpec;
use crate::snapshot::SnapshotRecord;
use crate::{Core, Error, Result, settings, validate};

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
    /// A profile version's snapshot image.
    Profile {
        /// The version, `NAME@N`.
        version: String,
        /// Its image.
        image: String,
    },
}

impl ImageSource {
    /// The image reference the container runs.
    pub fn reference(&self) -> String {
        match self {
            ImageSource::Preset(p) => p.image(),
            ImageSource::Image(i) => i.clone(),
            ImageSource::Snapshot { image, .. } | ImageSource::Profile { image, .. } => {
                image.clone()
            }
        }
    }
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

/// A non-empty, trimmed optional text.
fn given(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// The preset and image flags; giving both is an error.
fn preset_or_image(request: &CreateSandboxRequest) -> Result<(Option<&str>, Option<&str>)> {
    let preset = given(request.preset.as_deref());
    let image = given(request.image.as_deref());
    if let (Some(preset), Some(image)) = (preset, image) {
        return Err(ApiError::invalid(
            sbx_api::Field::Image,
            image,
            format!("give either a preset ('{preset}') or an image, not both"),
        )
        .into());
    }
    Ok((preset, image))
}

/// The image a sandbox runs, as resolved: where it comes from, its preset and its template.
struct ResolvedImage {
    source: ImageSource,
    preset: Option<String>,
    template: String,
}

/// One planning in progress: the request, what is read once, and the explanation as it grows.
struct Planner<'a> {
    core: &'a Core,
    request: &'a CreateSandboxRequest,
    settings: Settings,
    cwd: PathBuf,
    values: Vec<EffectiveValue>,
    warnings: Vec<String>,
}

impl Core {
    /// Check a create request and resolve every value, reading the repository's `.amika/config.toml`
    /// (`config_root` overrides where it is read from: a fresh clone of a remote repository). No side effects.
    pub async fn plan_sandbox(
        &self,
        request: &CreateSandboxRequest,
        config_root: Option<&Path>,
    ) -> Result<CreatePlan> {
        let cwd = match &request.cwd {
            Some(dir) => PathBuf::from(dir),
            None => std::env::current_dir()
                .map_err(|e| Error::io("reading the working directory", e))?,
        };
        // A profile version is the base, like a snapshot, with the recipe's lifecycle under the flags.
        let launch = match given(request.profile.as_deref()) {
            Some(reference) => Some(self.profile_launch(reference, request).await?),
            None => None,
        };
        let adjusted = launch.as_ref().map(|l| l.request(request));
        let request = adjusted.as_ref().unwrap_or(request);
        let mut planner = Planner {
            core: self,
            request,
            settings: settings::load(&self.paths().settings()),
            cwd,
            values: Vec::new(),
            warnings: Vec::new(),
        };
        let name = self.new_sandbox_name(request.name.as_deref()).await?;
        let (preset_flag, image_flag) = preset_or_image(request)?;
        let (repo, repo_config) = planner.repository(config_root)?;
        let repo_key = repo.as_ref().map(RepoSource::display);
        let snapshot = planner
            .snapshot(repo_key.as_deref(), repo_config.as_ref())
            .await?;
        let base = match (&launch, &snapshot) {
            (Some(launch), _) => Some(launch.spec.clone()),
            (None, Some(record)) => Some(self.snapshot_base(record)?),
            (None, None) => None,
        };
        let image = match &launch {
            Some(launch) => planner.profile_image(launch),
            None => planner.resolve_image(
                snapshot.as_ref(),
                base.as_ref(),
                repo_config.as_ref(),
                preset_flag,
                image_flag,
            )?,
        };
        let root = config_root.or(repo.as_ref().and_then(|r| r.root.as_deref()));
        let (setup_skipped, setup_script) =
            planner.setup(repo_config.as_ref(), root, base.as_ref())?;
        let env = planner.env(repo_config.as_ref(), base.as_ref())?;
        let ports = planner.ports(repo_config.as_ref(), base.as_ref())?;
        let services = planner.services(repo_config.as_ref(), base.as_ref(), &ports);
        let (cpus, memory_mib) = planner.resources(base.as_ref()).await?;
        let mut lifecycle = super::lifecycle::plan(request, &planner.settings)?;
        planner.values.append(&mut lifecycle.explained);
        let credentials = planner.credentials();
        let (main_command, explained) = super::main_command::plan(request, base.as_ref())?;
        planner.values.push(explained);

        let branch = request.branch.clone().filter(|b| !b.is_empty());
        let created_at = Utc::now();
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
        let spec = SandboxSpec {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            image: image.source.reference(),
            preset: image.preset,
            template: image.template,
            from_snapshot: snapshot.as_ref().map(|s| s.name.clone()),
            profile: launch.as_ref().map(|l| l.label.clone()),
            env,
            ports,
            services,
            cpus,
            memory_mib,
            pids_limit: sbx_api::DEFAULT_PIDS_LIMIT,
            setup_skipped,
            setup_script,
            repo: repo_api,
            repo_key,
            credentials_enabled: !request.no_credentials,
            credentials: credentials.iter().map(|c| c.relative.clone()).collect(),
            auto_stop_minutes: lifecycle.auto_stop_minutes,
            auto_delete_minutes: lifecycle.auto_delete_minutes,
            snapshot_schedule: lifecycle.snapshot_schedule,
            main_command,
            agent_cwd,
            created_at,
        };
        let explanation = ConfigExplanation {
            repo_root: repo
                .as_ref()
                .and_then(|r| r.root.as_ref())
                .map(|p| p.display().to_string()),
            config_file: repo_config.as_ref().map(|c| c.file.display().to_string()),
            values: planner.values,
            warnings: planner.warnings,
        };
        let mut explanation = explanation;
        if launch.is_some() {
            // What the base gave came from the profile's recipe.
            for value in &mut explanation.values {
                if value.source == ValueSource::Snapshot {
                    value.source = ValueSource::Profile;
                }
            }
        }
        Ok(CreatePlan {
            spec,
            image: image.source,
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

    /// The configuration a sandbox started from `record` inherits, with the snapshot's secret values (a full
    /// snapshot keeps them in the secret store, under its id).
    fn snapshot_base(&self, record: &SnapshotRecord) -> Result<SandboxSpec> {
        let mut spec = record.sandbox_spec()?;
        self.secrets()
            .fill(&record.id, &mut spec.env)
            .map_err(|e| Error::io("reading the snapshot's secret variables", e))?;
        Ok(spec)
    }
}

impl Planner<'_> {
    fn explain(&mut self, field: &str, text: impl Into<String>, source: ValueSource) {
        self.values.push(EffectiveValue {
            field: ConfigKey::parse(field),
            value: text.into(),
            source,
        });
    }

    /// The repository (a path inside one selects it) and its config file.
    fn repository(
        &mut self,
        config_root: Option<&Path>,
    ) -> Result<(Option<RepoSource>, Option<RepoConfig>)> {
        let request = self.request;
        let repo = git::resolve(&request.git, &self.cwd)?;
        let branch = given(request.branch.as_deref());
        if let Some(branch) = branch {
            git::not_an_option(&sbx_api::Field::Branch, branch)?;
            if repo.is_none() {
                return Err(ApiError::invalid(
                    sbx_api::Field::Branch,
                    branch,
                    "a branch needs a repository (--git)",
                )
                .into());
            }
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
                self.warnings.push(
                    "the .amika/config.toml of a remote repository is read when it is cloned"
                        .to_string(),
                );
                None
            }
            _ => None,
        };
        if let Some(cfg) = &repo_config {
            self.warnings.extend(cfg.warnings.iter().cloned());
        }
        if let Some(repo) = &repo {
            let source = if request.git == GitChoice::Auto {
                ValueSource::Default
            } else {
                ValueSource::Flag
            };
            self.explain("repository", repo.display(), source);
            if let Some(branch) = branch {
                self.explain("branch", branch, ValueSource::Flag);
            }
        }
        Ok((repo, repo_config))
    }

    /// The snapshot to start from: the flag, else the app's repository default, else the config file's (only a
    /// snapshot of the same repository: the file is the repository's choice, not the user's).
    async fn snapshot(
        &mut self,
        repo_key: Option<&str>,
        repo_config: Option<&RepoConfig>,
    ) -> Result<Option<SnapshotRecord>> {
        match &self.request.snapshot {
            SnapshotChoice::Off => {
                if repo_key.is_some() {
                    self.explain("snapshot", "none", ValueSource::Flag);
                }
                Ok(None)
            }
            SnapshotChoice::Named(name) => {
                let record = self
                    .core
                    .active_snapshot(&sbx_api::Field::Snapshot, name)
                    .await?;
                self.explain("snapshot", name, ValueSource::Flag);
                Ok(Some(record))
            }
            SnapshotChoice::RepoDefault => {
                let app = match repo_key {
                    Some(key) => self.core.app_default_snapshot(key).await?,
                    None => None,
                };
                let (name, source) = match (app, repo_config.and_then(|c| c.snapshot.clone())) {
                    (Some(app), _) => (app, ValueSource::App),
                    (None, Some(file)) => (file, ValueSource::RepoConfig),
                    (None, None) => return Ok(None),
                };
                match self
                    .core
                    .active_snapshot(&sbx_api::Field::Snapshot, &name)
                    .await
                {
                    Ok(record)
                        if source == ValueSource::RepoConfig
                            && record.repository.as_deref() != repo_key =>
                    {
                        self.warnings.push(format!(
                            "the snapshot '{name}' named in .amika/config.toml [sandbox] snapshot is ignored: it was taken from {}, not from this repository",
                            if record.repository.is_some() {
                                "another repository"
                            } else {
                                "a sandbox without a repository"
                            }
                        ));
                        Ok(None)
                    }
                    Ok(record) => {
                        self.explain("snapshot", &name, source);
                        Ok(Some(record))
                    }
                    Err(error) => {
                        self.warnings.push(format!(
                            "the repository default snapshot '{name}' is not usable ({}); starting from the preset",
                            ApiError::from(error)
                        ));
                        Ok(None)
                    }
                }
            }
        }
    }

    /// The image of a profile version: its snapshot's, whose setup script is not run again.
    fn profile_image(&mut self, launch: &crate::profiles::launch::ProfileLaunch) -> ResolvedImage {
        self.explain("profile", &launch.label, ValueSource::Flag);
        let request = self.request;
        if !request.no_setup && given(request.setup_script.as_deref()).is_none() {
            let text = given(request.setup_script_text.as_deref());
            if text.is_none() {
                self.explain(
                    "setup_script",
                    "baked into the profile's snapshot (not run again)",
                    ValueSource::Profile,
                );
            }
        }
        ResolvedImage {
            source: ImageSource::Profile {
                version: launch.label.clone(),
                image: launch.image.clone(),
            },
            preset: launch.spec.preset.clone(),
            template: launch.spec.template.clone(),
        }
    }

    /// The image: the snapshot's (no image may be given then), the image flag, else a preset (flag, config file,
    /// settings).
    fn resolve_image(
        &mut self,
        snapshot: Option<&SnapshotRecord>,
        base: Option<&SandboxSpec>,
        repo_config: Option<&RepoConfig>,
        preset_flag: Option<&str>,
        image_flag: Option<&str>,
    ) -> Result<ResolvedImage> {
        if let Some(record) = snapshot {
            let image = record.image.clone().ok_or_else(|| {
                ApiError::invalid(
                    sbx_api::Field::Snapshot,
                    &record.name,
                    "the snapshot has no image",
                )
            })?;
            if let Some(other) = image_flag {
                return Err(ApiError::invalid(
                    sbx_api::Field::Image,
                    other,
                    format!(
                        "the sandbox starts from snapshot '{}'; an image cannot be given too",
                        record.name
                    ),
                )
                .into());
            }
            let preset = base.and_then(|b| b.preset.clone());
            match &preset {
                Some(name) => self.explain("preset", name, ValueSource::Snapshot),
                None => self.explain("image", &record.source_template, ValueSource::Snapshot),
            }
            return Ok(ResolvedImage {
                source: ImageSource::Snapshot {
                    name: record.name.clone(),
                    image,
                },
                preset,
                template: record.source_template.clone(),
            });
        }
        if let Some(image) = image_flag {
            self.explain("image", image, ValueSource::Flag);
            return Ok(ResolvedImage {
                source: ImageSource::Image(image.to_string()),
                preset: None,
                template: image.to_string(),
            });
        }
        let (name, source) = match (preset_flag, repo_config.and_then(|c| c.preset.as_deref())) {
            (Some(p), _) => (p.to_string(), ValueSource::Flag),
            (None, Some(p)) => (p.to_string(), ValueSource::RepoConfig),
            (None, None) => (self.settings.default_preset.clone(), ValueSource::Default),
        };
        let preset = self.core.preset(&name)?;
        self.explain("preset", &name, source);
        Ok(ResolvedImage {
            source: ImageSource::Preset(preset),
            preset: Some(name.clone()),
            template: name,
        })
    }

    /// Whether setup is skipped, and the setup script's text: skipped, the dialog's text, the flag's file (the
    /// user's own: a symlink is fine), the config file's (inside the repository it was read from), the snapshot's.
    fn setup(
        &mut self,
        repo_config: Option<&RepoConfig>,
        repo_root: Option<&Path>,
        base: Option<&SandboxSpec>,
    ) -> Result<(bool, Option<String>)> {
        let request = self.request;
        if request.no_setup {
            self.explain("setup_script", "skipped (no-op script)", ValueSource::Flag);
            return Ok((true, None));
        }
        if let Some(text) = request
            .setup_script_text
            .as_ref()
            .filter(|t| !t.trim().is_empty())
        {
            self.explain("setup_script", "given in the dialog", ValueSource::Flag);
            return Ok((false, Some(text.clone())));
        }
        if let Some(file) = request.setup_script.as_deref().filter(|f| !f.is_empty()) {
            let path = self.cwd.join(file);
            let text = config::read_script(&sbx_api::Field::SetupScript, file, &path)?;
            self.explain(
                "setup_script",
                path.display().to_string(),
                ValueSource::Flag,
            );
            return Ok((false, Some(text)));
        }
        if let Some(path) = repo_config.and_then(|c| c.setup_script.clone()) {
            let root = repo_root.ok_or_else(|| {
                Error::Other("a repository config file without a repository".into())
            })?;
            let text = config::read_setup_script(root, &path)?;
            self.explain(
                "setup_script",
                path.display().to_string(),
                ValueSource::RepoConfig,
            );
            return Ok((false, Some(text)));
        }
        if let Some(base) = base {
            if base.setup_script.is_some() {
                self.explain("setup_script", "from the snapshot", ValueSource::Snapshot);
            }
            return Ok((base.setup_skipped, base.setup_script.clone()));
        }
        self.explain("setup_script", "none (no-op script)", ValueSource::Default);
        Ok((false, None))
    }

    /// The environment: the snapshot's, under the config file's, under the flags. A variable is secret by its
    /// name, by the request, or because it was in the snapshot; secret values are never explained.
    fn env(
        &mut self,
        repo_config: Option<&RepoConfig>,
        base: Option<&SandboxSpec>,
    ) -> Result<Vec<EnvVar>> {
        let request = self.request;
        let flag_env = request
            .env
            .iter()
            .map(|entry| validate::env_var(entry))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let config_env = repo_config.map(|c| c.env.clone()).unwrap_or_default();
        let base_env: Vec<(String, String)> = base
            .map(|b| {
                b.env
                    .iter()
                    .map(|v| (v.name.clone(), v.value.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let merged = config::merge_env(&config::merge_env(&base_env, &config_env), &flag_env);
        let mut env = Vec::with_capacity(merged.len());
        for (name, val) in merged {
            let secret = validate::is_secret_name(&name)
                || request.secret_env.iter().any(|s| s == &name)
                || base.is_some_and(|b| b.env.iter().any(|v| v.name == name && v.secret));
            let source = source_of(
                flag_env.iter().any(|(n, _)| n == &name),
                config_env.iter().any(|(n, _)| n == &name),
                base_env.iter().any(|(n, _)| n == &name),
            );
            let shown = if secret {
                "••••".to_string()
            } else {
                val.clone()
            };
            self.explain(&format!("env.{name}"), shown, source);
            env.push(EnvVar {
                name,
                value: val,
                secret,
            });
        }
        Ok(env)
    }

    /// The published ports: the snapshot's, under the config file's services (a taken host port moves to a free
    /// one, with a warning), under the flags (a taken host port is an error).
    fn ports(
        &mut self,
        repo_config: Option<&RepoConfig>,
        base: Option<&SandboxSpec>,
    ) -> Result<Vec<PortBinding>> {
        let mut flag_ports = Vec::new();
        for entry in &self.request.ports {
            for part in entry
                .split([',', ' '])
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                flag_ports.push(validate::port_binding(part)?);
            }
        }
        if let Some(port) = flag_ports.iter().find(|p| !host_port_free(p)) {
            return Err(ApiError::invalid(
                sbx_api::Field::Port,
                port.to_string(),
                format!("host port {} is already in use", port.host_port),
            )
            .into());
        }
        let mut config_ports = repo_config.map(|c| c.ports.clone()).unwrap_or_default();
        for port in &mut config_ports {
            if port.host_port != 0 && !host_port_free(port) {
                self.warnings.push(format!(
                    "host port {} of the repository's services is in use; container port {} is published on a free host port instead",
                    port.host_port, port.container_port
                ));
                port.host_port = 0;
            }
        }
        let base_ports = base.map(|b| b.ports.clone()).unwrap_or_default();
        let ports = config::merge_ports(
            &config::merge_ports(&base_ports, &config_ports),
            &flag_ports,
        );
        validate::no_duplicate_host_ports(&ports)?;
        for port in &ports {
            let source = source_of(
                flag_ports.contains(port),
                config_ports.contains(port),
                base_ports.contains(port),
            );
            self.explain("port", port.to_string(), source);
        }
        Ok(ports)
    }

    /// The repository's services: the config file's, then the snapshot's it does not name. Each is explained with
    /// where it will be reached: its URL or address on the host port planned for it.
    fn services(
        &mut self,
        repo_config: Option<&RepoConfig>,
        base: Option<&SandboxSpec>,
        ports: &[PortBinding],
    ) -> Vec<sbx_api::SandboxService> {
        let from_file = repo_config.map_or(&[][..], |c| c.services.as_slice());
        let inherited = base.map_or(&[][..], |b| b.services.as_slice());
        let kept = inherited
            .iter()
            .filter(|s| !from_file.iter().any(|f| f.name == s.name));
        let mut services = Vec::new();
        for (service, source) in from_file
            .iter()
            .map(|s| (s, ValueSource::RepoConfig))
            .chain(kept.map(|s| (s, ValueSource::Snapshot)))
        {
            self.explain(
                &format!("services.{}", service.name),
                planned_address(service, ports),
                source,
            );
            services.push(service.clone());
        }
        services
    }

    /// CPUs (no more than the engine has) and memory: the flags, else the snapshot's.
    async fn resources(
        &mut self,
        base: Option<&SandboxSpec>,
    ) -> Result<(Option<u32>, Option<u32>)> {
        let request = self.request;
        if let Some(cpus) = request.cpus {
            validate::cpus(cpus)?;
        }
        if let Some(memory) = request.memory_mib {
            validate::memory_mib(memory)?;
        }
        let cpus = request.cpus.or(base.and_then(|b| b.cpus));
        self.core.check_cpus_fit(cpus).await?;
        let memory_mib = request.memory_mib.or(base.and_then(|b| b.memory_mib));
        self.explain(
            "cpus",
            cpus.map(|c| c.to_string())
                .unwrap_or_else(|| "no limit".into()),
            source_of(request.cpus.is_some(), false, cpus.is_some()),
        );
        self.explain(
            "memory",
            memory_mib
                .map(|m| format!("{m} MiB"))
                .unwrap_or_else(|| "no limit".into()),
            source_of(request.memory_mib.is_some(), false, memory_mib.is_some()),
        );
        Ok((cpus, memory_mib))
    }

    /// The agent credential files found on the host, unless turned off.
    fn credentials(&mut self) -> Vec<Credential> {
        if self.request.no_credentials {
            self.explain("credentials", "off", ValueSource::Flag);
            return Vec::new();
        }
        let found = self
            .core
            .credentials_home()
            .map(|home| credentials::discover(&home))
            .unwrap_or_default();
        let shown = if found.is_empty() {
            "none found".to_string()
        } else {
            found
                .iter()
                .map(|c| c.relative.clone())
                .collect::<Vec<_>>()
                .join(", ")
        };
        self.explain("credentials", shown, ValueSource::Default);
        found
    }
}

pub(crate) use crate::validate::host_port_free;

/// Where a service's ports will be reached, by the bindings planned: its URLs and addresses, or "on a free host
/// port" for one the engine will pick.
fn planned_address(service: &sbx_api::SandboxService, ports: &[PortBinding]) -> String {
    if service.ports.is_empty() {
        return "no ports (metadata only)".to_string();
    }
    let shown: Vec<String> = service
        .ports
        .iter()
        .map(|port| {
            let mut port = port.clone();
            port.resolve(ports);
            let published = ports
                .iter()
                .any(|b| b.container_port == port.container_port && b.protocol == port.protocol);
            if port.host_port.is_none() && published {
                format!("{} on a free host port", port.key())
            } else {
                port.shown()
            }
        })
        .collect();
    shown.join(", ")
}
