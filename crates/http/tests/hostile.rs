//! The HTTP API's edges against the real server: the key on every route (missing, wrong, doubled, rotated: 401 with
//! nothing done), a busy port, bodies over the cap, malformed and hostile input (invalid and huge JSON, wrong content
//! types, path traversal in `{id}`, odd methods and headers) — every refusal a 4xx in the JSON error shape.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Api, answer, assert_error, test_image, unique};
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Every route, with a body that would do something if it were let through.
fn every_route(sandbox: &str, snapshot: &str) -> Vec<(Method, String, Option<serde_json::Value>)> {
    let create = json!({"name": unique("nokey"), "image": test_image()});
    vec![
        (Method::POST, "/v1/sandboxes".into(), Some(create)),
        (Method::GET, "/v1/sandboxes".into(), None),
        (Method::GET, format!("/v1/sandboxes/{sandbox}"), None),
        (Method::DELETE, format!("/v1/sandboxes/{sandbox}"), None),
        (
            Method::POST,
            format!("/v1/sandboxes/{sandbox}/execute"),
            Some(json!({"command": "touch /root/pwned"})),
        ),
        (
            Method::POST,
            format!("/v1/sandboxes/{sandbox}/snapshot"),
            Some(json!({"name": "nokey-snap"})),
        ),
        (
            Method::POST,
            format!("/v1/sandboxes/{sandbox}/clone"),
            Some(json!({"name": "nokey-clone"})),
        ),
        (Method::GET, "/v1/snapshots/list".into(), None),
        (Method::GET, "/v1/snapshots".into(), None),
        (Method::GET, format!("/v1/snapshots/{snapshot}"), None),
        (Method::DELETE, format!("/v1/snapshots/{snapshot}"), None),
        (
            Method::POST,
            format!("/v1/snapshots/{snapshot}/restore"),
            Some(json!({"name": "nokey-restore"})),
        ),
        (Method::GET, "/v1/events".into(), None),
        (Method::GET, "/v1/openapi.json".into(), None),
        (Method::GET, "/v1/no-such-route".into(), None),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_route_needs_the_key_and_does_nothing_without_it() {
    let api = Api::start().await;
    let name = unique("guard");
    api.sandbox(&name).await;
    let (_, snapshot) = api
        .post(
            &format!("/v1/sandboxes/{name}/snapshot"),
            json!({"name": format!("{name}-s"), "wait_for_ready": true}),
        )
        .await;
    let snapshot = snapshot["name"].as_str().unwrap().to_string();
    let wrong = "0".repeat(api.key.len());
    let mut almost = api.key.clone();
    almost.pop();
    let keys: Vec<Vec<&str>> = vec![
        vec![],
        vec![""],
        vec![&wrong],
        vec![&almost],
        vec![&api.key[..32]],
        vec![&api.key, &api.key],
        vec![&wrong, &api.key],
    ];
    for (method, path, body) in every_route(&name, &snapshot) {
        for presented in &keys {
            let mut request = api
                .client
                .request(method.clone(), format!("{}{path}", api.base));
            for key in presented {
                request = request.header("x-api-key", *key);
            }
            if let Some(body) = &body {
                request = request.json(body);
            }
            let (status, body) = answer(request.send().await.unwrap()).await;
            assert_eq!(status, 401, "{method} {path} with {presented:?}: {body}");
            assert_error(&body, "unauthorized", None);
        }
    }
    // A key with more around it, or in another header, is not the key. (Spaces around a header's value are not
    // part of it in HTTP.)
    for (header, value) in [
        ("x-api-key", format!("{}0", api.key)),
        ("x-api-key", format!("0{}", api.key)),
        ("x-api-key", format!("{},{}", api.key, api.key)),
        ("x-api-key", api.key.to_uppercase()),
        ("authorization", format!("Bearer {}", api.key)),
        ("x-api-key-2", api.key.clone()),
    ] {
        let response = api
            .client
            .get(format!("{}/v1/sandboxes", api.base))
            .header(header, value)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{header}");
    }
    // Nothing was done.
    let names: Vec<String> = api
        .core
        .list_sandboxes()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, vec![name.clone()]);
    assert_eq!(
        api.execute(&name, "test -e /root/pwned; echo $?").await.1,
        "1\n"
    );
    let (_, page) = api.get("/v1/snapshots").await;
    assert_eq!(page["total"], 1);

    // Header names are case-insensitive; the key is whatever the token file holds now.
    let response = api
        .client
        .get(format!("{}/v1/sandboxes", api.base))
        .header("X-API-KEY", &api.key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let rotated = sbx_http::token::rotate(api.core.paths()).unwrap();
    let (status, _) = api.get("/v1/sandboxes").await;
    assert_eq!(status, 401, "the old key stops working at once");
    let response = api
        .client
        .get(format!("{}/v1/sandboxes", api.base))
        .header("x-api-key", rotated)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_port_is_a_clear_error() {
    let api = Api::start().await;
    let taken = api.server.as_ref().unwrap().addr();
    let error = sbx_http::Server::start(api.core.clone(), taken)
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, sbx_api::ApiError::Conflict { .. }),
        "{message}"
    );
    assert!(message.contains(&taken.port().to_string()), "{message}");
    assert!(message.contains("already in use"), "{message}");
    // The first server still answers.
    let (status, _) = api.get("/v1/sandboxes").await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bodies_over_the_cap_and_hostile_input_get_4xx_in_the_json_shape() {
    let api = Api::start().await;
    let name = unique("host");
    api.sandbox(&name).await;
    let execute = format!("/v1/sandboxes/{name}/execute");

    // Over the cap: with a length (refused before it is read) and chunked (refused while read).
    let huge = format!(
        r#"{{"command": "echo {}"}}"#,
        "a".repeat(sbx_http::BODY_LIMIT)
    );
    let response = api
        .request(Method::POST, &execute)
        .header("content-type", "application/json")
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    assert_eq!(status, 413, "{body}");
    assert_error(&body, "payload_too_large", None);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = huge
        .into_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let response = api
        .request(Method::POST, &execute)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    assert_eq!(status, 413, "{body}");
    assert_error(&body, "payload_too_large", None);

    // Not JSON, or not only JSON.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for text in [
        "{",
        "{\"command\": \"true\"",
        "nonsense",
        "{\"command\": \"true\"} trailing",
        "\u{0}\u{1}\u{2}",
        deep.as_str(),
    ] {
        let response = api
            .request(Method::POST, &execute)
            .header("content-type", "application/json")
            .body(text.to_string())
            .send()
            .await
            .unwrap();
        let (status, body) = answer(response).await;
        assert!(status == 400 || status == 422, "{status}: {body}");
        assert!(body["error"]["code"].is_string(), "{body}");
    }
    // Wrong types and shapes: 422 naming the field.
    for (payload, field) in [
        (json!({"command": ["sh", "-c", "true"]}), "command"),
        (json!({"command": "true", "timeout": "10"}), "timeout"),
        (json!({"command": "true", "timeout": 1e40}), "timeout"),
        (
            json!({"command": "true", "timeout": 99_999_999_999u64}),
            "timeout",
        ),
        (json!({"command": "true", "shell": "/bin/bash"}), "shell"),
        (json!({"command": null}), "command"),
    ] {
        let (status, body) = api.post(&execute, payload.clone()).await;
        assert_eq!(status, 422, "{payload} → {body}");
        assert_error(&body, "invalid_body", Some(field));
    }
    // Other content types, a doubled one, none with a body.
    for content_types in [
        vec!["text/plain"],
        vec!["application/x-www-form-urlencoded"],
        vec!["application/json", "application/json"],
        vec![],
    ] {
        let mut request = api.request(Method::POST, &execute);
        for content_type in &content_types {
            request = request.header("content-type", *content_type);
        }
        let (status, body) = answer(
            request
                .body(r#"{"command": "touch /root/pwned"}"#)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 415, "{content_types:?}: {body}");
        assert_error(&body, "unsupported_media_type", None);
    }
    assert_eq!(
        api.execute(&name, "test -e /root/pwned; echo $?").await.1,
        "1\n"
    );

    // Hostile ids: traversal, encoded slashes, odd bytes, very long: not found (or a bad id), in the shape.
    let long = "a".repeat(10_000);
    for id in [
        "..",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2f%2e%2e%2fetc",
        "%00",
        "name%20with%20spaces",
        "%ff%fe",
        "'%20OR%201=1--",
        long.as_str(),
    ] {
        for path in [format!("/v1/sandboxes/{id}"), format!("/v1/snapshots/{id}")] {
            let (status, body) = api.get(&path).await;
            assert!(status == 404 || status == 400, "{path}: {status} {body}");
            assert!(body["error"]["code"].is_string(), "{path}: {body}");
        }
    }
    // A path that walks out of /v1 is normalized by nobody: it is no route.
    let (status, body) = api.get("/v1/sandboxes/../../etc/passwd").await;
    assert!(status == 404 || status == 400, "{status} {body}");
    // Wrong methods, unknown routes.
    let (status, body) = api
        .call(Method::PUT, "/v1/sandboxes", Some(json!({})))
        .await;
    assert_eq!(status, 405, "{body}");
    assert_error(&body, "method_not_allowed", None);
    let (status, body) = api
        .call(Method::PATCH, &format!("/v1/snapshots/{name}"), None)
        .await;
    assert_eq!(status, 405, "{body}");
    let (status, body) = api.get("/v2/sandboxes").await;
    assert_eq!(status, 404);
    assert_error(&body, "not_found", None);

    // Raw HTTP the client library would not send: a huge header, a bad request line, a body longer than its length.
    for raw in [
        format!(
            "GET /v1/sandboxes HTTP/1.1\r\nhost: x\r\nx-api-key: {}\r\nx-junk: {}\r\n\r\n",
            api.key,
            "j".repeat(1_000_000)
        ),
        "GARBAGE\r\n\r\n".to_string(),
        format!(
            "POST {execute} HTTP/1.1\r\nhost: x\r\nx-api-key: {}\r\ncontent-type: application/json\r\n\
             content-length: 99999999999\r\n\r\n{{}}",
            api.key
        ),
    ] {
        let status = raw_status(&api, &raw).await;
        assert!(
            status.as_deref().is_none_or(|s| s.starts_with('4')),
            "{status:?}"
        );
    }
    // The server still serves.
    let (status, _) = api.get("/v1/sandboxes").await;
    assert_eq!(status, 200);
}

/// Send `raw` on a fresh connection; the status code of the answer, if one came before the server closed it.
async fn raw_status(api: &Api, raw: &str) -> Option<String> {
    let addr = api.server.as_ref().unwrap().addr();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _ = stream.write_all(raw.as_bytes()).await;
    let _ = stream.shutdown().await;
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut reply),
    )
    .await;
    let text = String::from_utf8_lossy(&reply);
    text.lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .map(str::to_string)
}
