//! Sandbox profiles (SPEC P1–P3, B4): named, versioned recipes for sandboxes. A profile has at most one **draft**,
//! edited freely, and any number of **published** versions (1, 2, 3…), each an immutable recipe baked into a
//! snapshot image by a job (queued → running → ready | failed). A version is **usable** for new sandboxes only
//! while it has a ready snapshot; a **refresh** (by hand or on the profile's schedule) bakes it again, and a failed
//! refresh keeps the last usable snapshot.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::job::vocabulary;
use crate::{EnvVar, PortBinding, UnknownWord};

/// What a sandbox of a profile is made from: the draft's recipe, or a published version's (never changed again).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProfileRecipe {
    /// The preset its image is built from (exclusive with `image`; neither: the app's default preset).
    pub preset: Option<String>,
    /// A custom image instead of a preset.
    pub image: Option<String>,
    /// The setup script's text, run once in the job's one-off sandbox (baked into the snapshot).
    pub setup_script: Option<String>,
    /// Environment variables; secret values are kept in the secret store only and carried here empty.
    pub env: Vec<EnvVar>,
    /// Published ports of the sandboxes launched from it (a busy host port moves to a free one at launch).
    pub ports: Vec<PortBinding>,
    /// CPU limit.
    pub cpus: Option<u32>,
    /// Memory limit in MiB.
    pub memory_mib: Option<u32>,
    /// Idle minutes before a launched sandbox stops (`None`: the app's default).
    pub auto_stop_minutes: Option<u32>,
    /// Minutes after stopping before a launched sandbox is deleted (`None`: kept).
    pub auto_delete_minutes: Option<u32>,
}

/// When a profile's newest published version is refreshed without being asked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(tag = "kind", content = "cron", rename_all = "kebab-case")]
pub enum RefreshSchedule {
    /// Only by hand (`Refresh`, `sbx profile refresh`).
    #[default]
    Manual,
    /// On a five-field cron schedule.
    Cron(String),
    /// Whenever the image the recipe starts from changes on the engine (a new build of the preset, a new image
    /// under the same name).
    BaseImage,
}

impl RefreshSchedule {
    /// The word of [`RefreshSchedule::Manual`].
    pub const MANUAL: &'static str = "manual";
    /// The word of [`RefreshSchedule::BaseImage`].
    pub const BASE_IMAGE: &'static str = "base-image";

    /// As typed and stored: `manual`, `base-image`, or the cron expression.
    pub fn as_text(&self) -> &str {
        match self {
            RefreshSchedule::Manual => Self::MANUAL,
            RefreshSchedule::BaseImage => Self::BASE_IMAGE,
            RefreshSchedule::Cron(cron) => cron,
        }
    }

    /// How the schedule reads in a table: `manual`, `when the base image changes`, or the cron expression.
    pub fn describe(&self) -> String {
        match self {
            RefreshSchedule::Manual => "manual".to_string(),
            RefreshSchedule::BaseImage => "when the base image changes".to_string(),
            RefreshSchedule::Cron(cron) => format!("cron {cron}"),
        }
    }
}

impl fmt::Display for RefreshSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_text())
    }
}

impl FromStr for RefreshSchedule {
    type Err = crate::ApiError;

    fn from_str(text: &str) -> Result<RefreshSchedule, crate::ApiError> {
        crate::rules::refresh_schedule(text)
    }
}

vocabulary! {
    /// Where a snapshot job stands; a version's snapshot status is its job in flight, else ready or failed.
    pub enum ProfileJobStatus {
        /// Waiting for the background runner (or a command that waits for it).
        Queued = "queued",
        /// Making the snapshot.
        Running = "running",
        /// The snapshot is made: the version launches from it.
        Ready = "ready",
        /// No snapshot was made; the reason and the output are kept.
        Failed = "failed",
        /// A refresh skipped because its inputs did not change (same recipe digest, same base image).
        Unchanged = "unchanged",
    }
}

impl ProfileJobStatus {
    /// Whether the job is still queued or running.
    pub fn in_flight(self) -> bool {
        matches!(self, ProfileJobStatus::Queued | ProfileJobStatus::Running)
    }
}

