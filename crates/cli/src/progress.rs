//! Progress of long work on stderr: the core's `Progress` events of the job this command started (clone, image
//! build, setup, capture), one line each, and the setup script's output while it runs.

use futures_util::StreamExt;
use sbx_api::{JobKind, JobStage, Progress, UiEvent};
use sbx_core::Core;
use sbx_core::sandbox::container::{SETUP_DONE_MARKER, SETUP_FAILED_MARKER, SETUP_START_MARKER};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long to wait, once the work returned, for the rest of the setup output to be printed.
const SETUP_DRAIN: Duration = Duration::from_secs(3);

/// Which events belong to the work this command started.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Job kinds to show.
    pub kinds: &'static [JobKind],
    /// The sandbox or snapshot name, when the user gave one; any target of these kinds otherwise.
    pub target: Option<String>,
}

impl Filter {
    fn matches(&self, progress: &Progress) -> bool {
        self.kinds.contains(&progress.kind)
            && self
                .target
                .as_deref()
                .is_none_or(|target| target == progress.target)
    }
}

/// Prints progress until [`Watch::finish`].
pub struct Watch {
    printer: JoinHandle<()>,
    stop: Option<oneshot::Sender<()>>,
    setup: Arc<Mutex<Option<JoinHandle<()>>>>,
    setup_shown: Arc<AtomicBool>,
}

/// What the printer task keeps between events.
struct Printer {
    core: Arc<Core>,
    filter: Filter,
    stream_setup: bool,
    seen_jobs: HashSet<String>,
    last: Option<(JobStage, String)>,
    setup: Arc<Mutex<Option<JoinHandle<()>>>>,
    setup_shown: Arc<AtomicBool>,
}

impl Printer {
    fn handle(&mut self, event: UiEvent) {
        let UiEvent::Progress(progress) = event else {
            return;
        };
        if !self.filter.matches(&progress) || progress.done {
            return;
        }
        let first = self.seen_jobs.insert(progress.job_id.clone());
        // The setup script's output is printed by the log follower; its progress events would repeat it.
        let setting_up = progress.stage == JobStage::SettingUp;
        let was_setting_up = self
            .last
            .as_ref()
            .is_some_and(|(stage, _)| *stage == JobStage::SettingUp);
        if self.stream_setup && setting_up && was_setting_up {
            return;
        }
        let line = (progress.stage, progress.message.clone());
        if !first && self.last.as_ref() == Some(&line) {
            return;
        }
        eprintln!("{}", progress_line(&progress, first));
        self.last = Some(line);
        if self.stream_setup
            && setting_up
            && let Ok(mut slot) = self.setup.lock()
            && slot.is_none()
        {
            *slot = Some(tokio::spawn(stream_setup_output(
                Arc::clone(&self.core),
                progress.target.clone(),
                Arc::clone(&self.setup_shown),
            )));
        }
    }
}

impl Watch {
    /// Start printing the events `filter` selects. Subscribes at once, so call it before starting the work.
    /// With `stream_setup`, the setup script's output is printed as it runs once a sandbox reaches "setting up".
    pub fn start(core: &Arc<Core>, filter: Filter, stream_setup: bool) -> Watch {
        let mut events = core.subscribe();
        let setup: Arc<Mutex<Option<JoinHandle<()>>>> = Arc::new(Mutex::new(None));
        let setup_shown = Arc::new(AtomicBool::new(false));
        let (stop, mut stopped) = oneshot::channel::<()>();
        let mut printer = Printer {
            core: Arc::clone(core),
            filter,
            stream_setup,
            seen_jobs: HashSet::new(),
            last: None,
            setup: Arc::clone(&setup),
            setup_shown: Arc::clone(&setup_shown),
        };
        let printer = tokio::spawn(async move {
            loop {
                tokio::select! {
                    biased;
                    event = events.recv() => match event {
                        Ok(event) => printer.handle(event),
                        Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return,
                    },
                    _ = &mut stopped => break,
                }
            }
            // Print what was sent before the work returned.
            loop {
                match events.try_recv() {
                    Ok(event) => printer.handle(event),
                    Err(TryRecvError::Lagged(_)) => {}
                    Err(_) => break,
                }
            }
        });
        Watch {
            printer,
            stop: Some(stop),
            setup,
            setup_shown,
        }
    }

    /// Stop printing. Waits briefly for the setup output to be complete; true when all of it was printed (so it
    /// need not be printed again).
    pub async fn finish(mut self) -> bool {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.printer).await;
        let streamer = self.setup.lock().ok().and_then(|mut slot| slot.take());
        if let Some(mut streamer) = streamer
            && tokio::time::timeout(SETUP_DRAIN, &mut streamer)
                .await
                .is_err()
        {
            streamer.abort();
        }
        self.setup_shown.load(Ordering::SeqCst)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.printer.abort();
        if let Ok(mut slot) = self.setup.lock()
            && let Some(streamer) = slot.take()
        {
            streamer.abort();
        }
    }
}

