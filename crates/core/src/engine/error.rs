//! Engine errors, mapped in one place: every call of the engine layer turns what bollard reports into the core's
//! [`Error`] through [`Engine::fail`].
//!
//! - Nothing answered (no socket, connection refused or cut, timeout): [`Error::EngineUnavailable`] with the
//!   address and the client's reason, and the client is dropped so the next call reconnects and renegotiates.
//! - The engine answered with an error (a 404 for an object that is not there, a 409 for a name taken or an image
//!   in use, a 500 for anything it could not do): [`Error::Engine`], an [`EngineError`] saying what the core was
//!   doing and what the engine said, with its status. It reaches the UI and the CLI as an internal error with that
//!   text ("Docker engine: starting container …: Docker responded with status code 404: No such container: …").
//! - The raw errors the engine is known to answer when something happened that the user can act on — an image
//!   past the layer limit ("max depth exceeded"), a full disk ("no space left on device"), a paused container, a
//!   container or image removed meanwhile, a container not running — carry, after the engine's words, what
//!   happened and what to do ([`explain`]); the same words explain a helper's output or a build's failure
//!   ([`explain_text`]).
//! - Where the caller has something to decide on the answer — a missing container or image, a container name
//!   taken, an image still in use — the engine layer's function returns it as a typed outcome instead (an
//!   `Option`, [`super::containers::NameTaken`], [`super::images::Removal`]), so no service matches on statuses.

use crate::error::Error;

use super::Engine;

/// An answer of the engine that is an error: what the core was doing, what the engine said and, for the known
/// raw errors, what happened and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{doing}: {source}{}", suffix(.hint))]
pub struct EngineError {
    /// What the core asked, e.g. `starting container 3f2a…`.
    doing: String,
    /// What the client reported.
    source: bollard::errors::Error,
    /// What happened and what to do, when the engine's words are known ([`explain`]).
    hint: Option<String>,
}

/// ` — ` and the hint, when there is one.
fn suffix(hint: &Option<String>) -> String {
    hint.as_deref()
        .map(|h| format!(" — {h}"))
        .unwrap_or_default()
}

impl EngineError {
    /// The HTTP status the engine answered with, when it answered one.
    pub fn status(&self) -> Option<u16> {
        status_of(&self.source)
    }

