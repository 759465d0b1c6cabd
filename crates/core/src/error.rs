//! The core's error type and its mapping to the one serializable [`ApiError`] the UI and CLI show.

use sbx_api::ApiError;

use crate::engine::EngineError;

/// Anything the core can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A user-facing error: bad input, not found, conflict. Passed through as is.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// No engine answers at the address.
    #[error("Docker engine unreachable at {address}: {message}")]
    EngineUnavailable {
        /// The address tried.
        address: String,
        /// What the client library said.
        message: String,
    },
    /// The engine answered with an error (mapped in one place: [`crate::engine::error`]).
    #[error("Docker engine: {0}")]
    Engine(#[from] EngineError),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// Applying the database migrations failed.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, e.g. `reading /path/setup.sh`.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Something else failed; the message says what.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// True when the engine returned HTTP 404 for the object asked about.
    pub fn is_engine_not_found(&self) -> bool {
        matches!(self, Error::Engine(error) if error.is_not_found())
    }
}

/// Result of core operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for ApiError {
    fn from(error: Error) -> ApiError {
        match error {
            Error::Api(api) => api,
            Error::EngineUnavailable { address, message } => {
                ApiError::EngineUnavailable { address, message }
            }
            other => ApiError::internal(other.to_string()),
        }
    }
}