vocabulary! {
    /// Why a snapshot job was queued.
    pub enum ProfileJobTrigger {
        /// The version was published: its first snapshot.
        Publish = "publish",
        /// A refresh asked for by hand.
        Refresh = "refresh",
        /// The profile's cron schedule.
        Schedule = "schedule",
        /// The profile's schedule "when the base image changes".
        BaseImage = "base-image",
    }
}

/// One snapshot job of a profile version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileJob {
    /// Job id.
    pub id: String,
    /// The profile's name.
    pub profile: String,
    /// The version it bakes.
    pub version: u32,
    /// Why it was queued.
    pub trigger: ProfileJobTrigger,
    /// Whether it runs even when its inputs did not change (`--force`).
    pub forced: bool,
    /// Where it stands.
    pub status: ProfileJobStatus,
    /// The step it is at (or ended at).
    pub step: String,
    /// Why it failed, or why it was skipped as unchanged.
    pub error: Option<String>,
    /// The snapshot image it made, once ready.
    pub image: Option<String>,
    /// The engine id of the image the recipe started from, once known.
    pub base_image_id: Option<String>,
    /// When it was queued.
    pub queued_at: DateTime<Utc>,
    /// When it started running.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A job and its output so far: each step, the image build and the setup script's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileJobOutput {
    /// The job.
    pub job: ProfileJob,
    /// Its output, as text.
    pub output: String,
}

/// The snapshot image a version launches from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileSnapshot {
    /// The image (`sandbox-desktop/profile-<name>:v<N>-<job>`).
    pub image: String,
    /// The job that made it.
    pub job_id: String,
    /// When it was made.
    pub made_at: DateTime<Utc>,
    /// The engine id of the image its recipe started from.
    pub base_image_id: Option<String>,
}

/// A published version: its recipe, its snapshot and whether new sandboxes can launch from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileVersion {
    /// 1, 2, 3…
    pub number: u32,
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// SHA-256 of its recipe (with secret values left out).
    pub digest: String,
    /// What it is made from.
    pub recipe: ProfileRecipe,
    /// The snapshot sandboxes launch from, while it has one.
    pub snapshot: Option<ProfileSnapshot>,
    /// The snapshot status: the job in flight (queued, running), else ready while it has a snapshot, else failed.
    pub status: ProfileJobStatus,
    /// Whether new sandboxes can launch from it (it has a ready snapshot).
    pub usable: bool,
    /// Why it is not usable, when it is not.
    pub unusable_reason: Option<String>,
    /// The newest job: in flight, or the last refresh result.
    pub last_job: Option<ProfileJob>,
}

/// The draft: the next version's recipe, edited freely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileDraft {
    /// What it is made from.
    pub recipe: ProfileRecipe,
    /// The version it was started from, if any.
    pub based_on: Option<u32>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

/// A sandbox profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Stable id (UUID).
    pub id: String,
    /// Unique name: 1–40 lowercase letters, digits and `-`.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its newest version is refreshed without being asked.
    pub refresh_schedule: RefreshSchedule,
    /// When a snapshot of it was last made.
    pub last_refreshed: Option<DateTime<Utc>>,
    /// The draft, if there is one.
    pub draft: Option<ProfileDraft>,
    /// Published versions, newest first.
    pub versions: Vec<ProfileVersion>,
}

impl Profile {
    /// The newest version new sandboxes can launch from.
    pub fn newest_usable(&self) -> Option<&ProfileVersion> {
        self.versions.iter().find(|v| v.usable)
    }

    /// The newest published version.
    pub fn newest(&self) -> Option<&ProfileVersion> {
        self.versions.first()
    }
}

