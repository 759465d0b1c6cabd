//! Sandboxes (S1–S8): their records, state (derived from the engine), lifecycle (start, stop, restart, delete)
//! and logs. Creation is in [`create`], commands in [`crate::exec`].

pub mod container;
pub mod create;
pub mod lifecycle;
pub mod live;
pub mod main_command;
pub mod plan;
pub mod spec;
pub mod state;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sbx_api::{ApiError, LogsRequest, Sandbox, SandboxLogs, SandboxState, UiEvent};
use std::time::Duration;

use crate::engine::{ContainerInfo, LogOptions};
use crate::store::sandboxes::{self, SandboxRow};
use crate::{Core, Error, Result};
use spec::SandboxSpec;
use state::{ContainerFacts, Phase};

/// How many containers a listing inspects at once (one request each to the engine).
const LIST_INSPECTIONS: usize = 16;

/// A sandbox row: its spec and how creation went.
#[derive(Debug, Clone)]
pub struct SandboxRecord {
    /// The resolved configuration.
    pub spec: SandboxSpec,
    /// Engine container id, once created.
    pub container_id: Option<String>,
    /// Creation outcome.
    pub phase: Phase,
    /// Why creation failed.
    pub failure: Option<String>,
}

impl SandboxRecord {
    fn from_row(row: SandboxRow) -> Result<SandboxRecord> {
        let spec: SandboxSpec = serde_json::from_str(&row.spec)
            .map_err(|e| Error::Other(format!("unreadable sandbox record: {e}")))?;
        Ok(SandboxRecord {
            spec,
            container_id: row.container_id,
            phase: Phase::parse(&row.phase),
            failure: row.failure,
        })
    }
}

/// Output lines of a container log, as they come.
pub type LogStream = crate::engine::TextStream;

/// How long a wait for a sandbox with a main command watches it after its ready line: a command that ends within
/// this time is reported as the sandbox's end (stopped or failed with its code) rather than as a running sandbox.
const MAIN_COMMAND_GRACE: Duration = Duration::from_secs(1);

impl Core {
    /// The record of the sandbox called `name`.
    pub async fn sandbox_record(&self, name: &str) -> Result<SandboxRecord> {
        let row = sandboxes::by_name(self.store().pool(), name).await?;
        SandboxRecord::from_row(row.ok_or_else(|| ApiError::not_found("sandbox", name))?)
    }

    /// The record of the sandbox called `key`, else of the sandbox whose id is `key` (how the HTTP API addresses
    /// objects: by id or by name).
    pub async fn find_sandbox(&self, key: &str) -> Result<SandboxRecord> {
        let pool = self.store().pool();
        let row = match sandboxes::by_name(pool, key).await? {
            Some(row) => Some(row),
            None => sandboxes::by_id(pool, key).await?,
        };
        SandboxRecord::from_row(row.ok_or_else(|| ApiError::not_found("sandbox", key))?)
    }

    /// Every sandbox record, oldest first.
    pub async fn sandbox_records(&self) -> Result<Vec<SandboxRecord>> {
        let rows = sandboxes::all(self.store().pool()).await?;
        rows.into_iter().map(SandboxRecord::from_row).collect()
    }

    /// Inspect the sandbox's container; `None` when it does not exist.
    pub(crate) async fn inspect_container(
        &self,
        record: &SandboxRecord,
    ) -> Result<Option<ContainerInfo>> {
        let target = record
            .container_id
            .clone()
            .unwrap_or_else(|| record.spec.container_name());
        self.engine().inspect_container(&target).await
    }

