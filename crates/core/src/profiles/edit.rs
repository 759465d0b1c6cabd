//! What the user does to profiles: create one (its draft), edit the draft and the schedule, test the draft, publish
//! it (the next version and its first snapshot job), refresh a version (a new job, or "unchanged"), delete a profile.
//! Every request is checked whole before anything is recorded; one job in flight per version is the database's
//! rule (a unique index), so it holds across processes.

use chrono::Utc;
use sbx_api::{
    ApiError, Field, Profile, ProfileJob, ProfileJobStatus, ProfileJobTrigger, ProfileRequest,
    RefreshProfileRequest, Sandbox, TestProfileRequest, UiEvent,
};
use std::sync::Arc;

use super::recipe::{self, sandbox_request};
use super::{JOBS_KEPT, VersionRecord, current_snapshot, label, short};
use crate::store::profile_jobs::{self, NewProfileJob, ProfileJobRow};
use crate::store::profiles::{self as rows, NewDraft, NewProfile, ProfileRow};
use crate::{Core, Error, Result, validate};

/// Whether an edit asks to change the recipe (not only the schedule).
fn touches_recipe(request: &ProfileRequest) -> bool {
    request.replace
        || request.preset.is_some()
        || request.image.is_some()
        || request.setup_script.is_some()
        || request.setup_script_text.is_some()
        || request.env.is_some()
        || !request.secret_env.is_empty()
        || request.ports.is_some()
        || request.cpus.is_some()
        || request.memory_mib.is_some()
        || request.auto_stop_minutes.is_some()
        || request.auto_delete_minutes.is_some()
}

/// The error of a second job for a version while `job` is queued or running.
fn in_flight_error(profile: &str, number: u32, job: &ProfileJobRow) -> Error {
    ApiError::conflict(format!(
        "version {number} of profile '{profile}' already has a snapshot job {} ({}): wait until it is ready or failed \
         (sbx profile logs {} --follow)",
        job.id,
        job.status,
        label(profile, number)
    ))
    .into()
}

impl Core {
    fn profiles_changed(&self, name: &str) {
        self.emit(UiEvent::ProfilesChanged {
            name: Some(name.to_string()),
        });
    }

    /// Create a profile whose draft is the request's recipe.
    pub async fn create_profile(&self, request: &ProfileRequest) -> Result<Profile> {
        let schedule =
            validate::refresh_schedule(request.refresh_schedule.as_deref().unwrap_or(""))?;
        let taken = || {
            ApiError::invalid(
                Field::Name,
                &request.name,
                "a profile with this name already exists",
            )
        };
        validate::name(Field::Name, &request.name)?;
        if rows::by_name(self.store().pool(), &request.name)
            .await?
            .is_some()
        {
            return Err(taken().into());
        }
        let recipe = self.check_recipe(request, None).await?;
        let now = Utc::now();
        let id = uuid::Uuid::new_v4().to_string();
        let profile = NewProfile {
            id: &id,
            name: &request.name,
            refresh_schedule: schedule.as_text(),
            created_at: now,
        };
        if rows::insert(self.store().pool(), &profile).await?.is_err() {
            return Err(taken().into());
        }
        let draft_id = uuid::Uuid::new_v4().to_string();
        self.keep_secrets(&draft_id, &recipe)?;
        let json = recipe::to_json(&recipe)?;
        let draft = NewDraft {
            id: &draft_id,
            profile_id: &id,
            recipe: &json,
            based_on: None,
            at: now,
        };
        if let Err(error) = rows::insert_draft(self.store().pool(), &draft).await {
            let _ = rows::delete(self.store().pool(), &id).await;
            let _ = self.secrets().remove(&draft_id);
            return Err(error);
        }
        self.profiles_changed(&request.name);
        self.get_profile(&request.name).await
    }

    /// Change a profile's draft (started from its newest version when it has none) and its refresh schedule.
    pub async fn edit_profile(&self, request: &ProfileRequest) -> Result<Profile> {
        let profile = self.profile_row(&request.name).await?;
        let schedule = request
            .refresh_schedule
            .as_deref()
            .map(validate::refresh_schedule)
            .transpose()?;
        if touches_recipe(request) {
            self.edit_draft(&profile, request).await?;
        }
        if let Some(schedule) = schedule {
            rows::set_schedule(
                self.store().pool(),
                &profile.id,
                schedule.as_text(),
                Utc::now(),
            )
            .await?;
        }
        self.profiles_changed(&profile.name);
        self.get_profile(&profile.name).await
    }

