//! A sandbox's state, derived from its container (Docker is the truth) and the creation outcome in the database.
//!
//! running vs setting-up: the entry script prints a ready line after setup; a running container whose log since its
//! last start has that line is running. Stopped vs setup-failed vs failed: the exit code (the entry script exits 97
//! when the setup script failed; a stop makes it exit 0). A sandbox with a main command whose container exited
//! after the main command's own line ([`main_command_ended`]) is stopped when it exited 0 and failed, with its code,
//! when not — whatever the code (97 included).

use sbx_api::SandboxState;

use crate::engine::{ContainerInfo, ContainerStatus};
use crate::sandbox::container::SETUP_FAILED_EXIT;

/// The creation outcome recorded in the database (`sandboxes.phase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The create job is still running.
    Creating,
    /// Creation finished; the container exists.
    Created,
    /// Creation failed.
    Failed,
}

impl Phase {
    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Creating => "creating",
            Phase::Created => "created",
            Phase::Failed => "failed",
        }
    }

    /// Parse the stored word (unknown words read as failed).
    pub fn parse(text: &str) -> Phase {
        match text {
            "creating" => Phase::Creating,
            "created" => Phase::Created,
            _ => Phase::Failed,
        }
    }
}

/// What the container says, reduced to what state derivation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerFacts {
    /// No such container.
    Missing,
    /// Created, never started.
    Created,
    /// Running (or paused, or restarting); `ready` tells whether setup has finished in this boot.
    Running {
        /// The ready line is in the log since the last start.
        ready: bool,
    },
    /// Exited or dead.
    Exited {
        /// Exit code.
        code: i64,
        /// Killed for using too much memory.
        oom: bool,
    },
}

/// Whether an inspected container is running (or paused or restarting), and when it last started.
pub fn running_since(inspect: &ContainerInfo) -> Option<String> {
    let state = inspect.state.as_ref()?;
    matches!(
        state.status,
        Some(ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Restarting)
    )
    .then(|| state.started_at.clone().unwrap_or_default())
}

/// The facts of an inspected container; `ready` is asked only for running ones.
pub fn facts(inspect: &ContainerInfo, ready: bool) -> ContainerFacts {
    let Some(state) = inspect.state.as_ref() else {
        return ContainerFacts::Missing;
    };
    match state.status {
        Some(ContainerStatus::Created) => ContainerFacts::Created,
        Some(ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Restarting) => {
            ContainerFacts::Running { ready }
        }
        _ => ContainerFacts::Exited {
            code: state.exit_code.unwrap_or(0),
            oom: state.oom_killed,
        },
    }
}

/// The sandbox state and, for failures, the reason.
pub fn derive(
    phase: Phase,
    failure: Option<&str>,
    container: &ContainerFacts,
) -> (SandboxState, Option<String>) {
    match phase {
        Phase::Creating => return (SandboxState::Creating, None),
        Phase::Failed => {
            return (
                SandboxState::Failed,
                Some(failure.unwrap_or("creation failed").to_string()),
            );
        }
        Phase::Created => {}
    }
    match container {
        ContainerFacts::Missing => (
            SandboxState::Failed,
            Some("its container was removed outside the app".to_string()),
        ),
        ContainerFacts::Created => (SandboxState::Stopped, None),
        ContainerFacts::Running { ready: true } => (SandboxState::Running, None),
        ContainerFacts::Running { ready: false } => (SandboxState::SettingUp, None),
        ContainerFacts::Exited { code, .. } if *code == SETUP_FAILED_EXIT => (
            SandboxState::SetupFailed,
            Some("the setup script exited with an error; see the setup log".to_string()),
        ),
        ContainerFacts::Exited { oom: true, .. } => (
            SandboxState::Failed,
            Some("killed: out of memory".to_string()),
        ),
        ContainerFacts::Exited {
            code: 0 | 130 | 137 | 143,
            ..
        } => (SandboxState::Stopped, None),
        ContainerFacts::Exited { code, .. } => (
            SandboxState::Failed,
            Some(format!("its main process exited with code {code}")),
        ),
    }
}

/// The state of a sandbox whose main command ended on its own with `code`: stopped for 0, else failed with the code
/// (the reason points at the logs, as a setup failure's points at the setup log).
pub fn main_command_ended(code: i64) -> (SandboxState, Option<String>) {
    if code == 0 {
        (SandboxState::Stopped, None)
    } else {
        (
            SandboxState::Failed,
            Some(format!(
                "the main command exited with code {code}; see the logs"
            )),
        )
    }
}

/// Whether a sandbox with a main command in state `facts` may owe its end to that command (so its log's last lines
/// say how it ended): it exited non-zero, not killed for memory.
pub fn may_be_main_command_exit(facts: &ContainerFacts) -> bool {
    matches!(facts, ContainerFacts::Exited { code, oom: false } if *code != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_main_command_that_ends_stops_or_fails_the_sandbox() {
        assert_eq!(main_command_ended(0), (SandboxState::Stopped, None));
        let (state, reason) = main_command_ended(97);
        assert_eq!(state, SandboxState::Failed);
        assert!(reason.unwrap().contains("exited with code 97"));
        assert!(may_be_main_command_exit(&ContainerFacts::Exited {
            code: 143,
            oom: false
        }));
        assert!(!may_be_main_command_exit(&ContainerFacts::Exited {
            code: 0,
            oom: false
        }));
        assert!(!may_be_main_command_exit(&ContainerFacts::Running {
            ready: true
        }));
    }

    #[test]
    fn states_from_facts() {
        use ContainerFacts::*;
        let created = Phase::Created;
        assert_eq!(
            derive(Phase::Creating, None, &Missing).0,
            SandboxState::Creating
        );
        assert_eq!(
            derive(Phase::Failed, Some("clone failed"), &Missing),
            (SandboxState::Failed, Some("clone failed".into()))
        );
        assert_eq!(derive(created, None, &Missing).0, SandboxState::Failed);
        assert_eq!(
            derive(created, None, &Running { ready: false }).0,
            SandboxState::SettingUp
        );
        assert_eq!(
            derive(created, None, &Running { ready: true }).0,
            SandboxState::Running
        );
        assert_eq!(
            derive(
                created,
                None,
                &Exited {
                    code: 0,
                    oom: false
                }
            )
            .0,
            SandboxState::Stopped
        );
        assert_eq!(
            derive(
                created,
                None,
                &Exited {
                    code: 143,
                    oom: false
                }
            )
            .0,
            SandboxState::Stopped
        );
        assert_eq!(
            derive(
                created,
                None,
                &Exited {
                    code: 97,
                    oom: false
                }
            )
            .0,
            SandboxState::SetupFailed
        );
        assert_eq!(
            derive(
                created,
                None,
                &Exited {
                    code: 137,
                    oom: true
                }
            )
            .0,
            SandboxState::Failed
        );
        assert_eq!(
            derive(
                created,
                None,
                &Exited {
                    code: 2,
                    oom: false
                }
            )
            .0,
            SandboxState::Failed
        );
    }
}