    /// The API view of a record, with its state from the engine.
    pub async fn sandbox_view(&self, record: &SandboxRecord) -> Result<Sandbox> {
        let inspect = if record.phase == Phase::Created {
            self.inspect_container(record).await?
        } else {
            None
        };
        let facts = match &inspect {
            None => ContainerFacts::Missing,
            Some(inspect) => {
                let ready = match state::running_since(inspect) {
                    Some(started_at) => self.booted_ready(&inspect.id, &started_at).await?,
                    None => false,
                };
                state::facts(inspect, ready)
            }
        };
        let (mut state, mut reason) =
            state::derive(record.phase, record.failure.as_deref(), &facts);
        if !record.spec.main_command.is_keep_alive()
            && state::may_be_main_command_exit(&facts)
            && let Some(inspect) = &inspect
            && let Some(code) = self.main_exit_code(&inspect.id).await
        {
            (state, reason) = state::main_command_ended(code);
        }
        let container_id = inspect
            .as_ref()
            .map(|i| i.id.clone())
            .filter(|id| !id.is_empty())
            .or_else(|| record.container_id.clone());
        let published = inspect.map(|i| i.published).unwrap_or_default();
        let mut view = record.spec.to_api(state, reason, container_id);
        // Ports published on "any free port" show the port the engine picked, while it runs.
        for port in &mut view.ports {
            if port.host_port == 0
                && let Some(actual) =
                    published.get(&(port.container_port, port.protocol.as_str().to_string()))
            {
                port.host_port = *actual;
            }
        }
        view.resolve_service_urls();
        Ok(view)
    }