/// Create a profile (its draft is this recipe), or edit its draft and schedule.
///
/// On create, and on edit with `replace` (the window's form sends the whole recipe), a field left out is empty;
/// on edit without `replace` (`sbx profile edit` with some flags) a field left out keeps its value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProfileRequest {
    /// The profile's name.
    pub name: String,
    /// `--preset` (a preset given clears the image).
    pub preset: Option<String>,
    /// `--image` (an image given clears the preset).
    pub image: Option<String>,
    /// `--setup-script FILE`: a host path.
    pub setup_script: Option<String>,
    /// The setup script's text (the window's form); empty removes the script.
    pub setup_script_text: Option<String>,
    /// `--env K=V`, repeatable; when given, the whole environment. A secret variable given empty keeps its value.
    pub env: Option<Vec<String>>,
    /// Names among `env` that are secret (besides those secret by name).
    pub secret_env: Vec<String>,
    /// `--port [IP:]HOST:CONTAINER[/udp]`, repeatable; when given, all the ports.
    pub ports: Option<Vec<String>>,
    /// `--cpus`.
    pub cpus: Option<u32>,
    /// `--memory` in MiB.
    pub memory_mib: Option<u32>,
    /// Auto-stop minutes of launched sandboxes.
    pub auto_stop_minutes: Option<u32>,
    /// Auto-delete minutes of launched sandboxes.
    pub auto_delete_minutes: Option<u32>,
    /// `--refresh-schedule`: `manual`, `base-image` or a five-field cron expression.
    pub refresh_schedule: Option<String>,
    /// The request is the whole recipe: fields left out are cleared.
    pub replace: bool,
    /// The directory a relative setup script path is read from (the CLI's working directory).
    pub cwd: Option<String>,
}

/// Refresh a published version: `NAME` (the newest version) or `NAME@N`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RefreshProfileRequest {
    /// `NAME` or `NAME@N`.
    pub profile: String,
    /// Run even when the inputs did not change.
    pub force: bool,
}

/// Test a profile's draft: a sandbox from it (no repository, no credentials) that runs the setup script.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TestProfileRequest {
    /// The profile's name.
    pub profile: String,
    /// The test sandbox's name (generated when absent).
    pub name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_read_and_print_their_words() {
        assert_eq!(
            "manual".parse::<RefreshSchedule>(),
            Ok(RefreshSchedule::Manual)
        );
        assert_eq!("".parse::<RefreshSchedule>(), Ok(RefreshSchedule::Manual));
        assert_eq!(
            "base-image".parse::<RefreshSchedule>(),
            Ok(RefreshSchedule::BaseImage)
        );
        assert_eq!(
            "0  3 * * *".parse::<RefreshSchedule>(),
            Ok(RefreshSchedule::Cron("0 3 * * *".into()))
        );
        for bad in ["daily", "0 3 * *", "0 0 30 2 *"] {
            let error = bad.parse::<RefreshSchedule>().unwrap_err();
            assert_eq!(error.field(), Some("refresh-schedule"), "{bad}");
        }
        for schedule in [
            RefreshSchedule::Manual,
            RefreshSchedule::BaseImage,
            RefreshSchedule::Cron("*/5 * * * *".into()),
        ] {
            assert_eq!(schedule.as_text().parse::<RefreshSchedule>(), Ok(schedule));
        }
    }

    #[test]
    fn references_name_a_profile_and_maybe_a_version() {
        use crate::rules::profile_ref;
        assert_eq!(profile_ref("web"), Ok(("web".into(), None)));
        assert_eq!(profile_ref("web@2"), Ok(("web".into(), Some(2))));
        for bad in ["web@0", "web@x", "Web", "@1", ""] {
            let error = profile_ref(bad).unwrap_err();
            assert_eq!(error.field(), Some("profile"), "{bad}");
        }
    }

    #[test]
    fn the_stored_words_are_pinned() {
        let statuses: Vec<&str> = ProfileJobStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            statuses,
            ["queued", "running", "ready", "failed", "unchanged"]
        );
        let triggers: Vec<&str> = ProfileJobTrigger::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(triggers, ["publish", "refresh", "schedule", "base-image"]);
        assert_eq!(
            "ready".parse::<ProfileJobStatus>(),
            Ok(ProfileJobStatus::Ready)
        );
        assert_eq!(
            "done".parse::<ProfileJobStatus>(),
            Err(UnknownWord("done".into()))
        );
    }
}