    /// Check the request against the draft (or the newest version) and record it as the draft.
    async fn edit_draft(&self, profile: &ProfileRow, request: &ProfileRequest) -> Result<()> {
        let pool = self.store().pool();
        if let Some(draft) = self.draft_version(&profile.id).await? {
            let base = self.with_secrets(&draft.row.id, &draft.recipe)?;
            let recipe = self.check_recipe(request, Some(&base)).await?;
            self.keep_secrets(&draft.row.id, &recipe)?;
            return rows::set_draft_recipe(
                pool,
                &draft.row.id,
                &recipe::to_json(&recipe)?,
                Utc::now(),
            )
            .await;
        }
        let newest = self
            .published_versions(&profile.id)
            .await?
            .into_iter()
            .next();
        let base = match &newest {
            Some(version) => Some(self.with_secrets(&version.row.id, &version.recipe)?),
            None => None,
        };
        let recipe = self.check_recipe(request, base.as_ref()).await?;
        let draft_id = uuid::Uuid::new_v4().to_string();
        self.keep_secrets(&draft_id, &recipe)?;
        let json = recipe::to_json(&recipe)?;
        let draft = NewDraft {
            id: &draft_id,
            profile_id: &profile.id,
            recipe: &json,
            based_on: newest.as_ref().and_then(|v| v.row.number),
            at: Utc::now(),
        };
        if rows::insert_draft(pool, &draft).await?.is_err() {
            let _ = self.secrets().remove(&draft_id);
            return Err(ApiError::conflict(format!(
                "a draft of profile '{}' was started meanwhile; edit it again",
                profile.name
            ))
            .into());
        }
        Ok(())
    }

    /// Publish the draft as the next version (its recipe and digest never change again) and queue its first
    /// snapshot job.
    pub async fn publish_profile(&self, name: &str) -> Result<ProfileJob> {
        let profile = self.profile_row(name).await?;
        let draft = self.draft_version(&profile.id).await?.ok_or_else(|| {
            ApiError::conflict(format!(
                "profile '{name}' has no draft to publish: change it first (sbx profile edit {name} …)"
            ))
        })?;
        let pool = self.store().pool();
        let number = rows::highest_number(pool, &profile.id).await?.unwrap_or(0) + 1;
        let digest = recipe::digest(&draft.recipe)?;
        match rows::publish(pool, &draft.row.id, number, &digest, Utc::now()).await? {
            Ok(true) => {}
            Ok(false) => {
                return Err(ApiError::conflict(format!(
                    "the draft of profile '{name}' was published meanwhile"
                ))
                .into());
            }
            Err(_) => {
                return Err(ApiError::conflict(format!(
                    "version {number} of profile '{name}' was published meanwhile; publish again"
                ))
                .into());
            }
        }
        let version = VersionRecord::from_row(
            rows::version_by_id(pool, &draft.row.id)
                .await?
                .ok_or_else(|| Error::Other("the published version is gone".into()))?,
        )?;
        self.queue_job(&profile, &version, ProfileJobTrigger::Publish, false, None)
            .await
    }

    /// Refresh a published version (`NAME`: the newest): queue a snapshot job, or, unless forced, record the
    /// refresh as unchanged when its inputs (the recipe's digest, the base image) are those of its snapshot.
    pub async fn refresh_profile(&self, request: &RefreshProfileRequest) -> Result<ProfileJob> {
        let (profile, version) = self.version_named(&request.profile).await?;
        self.request_refresh(
            &profile,
            &version,
            ProfileJobTrigger::Refresh,
            request.force,
        )
        .await
    }

    /// A refresh of `version` for `trigger`.
    pub(crate) async fn request_refresh(
        &self,
        profile: &ProfileRow,
        version: &VersionRecord,
        trigger: ProfileJobTrigger,
        force: bool,
    ) -> Result<ProfileJob> {
        let pool = self.store().pool();
        if let Some(job) = profile_jobs::in_flight_of(pool, &version.row.id).await? {
            return Err(in_flight_error(&profile.name, version.number(), &job));
        }
        let unchanged = if force {
            None
        } else {
            self.unchanged_reason(version).await?
        };
        self.queue_job(profile, version, trigger, force, unchanged)
            .await
    }

