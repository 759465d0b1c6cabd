//! Sandbox profiles (SPEC P1–P3, B4): a service over the store's profile tables and the sandbox and snapshot
//! services. A profile is a named recipe with at most one draft and any number of published, immutable versions;
//! each version is baked into a snapshot image by jobs, and is usable for new sandboxes only while it has one.
//!
//! - [`recipe`]: a request checked into a recipe (by the create planner's own rules), its digest and secrets;
//! - [`edit`]: create, edit, publish, refresh, test and delete;
//! - [`job`]: running a snapshot job — claim, one-off sandbox, setup, scrub, commit, clean-up — and waiting for one;
//! - [`runner`]: the background runner's part (queued jobs, schedules, replaced images);
//! - [`recovery`]: interrupted jobs, and profiles rebuilt from their images' labels when the database was lost;
//! - [`launch`]: what `sbx sandbox create --profile NAME[@N]` starts from.
//!
//! This module reads the records into the API's views ([`sbx_api::Profile`] and its versions and jobs).

pub mod edit;
pub mod job;
pub mod launch;
pub mod recipe;
pub mod recovery;
pub mod runner;

use chrono::{DateTime, Utc};
use sbx_api::{
    ApiError, Profile, ProfileDraft, ProfileJob, ProfileJobOutput, ProfileJobStatus,
    ProfileJobTrigger, ProfileRecipe, ProfileSnapshot, ProfileVersion, RefreshSchedule,
};

use crate::store::profile_jobs::{self, ProfileJobRow};
use crate::store::profiles::{self as rows, ProfileRow, VersionRow};
use crate::{Core, Error, Result, validate};

/// The repository of profile snapshot images: `sandbox-desktop/profile-<name>`.
pub fn image_repo(profile: &str) -> String {
    format!("sandbox-desktop/profile-{profile}")
}

/// How many ended jobs of a version are kept (beyond those whose image is still on the engine).
pub const JOBS_KEPT: i64 = 20;

/// A profile version's record: its row and its recipe.
#[derive(Debug, Clone)]
pub struct VersionRecord {
    /// The row.
    pub row: VersionRow,
    /// The recipe (secret values empty).
    pub recipe: ProfileRecipe,
}

impl VersionRecord {
    fn from_row(row: VersionRow) -> Result<VersionRecord> {
        let recipe = serde_json::from_str(&row.recipe)
            .map_err(|e| Error::Other(format!("a profile recipe does not read: {e}")))?;
        Ok(VersionRecord { row, recipe })
    }

    /// Its number; 0 for the draft.
    pub fn number(&self) -> u32 {
        self.row
            .number
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0)
    }
}

/// `NAME@N`.
pub fn label(profile: &str, number: u32) -> String {
    format!("{profile}@{number}")
}

/// The first characters of a job id, as messages show it.
pub fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// The API view of a job row.
pub(crate) fn job_view(row: &ProfileJobRow, profile: &str, number: u32) -> ProfileJob {
    ProfileJob {
        id: row.id.clone(),
        profile: profile.to_string(),
        version: number,
        trigger: row.trigger.parse().unwrap_or(ProfileJobTrigger::Refresh),
        forced: row.forced,
        status: row.status.parse().unwrap_or(ProfileJobStatus::Failed),
        step: row.stage.clone(),
        error: row.error.clone(),
        image: row.image.clone(),
        base_image_id: row.base_image_id.clone(),
        queued_at: row.queued_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
    }
}

/// The version's snapshot: its newest ready job whose image is still there.
pub(crate) fn current_snapshot(jobs: &[ProfileJobRow]) -> Option<&ProfileJobRow> {
    jobs.iter()
        .filter(|j| j.status == ProfileJobStatus::Ready.as_str())
        .filter(|j| j.image.is_some() && j.image_removed_at.is_none())
        .max_by_key(|j| j.finished_at)
}

/// A version's view from its record and its jobs (newest first).
fn version_view(profile: &str, version: &VersionRecord, jobs: &[ProfileJobRow]) -> ProfileVersion {
    let number = version.number();
    let snapshot = current_snapshot(jobs).map(|job| ProfileSnapshot {
        image: job.image.clone().unwrap_or_default(),
        job_id: job.id.clone(),
        made_at: job.finished_at.unwrap_or(job.queued_at),
        base_image_id: job.base_image_id.clone(),
    });
    let in_flight = jobs.iter().find(|j| {
        j.status
            .parse::<ProfileJobStatus>()
            .is_ok_and(ProfileJobStatus::in_flight)
    });
    let status = match (in_flight, &snapshot) {
        (Some(job), _) => job.status.parse().unwrap_or(ProfileJobStatus::Queued),
        (None, Some(_)) => ProfileJobStatus::Ready,
        (None, None) => ProfileJobStatus::Failed,
    };
    let unusable_reason = snapshot.is_none().then(|| {
        let why = unusable_why(in_flight, jobs);
        format!("version {number} of profile '{profile}' is not usable: {why}")
    });
    ProfileVersion {
        number,
        published_at: version.row.published_at.unwrap_or(version.row.created_at),
        digest: version.row.digest.clone().unwrap_or_default(),
        recipe: version.recipe.clone(),
        usable: snapshot.is_some(),
        snapshot,
        status,
        unusable_reason,
        last_job: jobs.first().map(|j| job_view(j, profile, number)),
    }
}

