//! The background runner's part of profiles (it runs in the one process holding the runner lease): start queued
//! snapshot jobs, queue scheduled refreshes (a cron tick, or the base image changed), and remove the images of
//! replaced snapshots once no sandbox uses them.

use chrono::Utc;
use sbx_api::{ProfileJobStatus, ProfileJobTrigger, RefreshSchedule};
use std::sync::Arc;

use super::{current_snapshot, schedule_of};
use crate::snapshot::manage::tick_due;
use crate::store::profile_jobs;
use crate::store::profiles as rows;
use crate::{Core, Result, labels};

/// How many snapshot jobs the runner runs at once.
pub const PARALLEL_JOBS: usize = 2;
/// The name retired snapshot images keep while a sandbox still runs from them (their profile was deleted).
pub const RETIRED_REPO: &str = "sandbox-desktop/retired-profile";

impl Core {
    /// One pass of the runner over profiles.
    pub async fn profile_pass(self: &Arc<Self>) -> Result<()> {
        self.schedule_refreshes().await?;
        self.start_queued_jobs().await?;
        self.collect_replaced_images().await;
        Ok(())
    }

    /// Start queued jobs, oldest first, up to [`PARALLEL_JOBS`] running at once (in any process).
    pub(crate) async fn start_queued_jobs(self: &Arc<Self>) -> Result<()> {
        let pool = self.store().pool();
        let running = profile_jobs::running(pool).await?.len();
        for id in profile_jobs::queued(pool)
            .await?
            .into_iter()
            .take(PARALLEL_JOBS.saturating_sub(running))
        {
            let core = Arc::clone(self);
            // Claimed (queued → running) before the task returns control, so the next pass does not start it again.
            tokio::spawn(async move {
                if let Err(error) = core.run_profile_job(&id).await {
                    tracing::warn!("profile job {id}: {error}");
                }
            });
        }
        Ok(())
    }

    /// Queue the refreshes schedules ask for: on a cron tick (skipped ticks are not queued), or when the image the
    /// newest version starts from is not the one its snapshot was made from. Only the newest published version of
    /// a profile is refreshed by its schedule.
    async fn schedule_refreshes(&self) -> Result<()> {
        let pool = self.store().pool();
        let now = Utc::now();
        for profile in rows::all(pool).await? {
            let schedule = schedule_of(&profile);
            let due = match &schedule {
                RefreshSchedule::Manual => continue,
                RefreshSchedule::Cron(cron) => {
                    let since = profile.last_schedule_tick.unwrap_or(profile.created_at);
                    if !tick_due(cron, since, now) {
                        continue;
                    }
                    rows::set_schedule_tick(pool, &profile.id, now).await?;
                    Some(ProfileJobTrigger::Schedule)
                }
                RefreshSchedule::BaseImage => None,
            };
            let Some(version) = self
                .published_versions(&profile.id)
                .await?
                .into_iter()
                .next()
            else {
                continue;
            };
            if profile_jobs::in_flight_of(pool, &version.row.id)
                .await?
                .is_some()
            {
                continue;
            }
            let trigger = match due {
                Some(trigger) => trigger,
                None => {
                    let jobs = profile_jobs::of_version(pool, &version.row.id).await?;
                    // Only a version with a snapshot has a base image to compare (a failed one waits for a refresh).
                    let Some(current) = current_snapshot(&jobs) else {
                        continue;
                    };
                    let now_base = self.base_image_id(&version.recipe).await?;
                    if now_base.is_none() || now_base == current.base_image_id {
                        continue;
                    }
                    ProfileJobTrigger::BaseImage
                }
            };
            match self
                .request_refresh(&profile, &version, trigger, false)
                .await
            {
                Ok(job) if job.status == ProfileJobStatus::Unchanged => {
                    tracing::info!("scheduled refresh of {} skipped: unchanged", profile.name)
                }
                Ok(job) => tracing::info!("scheduled refresh of {}: job {}", profile.name, job.id),
                Err(error) => {
                    tracing::info!("scheduled refresh of {} skipped: {error}", profile.name)
                }
            }
        }
        Ok(())
    }

    /// Remove the images of replaced snapshots (a version's ready jobs but its newest) and of deleted profiles, once
    /// no sandbox (running or not) uses them.
    pub(crate) async fn collect_replaced_images(&self) {
        if let Err(error) = self.collect_replaced_images_of_versions().await {
            tracing::warn!("removing replaced profile snapshots: {error}");
        }
        if let Err(error) = self.collect_retired_images().await {
            tracing::warn!("removing retired profile snapshots: {error}");
        }
    }

    async fn collect_replaced_images_of_versions(&self) -> Result<()> {
        let pool = self.store().pool();
        let mut by_version: std::collections::HashMap<String, Vec<String>> = Default::default();
        for image in profile_jobs::with_images(pool).await? {
            by_version
                .entry(image.version_id)
                .or_default()
                .push(image.id);
        }
        for (version, with_images) in by_version {
            let jobs = profile_jobs::of_version(pool, &version).await?;
            let current = current_snapshot(&jobs).map(|j| j.id.clone());
            for job in jobs.iter().filter(|j| with_images.contains(&j.id)) {
                if Some(&job.id) == current.as_ref() {
                    continue;
                }
                let Some(image) = &job.image else { continue };
                let gone = self.engine().image_id(image).await?.is_none();
                if gone || self.engine().image_users(image).await?.is_empty() {
                    if !gone {
                        self.engine().remove_image(image).await?;
                    }
                    profile_jobs::set_image_removed(pool, &job.id, Utc::now()).await?;
                }
            }
        }
        Ok(())
    }

    /// Retired images (named only [`RETIRED_REPO`]) that nothing uses any more.
    async fn collect_retired_images(&self) -> Result<()> {
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
        let retired = format!("{RETIRED_REPO}:");
        for image in images {
            if image
                .repo_tags
                .iter()
                .all(|t| t.starts_with(&retired) || t == "<none>:<none>")
                && self.engine().image_users(&image.id).await?.is_empty()
            {
                self.engine().remove_image(&image.id).await?;
            }
        }
        Ok(())
    }

    /// Remove the image of job `job` of a deleted profile; one a sandbox still uses is renamed
    /// `sandbox-desktop/retired-profile:<job>` (so it is no longer the profile's: a rebuild skips it) and removed
    /// by the runner once unused.
    pub(crate) async fn retire_image(&self, job: &str, image: &str) -> Result<()> {
        if self.engine().image_id(image).await?.is_none() {
            return Ok(());
        }
        if self.engine().image_users(image).await?.is_empty() {
            self.engine().remove_image(image).await?;
            return Ok(());
        }
        self.engine().tag_image(image, RETIRED_REPO, job).await?;
        self.engine().untag_image(image).await
    }
}
