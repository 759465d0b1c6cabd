//! What the handlers take from a request, refusing in the API's error shape (never axum's plain text): the JSON body
//! ([`JsonBody`]: `application/json` only, at most [`crate::BODY_LIMIT`] bytes, malformed → 400, of the wrong shape
//! → 422 naming the field), the object addressed by the path ([`Key`]) and the query ([`QueryMap`]).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use std::collections::HashMap;

use crate::error::HttpError;

/// The JSON body of a request, as `T`. An empty body reads as `{}` (every field optional or defaulted), whatever
/// its content type; any other body must be `application/json` (or `…+json`).
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = HttpError;

    async fn from_request(request: Request, state: &S) -> Result<Self, HttpError> {
        let content_type = request
            .headers()
            .get_all(header::CONTENT_TYPE)
            .iter()
            .map(|v| v.to_str().map(str::to_ascii_lowercase))
            .collect::<Vec<_>>();
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    HttpError::new(
                        StatusCode::BAD_REQUEST,
                        "bad_request",
                        format!("the body could not be read: {}", rejection.body_text()),
                        None,
                    )
                }
            })?;
        let empty = bytes.iter().all(u8::is_ascii_whitespace);
        if !empty && !is_json(&content_type) {
            return Err(HttpError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be JSON, sent with the header content-type: application/json",
                None,
            ));
        }
        let text: &[u8] = if empty { b"{}" } else { &bytes };
        parse(text).map(JsonBody)
    }
}

/// Whether the request says, once, that its body is JSON.
fn is_json(content_type: &[Result<String, axum::http::header::ToStrError>]) -> bool {
    let [Ok(value)] = content_type else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

/// 413 in the API's shape.
pub fn too_large() -> HttpError {
    HttpError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the body is larger than {} bytes", crate::BODY_LIMIT),
        None,
    )
}

/// Read `T` from JSON text: not JSON → 400 `invalid_json`; JSON of another shape → 422 `invalid_body` with the
/// path of the field at fault.
pub fn parse<T: DeserializeOwned>(text: &[u8]) -> Result<T, HttpError> {
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let value: T = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => value,
        Err(error) => {
            let path = error.path().to_string();
            let inner = error.into_inner();
            return Err(match inner.classify() {
                serde_json::error::Category::Data => HttpError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_body",
                    inner.to_string(),
                    Some(field_of(&path, &inner.to_string())),
                ),
                _ => invalid_json(&inner),
            });
        }
    };
    deserializer.end().map_err(|e| invalid_json(&e))?;
    Ok(value)
}

fn invalid_json(error: &serde_json::Error) -> HttpError {
    HttpError::new(
        StatusCode::BAD_REQUEST,
        "invalid_json",
        format!("the body is not valid JSON: {error}"),
        None,
    )
}

/// The field a shape error is about: the path where it happened, with the unknown or missing field's name added
/// when the error names one (serde reports those at the object, not at the field).
fn field_of(path: &str, message: &str) -> String {
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let base = if path == "." { "" } else { path };
    match named {
        Some(name) if base.is_empty() => name.to_string(),
        Some(name) if !base.ends_with(name) => format!("{base}.{name}"),
        _ if base.is_empty() => "body".to_string(),
        _ => base.to_string(),
    }
}

/// The object a path addresses: its id (a UUID) or its name, as sent (percent-decoded).
#[derive(Debug, Clone)]
pub struct Key(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Key {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HttpError> {
        let Path(key) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| HttpError::bad_value("id", rejection.body_text()))?;
        Ok(Key(key))
    }
}

/// The query string as names and values; the handler says which names it knows.
#[derive(Debug, Clone, Default)]
pub struct QueryMap(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HttpError> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| HttpError::bad_value("query", rejection.body_text()))?;
        Ok(QueryMap(map))
    }
}

impl QueryMap {
    /// Refuse a parameter not among `known`.
    pub fn only(&self, known: &[&str]) -> Result<(), HttpError> {
        let mut names: Vec<&String> = self.0.keys().collect();
        names.sort();
        match names
            .into_iter()
            .find(|name| !known.contains(&name.as_str()))
        {
            Some(name) => Err(HttpError::bad_value(
                name,
                format!(
                    "unknown query parameter '{name}'; known: {}",
                    known.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    /// The number `name`, when given.
    pub fn number(&self, name: &str) -> Result<Option<u32>, HttpError> {
        self.0
            .get(name)
            .map(|text| {
                text.trim().parse::<u32>().map_err(|_| {
                    HttpError::bad_value(
                        name,
                        format!("invalid {name} '{text}': must be a whole number"),
                    )
                })
            })
            .transpose()
    }

    /// The text `name`, when given and not empty.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|t| !t.is_empty())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        cpus: Option<u32>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        command: String,
        resources: Option<Inner>,
    }

    fn refusal(text: &str) -> (u16, String, Option<String>) {
        let error = parse::<Outer>(text.as_bytes()).unwrap_err();
        (error.status.as_u16(), error.detail.code, error.detail.field)
    }

    #[test]
    fn malformed_json_is_400_and_the_wrong_shape_is_422_naming_the_field() {
        assert_eq!(refusal("{").0, 400);
        assert_eq!(refusal(r#"{"command": "x"} {}"#).1, "invalid_json");
        assert_eq!(
            refusal(r#"{"command": 3}"#),
            (422, "invalid_body".into(), Some("command".into()))
        );
        assert_eq!(
            refusal(r#"{"command": "x", "resources": {"cpus": "two"}}"#).2,
            Some("resources.cpus".into())
        );
        assert_eq!(
            refusal(r#"{"command": "x", "resources": {"gpus": 1}}"#).2,
            Some("resources.gpus".into())
        );
        assert_eq!(
            refusal(r#"{"command": "x", "extra": 1}"#).2,
            Some("extra".into())
        );
        assert_eq!(refusal("{}").2, Some("command".into()));
        assert_eq!(refusal("\"text\"").2, Some("body".into()));
        assert!(parse::<Outer>(br#"{"command": "ls"}"#).is_ok());
    }

    #[test]
    fn json_content_types() {
        let ok = |v: &str| is_json(&[Ok(v.to_string())]);
        assert!(ok("application/json"));
        assert!(ok("application/json; charset=utf-8"));
        assert!(ok("application/merge-patch+json"));
        assert!(!ok("text/plain"));
        assert!(!ok("application/jsonx"));
        assert!(!is_json(&[]));
        assert!(!is_json(&[
            Ok("application/json".into()),
            Ok("application/json".into())
        ]));
    }
}