/// Why a version without a snapshot is not usable.
fn unusable_why(in_flight: Option<&ProfileJobRow>, jobs: &[ProfileJobRow]) -> String {
    if let Some(job) = in_flight {
        return if job.status == ProfileJobStatus::Queued.as_str() {
            format!(
                "its snapshot job {} is still queued (jobs run in the background runner: the app or `sbx serve`)",
                short(&job.id)
            )
        } else {
            format!(
                "its snapshot job {} is still running ({})",
                short(&job.id),
                job.stage
            )
        };
    }
    let failed = jobs
        .iter()
        .find(|j| j.status == ProfileJobStatus::Failed.as_str());
    match failed {
        Some(job) => format!(
            "its snapshot job {} failed: {}",
            short(&job.id),
            job.error.as_deref().unwrap_or("no reason was recorded")
        ),
        None => "it has no snapshot; refresh it".to_string(),
    }
}

impl Core {
    /// The profile called `name`, or `NotFound`.
    pub(crate) async fn profile_row(&self, name: &str) -> Result<ProfileRow> {
        rows::by_name(self.store().pool(), name)
            .await?
            .ok_or_else(|| ApiError::not_found("profile", name).into())
    }

    /// The profile's published versions, newest first.
    pub(crate) async fn published_versions(&self, profile_id: &str) -> Result<Vec<VersionRecord>> {
        rows::published_of(self.store().pool(), profile_id)
            .await?
            .into_iter()
            .map(VersionRecord::from_row)
            .collect()
    }

    /// The profile's draft.
    pub(crate) async fn draft_version(&self, profile_id: &str) -> Result<Option<VersionRecord>> {
        rows::draft_of(self.store().pool(), profile_id)
            .await?
            .map(VersionRecord::from_row)
            .transpose()
    }

    /// The API view of a profile.
    pub(crate) async fn profile_view(&self, row: &ProfileRow) -> Result<Profile> {
        let pool = self.store().pool();
        let mut versions = Vec::new();
        let mut last_refreshed: Option<DateTime<Utc>> = None;
        for version in self.published_versions(&row.id).await? {
            let jobs = profile_jobs::of_version(pool, &version.row.id).await?;
            for job in jobs
                .iter()
                .filter(|j| j.status == ProfileJobStatus::Ready.as_str())
            {
                last_refreshed = last_refreshed.max(job.finished_at);
            }
            versions.push(version_view(&row.name, &version, &jobs));
        }
        let draft = self.draft_version(&row.id).await?.map(|d| ProfileDraft {
            recipe: d.recipe,
            based_on: d.row.based_on.and_then(|n| u32::try_from(n).ok()),
            updated_at: d.row.updated_at,
        });
        Ok(Profile {
            id: row.id.clone(),
            name: row.name.clone(),
            created_at: row.created_at,
            refresh_schedule: schedule_of(row),
            last_refreshed,
            draft,
            versions,
        })
    }

    /// Every profile, by name.
    pub async fn list_profiles(&self) -> Result<Vec<Profile>> {
        let mut out = Vec::new();
        for row in rows::all(self.store().pool()).await? {
            out.push(self.profile_view(&row).await?);
        }
        Ok(out)
    }

    /// The profile called `name`.
    pub async fn get_profile(&self, name: &str) -> Result<Profile> {
        let row = self.profile_row(name).await?;
        self.profile_view(&row).await
    }

    /// A snapshot job and its output so far.
    pub async fn profile_job(&self, id: &str) -> Result<ProfileJobOutput> {
        let pool = self.store().pool();
        let row = profile_jobs::by_id(pool, id)
            .await?
            .ok_or_else(|| ApiError::not_found("profile job", id))?;
        let job = self.job_api(&row).await?;
        let output = profile_jobs::output(pool, id).await?.unwrap_or_default();
        Ok(ProfileJobOutput { job, output })
    }

    /// The API view of a job row, with its profile's name and version number.
    pub(crate) async fn job_api(&self, row: &ProfileJobRow) -> Result<ProfileJob> {
        let (profile, number) = self.job_owner(row).await?;
        Ok(job_view(row, &profile.name, number))
    }

    /// The profile and the version number a job belongs to.
    pub(crate) async fn job_owner(&self, row: &ProfileJobRow) -> Result<(ProfileRow, u32)> {
        let pool = self.store().pool();
        let version = rows::version_by_id(pool, &row.version_id)
            .await?
            .ok_or_else(|| Error::Other(format!("job {} has no version", row.id)))?;
        let profile = rows::by_id(pool, &version.profile_id)
            .await?
            .ok_or_else(|| Error::Other(format!("job {} has no profile", row.id)))?;
        let number = version
            .number
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0);
        Ok((profile, number))
    }

    /// The published version `reference` names (`NAME@N`, or `NAME`: the newest published version).
    pub(crate) async fn version_named(
        &self,
        reference: &str,
    ) -> Result<(ProfileRow, VersionRecord)> {
        let (name, number) = validate::profile_ref(reference)?;
        let profile = self.profile_row(&name).await?;
        let versions = self.published_versions(&profile.id).await?;
        let found = match number {
            Some(n) => versions.into_iter().find(|v| v.number() == n),
            None => versions.into_iter().next(),
        };
        let version = found.ok_or_else(|| match number {
            Some(n) => ApiError::invalid(
                sbx_api::Field::Profile,
                reference,
                format!("profile '{name}' has no version {n}"),
            ),
            None => ApiError::invalid(
                sbx_api::Field::Profile,
                reference,
                format!("profile '{name}' has no published version: publish its draft first"),
            ),
        })?;
        Ok((profile, version))
    }
}

/// A profile row's schedule (a word this version does not know reads as manual).
pub(crate) fn schedule_of(row: &ProfileRow) -> RefreshSchedule {
    validate::refresh_schedule(&row.refresh_schedule).unwrap_or_default()
}
