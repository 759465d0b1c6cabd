//! A profile version's snapshot job, run to its end by the process that claims it (the background runner, or a
//! command that waits when no runner is alive): a one-off sandbox from the version's recipe (no repository, no
//! credentials, no published port) runs the setup script; the scrub of Snapshot and delete removes what secrets it
//! finds; the stopped container is committed as the version's snapshot image (labelled with the records, so the
//! database can be rebuilt); the one-off sandbox is removed. Each step and the setup script's log are appended to
//! the job's output as they happen. A failure anywhere removes what the job made; a crash is undone by recovery.

use chrono::Utc;
use futures_util::StreamExt;
use sbx_api::{ApiError, JobKind, ProfileJob, ProfileJobStatus, Progress, SandboxState, UiEvent};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::recovery::ImageRecord;
use super::{VersionRecord, image_repo, label, short};
use crate::engine::images::Commit;
use crate::jobs::JobHandle;
use crate::runner::RUNNER_LEASE;
use crate::sandbox::container::{READY_MARKER, SETUP_FAILED_MARKER};
use crate::store::profile_jobs::{self, ReadyJob};
use crate::store::profiles::{self as rows, ProfileRow};
use crate::{Core, Error, Result, labels};

/// The most output a job keeps.
const OUTPUT_LIMIT: usize = 1024 * 1024;
/// How long a job waits for its one-off sandbox to be set up.
const SETUP_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// How often a command waiting on a job run elsewhere looks at it.
const WAIT_POLL: Duration = Duration::from_millis(300);

/// What a job made.
struct Made {
    image: String,
    image_id: String,
    base_image_id: Option<String>,
}

/// One job being run by this process.
struct Run {
    core: Arc<Core>,
    id: String,
    profile: ProfileRow,
    version: VersionRecord,
    trigger: String,
    queued_at: chrono::DateTime<Utc>,
    written: Arc<AtomicUsize>,
    /// The recipe's secret values, shown as `***` wherever the output would carry them (a setup script may print
    /// its environment).
    masks: Arc<Vec<String>>,
}

/// The shortest secret value that is masked in a job's output: shorter ones would hide ordinary words.
const MASK_MIN_CHARS: usize = 4;

/// What to hide of `env`: each secret value, and each of its lines, of at least [`MASK_MIN_CHARS`] characters;
/// longest first, so a value that contains another is hidden whole.
fn masks_of(env: &[sbx_api::EnvVar]) -> Vec<String> {
    let mut masks: Vec<String> = crate::secrets::secret_values(env)
        .into_iter()
        .flat_map(|(_, value)| {
            let lines: Vec<String> = value.lines().map(str::to_string).collect();
            std::iter::once(value).chain(lines)
        })
        .filter(|value| value.trim().chars().count() >= MASK_MIN_CHARS)
        .collect();
    masks.sort_by_key(|value| std::cmp::Reverse(value.len()));
    masks.dedup();
    masks
}

/// `text` with every one of `masks` replaced by `***`.
fn masked(text: &str, masks: &[String]) -> String {
    masks.iter().fold(text.to_string(), |text, mask| {
        text.replace(mask.as_str(), "***")
    })
}

/// The one-off sandbox's name: `pj-<profile>-v<N>-<random>`, at most 40 characters.
fn one_off_name(profile: &str, number: u32) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    let tail = format!("-v{number}-{}", &random[..6]);
    let room = 40usize.saturating_sub(3 + tail.len());
    let part: String = profile.chars().take(room).collect();
    format!("pj-{}{tail}", part.trim_end_matches('-'))
}

