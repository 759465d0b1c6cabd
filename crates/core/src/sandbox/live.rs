//! Live state (SPEC E3): a window learns that a sandbox turned ready — or that its setup failed — whichever process
//! made, started or restarted it (the window, `sbx`, the background runner), without polling.
//!
//! A sandbox's state is derived from its container and the ready line of its current boot, and the engine's event
//! stream says when a container starts or stops but not when its entry script prints that line. So, for every
//! `start` of one of this data dir's sandbox containers (and, when the watcher connects, for every one already
//! running), the watcher follows that container's log until the current boot's ready or setup-failed line, then
//! emits [`UiEvent::SandboxesChanged`] for it and stops; a container that stops first ends the log, and its `die`
//! event tells the window. The log arrives as it is written, so the window hears of the ready line within a moment
//! of it. (The alternative, a Docker healthcheck on the ready marker, would run a probe in every sandbox every second
//! for as long as it runs — an exec session the idle check would count, in every snapshot's image configuration —
//! and Docker 20.10 has no faster start interval; following a log for the seconds of a boot costs one stream.)

use futures_util::StreamExt;
use sbx_api::{SandboxState, UiEvent};
use std::sync::Arc;
use std::time::Duration;

use crate::Core;
use crate::engine::LogOptions;
use crate::sandbox::container::{BOOT_MARKER, READY_MARKER, SETUP_FAILED_MARKER};
use crate::sandbox::{parse_time, state};

/// How long a follower waits for the process making a sandbox to record that it made it, once the sandbox said
/// it is ready (the ready line may come before the record does).
const CREATING_WAIT: Duration = Duration::from_secs(30);

impl Core {
    /// Follow the log of the current boot of the sandbox container `container_id` (sandbox `name`) until its ready
    /// or setup-failed line, then tell the window (see the module documentation).
    pub(crate) async fn follow_boot(self: Arc<Self>, container_id: String, name: String) {
        let Ok(Some(inspect)) = self.engine().inspect_container(&container_id).await else {
            return;
        };
        let Some(started_at) = state::running_since(&inspect) else {
            return;
        };
        // The engine records the start a little after the process starts: read a few seconds earlier, and count
        // only what follows a boot line.
        let since = parse_time(&started_at)
            .map(|t| (t.timestamp() - 5).max(0) as i32)
            .unwrap_or(0);
        let read = LogOptions {
            follow: true,
            since: Some(since),
            tail: None,
        };
        let Ok(mut stream) = self.engine().logs(&container_id, &read).await else {
            return;
        };
        let mut pending = String::new();
        let mut booted = false;
        while let Some(Ok(chunk)) = stream.next().await {
            pending.push_str(&chunk);
            while let Some(end) = pending.find('\n') {
                let line: String = pending.drain(..=end).collect();
                if line.starts_with(BOOT_MARKER) {
                    booted = true;
                } else if booted
                    && (line.starts_with(READY_MARKER) || line.starts_with(SETUP_FAILED_MARKER))
                    && self.settled(&name).await
                {
                    return;
                }
            }
        }
    }

    /// After a ready or setup-failed line: tell the window, and whether this boot is settled (a line of an earlier
    /// boot, read before the current boot's own lines, leaves it setting up). A sandbox still recorded as creating
    /// (its maker records the end of the create just after the start) is looked at again for a moment.
    async fn settled(&self, name: &str) -> bool {
        let deadline = tokio::time::Instant::now() + CREATING_WAIT;
        loop {
            let state = self.get_sandbox(name).await.map(|s| s.state);
            match state {
                Ok(SandboxState::Creating) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Ok(SandboxState::SettingUp) => return false,
                _ => {
                    self.emit(UiEvent::SandboxesChanged {
                        name: Some(name.to_string()),
                    });
                    return true;
                }
            }
        }
    }
}
