//! Every route of the HTTP API against the real server and the real Docker engine, with a real HTTP client: the
//! sandbox routes (create, list, get by id and by name, execute, delete), the snapshot routes (take, the one in flight,
//! list and its pages, get, restore, delete), clone, events, the OpenAPI document, and their errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Api, assert_error, test_image, unique};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sandbox_routes_end_to_end() {
    let api = Api::start().await;
    let name = unique("http");
    let created = api.sandbox(&name).await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["name"], name.as_str());
    assert_eq!(created["state"], "running");
    assert_eq!(created["image"], test_image());
    assert!(created["created_at"].is_string(), "{created}");
    assert!(created["storage"].is_null());

    // By id and by name, alike.
    for key in [&id, &name] {
        let (status, body) = api.get(&format!("/v1/sandboxes/{key}")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["id"], id.as_str());
    }
    let (status, list) = api.get("/v1/sandboxes").await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["name"], name.as_str());

    // Execute: output, error output and exit code; in the sandbox's working directory.
    let (status, out) = api
        .post(
            &format!("/v1/sandboxes/{id}/execute"),
            json!({"command": "echo out; echo err >&2; exit 3"}),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        (&out["stdout"], &out["stderr"], &out["exit_code"]),
        (&json!("out\n"), &json!("err\n"), &json!(3))
    );
    let (status, body) = api
        .post(
            &format!("/v1/sandboxes/{name}/execute"),
            json!({"command": "sleep 5", "timeout": 1}),
        )
        .await;
    assert_eq!(status, 408, "{body}");
    assert_error(&body, "timeout", Some("timeout"));
    let (status, body) = api
        .post(
            &format!("/v1/sandboxes/{name}/execute"),
            json!({"command": "true", "timeout": 0}),
        )
        .await;
    assert_eq!(status, 400);
    assert_error(&body, "invalid_input", Some("timeout"));
    let (status, body) = api
        .post(
            &format!("/v1/sandboxes/{name}/execute"),
            json!({"command": "  "}),
        )
        .await;
    assert_eq!(status, 400);
    assert_error(&body, "invalid_input", Some("command"));
    let (status, body) = api
        .post(&format!("/v1/sandboxes/{name}/execute"), json!({}))
        .await;
    assert_eq!(status, 422);
    assert_error(&body, "invalid_body", Some("command"));

    // The app's rules, with the field as the body spells it; nothing is created.
    let refusals = [
        (json!({"name": "Bad Name"}), "name"),
        (
            json!({"name": unique("r"), "resources": {"cpus": 64}}),
            "resources.cpus",
        ),
        (
            json!({"name": unique("r"), "resources": {"memory": 64}}),
            "resources.memory",
        ),
        (json!({"name": unique("r"), "env": {"1BAD": "x"}}), "env"),
        (
            json!({"name": unique("r"), "auto_stop_interval": 99999}),
            "auto_stop_interval",
        ),
        (json!({"name": name, "image": test_image()}), "name"),
        (
            json!({"name": unique("r"), "image": test_image(), "preset": "coder"}),
            "image",
        ),
        (
            json!({"name": unique("r"), "snapshot": "no-such-snapshot"}),
            "snapshot",
        ),
    ];
    for (body, field) in refusals {
        let (status, answer) = api.post("/v1/sandboxes", body.clone()).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert_error(&answer, "invalid_input", Some(field));
    }
    // JSON of the wrong shape: 422 naming the field.
    for (body, field) in [
        (json!({"name": 3}), "name"),
        (json!({"resources": {"cpus": "two"}}), "resources.cpus"),
        (json!({"resources": {"cpus": -1}}), "resources.cpus"),
        (json!({"resources": {"storage": 10}}), "resources.storage"),
        (json!({"colour": "blue"}), "colour"),
        (json!({"wait_for_ready": "yes"}), "wait_for_ready"),
    ] {
        let (status, answer) = api.post("/v1/sandboxes", body.clone()).await;
        assert_eq!(status, 422, "{body} → {answer}");
        assert_error(&answer, "invalid_body", Some(field));
    }
    assert_eq!(api.core.list_sandboxes().await.unwrap().len(), 1);

    let (status, _) = api.delete(&format!("/v1/sandboxes/{id}")).await;
    assert_eq!(status, 204);
    for path in [
        format!("/v1/sandboxes/{id}"),
        format!("/v1/sandboxes/{name}"),
    ] {
        let (status, body) = api.get(&path).await;
        assert_eq!(status, 404);
        assert_error(&body, "not_found", None);
    }
    let (status, body) = api.delete(&format!("/v1/sandboxes/{id}")).await;
    assert_eq!(status, 404);
    assert_error(&body, "not_found", None);
    let (status, body) = api
        .post(
            &format!("/v1/sandboxes/{id}/execute"),
            json!({"command": "true"}),
        )
        .await;
    assert_eq!(status, 404);
    assert_error(&body, "not_found", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn snapshot_routes_end_to_end() {
    let api = Api::start().await;
    let name = unique("snap");
    let sandbox = api.sandbox(&name).await;
    let sandbox_id = sandbox["id"].as_str().unwrap().to_string();
    api.execute(&name, "echo kept > /root/marker").await;

    // Full by default (the source keeps running), application-consistent unless quick.
    let (status, first) = api
        .post(
            &format!("/v1/sandboxes/{sandbox_id}/snapshot"),
            json!({"name": format!("{name}-a"), "wait_for_ready": true}),
        )
        .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(
        (
            &first["status"],
            &first["state"],
            &first["mode"],
            &first["consistency"]
        ),
        (
            &json!("ready"),
            &json!("active"),
            &json!("full"),
            &json!("application")
        )
    );
    assert_eq!(first["source_sandbox_id"], sandbox_id.as_str());
    assert_eq!(first["sandbox_id"], sandbox_id.as_str());
    assert_eq!(first["source_sandbox_name"], name.as_str());
    assert!(first["size"].is_u64(), "{first}");
    let (_, again) = api.get(&format!("/v1/sandboxes/{name}")).await;
    assert_eq!(again["status"], "running");

    // A second snapshot while one is in flight is refused (seed 003), with nothing made.
    api.execute(
        &name,
        "dd if=/dev/zero of=/root/big bs=1M count=64 2>/dev/null",
    )
    .await;
    let (status, second) = api
        .post(
            &format!("/v1/sandboxes/{name}/snapshot"),
            json!({"name": format!("{name}-b"), "quick": true}),
        )
        .await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["status"], "creating");
    assert_eq!(second["consistency"], "crash");
    let (status, body) = api
        .post(
            &format!("/v1/sandboxes/{name}/snapshot"),
            json!({"name": format!("{name}-c")}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_error(&body, "conflict", None);
    // Not ready yet: a restore is refused on the snapshot.
    let (status, body) = api
        .post(
            &format!("/v1/snapshots/{name}-b/restore"),
            json!({"name": unique("early")}),
        )
        .await;
    if status != 201 {
        assert_eq!(status, 400, "{body}");
        assert_error(&body, "invalid_input", Some("snapshot"));
    }
    let second = api.ready_snapshot(&format!("{name}-b")).await;
    assert_eq!(second["status"], "ready", "{second}");

    // Lists: all, a page, one sandbox's (by id and by name), on both paths.
    for path in ["/v1/snapshots/list", "/v1/snapshots"] {
        let (status, page) = api.get(path).await;
        assert_eq!(status, 200, "{page}");
        assert!(page["total"].as_u64().unwrap() >= 2, "{page}");
        let (_, page) = api.get(&format!("{path}?page=2&limit=1")).await;
        assert_eq!((&page["page"], &page["limit"]), (&json!(2), &json!(1)));
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        for key in [&sandbox_id, &name] {
            let (_, mine) = api.get(&format!("{path}?sandbox_id={key}")).await;
            let names: Vec<&str> = mine["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["name"].as_str().unwrap())
                .collect();
            assert!(names.contains(&format!("{name}-a").as_str()), "{mine}");
            assert!(names.iter().all(|n| n.starts_with(&name)), "{mine}");
        }
    }
    for (query, field) in [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
        ("colour=blue", "colour"),
    ] {
        let (status, body) = api.get(&format!("/v1/snapshots/list?{query}")).await;
        assert_eq!(status, 400, "{query} → {body}");
        assert_error(&body, "invalid_input", Some(field));
    }

    // One, by id and by name.
    let snapshot_id = first["id"].as_str().unwrap().to_string();
    for key in [snapshot_id.clone(), format!("{name}-a")] {
        let (status, body) = api.get(&format!("/v1/snapshots/{key}")).await;
        assert_eq!(status, 200);
        assert_eq!(body["id"], snapshot_id.as_str());
    }

    // Restore, with overrides, ready when asked.
    let restored_name = unique("rest");
    let (status, restored) = api
        .post(
            &format!("/v1/snapshots/{snapshot_id}/restore"),
            json!({"name": restored_name, "resources": {"cpus": 1, "memory": 256}, "wait_for_ready": true}),
        )
        .await;
    assert_eq!(status, 201, "{restored}");
    assert_eq!(
        (&restored["status"], &restored["cpu"], &restored["memory"]),
        (&json!("running"), &json!(1), &json!(256))
    );
    assert_eq!(
        api.execute(&restored_name, "cat /root/marker").await.1,
        "kept\n"
    );
    let (status, body) = api
        .post(
            &format!("/v1/snapshots/{snapshot_id}/restore"),
            json!({"resources": {"memory": 1}}),
        )
        .await;
    assert_eq!(status, 400);
    assert_error(&body, "invalid_input", Some("resources.memory"));

    // Scrub mode is allowed: the source is deleted after the capture.
    let doomed = unique("doomed");
    api.sandbox(&doomed).await;
    let (status, scrubbed) = api
        .post(
            &format!("/v1/sandboxes/{doomed}/snapshot"),
            json!({"name": format!("{doomed}-s"), "mode": "scrub", "wait_for_ready": true}),
        )
        .await;
    assert_eq!(status, 201, "{scrubbed}");
    assert_eq!(scrubbed["mode"], "scrub");
    let (status, body) = api
        .post(
            &format!("/v1/sandboxes/{name}/snapshot"),
            json!({"mode": "everything"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_error(&body, "invalid_body", Some("mode"));

    // Delete: 204, then 404 on every route of it.
    let (status, _) = api.delete(&format!("/v1/snapshots/{snapshot_id}")).await;
    assert_eq!(status, 204);
    let (status, body) = api.get(&format!("/v1/snapshots/{snapshot_id}")).await;
    assert_eq!(status, 404);
    assert_error(&body, "not_found", None);
    let (status, body) = api
        .post(&format!("/v1/snapshots/{snapshot_id}/restore"), json!({}))
        .await;
    assert_eq!(status, 404);
    assert_error(&body, "not_found", None);
    let (status, body) = api.delete(&format!("/v1/snapshots/{name}-a")).await;
    assert_eq!(status, 404);
    assert_error(&body, "not_found", None);
    // The restored sandbox keeps running.
    let (_, body) = api.get(&format!("/v1/sandboxes/{restored_name}")).await;
    assert_eq!(body["status"], "running");
    api.settle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clone_answers_the_sandbox_and_the_snapshot() {
    let api = Api::start().await;
    let name = unique("cl");
    let source = api.sandbox(&name).await;
    api.execute(&name, "echo from-source > /root/marker").await;
    let clone_name = unique("clone");
    let (status, result) = api
        .post(
            &format!("/v1/sandboxes/{}/clone", source["id"].as_str().unwrap()),
            json!({
                "name": clone_name,
                "snapshot_name": format!("{name}-snap"),
                "resources": {"cpus": 1, "memory": 512},
                "wait_for_ready": true
            }),
        )
        .await;
    assert_eq!(status, 201, "{result}");
    assert_eq!(result["sandbox"]["name"], clone_name.as_str());
    assert_eq!(result["sandbox"]["status"], "running");
    assert_eq!(result["sandbox"]["memory"], 512);
    assert_eq!(result["snapshot"]["name"], format!("{name}-snap"));
    assert_eq!(result["snapshot"]["status"], "ready");
    assert_eq!(result["snapshot"]["source_sandbox_name"], name.as_str());
    assert_eq!(
        api.execute(&clone_name, "cat /root/marker").await.1,
        "from-source\n"
    );
    // Refusals name the body's fields; a stopped source is a conflict.
    let (status, body) = api
        .post(
            &format!("/v1/sandboxes/{name}/clone"),
            json!({"snapshot_name": "Not Valid"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_error(&body, "invalid_input", Some("snapshot_name"));
    let (status, body) = api
        .post(
            &format!("/v1/sandboxes/{name}/clone"),
            json!({"name": clone_name}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_error(&body, "invalid_input", Some("name"));
    let (status, body) = api
        .post("/v1/sandboxes/no-such-sandbox/clone", json!({}))
        .await;
    assert_eq!(status, 404);
    assert_error(&body, "not_found", None);
    api.core.stop_sandbox(&name).await.unwrap();
    let (status, body) = api
        .post(&format!("/v1/sandboxes/{name}/clone"), json!({}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_error(&body, "conflict", None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_stream_what_the_window_gets() {
    let api = Api::start().await;
    let response = api
        .request(reqwest::Method::GET, "/v1/events")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut stream = response.bytes_stream();
    let name = unique("ev");
    let create = {
        let api_base = api.base.clone();
        let key = api.key.clone();
        let name = name.clone();
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{api_base}/v1/sandboxes"))
                .header("x-api-key", key)
                .json(&json!({"name": name, "image": test_image(), "wait_for_ready": true}))
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !(seen.contains("event: sandboxes_changed") && seen.contains(&name)) {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("no sandboxes_changed event within a minute")
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    let data = seen
        .lines()
        .find(|l| l.starts_with("data: ") && l.contains("sandboxes_changed"))
        .unwrap();
    let event: Value = serde_json::from_str(data.trim_start_matches("data: ")).unwrap();
    assert_eq!(event["type"], "sandboxes_changed");
    assert_eq!(create.await.unwrap(), 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_openapi_document_has_every_route_and_the_key() {
    let api = Api::start().await;
    let (status, doc) = api.get("/v1/openapi.json").await;
    assert_eq!(status, 200);
    let routes = [
        ("post", "/v1/sandboxes"),
        ("get", "/v1/sandboxes"),
        ("get", "/v1/sandboxes/{id}"),
        ("delete", "/v1/sandboxes/{id}"),
        ("post", "/v1/sandboxes/{id}/execute"),
        ("post", "/v1/sandboxes/{id}/snapshot"),
        ("post", "/v1/sandboxes/{id}/clone"),
        ("get", "/v1/snapshots/list"),
        ("get", "/v1/snapshots"),
        ("get", "/v1/snapshots/{id}"),
        ("delete", "/v1/snapshots/{id}"),
        ("post", "/v1/snapshots/{id}/restore"),
        ("get", "/v1/events"),
        ("get", "/v1/openapi.json"),
    ];
    for (method, path) in routes {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing from the document"
        );
    }
    let scheme = &doc["components"]["securitySchemes"]["api_key"];
    assert_eq!(
        (&scheme["type"], &scheme["in"], &scheme["name"]),
        (&json!("apiKey"), &json!("header"), &json!("x-api-key"))
    );
    for schema in [
        "Sandbox",
        "Snapshot",
        "SnapshotPage",
        "ErrorBody",
        "CloneResult",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema}"
        );
    }
    let sandbox = &doc["components"]["schemas"]["Sandbox"]["properties"];
    for field in [
        "id",
        "name",
        "created_at",
        "cpu",
        "memory",
        "storage",
        "status",
    ] {
        assert!(sandbox[field].is_object(), "Sandbox.{field}");
    }
}