impl Run {
    /// Append `text` (lines ending with a newline) to the job's output and send it to the window.
    async fn write(&self, text: &str) {
        let text = &masked(text, &self.masks);
        let before = self.written.fetch_add(text.len(), Ordering::SeqCst);
        let text = if before >= OUTPUT_LIMIT {
            return;
        } else if before + text.len() > OUTPUT_LIMIT {
            "[output cut: a job keeps at most 1 MiB of it]\n"
        } else {
            text
        };
        let _ = profile_jobs::append_output(self.core.store().pool(), &self.id, text).await;
        self.core.emit(UiEvent::ProfileJobOutput {
            job_id: self.id.clone(),
            text: text.to_string(),
        });
    }

    /// Record and announce a step.
    async fn step(&self, stage: &str, detail: &str) {
        let _ = profile_jobs::set_stage(self.core.store().pool(), &self.id, stage).await;
        let line = if detail.is_empty() {
            format!("==> {stage}\n")
        } else {
            format!("==> {stage}: {detail}\n")
        };
        self.write(&line).await;
        self.core.emit(UiEvent::ProfilesChanged {
            name: Some(self.profile.name.clone()),
        });
    }

    /// The steps, up to the image made.
    async fn steps(&self, sandbox: &str) -> Result<Made> {
        let core = &self.core;
        let number = self.version.number();
        self.step(
            "preparing",
            &format!(
                "version {number} of profile '{}', job {} ({})",
                self.profile.name, self.id, self.trigger
            ),
        )
        .await;
        let recipe = core.with_secrets(&self.version.row.id, &self.version.recipe)?;
        let scratch = core.paths().scratch_dir();
        std::fs::create_dir_all(&scratch).map_err(|e| Error::io("creating the scratch dir", e))?;
        let request =
            super::recipe::sandbox_request(&recipe, Some(sandbox.to_string()), &scratch, true);
        self.step("creating the one-off sandbox", sandbox).await;
        self.build_one_off(&request, sandbox).await?;
        let record = core.sandbox_record(sandbox).await?;
        let base_image_id = core.engine().image_id(&record.spec.image).await?;
        if let Some(id) = &base_image_id {
            profile_jobs::set_base_image(core.store().pool(), &self.id, id).await?;
        }
        let container = core.running_container(sandbox).await?;
        self.step("scrubbing", "removing secrets, as Snapshot and delete does")
            .await;
        core.scrub(&container, &record.spec).await?;
        core.engine().stop_container(&container, 10).await?;
        let repo = image_repo(&self.profile.name);
        let tag = format!("v{number}-{}", short(&self.id));
        self.step("committing", &format!("{repo}:{tag}")).await;
        let made_at = Utc::now();
        let record_label = ImageRecord::label(
            &self.profile,
            &self.version,
            &self.id,
            &self.trigger,
            self.queued_at,
            made_at,
            base_image_id.as_deref(),
        )?;
        let mut image_labels = labels::base(core.paths().instance(), labels::KIND_PROFILE);
        image_labels.insert(labels::ID.into(), self.id.clone());
        image_labels.insert(labels::NAME.into(), self.profile.name.clone());
        image_labels.insert(labels::JOB.into(), self.id.clone());
        image_labels.insert(labels::SOURCE.into(), record.spec.image.clone());
        image_labels.insert(labels::RECORD.into(), record_label);
        core.engine()
            .commit(Commit {
                container: &container,
                repo: &repo,
                tag: &tag,
                comment: Some(&format!(
                    "Sandbox Desktop profile {}",
                    label(&self.profile.name, number)
                )),
                labels: image_labels,
            })
            .await?;
        let image = format!("{repo}:{tag}");
        let image_id = core
            .engine()
            .image_id(&image)
            .await?
            .ok_or_else(|| Error::Other(format!("the commit did not make {image}")))?;
        self.step("removing the one-off sandbox", sandbox).await;
        core.delete_sandbox(sandbox, true).await?;
        profile_jobs::set_sandbox(core.store().pool(), &self.id, None).await?;
        Ok(Made {
            image,
            image_id,
            base_image_id,
        })
    }

