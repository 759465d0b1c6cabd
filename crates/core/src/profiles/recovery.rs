//! Profiles after a crash or a lost database: a snapshot job whose process died ends failed ("interrupted") with its
//! one-off sandbox and any image it committed removed; profiles, published versions and their ready jobs come back
//! from the labels of the snapshot images ([`ImageRecord`]); a snapshot whose image was removed outside the app no
//! longer makes its version usable.

use chrono::{DateTime, Utc};
use sbx_api::{ProfileJobStatus, ProfileRecipe, UiEvent};
use serde::{Deserialize, Serialize};

use super::{VersionRecord, image_repo};
use crate::jobs::JobRow;
use crate::store::profile_jobs::{self, FoundJob};
use crate::store::profiles::{self as rows, FoundVersion, NewProfile, ProfileRow};
use crate::{Core, Error, Result, labels};

/// What an interrupted job's reason says.
pub const INTERRUPTED: &str =
    "interrupted: the process running the job stopped; its one-off sandbox and image were removed";

/// The records a snapshot image carries in its `record` label: enough to rebuild its profile, its version and the
/// job that made it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageRecord {
    /// The profile.
    pub profile: ProfileLabel,
    /// The version.
    pub version: VersionLabel,
    /// The job.
    pub job: JobLabel,
}

/// A profile in an image's labels.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileLabel {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its schedule, as stored.
    pub refresh_schedule: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A version in an image's labels.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionLabel {
    /// Its id.
    pub id: String,
    /// Its number.
    pub number: i64,
    /// Its recipe (secret values empty).
    pub recipe: ProfileRecipe,
    /// Its digest.
    pub digest: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was published.
    pub published_at: DateTime<Utc>,
}

/// A job in an image's labels.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobLabel {
    /// Its id.
    pub id: String,
    /// Why it was queued.
    pub trigger: String,
    /// When it was queued.
    pub queued_at: DateTime<Utc>,
    /// When it made the image.
    pub finished_at: DateTime<Utc>,
    /// The engine id of the image the recipe started from.
    pub base_image_id: Option<String>,
}

impl ImageRecord {
    /// The label's JSON for a job of `version` of `profile`.
    pub(crate) fn label(
        profile: &ProfileRow,
        version: &VersionRecord,
        job: &str,
        trigger: &str,
        queued_at: DateTime<Utc>,
        finished_at: DateTime<Utc>,
        base_image_id: Option<&str>,
    ) -> Result<String> {
        let record = ImageRecord {
            profile: ProfileLabel {
                id: profile.id.clone(),
                name: profile.name.clone(),
                refresh_schedule: profile.refresh_schedule.clone(),
                created_at: profile.created_at,
            },
            version: VersionLabel {
                id: version.row.id.clone(),
                number: version.row.number.unwrap_or(0),
                recipe: super::recipe::redacted(&version.recipe),
                digest: version.row.digest.clone().unwrap_or_default(),
                created_at: version.row.created_at,
                published_at: version.row.published_at.unwrap_or(version.row.created_at),
            },
            job: JobLabel {
                id: job.to_string(),
                trigger: trigger.to_string(),
                queued_at,
                finished_at,
                base_image_id: base_image_id.map(str::to_string),
            },
        };
        serde_json::to_string(&record).map_err(|e| Error::Other(e.to_string()))
    }
}

impl Core {
    /// Every reconciliation step of profiles; errors of one step do not stop the others.
    pub(crate) async fn recover_profiles(&self) {
        if let Err(error) = self.fail_stranded_profile_jobs().await {
            tracing::warn!("recovering profile jobs: {error}");
        }
        if let Err(error) = self.rebuild_profiles().await {
            tracing::warn!("rebuilding profiles from the engine: {error}");
        }
        if let Err(error) = self.forget_missing_profile_images().await {
            tracing::warn!("checking the images of profiles: {error}");
        }
    }

    /// A profile job whose process died (its `jobs` row is orphaned): remove its one-off sandbox and any image it
    /// committed, and record it failed.
    pub(crate) async fn recover_profile_job(&self, job: &JobRow) -> Result<()> {
        if let Some(row) = profile_jobs::by_id(self.store().pool(), &job.id).await?
            && row.status == ProfileJobStatus::Running.as_str()
        {
            self.undo_profile_job(&row.id, row.sandbox.as_deref()).await;
            profile_jobs::set_failed(self.store().pool(), &row.id, INTERRUPTED, Utc::now()).await?;
            let profile = self.job_owner(&row).await.ok().map(|(p, _)| p.name);
            self.emit(UiEvent::ProfilesChanged { name: profile });
        }
        self.fail_job(&job.id, INTERRUPTED).await
    }

