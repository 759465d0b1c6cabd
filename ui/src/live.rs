//! Live state shared by every page: the engine status and counters that the shell's events bump, so pages
//! fetch again when (and only when) something changed. No polling.

use leptos::prelude::*;
use sbx_api::{EngineStatus, Progress, UiEvent, requests::GetEngineStatus};
use std::collections::{BTreeMap, HashMap};

use crate::ipc;

/// Signals every page can read; provided as context by [`crate::app::App`].
#[derive(Clone, Copy)]
pub struct Live {
    /// Latest engine status; `None` until the first answer.
    pub engine: RwSignal<Option<EngineStatus>>,
    /// Bumped when any container changed.
    pub containers: RwSignal<u64>,
    /// Bumped when sandboxes changed.
    pub sandboxes: RwSignal<u64>,
    /// Bumped when snapshots changed.
    pub snapshots: RwSignal<u64>,
    /// Bumped when profiles changed (edited, published, a snapshot job queued, started, at a new step or ended).
    pub profiles: RwSignal<u64>,
    /// The output of profile snapshot jobs as it arrived while the window listened, by job id.
    pub profile_output: RwSignal<HashMap<String, String>>,
    /// Progress of running jobs, by job id.
    pub progress: RwSignal<BTreeMap<String, Progress>>,
    /// Jobs that failed to make a sandbox, oldest first, until dismissed: their sandbox is gone, so nothing
    /// else would show why.
    pub failed: RwSignal<Vec<Progress>>,
    /// The screens of open terminal sessions, by session id, fed as their output arrives.
    pub terminals: RwSignal<HashMap<String, TerminalScreen>>,
}

/// Terminal size asked for when opening a terminal (and the size of its screen here).
pub const TERMINAL_COLS: u16 = 120;
pub const TERMINAL_ROWS: u16 = 30;

/// One terminal session's screen, and whether the session ended.
pub struct TerminalScreen {
    pub terminal: sbx_term::Terminal,
    pub closed: bool,
}

impl TerminalScreen {
    fn new() -> TerminalScreen {
        TerminalScreen {
            terminal: sbx_term::Terminal::new(
                usize::from(TERMINAL_ROWS),
                usize::from(TERMINAL_COLS),
            ),
            closed: false,
        }
    }
}

impl Live {
    /// Create the signals and start listening to the shell.
    pub fn start() -> Live {
        let live = Live {
            engine: RwSignal::new(None),
            containers: RwSignal::new(0),
            sandboxes: RwSignal::new(0),
            snapshots: RwSignal::new(0),
            profiles: RwSignal::new(0),
            profile_output: RwSignal::new(HashMap::new()),
            progress: RwSignal::new(BTreeMap::new()),
            failed: RwSignal::new(Vec::new()),
            terminals: RwSignal::new(HashMap::new()),
        };
        ipc::listen(move |event| live.apply(event));
        live.refresh_engine();
        live
    }

    /// Forget the failed job `job_id` (the user dismissed it).
    pub fn dismiss_failure(self, job_id: &str) {
        self.failed
            .update(|failed| failed.retain(|p| p.job_id != job_id));
    }

    /// Ask the shell for the engine status now (also what Retry does).
    pub fn refresh_engine(self) {
        leptos::task::spawn_local(async move {
            if let Ok(status) = ipc::call::<GetEngineStatus>(&()).await {
                self.engine.set(Some(status));
                self.containers.update(|n| *n += 1);
                self.sandboxes.update(|n| *n += 1);
            }
        });
    }

    fn apply(self, event: UiEvent) {
        match event {
            UiEvent::Engine { status } => {
                self.engine.set(Some(status));
                self.containers.update(|n| *n += 1);
                self.sandboxes.update(|n| *n += 1);
                self.snapshots.update(|n| *n += 1);
                self.profiles.update(|n| *n += 1);
            }
            UiEvent::ContainersChanged { .. } => {
                self.containers.update(|n| *n += 1);
                // Counts in the engine panel change with containers.
                self.refresh_engine();
            }
            UiEvent::SandboxesChanged { .. } => self.sandboxes.update(|n| *n += 1),
            UiEvent::SnapshotsChanged => self.snapshots.update(|n| *n += 1),
            UiEvent::ProfilesChanged { .. } => self.profiles.update(|n| *n += 1),
            UiEvent::ProfileJobOutput { job_id, text } => {
                self.profile_output
                    .update(|all| all.entry(job_id).or_default().push_str(&text));
            }
            UiEvent::Progress(progress) => {
                let done = progress.done;
                self.progress.update(|map| {
                    if done {
                        map.remove(&progress.job_id);
                    } else {
                        map.insert(progress.job_id.clone(), progress.clone());
                    }
                });
                if done && progress.error.is_some() && progress.kind.makes_sandbox() {
                    self.failed.update(|failed| failed.push(progress));
                }
                if done {
                    self.sandboxes.update(|n| *n += 1);
                    self.snapshots.update(|n| *n += 1);
                }
            }
            UiEvent::TerminalOutput { session, data } => {
                self.terminals.update(|screens| {
                    screens
                        .entry(session)
                        .or_insert_with(TerminalScreen::new)
                        .terminal
                        .feed(&data);
                });
            }
            UiEvent::TerminalClosed { session } => {
                self.terminals.update(|screens| {
                    let screen = screens.entry(session).or_insert_with(TerminalScreen::new);
                    // A program on the alternate screen when the shell ended leaves it.
                    screen
                        .terminal
                        .feed("\u{1b}[?1049l\r\n[session closed]\r\n");
                    screen.closed = true;
                });
            }
        }
    }
}

/// The live signals of the app.
pub fn use_live() -> Live {
    expect_context::<Live>()
}