    /// Create the one-off sandbox and wait until its setup script has run: the create job's steps and the setup
    /// script's log go to the output as they happen. Fails when the setup script fails.
    async fn build_one_off(
        &self,
        request: &sbx_api::CreateSandboxRequest,
        sandbox: &str,
    ) -> Result<()> {
        let core = &self.core;
        let mut events = core.subscribe();
        profile_jobs::set_sandbox(core.store().pool(), &self.id, Some(sandbox)).await?;
        core.create_sandbox(request).await?;
        let mut follower: Option<tokio::task::JoinHandle<()>> = None;
        let deadline = tokio::time::Instant::now() + SETUP_TIMEOUT;
        let failure = loop {
            if tokio::time::Instant::now() >= deadline {
                break Some("the setup script did not finish within an hour".to_string());
            }
            let event = tokio::time::timeout(Duration::from_secs(2), events.recv()).await;
            let progress = match event {
                Ok(Ok(UiEvent::Progress(progress))) if progress.target == sandbox => progress,
                Ok(Ok(_)) => continue,
                // Lagged, closed, or quiet for a while: ask the sandbox how it stands.
                _ => match self.settled(sandbox).await? {
                    Some(outcome) => break outcome,
                    None => continue,
                },
            };
            if progress.done {
                break progress.error.clone();
            }
            if progress.stage == sbx_api::JobStage::SettingUp {
                if follower.is_none() && progress.message == sandbox {
                    follower = Some(self.follow_setup(sandbox));
                }
                continue;
            }
            self.write(&progress_line(&progress)).await;
        };
        if let Some(task) = follower
            && tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
        {
            tracing::debug!("the setup log of {sandbox} did not end");
        }
        if let Some(error) = failure {
            return Err(Error::Other(error));
        }
        // The create's job can end before the setup script does (the container started): wait for the boot's end.
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        let view = core.wait_until_ready(sandbox, remaining).await?;
        match view.state {
            SandboxState::Running => Ok(()),
            SandboxState::SetupFailed => Err(Error::Other(format!(
                "the setup script failed{}; its output is above",
                view.state_reason
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ))),
            state => Err(Error::Other(format!(
                "the one-off sandbox is {state}{}",
                view.state_reason
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ))),
        }
    }

    /// `Some(outcome)` once the one-off sandbox is done being set up (`Some(None)`: ran; `Some(Some(why))`: failed).
    async fn settled(&self, sandbox: &str) -> Result<Option<Option<String>>> {
        match self.core.get_sandbox(sandbox).await {
            Ok(view) => Ok(match view.state {
                SandboxState::Creating | SandboxState::SettingUp => None,
                _ => Some(None),
            }),
            Err(Error::Api(ApiError::NotFound { .. })) => Ok(Some(Some(
                "creating the one-off sandbox failed".to_string(),
            ))),
            Err(error) => Err(error),
        }
    }

    /// Copy the one-off sandbox's log into the output until its setup script has ended.
    fn follow_setup(&self, sandbox: &str) -> tokio::task::JoinHandle<()> {
        let run = Run {
            core: Arc::clone(&self.core),
            id: self.id.clone(),
            profile: self.profile.clone(),
            version: self.version.clone(),
            trigger: self.trigger.clone(),
            queued_at: self.queued_at,
            written: Arc::clone(&self.written),
            masks: Arc::clone(&self.masks),
        };
        let sandbox = sandbox.to_string();
        tokio::spawn(async move {
            let Ok(mut stream) = run.core.follow_logs(&sandbox).await else {
                return;
            };
            let mut pending = String::new();
            while let Some(Ok(chunk)) = stream.next().await {
                pending.push_str(&chunk);
                while let Some(end) = pending.find('\n') {
                    let line: String = pending.drain(..=end).collect();
                    run.write(&line).await;
                    if line.starts_with(READY_MARKER) || line.starts_with(SETUP_FAILED_MARKER) {
                        return;
                    }
                }
            }
        })
    }

