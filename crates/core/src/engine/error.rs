//! Engine errors, mapped in one place: every call of the engine layer turns what bollard reports into the core's
//! [`Error`] through [`Engine::fail`].
//!
//! - Nothing answered (no socket, connection refused or cut, timeout): [`Error::EngineUnavailable`] with the
//!   address and the client's reason, and the client is dropped so the next call reconnects and renegotiates.
//! - The engine answered with an error (a 404 for an object that is not there, a 409 for a name taken or an image
//!   in use, a 500 for anything it could not do): [`Error::Engine`], an [`EngineError`] saying what the core was
//!   doing and what the engine said, with its status. It reaches the UI and the CLI as an internal error with that
//!   text ("Docker engine: starting container …: Docker responded with status code 404: No such container: …").
//! - Where the caller has something to decide on the answer — a missing container or image, a container name
//!   taken, an image still in use — the engine layer's function returns it as a typed outcome instead (an
//!   `Option`, [`super::containers::NameTaken`], [`super::images::Removal`]), so no service matches on statuses.

use crate::error::Error;

use super::Engine;

/// An answer of the engine that is an error: what the core was doing, and what the engine said.
#[derive(Debug, thiserror::Error)]
#[error("{doing}: {source}")]
pub struct EngineError {
    /// What the core asked, e.g. `starting container 3f2a…`.
    doing: String,
    /// What the client reported.
    source: bollard::errors::Error,
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
            Error::Engine(EngineError {
                doing: doing.into(),
                source: error,
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
            "Docker engine: starting container abc: Docker responded with status code 404: No such container: abc"
        );
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
