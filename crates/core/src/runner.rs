//! The background runner: one process at a time (a lease in SQLite, whether the desktop app or `sbx serve` runs)
//! does the periodic work — idle auto-stop and auto-delete (S7), automatic snapshots (N8), the expiry reaper (N7),
//! profile snapshot jobs and their schedules (P1–P2, [`crate::profiles::runner`]) and recovery of interrupted work.
//!
//! **Idle** means: the sandbox is running (not setting up), no command session (exec, ssh, terminal) is running in
//! it, and its processes used less than [`IDLE_CPU_FRACTION`] of one CPU on average since the previous check. A
//! sandbox that has been idle at every check for its auto-stop interval is stopped. A stopped sandbox with an
//! auto-delete interval is deleted that long after it stopped (its git volume is kept).

use chrono::{DateTime, Utc};
use sbx_api::SandboxState;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::sandbox::SandboxRecord;
use crate::sandbox::parse_time;
use crate::sandbox::state::Phase;
use crate::store::{leases, sandboxes};
use crate::{Core, Result};

/// Environment variable setting how many seconds a "minute" of the interval settings lasts (default 60). For tests
/// only: it lets auto-stop, auto-delete and schedules be tested with short intervals.
pub const MINUTE_ENV: &str = "SANDBOX_DESKTOP_MINUTE_SECS";
/// The lease the runner holds.
pub const RUNNER_LEASE: &str = "runner";
/// A lease not renewed for this long can be taken by another process.
const LEASE_TTL: Duration = Duration::from_secs(15);
/// Below this share of one CPU (averaged between two checks) a sandbox counts as idle.
pub const IDLE_CPU_FRACTION: f64 = 0.05;

/// The length of one interval minute.
pub fn minute() -> Duration {
    std::env::var(MINUTE_ENV)
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| *v > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(60))
}

/// CPU samples of the idle check, by container id.
#[derive(Debug, Default)]
pub struct CpuSamples {
    samples: Mutex<HashMap<String, (u64, Instant)>>,
}

impl Core {
    /// Take or renew the lease `name` for this process; true when this process holds it now.
    pub async fn hold_lease(&self, name: &str) -> Result<bool> {
        let now = Utc::now().timestamp_millis();
        let expires = now + LEASE_TTL.as_millis() as i64;
        leases::take_or_renew(
            self.store().pool(),
            name,
            self.process_token(),
            expires,
            now,
        )
        .await
    }

    /// Give the lease up (on orderly shutdown) so another process can take it at once.
    pub async fn release_lease(&self, name: &str) -> Result<()> {
        leases::release(self.store().pool(), name, self.process_token()).await
    }

    /// The process token holding the lease `name`, if it is current.
    pub async fn lease_holder(&self, name: &str) -> Result<Option<String>> {
        let lease = leases::by_name(self.store().pool(), name).await?;
        Ok(lease
            .filter(|lease| lease.expires_at >= Utc::now().timestamp_millis())
            .map(|lease| lease.holder))
    }

    /// Run the background runner for as long as the process lives.
    pub fn spawn_runner(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let core = Arc::clone(self);
        tokio::spawn(async move {
            core.recover().await;
            let mut last_recovery = Instant::now();
            loop {
                match core.hold_lease(RUNNER_LEASE).await {
                    Ok(true) => {
                        if last_recovery.elapsed() > Duration::from_secs(30) {
                            core.recover().await;
                            last_recovery = Instant::now();
                        }
                        core.runner_pass().await;
                    }
                    Ok(false) => {}
                    Err(error) => tracing::warn!("runner lease: {error}"),
                }
                tokio::time::sleep(core.tick()).await;
            }
        })
    }