    /// Remove what a failed job made: its one-off sandbox and any image labelled with it.
    async fn undo(&self, sandbox: &str) {
        let core = &self.core;
        if core.sandbox_record(sandbox).await.is_ok() {
            let _ = core.delete_sandbox(sandbox, true).await;
        }
        core.engine()
            .remove_images(&labels::of_instance(
                core.paths().instance(),
                &[
                    (labels::JOB, &self.id),
                    (labels::KIND, labels::KIND_PROFILE),
                ],
            ))
            .await;
        let _ = profile_jobs::set_sandbox(core.store().pool(), &self.id, None).await;
    }
}

/// A progress event of the one-off sandbox's create job as a line of output.
fn progress_line(progress: &Progress) -> String {
    if progress.message.is_empty() {
        format!("[{}]\n", progress.stage)
    } else {
        format!("[{}] {}\n", progress.stage, progress.message.trim_end())
    }
}

impl Core {
    /// Claim the queued job `id` and run it here to its end (ready or failed). Refused when it is not queued (it
    /// ran, or another process claimed it).
    pub async fn run_profile_job(self: &Arc<Self>, id: &str) -> Result<ProfileJob> {
        let pool = self.store().pool();
        let row = profile_jobs::by_id(pool, id)
            .await?
            .ok_or_else(|| ApiError::not_found("profile job", id))?;
        let (profile, number) = self.job_owner(&row).await?;
        let version = VersionRecord::from_row(
            rows::version_by_id(pool, &row.version_id)
                .await?
                .ok_or_else(|| Error::Other(format!("job {id} has no version")))?,
        )?;
        let not_queued = |status: &str| {
            ApiError::conflict(format!(
                "snapshot job {id} is {status}, not queued: another process runs it or ran it"
            ))
        };
        if row.status != ProfileJobStatus::Queued.as_str() {
            return Err(not_queued(&row.status).into());
        }
        // The job row first: recovery in another process takes a running profile job without a live owner for
        // interrupted.
        let job = self
            .begin_job_with_id(id, JobKind::Profile, &label(&profile.name, number))
            .await
            .map_err(|_| not_queued("taken"))?;
        if !profile_jobs::claim(pool, id, Utc::now()).await? {
            job.discard().await;
            return Err(not_queued("taken").into());
        }
        let masks = self
            .with_secrets(&version.row.id, &version.recipe)
            .map(|full| masks_of(&full.env))
            .unwrap_or_default();
        let run = Run {
            masks: Arc::new(masks),
            core: Arc::clone(self),
            id: id.to_string(),
            profile,
            version,
            trigger: row.trigger.clone(),
            queued_at: row.queued_at,
            written: Arc::new(AtomicUsize::new(
                profile_jobs::output(pool, id)
                    .await?
                    .map(|o| o.len())
                    .unwrap_or(0),
            )),
        };
        self.emit(UiEvent::ProfilesChanged {
            name: Some(run.profile.name.clone()),
        });
        let sandbox = one_off_name(&run.profile.name, number);
        let outcome = run.steps(&sandbox).await;
        self.finish_job(&run, job, &sandbox, outcome).await
    }