/// One progress line: `creating teal-tokyo: cloning /path` for the first event of a sandbox job, else
/// `stage: message`.
fn progress_line(progress: &Progress, first: bool) -> String {
    let verb = match progress.kind {
        JobKind::Create | JobKind::Clone => Some("creating"),
        JobKind::Restore => Some("restoring"),
        JobKind::Snapshot | JobKind::Import | JobKind::Export | JobKind::Profile => None,
    };
    match (first, verb, progress.message.is_empty()) {
        (true, Some(verb), true) => format!("{verb} {}: {}", progress.target, progress.stage),
        (true, Some(verb), false) => format!(
            "{verb} {}: {} {}",
            progress.target, progress.stage, progress.message
        ),
        (_, _, true) => progress.stage.to_string(),
        (_, _, false) => format!("{}: {}", progress.stage, progress.message),
    }
}

/// Follow the sandbox's log and print the setup script's output to stderr until it ends.
async fn stream_setup_output(core: Arc<Core>, name: String, shown: Arc<AtomicBool>) {
    let Ok(mut stream) = core.follow_logs(&name).await else {
        return;
    };
    let mut section = SetupSection::default();
    while let Some(Ok(chunk)) = stream.next().await {
        for line in section.push(&chunk) {
            eprintln!("{line}");
        }
        if section.ended {
            shown.store(true, Ordering::SeqCst);
            return;
        }
    }
}

/// Picks the setup script's output out of a container log fed in chunks: the lines after the start marker up to and
/// including the end marker.
#[derive(Debug, Default)]
pub struct SetupSection {
    partial: String,
    inside: bool,
    /// True once the end marker (done or failed) was seen.
    pub ended: bool,
}

impl SetupSection {
    /// Feed a chunk of log; returns the complete setup lines it finished.
    pub fn push(&mut self, chunk: &str) -> Vec<String> {
        self.partial.push_str(chunk);
        let mut lines = Vec::new();
        while let Some(end) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=end).collect();
            let line = line.trim_end_matches(['\n', '\r']);
            if self.ended {
                continue;
            }
            if line.starts_with(SETUP_START_MARKER) {
                self.inside = true;
                lines.clear();
            } else if line.starts_with(SETUP_DONE_MARKER) || line.starts_with(SETUP_FAILED_MARKER) {
                if self.inside {
                    lines.push(line.to_string());
                    self.inside = false;
                    self.ended = true;
                }
            } else if self.inside {
                lines.push(line.to_string());
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(kind: JobKind, target: &str, stage: JobStage, message: &str) -> Progress {
        Progress {
            job_id: "j".into(),
            kind,
            target: target.into(),
            stage,
            message: message.into(),
            fraction: None,
            done: false,
            error: None,
        }
    }

    #[test]
    fn lines_name_the_sandbox_first() {
        let p = progress(JobKind::Create, "teal-tokyo", JobStage::Cloning, "/path");
        assert_eq!(
            progress_line(&p, true),
            "creating teal-tokyo: cloning /path"
        );
        let p = progress(
            JobKind::Create,
            "teal-tokyo",
            JobStage::BuildingImage,
            "Step 2/4",
        );
        assert_eq!(progress_line(&p, false), "building image: Step 2/4");
        let p = progress(
            JobKind::Snapshot,
            "base",
            JobStage::Capturing,
            "removing injected secrets",
        );
        assert_eq!(
            progress_line(&p, true),
            "capturing: removing injected secrets"
        );
    }

    #[test]
    fn filter_by_kind_and_target() {
        let filter = Filter {
            kinds: &[JobKind::Create],
            target: Some("a".into()),
        };
        let s = JobStage::Starting;
        assert!(filter.matches(&progress(JobKind::Create, "a", s, "")));
        assert!(!filter.matches(&progress(JobKind::Create, "b", s, "")));
        assert!(!filter.matches(&progress(JobKind::Snapshot, "a", s, "")));
        let any = Filter {
            kinds: &[JobKind::Restore],
            target: None,
        };
        assert!(any.matches(&progress(JobKind::Restore, "x", s, "")));
    }

    #[test]
    fn setup_section_across_chunks() {
        let mut section = SetupSection::default();
        assert!(section.push("boot\n[amikad] setup: st").is_empty());
        assert_eq!(section.push("art\ninstalling\nhal"), vec!["installing"]);
        assert_eq!(
            section.push("f done\n[amikad] setup: failed with exit code 3\n[amikad] ready\n"),
            vec!["half done", "[amikad] setup: failed with exit code 3"]
        );
        assert!(section.ended);
        assert!(section.push("later\n").is_empty());
    }
}