    /// One pass of the periodic work.
    pub async fn runner_pass(self: &Arc<Self>) {
        if self.engine().connect().await.is_err() {
            return;
        }
        if let Err(error) = self.idle_pass().await {
            tracing::warn!("idle check: {error}");
        }
        if let Err(error) = self.schedule_pass().await {
            tracing::warn!("automatic snapshots: {error}");
        }
        if let Err(error) = self.reaper_pass().await {
            tracing::warn!("snapshot reaper: {error}");
        }
        if let Err(error) = self.profile_pass().await {
            tracing::warn!("profiles: {error}");
        }
    }

    /// Auto-stop idle sandboxes and auto-delete long-stopped ones.
    async fn idle_pass(&self) -> Result<()> {
        let minute =
            chrono::Duration::from_std(self.minute()).unwrap_or(chrono::Duration::seconds(60));
        let now = Utc::now();
        for record in self.sandbox_records().await? {
            if record.phase != Phase::Created {
                continue;
            }
            let Some(inspect) = self.inspect_container(&record).await? else {
                continue;
            };
            let state = inspect.state.clone().unwrap_or_default();
            let container_id = inspect.id.clone();
            let view = self.sandbox_view(&record).await?;
            match view.state {
                SandboxState::Running => {
                    if record.spec.auto_stop_minutes == 0 {
                        continue;
                    }
                    let busy = self.has_running_exec(&inspect.exec_ids).await?
                        || self.cpu_busy(&container_id).await?;
                    if busy {
                        self.touch_active(&record.spec.id).await?;
                        continue;
                    }
                    let started = state.started_at.as_deref().and_then(parse_time);
                    let last_active = self.last_active(&record).await?;
                    let idle_since = match (started, last_active) {
                        (Some(a), Some(b)) => a.max(b),
                        (a, b) => a.or(b).unwrap_or(now),
                    };
                    if now - idle_since >= minute * record.spec.auto_stop_minutes as i32 {
                        tracing::info!(
                            "auto-stopping sandbox {} after {} idle minutes",
                            record.spec.name,
                            record.spec.auto_stop_minutes
                        );
                        self.stop_sandbox(&record.spec.name).await?;
                    }
                }
                SandboxState::SettingUp => self.touch_active(&record.spec.id).await?,
                SandboxState::Stopped | SandboxState::SetupFailed | SandboxState::Failed => {
                    let Some(after) = record.spec.auto_delete_minutes else {
                        continue;
                    };
                    let Some(finished) = state.finished_at.as_deref().and_then(parse_time) else {
                        continue;
                    };
                    if now - finished >= minute * after as i32 {
                        tracing::info!(
                            "auto-deleting sandbox {} {after} minutes after it stopped",
                            record.spec.name
                        );
                        self.delete_sandbox(&record.spec.name, true).await?;
                    }
                }
                SandboxState::Creating => {}
            }
        }
        Ok(())
    }

    async fn last_active(&self, record: &SandboxRecord) -> Result<Option<DateTime<Utc>>> {
        sandboxes::last_active(self.store().pool(), &record.spec.id).await
    }

    /// Whether any of these exec sessions is still running.
    async fn has_running_exec(&self, exec_ids: &[String]) -> Result<bool> {
        self.engine().connect().await?;
        for id in exec_ids {
            if let Ok(state) = self.engine().exec_state(id).await
                && state.running
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether the container used at least [`IDLE_CPU_FRACTION`] of a CPU since the previous sample (false on the
    /// first sample).
    async fn cpu_busy(&self, container_id: &str) -> Result<bool> {
        let Some(usage) = self.engine().cpu_usage(container_id).await? else {
            return Ok(false);
        };
        let now = Instant::now();
        let previous = self
            .cpu_samples
            .samples
            .lock()
            .ok()
            .and_then(|mut map| map.insert(container_id.to_string(), (usage, now)));
        Ok(match previous {
            Some((before, at)) if usage >= before => {
                let wall = now.duration_since(at).as_nanos().max(1) as f64;
                (usage - before) as f64 / wall >= IDLE_CPU_FRACTION
            }
            _ => false,
        })
    }
}
