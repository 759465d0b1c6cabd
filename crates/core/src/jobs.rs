//! Long work as jobs: a row in SQLite with its stage, a heartbeat while the owning process works on it, progress
//! events for the UI, and a recorded outcome — also when the process is killed mid-way (the next start finds the
//! job without a live owner and cleans up after it).

use chrono::Utc;
use sbx_api::{JobKind, JobStage, JobStatus, Progress, UiEvent};
use std::sync::Arc;
use std::time::Duration;

use crate::store::jobs::{self as rows, NewJob};
use crate::{Core, Result};

pub use crate::store::jobs::JobRow;

/// How often a running job proves its owner is alive.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// A running job whose heartbeat is older than this has no live owner.
pub const STALE_AFTER: Duration = Duration::from_secs(30);

/// A job in progress, owned by this process. Finish it with [`JobHandle::succeed`] or [`JobHandle::fail`];
/// dropping it unfinished leaves the row `running`, which recovery treats as interrupted once the heartbeat stops.
#[derive(Debug)]
pub struct JobHandle {
    core: Arc<Core>,
    /// The job's id.
    pub id: String,
    /// What kind of work.
    pub kind: JobKind,
    /// The sandbox or snapshot name it works on.
    pub target: String,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl Core {
    /// Record a new running job owned by this process and start its heartbeat.
    pub async fn begin_job(self: &Arc<Self>, kind: JobKind, target: &str) -> Result<JobHandle> {
        let id = uuid::Uuid::new_v4().to_string();
        self.begin_job_with_id(&id, kind, target).await
    }

    /// Like [`Core::begin_job`] with an id chosen by the caller (so labels can name it before the row exists).
    pub async fn begin_job_with_id(
        self: &Arc<Self>,
        id: &str,
        kind: JobKind,
        target: &str,
    ) -> Result<JobHandle> {
        let job = NewJob {
            id,
            kind: kind.as_str(),
            target,
            owner: self.process_token(),
            at: Utc::now(),
        };
        rows::insert_running(self.store().pool(), &job).await?;
        let pool = self.store().pool().clone();
        let job_id = id.to_string();
        let heartbeat = tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                let _ = rows::heartbeat(&pool, &job_id, Utc::now()).await;
            }
        });
        Ok(JobHandle {
            core: Arc::clone(self),
            id: id.to_string(),
            kind,
            target: target.to_string(),
            heartbeat,
        })
    }

    /// A job by id.
    pub async fn job(&self, id: &str) -> Result<Option<JobRow>> {
        rows::by_id(self.store().pool(), id).await
    }

    /// Running jobs whose owner is gone: no heartbeat for [`STALE_AFTER`], or (same machine) the owner's
    /// process no longer exists. Never this process's own jobs.
    pub async fn orphaned_jobs(&self) -> Result<Vec<JobRow>> {
        let running = rows::running_not_owned_by(self.store().pool(), self.process_token()).await?;
        let stale_before = Utc::now()
            - chrono::Duration::from_std(STALE_AFTER).unwrap_or(chrono::Duration::seconds(30));
        Ok(running
            .into_iter()
            .filter(|job| job.heartbeat_at < stale_before || !owner_alive(&job.owner))
            .collect())
    }

    /// Mark a job failed (used by recovery for jobs of dead processes).
    pub async fn fail_job(&self, id: &str, error: &str) -> Result<()> {
        rows::fail_if_running(self.store().pool(), id, error, Utc::now()).await
    }
}

impl JobRow {
    /// The kind of work, `None` for a word this version does not know.
    pub fn job_kind(&self) -> Option<JobKind> {
        self.kind.parse().ok()
    }

    /// The last stage, `None` before the first or for a word this version does not know.
    pub fn job_stage(&self) -> Option<JobStage> {
        self.stage.parse().ok()
    }

    /// How the job stands, `None` for a word this version does not know.
    pub fn job_status(&self) -> Option<JobStatus> {
        self.status.parse().ok()
    }
}

/// Whether the process named by an owner token (`<pid>:<uuid>`) still runs (see [`process_alive`]).
fn owner_alive(owner: &str) -> bool {
    let Some(pid) = owner.split(':').next().and_then(|p| p.parse::<u32>().ok()) else {
        return true;
    };
    process_alive(pid)
}

/// Whether the process `pid` still runs: `/proc` on Linux, `ps` on the other Unixes (macOS has no `/proc`),
/// `tasklist` on Windows. Where that cannot be told (the tool does not run), assume it does and let the heartbeat
/// decide.
pub fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(target_os = "linux")]
    {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        // `ps -p` exits 1 when no such process exists, whoever owns it.
        std::process::Command::new("ps")
            .args(["-p", &pid.to_string(), "-o", "pid="])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .map(|status| status.success())
            .unwrap_or(true)
    }
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        /// No console window flashes up when the desktop app asks.
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        // One CSV line per match (`"name.exe","1234",…`), or an informational line when there is none.
        std::process::Command::new("tasklist")
            .args(["/FI", &format!("PID eq {pid}"), "/NH", "/FO", "CSV"])
            .creation_flags(CREATE_NO_WINDOW)
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).contains(&format!("\"{pid}\"")))
            .unwrap_or(true)
    }
    #[cfg(not(any(unix, windows)))]
    {
        true
    }
}

impl JobHandle {
    /// Record and announce the current stage.
    pub async fn stage(&self, stage: JobStage, message: &str, fraction: Option<f32>) {
        let _ = rows::set_stage(
            self.core.store().pool(),
            &self.id,
            stage.as_str(),
            message,
            Utc::now(),
        )
        .await;
        self.emit(stage, message, fraction, false, None);
    }

    /// Announce a line of output without writing the database (frequent output such as build or setup logs).
    pub fn output(&self, stage: JobStage, message: &str) {
        self.emit(stage, message, None, false, None);
    }

    fn emit(
        &self,
        stage: JobStage,
        message: &str,
        fraction: Option<f32>,
        done: bool,
        error: Option<String>,
    ) {
        self.core.emit(UiEvent::Progress(Progress {
            job_id: self.id.clone(),
            kind: self.kind,
            target: self.target.clone(),
            stage,
            message: message.to_string(),
            fraction,
            done,
            error,
        }));
    }

    /// Forget a job that never really started (its request was rejected): the row is deleted.
    pub async fn discard(self) {
        self.heartbeat.abort();
        let _ = rows::delete(self.core.store().pool(), &self.id).await;
    }

    /// Record success.
    pub async fn succeed(self) -> Result<()> {
        self.heartbeat.abort();
        rows::set_succeeded(self.core.store().pool(), &self.id, Utc::now()).await?;
        self.emit(JobStage::Done, "", Some(1.0), true, None);
        Ok(())
    }

    /// Record failure with the reason.
    pub async fn fail(self, error: &str) -> Result<()> {
        self.heartbeat.abort();
        rows::set_failed(self.core.store().pool(), &self.id, error, Utc::now()).await?;
        self.emit(JobStage::Failed, error, None, true, Some(error.to_string()));
        Ok(())
    }
}

impl Drop for JobHandle {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}