    /// Why a refresh of `version` would make the snapshot it has: the same recipe digest and the same base image.
    async fn unchanged_reason(&self, version: &VersionRecord) -> Result<Option<String>> {
        let jobs = profile_jobs::of_version(self.store().pool(), &version.row.id).await?;
        let Some(current) = current_snapshot(&jobs) else {
            return Ok(None);
        };
        if current.digest.as_deref() != version.row.digest.as_deref() {
            return Ok(None);
        }
        let Some(base) = self.base_image_id(&version.recipe).await? else {
            return Ok(None);
        };
        if current.base_image_id.as_deref() != Some(base.as_str()) {
            return Ok(None);
        }
        Ok(Some(format!(
            "unchanged: the recipe (digest {}) and the base image ({}) are those of the snapshot made by job {}; \
             refresh with --force to make it again",
            &version
                .row
                .digest
                .clone()
                .unwrap_or_default()
                .get(..12)
                .unwrap_or_default(),
            base.trim_start_matches("sha256:")
                .get(..12)
                .unwrap_or_default(),
            short(&current.id)
        )))
    }

    /// The image a recipe starts from: its preset's image, or its image.
    pub(crate) fn base_image_ref(&self, recipe: &sbx_api::ProfileRecipe) -> Result<String> {
        match (&recipe.image, &recipe.preset) {
            (Some(image), _) => Ok(image.clone()),
            (None, Some(preset)) => Ok(self.preset(preset)?.image()),
            (None, None) => Err(Error::Other("a recipe without a preset or an image".into())),
        }
    }

    /// The engine id of the image a recipe starts from, when the engine has it.
    pub(crate) async fn base_image_id(
        &self,
        recipe: &sbx_api::ProfileRecipe,
    ) -> Result<Option<String>> {
        let reference = self.base_image_ref(recipe)?;
        self.engine().image_id(&reference).await
    }

    /// Record a job of `version`: queued, or unchanged with its reason. A job already queued or running for the
    /// version refuses it, whichever process asked.
    async fn queue_job(
        &self,
        profile: &ProfileRow,
        version: &VersionRecord,
        trigger: ProfileJobTrigger,
        forced: bool,
        unchanged: Option<String>,
    ) -> Result<ProfileJob> {
        let pool = self.store().pool();
        let id = uuid::Uuid::new_v4().to_string();
        let status = if unchanged.is_some() {
            ProfileJobStatus::Unchanged
        } else {
            ProfileJobStatus::Queued
        };
        let job = NewProfileJob {
            id: &id,
            version_id: &version.row.id,
            trigger: trigger.as_str(),
            forced,
            status: status.as_str(),
            error: unchanged.as_deref(),
            at: Utc::now(),
        };
        if profile_jobs::insert(pool, &job).await?.is_err() {
            let flying = profile_jobs::in_flight_of(pool, &version.row.id).await?;
            return Err(match flying {
                Some(job) => in_flight_error(&profile.name, version.number(), &job),
                None => ApiError::conflict("another snapshot job was queued meanwhile; try again")
                    .into(),
            });
        }
        profile_jobs::prune(pool, &version.row.id, JOBS_KEPT).await?;
        self.profiles_changed(&profile.name);
        let row = profile_jobs::by_id(pool, &id)
            .await?
            .ok_or_else(|| Error::Other("the job just queued is gone".into()))?;
        Ok(super::job_view(&row, &profile.name, version.number()))
    }

    /// A sandbox from the draft (no repository, no credentials), whose setup script runs as usual.
    pub async fn test_profile(self: &Arc<Self>, request: &TestProfileRequest) -> Result<Sandbox> {
        let profile = self.profile_row(&request.profile).await?;
        let draft = self.draft_version(&profile.id).await?.ok_or_else(|| {
            ApiError::conflict(format!("profile '{}' has no draft to test", profile.name))
        })?;
        let recipe = self.with_secrets(&draft.row.id, &draft.recipe)?;
        let name = request.name.clone().filter(|n| !n.trim().is_empty());
        let create = sandbox_request(&recipe, name, self.paths().root(), false);
        self.create_sandbox(&create).await
    }

    /// Delete a profile: its draft, versions, jobs, secrets and images (an image a sandbox still runs from is kept
    /// under another name until it is no longer used). Refused while a job of it runs.
    pub async fn delete_profile(&self, name: &str) -> Result<()> {
        let profile = self.profile_row(name).await?;
        let pool = self.store().pool();
        if let Some(job) = profile_jobs::running_of_profile(pool, &profile.id)
            .await?
            .first()
        {
            return Err(ApiError::conflict(format!(
                "a snapshot job of profile '{name}' is running ({job}); delete the profile once it has ended"
            ))
            .into());
        }
        let ids = rows::version_ids_of(pool, &profile.id).await?;
        for image in profile_jobs::with_images(pool).await? {
            if ids.contains(&image.version_id) {
                self.retire_image(&image.id, &image.image).await?;
            }
        }
        for id in &ids {
            let _ = self.secrets().remove(id);
        }
        rows::delete(pool, &profile.id).await?;
        self.profiles_changed(name);
        Ok(())
    }
}