    /// Whether the object asked about does not exist (HTTP 404).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

impl Engine {
    /// The mapping of an engine error, used by every call: see the module documentation. `doing` says what was
    /// asked (`"starting container {id}"`).
    pub(crate) fn fail(&self, doing: impl Into<String>, error: bollard::errors::Error) -> Error {
        if is_connection_error(&error) {
            self.forget();
            Error::EngineUnavailable {
                address: self.address().to_string(),
                message: error.to_string(),
            }
        } else {
            let hint = explain(status_of(&error), &message_of(&error));
            Error::Engine(EngineError {
                doing: doing.into(),
                source: error,
                hint,
            })
        }
    }
}

/// The HTTP status of an answer that is an error.
pub(super) fn status_of(error: &bollard::errors::Error) -> Option<u16> {
    match error {
        bollard::errors::Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// The engine's own message in an answer that is an error (without the status), else the client's whole text.
pub(super) fn message_of(error: &bollard::errors::Error) -> String {
    match error {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// What happened and what to do, for the engine's known raw errors (`status` is the HTTP status, when the engine
/// answered one); `None` for the others, which are shown as the engine wrote them.
pub fn explain(status: Option<u16>, message: &str) -> Option<String> {
    if let Some(known) = explain_text(message) {
        return Some(known);
    }
    let lower = message.to_lowercase();
    let hint = if status == Some(404) && lower.contains("no such container") {
        "the container is gone: it was removed outside the app (or by another process). Delete the sandbox, or \
         restore it from one of its snapshots"
    } else if status == Some(404) && lower.contains("no such image") {
        "the image is gone: it was removed outside the app. Delete the record that uses it, or take the snapshot \
         again"
    } else if lower.contains("is not running") {
        "the container is not running: start the sandbox first"
    } else if lower.contains("removal of container") || lower.contains("marked for removal") {
        "the container is being removed (by the app in another window, or outside it): wait a moment and look \
         again"
    } else {
        return None;
    };
    Some(hint.to_string())
}

/// What happened and what to do, when `text` (an engine error, a helper's output, a build's failure) holds one
/// of the engine's known raw errors about layers, disk space or a paused container.
pub fn explain_text(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let hint = if lower.contains("max depth exceeded") {
        "the image has more layers than the engine allows (about 125). The app flattens a snapshot whose image \
         nears that limit into one layer, so take a new snapshot of the sandbox and restore from it, or restore an \
         earlier snapshot of this chain"
    } else if lower.contains("no space left on device") {
        "the engine's disk is full. Free space — delete snapshots and sandboxes you no longer need, or unused \
         images (docker image prune) — then try again"
    } else if lower.contains("is paused") || lower.contains("container paused") {
        "the sandbox's container is paused: a snapshot is being captured (wait for it to finish), or it was \
         paused outside the app (docker unpause it), then try again"
    } else {
        return None;
    };
    Some(hint.to_string())
}

/// True when a bollard error means "nothing answered", as opposed to an answer that is an error.
fn is_connection_error(error: &bollard::errors::Error) -> bool {
    use bollard::errors::Error as B;
    matches!(
        error,
        B::IOError { .. }
            | B::HyperResponseError { .. }
            | B::HyperLegacyError { .. }
            | B::SocketNotFoundError(_)
            | B::RequestTimeoutError
            | B::HttpClientError { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_keeps_its_status_and_says_what_was_asked() {
        let engine = Engine::at("unix:///nonexistent/docker.sock");
        let error = engine.fail(
            "starting container abc",
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404,
                message: "No such container: abc".into(),
            },
        );
        assert!(error.is_engine_not_found());
        assert_eq!(
            error.to_string(),
            "Docker engine: starting container abc: Docker responded with status code 404: No such container: abc \
             — the container is gone: it was removed outside the app (or by another process). Delete the sandbox, \
             or restore it from one of its snapshots"
        );
    }

    #[test]
    fn known_raw_errors_say_what_happened_and_what_to_do() {
        let engine = Engine::at("unix:///nonexistent/docker.sock");
        let answer = |status_code: u16, message: &str| {
            engine
                .fail(
                    "doing it",
                    bollard::errors::Error::DockerResponseServerError {
                        status_code,
                        message: message.into(),
                    },
                )
                .to_string()
        };
        let depth = answer(500, "max depth exceeded");
        assert!(depth.contains("max depth exceeded"), "{depth}");
        assert!(depth.contains("flattens"), "{depth}");
        let disk = answer(
            500,
            "write /var/lib/docker/overlay2/x/diff/f: no space left on device",
        );
        assert!(
            disk.contains("disk is full") && disk.contains("delete snapshots"),
            "{disk}"
        );
        let paused = answer(
            409,
            "Container 3f2a is paused. Unpause the container before stopping or killing",
        );
        assert!(paused.contains("a snapshot is being captured"), "{paused}");
        let stopped = answer(409, "Container 3f2a is not running");
        assert!(stopped.contains("start the sandbox first"), "{stopped}");
        let other = answer(500, "something new");
        assert!(other.ends_with("something new"), "{other}");
        assert_eq!(explain_text("all fine"), None);
    }

    #[test]
    fn no_answer_is_the_engine_unavailable() {
        let engine = Engine::at("unix:///nonexistent/docker.sock");
        let error = engine.fail(
            "starting container abc",
            bollard::errors::Error::RequestTimeoutError,
        );
        match error {
            Error::EngineUnavailable { address, .. } => {
                assert_eq!(address, "unix:///nonexistent/docker.sock")
            }
            other => panic!("expected unavailable, got {other:?}"),
        }
    }
}
