//! Events the shell pushes to the UI: invalidations ("this list changed, fetch it again") and progress of long work.

use serde::{Deserialize, Serialize};

use crate::{EngineStatus, JobKind, JobStage};

/// One push from the shell to the UI, emitted under [`crate::UI_EVENT`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UiEvent {
    /// The engine connection changed (connected, lost, came back).
    Engine {
        /// The new status.
        status: EngineStatus,
    },
    /// A container of the engine changed state (any container, managed or not).
    ContainersChanged {
        /// The container id, when known.
        id: Option<String>,
        /// The engine's action, e.g. `start`, `die`, `destroy`, `health_status: healthy`.
        action: String,
    },
    /// Sandboxes changed; `name` is the one that changed when known.
    SandboxesChanged {
        /// The sandbox name, when one is known.
        name: Option<String>,
    },
    /// Snapshots changed (taken, finished, failed, deleted).
    SnapshotsChanged,
    /// Profiles changed (created, edited, published, deleted, a snapshot job queued, started or ended); `name` is
    /// the profile when known.
    ProfilesChanged {
        /// The profile's name, when one is known.
        name: Option<String>,
    },
    /// Output of a profile's snapshot job, as it runs (the rest of it is kept with the job).
    ProfileJobOutput {
        /// The job's id.
        job_id: String,
        /// Lines of output, each ending with a newline.
        text: String,
    },
    /// Progress of long work: clone, image build, setup, capture, restore.
    Progress(Progress),
    /// Output of an open terminal session.
    TerminalOutput {
        /// Session id.
        session: String,
        /// Text the shell printed.
        data: String,
    },
    /// A terminal session ended.
    TerminalClosed {
        /// Session id.
        session: String,
    },
}

/// What long work is doing right now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Id of the job row this belongs to.
    pub job_id: String,
    /// What kind of work.
    pub kind: JobKind,
    /// The object it works on (sandbox or snapshot name).
    pub target: String,
    /// Current step.
    pub stage: JobStage,
    /// Latest line of output, if any.
    pub message: String,
    /// 0.0–1.0 when the step can measure itself.
    pub fraction: Option<f32>,
    /// True on the last event of the job.
    pub done: bool,
    /// Set when the job ended in failure.
    pub error: Option<String>,
}