    /// Remove what job `id` made: its one-off sandbox and any image labelled with it.
    async fn undo_profile_job(&self, id: &str, sandbox: Option<&str>) {
        if let Some(name) = sandbox
            && let Ok(record) = self.sandbox_record(name).await
        {
            self.undo_create(&record.spec.id).await;
        }
        self.engine()
            .remove_images(&labels::of_instance(
                self.paths().instance(),
                &[(labels::JOB, id), (labels::KIND, labels::KIND_PROFILE)],
            ))
            .await;
    }

    /// Profile jobs left running whose `jobs` row no longer runs (its owner died and was already recovered, or the
    /// row is gone).
    async fn fail_stranded_profile_jobs(&self) -> Result<()> {
        for row in profile_jobs::running(self.store().pool()).await? {
            let owner_runs = self
                .job(&row.id)
                .await?
                .is_some_and(|j| j.job_status() == Some(sbx_api::JobStatus::Running));
            if !owner_runs {
                self.undo_profile_job(&row.id, row.sandbox.as_deref()).await;
                profile_jobs::set_failed(self.store().pool(), &row.id, INTERRUPTED, Utc::now())
                    .await?;
                self.emit(UiEvent::ProfilesChanged { name: None });
            }
        }
        Ok(())
    }

    /// Add the profiles, versions and ready jobs the database does not know from the labels of the snapshot images
    /// (the database was deleted). Only images still named as their profile's count: a deleted profile's image
    /// kept for a sandbox that runs from it is not.
    pub async fn rebuild_profiles(&self) -> Result<usize> {
        let images = self
            .engine()
            .list_images(
                &labels::of_instance(
                    self.paths().instance(),
                    &[(labels::KIND, labels::KIND_PROFILE)],
                ),
                false,
            )
            .await?;
        let mut added = 0;
        for image in images {
            let Some(record) = image
                .labels
                .get(labels::RECORD)
                .and_then(|json| serde_json::from_str::<ImageRecord>(json).ok())
            else {
                continue;
            };
            let repo = format!("{}:", image_repo(&record.profile.name));
            let Some(tag) = image.repo_tags.iter().find(|t| t.starts_with(&repo)) else {
                continue;
            };
            if self.rebuild_from(&record, tag, &image.id).await? {
                added += 1;
            }
        }
        if added > 0 {
            self.emit(UiEvent::ProfilesChanged { name: None });
        }
        Ok(added)
    }

    /// Insert what `record` holds and the database does not; whether the job was added.
    async fn rebuild_from(
        &self,
        record: &ImageRecord,
        image: &str,
        image_id: &str,
    ) -> Result<bool> {
        let pool = self.store().pool();
        rows::insert_found(
            pool,
            &NewProfile {
                id: &record.profile.id,
                name: &record.profile.name,
                refresh_schedule: &record.profile.refresh_schedule,
                created_at: record.profile.created_at,
            },
        )
        .await?;
        // Another profile may hold the name now: its own versions are not this one's.
        let Some(profile) = rows::by_id(pool, &record.profile.id).await? else {
            return Ok(false);
        };
        let recipe = serde_json::to_string(&record.version.recipe)
            .map_err(|e| Error::Other(e.to_string()))?;
        rows::insert_found_version(
            pool,
            &FoundVersion {
                id: &record.version.id,
                profile_id: &profile.id,
                number: record.version.number,
                recipe: &recipe,
                digest: &record.version.digest,
                created_at: record.version.created_at,
                published_at: record.version.published_at,
            },
        )
        .await?;
        if rows::version_by_id(pool, &record.version.id)
            .await?
            .is_none()
        {
            return Ok(false);
        }
        profile_jobs::insert_found(
            pool,
            &FoundJob {
                id: &record.job.id,
                version_id: &record.version.id,
                trigger: &record.job.trigger,
                image,
                image_id,
                base_image_id: record.job.base_image_id.as_deref(),
                digest: &record.version.digest,
                queued_at: record.job.queued_at,
                finished_at: record.job.finished_at,
            },
        )
        .await
    }

    /// Snapshots whose image was removed outside the app: their versions are no longer usable from them.
    async fn forget_missing_profile_images(&self) -> Result<()> {
        let pool = self.store().pool();
        let mut changed = false;
        for job in profile_jobs::with_images(pool).await? {
            if self.engine().image_id(&job.image).await?.is_none() {
                profile_jobs::set_image_removed(pool, &job.id, Utc::now()).await?;
                changed = true;
            }
        }
        if changed {
            self.emit(UiEvent::ProfilesChanged { name: None });
        }
        Ok(())
    }
}
