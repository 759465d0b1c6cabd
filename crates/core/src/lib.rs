//! Sandbox Desktop's core: everything the desktop app and the `sbx` CLI do, over the Docker engine ([`engine`])
//! and SQLite ([`store`]), with no Tauri.
//!
//! [`Core`] is the one entry point. It owns the engine connection, the database and the event bus; the desktop
//! shell forwards the bus to the UI, the CLI ignores it.

pub mod config;
pub mod credentials;
pub mod engine;
pub mod error;
pub mod exec;
pub mod git;
pub mod jobs;
pub mod labels;
pub mod markers;
pub mod paths;
pub mod presets;
pub mod private;
pub mod profiles;
pub mod purge;
pub mod recovery;
pub mod repos;
pub mod runner;
pub mod sandbox;
pub mod secrets;
pub mod settings;
pub mod snapshot;
pub mod store;
pub mod validate;
pub mod volumes;

pub use engine::Engine;
pub use error::{Error, Result};
pub use paths::Paths;
pub use store::Store;

use sbx_api::{ContainerSummary, EngineStatus, UiEvent};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// The core of one data dir: engine, database, event bus.
#[derive(Debug)]
pub struct Core {
    paths: Paths,
    store: Store,
    engine: Engine,
    events: broadcast::Sender<UiEvent>,
    process: String,
    /// Container boots (`id@started_at`) known to have finished setup.
    ready_boots: Mutex<HashSet<String>>,
    /// Open terminal sessions of the UI.
    terminals: exec::Terminals,
    /// CPU samples of the idle check.
    cpu_samples: runner::CpuSamples,
    /// When the reaper last ran in this process.
    reaper_last_run: Mutex<Option<chrono::DateTime<chrono::Utc>>>,
    /// Overrides for tests (credential home, interval minute).
    tuning: Mutex<Tuning>,
}

/// Values a test can change on one core without touching process-wide environment variables.
#[derive(Debug, Clone, Default)]
pub struct Tuning {
    /// Where credential discovery starts instead of `HOME`.
    pub credentials_home: Option<std::path::PathBuf>,
    /// The length of an interval minute instead of [`runner::minute`].
    pub minute: Option<std::time::Duration>,
    /// The image presets build from instead of [`presets::base_image`].
    pub base_image: Option<String>,
}

impl Core {
    /// Open the core of the data dir named by the environment (`SANDBOX_DESKTOP_HOME` or the per-user dir),
    /// talking to the engine named by the environment (`DOCKER_HOST` or the local socket).
    pub async fn open_default() -> Result<Arc<Core>> {
        let paths = Paths::from_env().map_err(|e| Error::io("opening the data directory", e))?;
        Core::open(paths, Engine::from_env()).await
    }

    /// Open the core of `paths` with `engine`. Creates and migrates the database; does not need the engine.
    pub async fn open(paths: Paths, engine: Engine) -> Result<Arc<Core>> {
        let store = Store::open(&paths.database()).await?;
        settings::ensure_private(&paths.settings())
            .map_err(|e| Error::io("creating the settings file", e))?;
        let (events, _) = broadcast::channel(1024);
        let process = format!("{}:{}", std::process::id(), uuid::Uuid::new_v4().simple());
        Ok(Arc::new(Core {
            paths,
            store,
            engine,
            events,
            process,
            ready_boots: Mutex::new(HashSet::new()),
            terminals: exec::Terminals::default(),
            cpu_samples: runner::CpuSamples::default(),
            reaper_last_run: Mutex::new(None),
            tuning: Mutex::new(Tuning::default()),
        }))
    }

    /// Change this core's [`Tuning`].
    pub fn tune(&self, change: impl FnOnce(&mut Tuning)) {
        if let Ok(mut tuning) = self.tuning.lock() {
            change(&mut tuning);
        }
    }

    /// Where credential discovery starts: the tuned home, else `HOME`.
    pub fn credentials_home(&self) -> Option<std::path::PathBuf> {
        self.tuning
            .lock()
            .ok()
            .and_then(|t| t.credentials_home.clone())
            .or_else(credentials::home_dir)
    }

    /// The image presets build `FROM`.
    pub fn base_image(&self) -> String {
        self.tuning
            .lock()
            .ok()
            .and_then(|t| t.base_image.clone())
            .unwrap_or_else(presets::base_image)
    }

    /// The length of one interval minute (auto-stop, auto-delete, retention, the reaper's hour).
    pub fn minute(&self) -> std::time::Duration {
        self.tuning
            .lock()
            .ok()
            .and_then(|t| t.minute)
            .unwrap_or_else(runner::minute)
    }

    /// How often the runner looks: a quarter of a minute, between 0.25 s and 5 s.
    pub fn tick(&self) -> std::time::Duration {
        (self.minute() / 4).clamp(
            std::time::Duration::from_millis(250),
            std::time::Duration::from_secs(5),
        )
    }

    /// The data dir.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The secret store of this data dir: the only place secret environment values are kept.
    pub fn secrets(&self) -> secrets::SecretStore {
        secrets::SecretStore::new(self.paths.secrets_dir())
    }

    /// The engine connection.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// A token naming this process, recorded as the owner of the jobs it runs.
    pub fn process_token(&self) -> &str {
        &self.process
    }

    /// Receive every [`UiEvent`] from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<UiEvent> {
        self.events.subscribe()
    }

    /// A sender on the event bus, for work that reports from tasks of its own (a transfer's progress).
    pub(crate) fn event_sender(&self) -> broadcast::Sender<UiEvent> {
        self.events.clone()
    }

    /// Send an event to every subscriber (none is fine).
    pub fn emit(&self, event: UiEvent) {
        let _ = self.events.send(event);
    }

    /// The engine's status; reconnects if the engine had gone away.
    pub async fn engine_status(&self) -> EngineStatus {
        self.engine.status().await
    }

    /// Every container of the engine.
    pub async fn list_containers(&self) -> Result<Vec<ContainerSummary>> {
        self.engine.containers(self.paths.instance()).await
    }

    /// Start the work a long-lived process (the desktop app, `sbx serve`) does in the background: following the
    /// engine's events, and the runner (recovery, idle jobs, automatic snapshots, the reaper) when this process
    /// holds its lease.
    pub fn start_background(self: &Arc<Self>) {
        self.watch_engine();
        self.spawn_runner();
    }

    /// Follow the engine's event stream for as long as the process lives, reconnecting when the engine
    /// comes back, and turn what happens into [`UiEvent`]s.
    pub fn watch_engine(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(engine::watch::run(Arc::clone(self)))
    }
}