    /// Record how a job ended: ready with its image, or failed with everything it made removed.
    async fn finish_job(
        self: &Arc<Self>,
        run: &Run,
        job: JobHandle,
        sandbox: &str,
        outcome: Result<Made>,
    ) -> Result<ProfileJob> {
        let pool = self.store().pool();
        match outcome {
            Ok(made) => {
                let digest = run.version.row.digest.clone().unwrap_or_default();
                profile_jobs::set_ready(
                    pool,
                    &ReadyJob {
                        id: &run.id,
                        image: &made.image,
                        image_id: &made.image_id,
                        base_image_id: made.base_image_id.as_deref(),
                        digest: &digest,
                        at: Utc::now(),
                    },
                )
                .await?;
                let ready = profile_jobs::by_id(pool, &run.id).await?;
                if ready.is_none_or(|r| r.status != ProfileJobStatus::Ready.as_str()) {
                    // The profile was deleted meanwhile: nothing may keep the image.
                    run.undo(sandbox).await;
                    let _ = job.fail("the profile was deleted while the job ran").await;
                } else {
                    run.write(&format!("==> ready: {}\n", made.image)).await;
                    let _ = job.succeed().await;
                    self.collect_replaced_images().await;
                }
            }
            Err(error) => {
                let message = ApiError::from(error).to_string();
                run.write(&format!("==> failed: {message}\n")).await;
                run.undo(sandbox).await;
                profile_jobs::set_failed(pool, &run.id, &message, Utc::now()).await?;
                let _ = job.fail(&message).await;
            }
        }
        self.emit(UiEvent::ProfilesChanged {
            name: Some(run.profile.name.clone()),
        });
        let row = profile_jobs::by_id(pool, &run.id)
            .await?
            .ok_or_else(|| Error::Other(format!("job {} is gone", run.id)))?;
        Ok(super::job_view(
            &row,
            &run.profile.name,
            run.version.number(),
        ))
    }

    /// Wait until the job `id` has ended, telling `on_output` its output as it grows. A queued job is run here when
    /// no background runner is alive (`run_here`); otherwise the runner (the app or `sbx serve`) runs it.
    pub async fn wait_profile_job(
        self: &Arc<Self>,
        id: &str,
        run_here: bool,
        mut on_output: impl FnMut(&str),
    ) -> Result<ProfileJob> {
        let pool = self.store().pool();
        let mut shown = 0usize;
        let mut running_here: Option<tokio::task::JoinHandle<Result<ProfileJob>>> = None;
        loop {
            let row = profile_jobs::by_id(pool, id)
                .await?
                .ok_or_else(|| ApiError::not_found("profile job", id))?;
            let output = profile_jobs::output(pool, id).await?.unwrap_or_default();
            if output.len() > shown {
                on_output(output.get(shown..).unwrap_or_default());
                shown = output.len();
            }
            let status: ProfileJobStatus = row.status.parse().unwrap_or(ProfileJobStatus::Failed);
            if !status.in_flight() {
                if let Some(task) = running_here.take() {
                    let _ = task.await;
                }
                return self.job_api(&row).await;
            }
            if status == ProfileJobStatus::Queued
                && run_here
                && running_here.is_none()
                && self.lease_holder(RUNNER_LEASE).await?.is_none()
            {
                let core = Arc::clone(self);
                let job = id.to_string();
                running_here = Some(tokio::spawn(
                    async move { core.run_profile_job(&job).await },
                ));
            }
            tokio::time::sleep(WAIT_POLL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{masked, masks_of, one_off_name};
    use crate::secrets::env_var as var;

    #[test]
    fn secret_values_are_masked_whole_and_by_line_and_others_are_not() {
        let masks = masks_of(&[
            var("API_TOKEN", "tok-123456", true),
            var("PEM", "line-one-AAAA\nline-two-BBBB", true),
            var("MODE", "baked", false),
            var("PIN", "42", true),
        ]);
        let text = "token=tok-123456 mode=baked pin=42\nline-two-BBBB\n";
        assert_eq!(
            masked(text, &masks),
            "token=*** mode=baked pin=42\n***\n",
            "a 2-character value is left (it would hide ordinary text); the others are hidden"
        );
        assert_eq!(
            masked("key: line-one-AAAA\nline-two-BBBB end", &masks),
            "key: *** end"
        );
    }

    #[test]
    fn one_off_names_are_valid_sandbox_names() {
        for profile in ["web", "a-profile-name-of-exactly-forty-chars-x", "x"] {
            for number in [1, 12, 4000] {
                let name = one_off_name(profile, number);
                assert!(
                    crate::validate::name(sbx_api::Field::Name, &name).is_ok(),
                    "{name}"
                );
                assert!(name.starts_with("pj-"), "{name}");
            }
        }
    }
}
