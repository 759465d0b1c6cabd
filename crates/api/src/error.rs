//! The one error type every call can answer with; its JSON shape is pinned by a test because the UI matches on it.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::Field;

/// An error the UI or the CLI shows to the user.
///
/// Serialized as `{"kind": "...", ...fields}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ApiError {
    /// The named object does not exist.
    NotFound {
        /// What kind of object: `sandbox`, `snapshot`, `volume`, `preset`, `repository`.
        what: String,
        /// The name that was looked up.
        name: String,
    },
    /// The request clashes with the current state (name taken, wrong state, work in flight).
    Conflict {
        /// What clashed, in one sentence.
        message: String,
    },
    /// A value the user gave is not acceptable. Nothing was created or changed.
    InvalidInput {
        /// The field or flag, e.g. `name`, `port`, `memory` (a string in JSON).
        field: Field,
        /// The offending value as given.
        value: String,
        /// Why it is not acceptable.
        message: String,
    },
    /// No Docker engine answers.
    EngineUnavailable {
        /// The address that was tried.
        address: String,
        /// What the client library reported.
        message: String,
    },
    /// Anything else: a bug or an unexpected engine or disk failure.
    Internal {
        /// What went wrong.
        message: String,
    },
}

impl ApiError {
    /// Shorthand for [`ApiError::InvalidInput`]. The field is a [`Field`], never a free string: a key inside a
    /// file the user gave is a [`Field::Key`].
    pub fn invalid(field: Field, value: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::InvalidInput {
            field,
            value: value.into(),
            message: message.into(),
        }
    }

    /// Shorthand for [`ApiError::NotFound`].
    pub fn not_found(what: &str, name: impl Into<String>) -> Self {
        ApiError::NotFound {
            what: what.to_string(),
            name: name.into(),
        }
    }

    /// Shorthand for [`ApiError::Conflict`].
    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::Conflict {
            message: message.into(),
        }
    }

    /// Shorthand for [`ApiError::Internal`].
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::Internal {
            message: message.into(),
        }
    }

    /// The name of the field an [`ApiError::InvalidInput`] is about, as the JSON spells it.
    pub fn field(&self) -> Option<&str> {
        self.invalid_field().map(Field::as_str)
    }

    /// The field an [`ApiError::InvalidInput`] is about, for showing the error beside it.
    pub fn invalid_field(&self) -> Option<&Field> {
        match self {
            ApiError::InvalidInput { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::NotFound { what, name } => write!(f, "{what} '{name}' not found"),
            ApiError::Conflict { message } => write!(f, "{message}"),
            ApiError::InvalidInput {
                field,
                value,
                message,
            } => write!(f, "invalid {field} '{value}': {message}"),
            ApiError::EngineUnavailable { address, message } => {
                write!(f, "Docker engine unreachable at {address}: {message}")
            }
            ApiError::Internal { message } => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for ApiError {}

/// What every call answers.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_is_pinned() {
        let cases = [
            (
                ApiError::not_found("sandbox", "teal-tokyo"),
                r#"{"kind":"not_found","what":"sandbox","name":"teal-tokyo"}"#,
            ),
            (
                ApiError::conflict("busy"),
                r#"{"kind":"conflict","message":"busy"}"#,
            ),
            (
                ApiError::invalid(crate::Field::Cpus, "64", "must be 1-32"),
                r#"{"kind":"invalid_input","field":"cpus","value":"64","message":"must be 1-32"}"#,
            ),
            (
                ApiError::EngineUnavailable {
                    address: "unix:///var/run/docker.sock".into(),
                    message: "refused".into(),
                },
                r#"{"kind":"engine_unavailable","address":"unix:///var/run/docker.sock","message":"refused"}"#,
            ),
            (
                ApiError::internal("boom"),
                r#"{"kind":"internal","message":"boom"}"#,
            ),
        ];
        for (error, json) in cases {
            assert_eq!(serde_json::to_string(&error).unwrap(), json);
            let back: ApiError = serde_json::from_str(json).unwrap();
            assert_eq!(back, error);
        }
    }

    #[test]
    fn display_names_the_value() {
        let e = ApiError::invalid(
            crate::Field::Memory,
            "64",
            "must be between 128 and 32768 MiB",
        );
        assert_eq!(
            e.to_string(),
            "invalid memory '64': must be between 128 and 32768 MiB"
        );
        assert_eq!(e.field(), Some("memory"));
        assert_eq!(e.invalid_field(), Some(&Field::Memory));
    }
}