    /// The exit code the main command's own last line in the container's log gives (`None` when the container did
    /// not end that way, or its log cannot be read).
    async fn main_exit_code(&self, container_id: &str) -> Option<i64> {
        let read = LogOptions {
            tail: Some(20),
            ..Default::default()
        };
        let mut stream = self.engine().logs(container_id, &read).await.ok()?;
        let mut log = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            log.push_str(&chunk);
        }
        container::main_exit_code(&log)
    }

    /// Whether the current boot of the container printed the ready line: in the log since shortly before
    /// `started_at`, the last boot line is followed by a ready line. Remembered once true for that boot.
    async fn booted_ready(&self, container_id: &str, started_at: &str) -> Result<bool> {
        let key = format!("{container_id}@{started_at}");
        if self
            .ready_boots
            .lock()
            .map(|s| s.contains(&key))
            .unwrap_or(false)
        {
            return Ok(true);
        }
        // The engine records the start a little after the process starts: look a few seconds earlier.
        let since = parse_time(started_at)
            .map(|t| (t.timestamp() - 5).max(0) as i32)
            .unwrap_or(0);
        let read = LogOptions {
            since: Some(since),
            ..Default::default()
        };
        let mut stream = self.engine().logs(container_id, &read).await?;
        let mut ready = false;
        let mut pending = String::new();
        while let Some(chunk) = stream.next().await {
            pending.push_str(&chunk?);
            while let Some(end) = pending.find('\n') {
                let line: String = pending.drain(..=end).collect();
                let line = line.trim_end();
                if line.starts_with(container::BOOT_MARKER) {
                    ready = false;
                } else if line.starts_with(container::READY_MARKER) {
                    ready = true;
                }
            }
        }
        if ready && let Ok(mut set) = self.ready_boots.lock() {
            set.insert(key);
        }
        Ok(ready)
    }

    /// The name of a new sandbox: `wanted` checked (format, not taken), or a generated unused one like `teal-tokyo`.
    pub(crate) async fn new_sandbox_name(&self, wanted: Option<&str>) -> Result<String> {
        if let Some(name) = wanted.map(str::trim).filter(|n| !n.is_empty()) {
            crate::validate::name(sbx_api::Field::Name, name)?;
            if self.sandbox_record(name).await.is_ok() {
                return Err(ApiError::invalid(
                    sbx_api::Field::Name,
                    name,
                    "a sandbox with this name already exists",
                )
                .into());
            }
            if self.container_name_taken(name).await {
                return Err(ApiError::invalid(
                    sbx_api::Field::Name,
                    name,
                    format!(
                        "the engine already has a container named {} that is not a sandbox of this app's data \
                         (made by another data dir, or by hand); remove it or pick another name",
                        spec::container_name(name)
                    ),
                )
                .into());
            }
            return Ok(name.to_string());
        }
        for _ in 0..64 {
            let candidate = crate::validate::generate_name(uuid::Uuid::new_v4().as_u64_pair().0);
            if self.sandbox_record(&candidate).await.is_err()
                && !self.container_name_taken(&candidate).await
            {
                return Ok(candidate);
            }
        }
        Err(Error::Other("could not find an unused sandbox name".into()))
    }

    /// Whether the engine has a container with the engine name of sandbox `name` (a sandbox of another data dir,
    /// or a container made by hand): creating would fail on it after the clone. An engine that does not answer
    /// takes nothing; the create then fails on the engine itself.
    async fn container_name_taken(&self, name: &str) -> bool {
        matches!(
            self.engine()
                .inspect_container(&spec::container_name(name))
                .await,
            Ok(Some(_))
        )
    }

    /// Refuse a CPU limit above the CPUs the engine has (the engine would refuse the container only after the clone
    /// and the volume). An engine that does not answer lets it pass; the create then fails on the engine itself.
    pub(crate) async fn check_cpus_fit(&self, cpus: Option<u32>) -> Result<()> {
        let Some(cpus) = cpus else {
            return Ok(());
        };
        let available = self.engine().cpus().await.ok().flatten();
        match available {
            Some(available) if i64::from(cpus) > available => Err(ApiError::invalid(
                sbx_api::Field::Cpus,
                cpus.to_string(),
                format!(
                    "the Docker engine has {available} CPU{}",
                    if available == 1 { "" } else { "s" }
                ),
            )
            .into()),
            _ => Ok(()),
        }
    }

    /// All sandboxes with their current state.
    pub async fn list_sandboxes(&self) -> Result<Vec<Sandbox>> {
        let records = self.sandbox_records().await?;
        self.views(&records).await
    }

    /// The views of `records`, in their order. Each asks the engine about its container: [`LIST_INSPECTIONS`] at a
    /// time.
    async fn views(&self, records: &[SandboxRecord]) -> Result<Vec<Sandbox>> {
        let mut out = Vec::with_capacity(records.len());
        for chunk in records.chunks(LIST_INSPECTIONS) {
            let mut views = Vec::with_capacity(chunk.len());
            for record in chunk {
                views.push(Box::pin(self.sandbox_view(record)));
            }
            for view in futures_util::future::join_all(views).await {
                out.push(view?);
            }
        }
        Ok(out)
    }

    /// One page of [`Core::list_sandboxes`]: only its sandboxes' containers are asked about.
    pub async fn list_sandboxes_page(
        &self,
        request: &sbx_api::ListSandboxesRequest,
    ) -> Result<sbx_api::SandboxPage> {
        sbx_api::rules::page_and_limit(request.page, request.limit)?;
        let records = self.sandbox_records().await?;
        let skip = (request.page as usize - 1).saturating_mul(request.limit as usize);
        let shown = records.get(skip..).unwrap_or_default();
        let shown = shown
            .get(..shown.len().min(request.limit as usize))
            .unwrap_or_default();
        Ok(sbx_api::SandboxPage {
            items: self.views(shown).await?,
            page: request.page,
            limit: request.limit,
            total: records.len() as u64,
        })
    }

    /// One sandbox by name.
    pub async fn get_sandbox(&self, name: &str) -> Result<Sandbox> {
        let record = self.sandbox_record(name).await?;
        self.sandbox_view(&record).await
    }

    fn changed(&self, name: &str) {
        self.emit(UiEvent::SandboxesChanged {
            name: Some(name.to_string()),
        });
    }

    /// Start a stopped sandbox. The setup script runs only if it has not yet succeeded in this sandbox.
    pub async fn start_sandbox(&self, name: &str) -> Result<Sandbox> {
        let record = self.sandbox_record(name).await?;
        let view = self.sandbox_view(&record).await?;
        match view.state {
            SandboxState::Running | SandboxState::SettingUp => return Ok(view),
            SandboxState::Creating => {
                return Err(
                    ApiError::conflict(format!("sandbox '{name}' is still being created")).into(),
                );
            }
            _ => {}
        }
        let Some(container_id) = view
            .container_id
            .clone()
            .filter(|_| record.phase == Phase::Created)
        else {
            return Err(ApiError::conflict(format!(
                "sandbox '{name}' has no container to start ({}); delete it and create it again",
                view.state_reason.unwrap_or_else(|| view.state.to_string())
            ))
            .into());
        };
        self.engine().start_container(&container_id).await?;
        self.touch_active(&record.spec.id).await?;
        self.changed(name);
        self.get_sandbox(name).await
    }

    /// Stop a sandbox (its processes get a few seconds to exit).
    pub async fn stop_sandbox(&self, name: &str) -> Result<Sandbox> {
        let record = self.sandbox_record(name).await?;
        if let Some(inspect) = self.inspect_container(&record).await?
            && state::running_since(&inspect).is_some()
        {
            if inspect.state.as_ref().is_some_and(|s| s.paused) {
                return Err(ApiError::conflict(format!(
                    "sandbox '{name}' is paused while a snapshot is captured; try again when it finishes"
                ))
                .into());
            }
            self.engine().stop_container(&inspect.id, 5).await?;
        }
        self.changed(name);
        self.get_sandbox(name).await
    }

    /// Stop, then start.
    pub async fn restart_sandbox(&self, name: &str) -> Result<Sandbox> {
        self.stop_sandbox(name).await?;
        self.start_sandbox(name).await
    }

    /// Delete a sandbox: its container, its files and its record. Its git volume is kept. A running sandbox needs
    /// `force`.
    pub async fn delete_sandbox(&self, name: &str, force: bool) -> Result<()> {
        let record = self.sandbox_record(name).await?;
        if record.phase == Phase::Creating {
            return Err(ApiError::conflict(format!(
                "sandbox '{name}' is still being created; delete it when creation finishes"
            ))
            .into());
        }
        let inspect = self.inspect_container(&record).await?;
        if let Some(inspect) = &inspect {
            if state::running_since(inspect).is_some() && !force {
                return Err(ApiError::conflict(format!(
                    "sandbox '{name}' is running; stop it first or delete with --force"
                ))
                .into());
            }
            if inspect.state.as_ref().is_some_and(|s| s.paused) {
                let _ = self.engine().unpause_container(&inspect.id).await;
            }
            self.engine().remove_container(&inspect.id).await?;
        }
        self.forget_sandbox(&record.spec.id).await?;
        self.changed(name);
        Ok(())
    }

    /// Remove a sandbox's record and host files (its container is already gone).
    pub(crate) async fn forget_sandbox(&self, id: &str) -> Result<()> {
        sandboxes::delete(self.store().pool(), id).await?;
        let dir = self.paths().sandbox_dir(id);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| Error::io(format!("removing {}", dir.display()), e))?;
        }
        self.secrets()
            .remove(id)
            .map_err(|e| Error::io("removing the sandbox's secret variables", e))?;
        Ok(())
    }

    /// Record that the sandbox was busy now (idle time counts from here).
    pub(crate) async fn touch_active(&self, id: &str) -> Result<()> {
        sandboxes::set_last_active(self.store().pool(), id, Utc::now()).await
    }

    /// The setup output and the whole log of a sandbox.
    pub async fn sandbox_logs(&self, request: &LogsRequest) -> Result<SandboxLogs> {
        let record = self.sandbox_record(&request.name).await?;
        let Some(inspect) = self.inspect_container(&record).await? else {
            return Ok(SandboxLogs {
                setup: String::new(),
                all: String::new(),
            });
        };
        let read = LogOptions {
            tail: request.tail,
            ..Default::default()
        };
        let mut stream = self.engine().logs(&inspect.id, &read).await?;
        let mut all = String::new();
        while let Some(chunk) = stream.next().await {
            all.push_str(&chunk?);
        }
        let setup = container::setup_section(&all);
        Ok(SandboxLogs { setup, all })
    }

    /// Follow a sandbox's log: what was printed so far, then new lines as they come, until the container stops.
    pub async fn follow_logs(&self, name: &str) -> Result<LogStream> {
        let record = self.sandbox_record(name).await?;
        let inspect = self
            .inspect_container(&record)
            .await?
            .ok_or_else(|| ApiError::conflict(format!("sandbox '{name}' has no container")))?;
        let read = LogOptions {
            follow: true,
            ..Default::default()
        };
        self.engine().logs(&inspect.id, &read).await
    }

    /// Wait until the sandbox is running (or has failed), up to `timeout`. Follows the container's log for the ready
    /// line rather than polling.
    pub async fn wait_until_ready(&self, name: &str, timeout: Duration) -> Result<Sandbox> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut graced = false;
        // The last look followed the log: the next one, if the state has not moved, waits a moment first.
        let mut followed = false;
        loop {
            let view = self.get_sandbox(name).await?;
            match view.state {
                // A main command that exits at once (a typo, a missing file) ends the sandbox a moment after its
                // ready line: give it that moment, so the caller hears of it instead of a sandbox that is gone.
                SandboxState::Running if !view.main_command.is_keep_alive() && !graced => {
                    graced = true;
                    tokio::time::sleep(MAIN_COMMAND_GRACE).await;
                    continue;
                }
                SandboxState::Running
                | SandboxState::Stopped
                | SandboxState::SetupFailed
                | SandboxState::Failed => return Ok(view),
                SandboxState::Creating | SandboxState::SettingUp => {}
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ApiError::conflict(format!(
                    "sandbox '{name}' is still {} after {} s",
                    view.state,
                    timeout.as_secs()
                ))
                .into());
            }
            // Follow this boot's log until it says ready (or setup failed), or the container stops; then look again
            // at once.
            if view.state == SandboxState::SettingUp && !followed {
                let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
                let _ =
                    tokio::time::timeout(remaining, self.follow_until_ready(name, |_| {})).await;
                followed = true;
                continue;
            }
            followed = false;
            // Never spin: the engine may need a moment to show what the log already says.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Core {
    /// Follow the current boot's log until the ready or setup-failed line, or until the log ends.
    pub(crate) async fn follow_until_ready(
        &self,
        name: &str,
        mut on_line: impl FnMut(&str),
    ) -> Result<()> {
        let record = self.sandbox_record(name).await?;
        let Some(inspect) = self.inspect_container(&record).await? else {
            return Ok(());
        };
        let Some(started_at) = state::running_since(&inspect) else {
            return Ok(());
        };
        let since = parse_time(&started_at)
            .map(|t| (t.timestamp() - 5).max(0) as i32)
            .unwrap_or(0);
        let read = LogOptions {
            follow: true,
            since: Some(since),
            tail: None,
        };
        let mut stream = self.engine().logs(&inspect.id, &read).await?;
        let mut pending = String::new();
        let mut done = false;
        while let Some(Ok(chunk)) = stream.next().await {
            pending.push_str(&chunk);
            while let Some(end) = pending.find('\n') {
                let line: String = pending.drain(..=end).collect();
                on_line(line.trim_end());
                if line.starts_with(container::BOOT_MARKER) {
                    done = false;
                } else if line.starts_with(container::READY_MARKER)
                    || line.starts_with(container::SETUP_FAILED_MARKER)
                {
                    done = true;
                }
            }
            if done {
                break;
            }
        }
        Ok(())
    }
}

/// Parse an engine timestamp (RFC 3339 with nanoseconds).
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| t.timestamp() > 0)
}
