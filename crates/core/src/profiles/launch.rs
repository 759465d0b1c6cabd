//! What a sandbox launched from a profile starts from (`sbx sandbox create --profile NAME[@N]`, the Create dialog's
//! Profile): the version's snapshot image and its recipe as the base configuration, with the setup script not run
//! again (it is baked into the image). Only a usable version launches; any other is a clear error saying why.

use sbx_api::{ApiError, CreateSandboxRequest, Field, SnapshotChoice};

use super::{VersionRecord, current_snapshot, label};
use crate::sandbox::spec::SandboxSpec;
use crate::store::profile_jobs;
use crate::{Core, Result, validate};

/// A usable profile version, ready for the planner.
#[derive(Debug, Clone)]
pub struct ProfileLaunch {
    /// `NAME@N`.
    pub label: String,
    /// The snapshot image.
    pub image: String,
    /// The base configuration: the recipe (secret values filled), setup skipped, busy host ports moved to free
    /// ones.
    pub spec: SandboxSpec,
    /// The recipe's auto-stop minutes.
    pub auto_stop_minutes: Option<u32>,
    /// The recipe's auto-delete minutes.
    pub auto_delete_minutes: Option<u32>,
}

impl ProfileLaunch {
    /// `request` with the recipe's lifecycle where it gives none, and no snapshot.
    pub fn request(&self, request: &CreateSandboxRequest) -> CreateSandboxRequest {
        CreateSandboxRequest {
            auto_stop_minutes: request.auto_stop_minutes.or(self.auto_stop_minutes),
            auto_delete_minutes: request.auto_delete_minutes.or(self.auto_delete_minutes),
            snapshot: SnapshotChoice::Off,
            ..request.clone()
        }
    }
}

/// `Some(text)` unless blank.
fn given(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

impl Core {
    /// The usable version `reference` (`NAME`: the newest usable one; `NAME@N`) names, for a create request that
    /// gives no preset, image or snapshot of its own.
    pub(crate) async fn profile_launch(
        &self,
        reference: &str,
        request: &CreateSandboxRequest,
    ) -> Result<ProfileLaunch> {
        let other = |field: Field, value: &str, what: &str| -> crate::Error {
            ApiError::invalid(
                field,
                value,
                format!(
                    "the sandbox launches from profile '{reference}'; {what} cannot be given too"
                ),
            )
            .into()
        };
        if let Some(preset) = given(&request.preset) {
            return Err(other(Field::Preset, preset, "a preset"));
        }
        if let Some(image) = given(&request.image) {
            return Err(other(Field::Image, image, "an image"));
        }
        if let SnapshotChoice::Named(name) = &request.snapshot {
            return Err(other(Field::Snapshot, name, "a snapshot"));
        }
        let (name, number) = validate::profile_ref(reference)?;
        let profile = match self.get_profile(&name).await {
            Ok(profile) => profile,
            Err(crate::Error::Api(ApiError::NotFound { .. })) => {
                return Err(ApiError::invalid(Field::Profile, reference, "no such profile").into());
            }
            Err(error) => return Err(error),
        };
        let chosen = match number {
            Some(n) => profile.versions.iter().find(|v| v.number == n),
            None => profile.newest_usable().or(profile.newest()),
        };
        let version = chosen.ok_or_else(|| {
            ApiError::invalid(
                Field::Profile,
                reference,
                match number {
                    Some(n) => format!("profile '{name}' has no version {n}"),
                    None => format!(
                        "profile '{name}' has no published version: publish its draft first"
                    ),
                },
            )
        })?;
        if let Some(reason) = &version.unusable_reason {
            return Err(ApiError::invalid(Field::Profile, reference, reason.clone()).into());
        }
        let (_, record) = self.version_named(&label(&name, version.number)).await?;
        self.launch_of(&name, &record).await
    }

    /// The launch of a usable version `record` of profile `name`.
    async fn launch_of(&self, name: &str, record: &VersionRecord) -> Result<ProfileLaunch> {
        let jobs = profile_jobs::of_version(self.store().pool(), &record.row.id).await?;
        let label = label(name, record.number());
        let image = current_snapshot(&jobs)
            .and_then(|j| j.image.clone())
            .ok_or_else(|| {
                ApiError::invalid(Field::Profile, &label, "it has no snapshot any more")
            })?;
        let recipe = self.with_secrets(&record.row.id, &record.recipe)?;
        let mut ports = recipe.ports.clone();
        for port in &mut ports {
            if !validate::host_port_free(port) {
                port.host_port = 0;
            }
        }
        let template = recipe
            .preset
            .clone()
            .or(recipe.image.clone())
            .unwrap_or_default();
        let spec = SandboxSpec {
            id: String::new(),
            name: String::new(),
            image: image.clone(),
            preset: recipe.preset.clone(),
            template,
            from_snapshot: None,
            profile: Some(label.clone()),
            env: recipe.env.clone(),
            ports,
            cpus: recipe.cpus,
            memory_mib: recipe.memory_mib,
            pids_limit: sbx_api::DEFAULT_PIDS_LIMIT,
            setup_skipped: true,
            setup_script: None,
            repo: None,
            repo_key: None,
            credentials_enabled: false,
            credentials: Vec::new(),
            auto_stop_minutes: recipe.auto_stop_minutes.unwrap_or_default(),
            auto_delete_minutes: recipe.auto_delete_minutes,
            snapshot_schedule: None,
            main_command: Default::default(),
            services: Default::default(),
            agent_cwd: String::new(),
            created_at: chrono::Utc::now(),
        };
        Ok(ProfileLaunch {
            label,
            image,
            spec,
            auto_stop_minutes: recipe.auto_stop_minutes,
            auto_delete_minutes: recipe.auto_delete_minutes,
        })
    }
}
