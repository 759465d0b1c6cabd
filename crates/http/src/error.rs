//! Every error the API answers with, in one JSON shape: `{"error": {"code", "message", "field"}}`, with the status
//! that fits. The app's own errors ([`ApiError`]) map one to one; refusals of the HTTP layer (a body that is not
//! JSON, too big, of the wrong shape; a missing key; an unknown route) are made here; and any other 4xx or 5xx a
//! layer below produced as plain text is rewritten into the same shape ([`normalize`]).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sbx_api::{ApiError, Field};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The largest plain-text error body [`normalize`] carries over as the message.
const CARRIED_MESSAGE: usize = 4096;

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong, for programs (`code`, `field`) and for people (`message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// One word: `invalid_input` (400: a value breaks the app's rules), `invalid_json` (400: the body is not JSON),
    /// `bad_request` (400: another malformed request), `unauthorized` (401), `not_found` (404),
    /// `method_not_allowed` (405), `timeout` (408: a command ran past its `timeout`), `conflict` (409: the object's
    /// state does not allow it now, e.g. a snapshot in flight), `payload_too_large` (413),
    /// `unsupported_media_type` (415: a body that is not `application/json`), `invalid_body` (422: JSON of the
    /// wrong shape — wrong type, unknown or missing field), `engine_unavailable` (503), `internal` (500).
    pub code: String,
    /// The reason, naming the offending value.
    pub message: String,
    /// The field of the request at fault, as the request spells it (`resources.cpus`, `name`, `page`), when one is.
    pub field: Option<String>,
}

/// An error answer: its status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body.
    pub detail: ErrorDetail,
}

impl HttpError {
    /// An error of `status` with `code`, `message` and `field`.
    pub fn new(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        field: Option<String>,
    ) -> HttpError {
        HttpError {
            status,
            detail: ErrorDetail {
                code: code.to_string(),
                message: message.into(),
                field,
            },
        }
    }

    /// 401: no key, or not the key.
    pub fn unauthorized() -> HttpError {
        HttpError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            format!(
                "missing or wrong {} header: send the token `sbx api token` prints",
                crate::token::HEADER
            ),
            None,
        )
    }

    /// 404 for a path that is no route.
    pub fn no_route(path: &str) -> HttpError {
        HttpError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no route {path}; see /v1/openapi.json"),
            None,
        )
    }

    /// 400: a value of the request (a query parameter, a path segment) could not be read.
    pub fn bad_value(field: &str, message: impl Into<String>) -> HttpError {
        HttpError::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            message,
            Some(field.to_string()),
        )
    }

    /// The error of a request whose fields the app names `field` and the request calls `rename(field)`.
    pub fn from_api(error: ApiError, rename: impl Fn(&Field) -> Option<&'static str>) -> HttpError {
        let message = error.to_string();
        match error {
            ApiError::NotFound { .. } => {
                HttpError::new(StatusCode::NOT_FOUND, "not_found", message, None)
            }
            ApiError::Conflict { .. } => {
                HttpError::new(StatusCode::CONFLICT, "conflict", message, None)
            }
            ApiError::InvalidInput { field, .. } => {
                let name =
                    rename(&field).map_or_else(|| field.as_str().to_string(), str::to_string);
                HttpError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_input",
                    message,
                    Some(name),
                )
            }
            ApiError::EngineUnavailable { .. } => HttpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "engine_unavailable",
                message,
                None,
            ),
            _ => HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message, None),
        }
    }
}

/// How the request bodies of this API spell the fields the app's rules name by their CLI flags.
pub fn body_field(field: &Field) -> Option<&'static str> {
    Some(match field {
        Field::Cpus => "resources.cpus",
        Field::Memory => "resources.memory",
        Field::SnapshotName => "snapshot_name",
        Field::AutoStop => "auto_stop_interval",
        Field::AutoDelete => "auto_delete_interval",
        Field::Page => "page",
        Field::Limit => "limit",
        _ => return None,
    })
}

impl From<ApiError> for HttpError {
    fn from(error: ApiError) -> HttpError {
        HttpError::from_api(error, body_field)
    }
}

impl From<sbx_core::Error> for HttpError {
    fn from(error: sbx_core::Error) -> HttpError {
        HttpError::from(ApiError::from(error))
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = %self.status, "{}", self.detail.message);
        }
        let body = serde_json::to_vec(&ErrorBody { error: self.detail }).unwrap_or_default();
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = self.status;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// The code of an error status the app's own errors do not produce.
fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        StatusCode::SERVICE_UNAVAILABLE => "engine_unavailable",
        s if s.is_client_error() => "bad_request",
        _ => "internal",
    }
}

/// The last layer before the client: an error answer that is not JSON (a rejection of a layer below — the body
/// limit, an extractor, the router's 405) becomes one in the shape above, carrying its text as the message.
pub async fn normalize(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, CARRIED_MESSAGE)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let mut answer = HttpError::new(status, code_of(status), message, None).into_response();
    // Keep what the layer below said besides its body (`allow` of a 405, say).
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().insert(name, value.clone());
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_apps_errors_map_to_statuses_and_body_fields() {
        let cases = [
            (ApiError::not_found("sandbox", "x"), 404, "not_found", None),
            (ApiError::conflict("busy"), 409, "conflict", None),
            (
                ApiError::invalid(sbx_api::Field::Cpus, "64", "must be 1-32"),
                400,
                "invalid_input",
                Some("resources.cpus"),
            ),
            (
                ApiError::invalid(sbx_api::Field::SnapshotName, "A", "bad"),
                400,
                "invalid_input",
                Some("snapshot_name"),
            ),
            (
                ApiError::invalid(sbx_api::Field::Name, "A", "bad"),
                400,
                "invalid_input",
                Some("name"),
            ),
            (
                ApiError::EngineUnavailable {
                    address: "unix:///x".into(),
                    message: "refused".into(),
                },
                503,
                "engine_unavailable",
                None,
            ),
            (ApiError::internal("boom"), 500, "internal", None),
        ];
        for (error, status, code, field) in cases {
            let http = HttpError::from(error);
            assert_eq!(http.status.as_u16(), status);
            assert_eq!(http.detail.code, code);
            assert_eq!(http.detail.field.as_deref(), field);
        }
    }

    #[test]
    fn the_body_shape_is_pinned() {
        let error = HttpError::bad_value("page", "pages start at 1");
        let json = serde_json::to_string(&ErrorBody {
            error: error.detail,
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"error":{"code":"invalid_input","message":"pages start at 1","field":"page"}}"#
        );
    }
}
