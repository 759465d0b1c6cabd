//! Seed 002 against the real server: its REST examples run with `curl` as written (only the base URL, the key and the
//! ids swapped), and its "Parallel Clones for Scale" example (a configured sandbox, four concurrent clones waiting
//! until ready, a command in each, everything deleted) through a real HTTP client.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Api, test_image, unique};
use reqwest::Method;
use serde_json::{Value, json};

/// The seed's curl examples, verbatim.
const CREATE_SNAPSHOT: &str = r#"curl -X POST https://api.akiralabs.ai/v1/sandboxes/{sandbox_id}/snapshot \
  -H "x-api-key: YOUR_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{
    "name": "my-backup"
  }'"#;
const LIST_SNAPSHOTS: &str = r#"curl https://api.akiralabs.ai/v1/snapshots/list \
  -H "x-api-key: YOUR_API_KEY""#;
const RESTORE_SNAPSHOT: &str = r#"curl -X POST https://api.akiralabs.ai/v1/snapshots/{snapshot_id}/restore \
  -H "x-api-key: YOUR_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{"name": "restored-sandbox"}'"#;
const DELETE_SNAPSHOT: &str = r#"curl -X DELETE https://api.akiralabs.ai/v1/snapshots/{snapshot_id} \
  -H "x-api-key: YOUR_API_KEY""#;
const CLONE_SANDBOX: &str = r#"curl -X POST https://api.akiralabs.ai/v1/sandboxes/{sandbox_id}/clone \
  -H "x-api-key: YOUR_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{
    "name": "my-cloned-sandbox",
    "snapshot_name": "clone-backup-1",
    "resources": {
      "cpus": 2,
      "memory": 1024
    }
  }'"#;

/// Run a seed example with this server's base URL and key and the given ids; its output (JSON, or empty).
async fn run_curl(api: &Api, example: &str, ids: &[(&str, &str)]) -> Value {
    let mut command = example
        .replace("https://api.akiralabs.ai", &api.base)
        .replace("YOUR_API_KEY", &api.key);
    for (placeholder, id) in ids {
        command = command.replace(placeholder, id);
    }
    let out = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&command)
        .output()
        .await
        .expect("curl must be installed");
    assert!(
        out.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{command} printed {text}: {e}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_seeds_curl_examples_run_as_written() {
    let api = Api::start().await;
    let source = api.sandbox(&unique("source-sandbox")).await;
    let sandbox_id = source["id"].as_str().unwrap();

    let snapshot = run_curl(&api, CREATE_SNAPSHOT, &[("{sandbox_id}", sandbox_id)]).await;
    assert_eq!(snapshot["name"], "my-backup", "{snapshot}");
    assert_eq!(snapshot["source_sandbox_id"], sandbox_id);
    let snapshot_id = snapshot["id"].as_str().unwrap().to_string();
    assert_eq!(api.ready_snapshot(&snapshot_id).await["status"], "ready");

    let list = run_curl(&api, LIST_SNAPSHOTS, &[]).await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["id"], snapshot_id.as_str());

    let restored = run_curl(&api, RESTORE_SNAPSHOT, &[("{snapshot_id}", &snapshot_id)]).await;
    assert_eq!(restored["name"], "restored-sandbox", "{restored}");
    assert_ne!(restored["id"], sandbox_id);

    // Deleting waits for the restore in flight; the restored sandbox keeps running.
    let deleted = run_curl(&api, DELETE_SNAPSHOT, &[("{snapshot_id}", &snapshot_id)]).await;
    assert!(deleted.is_null(), "{deleted}");
    let (status, _) = api.get(&format!("/v1/snapshots/{snapshot_id}")).await;
    assert_eq!(status, 404);
    let ready = api
        .core
        .wait_until_ready("restored-sandbox", std::time::Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!(ready.state, sbx_api::SandboxState::Running);

    let engine_cpus = bollard::Docker::connect_with_defaults()
        .unwrap()
        .info()
        .await
        .unwrap()
        .ncpu
        .unwrap_or(1);
    let cloned = run_curl(&api, CLONE_SANDBOX, &[("{sandbox_id}", sandbox_id)]).await;
    if engine_cpus >= 2 {
        assert_eq!(cloned["sandbox"]["name"], "my-cloned-sandbox", "{cloned}");
        assert_eq!(cloned["sandbox"]["cpu"], 2);
        assert_eq!(cloned["sandbox"]["memory"], 1024);
        assert_eq!(cloned["snapshot"]["name"], "clone-backup-1");
        assert_eq!(cloned["snapshot"]["status"], "ready");
        assert_eq!(cloned["snapshot"]["source_sandbox_id"], sandbox_id);
        assert_eq!(cloned["snapshot"]["consistency"], "application");
    } else {
        assert_eq!(cloned["error"]["field"], "resources.cpus", "{cloned}");
    }
    api.settle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_seeds_parallel_clones_for_scale() {
    let api = Api::start().await;
    // Set up a configured sandbox.
    let (status, base) = api
        .post(
            "/v1/sandboxes",
            json!({"image": test_image(), "wait_for_ready": true}),
        )
        .await;
    assert_eq!(status, 201, "{base}");
    let base_id = base["id"].as_str().unwrap().to_string();
    let (code, _) = api
        .execute(
            &base_id,
            "mkdir -p /root/work && echo configured > /root/work/setup && \
             dd if=/dev/zero of=/root/work/deps bs=1M count=8 2>/dev/null",
        )
        .await;
    assert_eq!(code, 0);

    // Create multiple clones for parallel processing.
    let prefix = unique("worker");
    let tasks = ["data1.csv", "data2.csv", "data3.csv", "data4.csv"];
    let clones = futures_util::future::join_all(tasks.iter().enumerate().map(|(i, _)| {
        let name = format!("{prefix}-{i}");
        let request = api
            .request(Method::POST, &format!("/v1/sandboxes/{base_id}/clone"))
            .json(&json!({"name": name, "wait_for_ready": true}));
        async move { common::answer(request.send().await.unwrap()).await }
    }))
    .await;
    let mut snapshots = std::collections::HashSet::new();
    let clones: Vec<Value> = clones
        .into_iter()
        .enumerate()
        .map(|(i, (status, result))| {
            assert_eq!(status, 201, "clone {i}: {result}");
            assert_eq!(result["sandbox"]["status"], "running", "{result}");
            assert!(snapshots.insert(result["snapshot"]["name"].to_string()));
            result["sandbox"].clone()
        })
        .collect();

    // Run parallel processing on each clone.
    let runs = futures_util::future::join_all(clones.iter().zip(tasks).map(|(clone, task)| {
        let request = api
            .request(
                Method::POST,
                &format!("/v1/sandboxes/{}/execute", clone["id"].as_str().unwrap()),
            )
            .json(&json!({"command": format!("cat /root/work/setup && echo processing {task}")}));
        async move { common::answer(request.send().await.unwrap()).await }
    }))
    .await;
    for ((status, out), task) in runs.into_iter().zip(tasks) {
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["stdout"], format!("configured\nprocessing {task}\n"));
        assert_eq!(out["exit_code"], 0);
    }

    // Clean up.
    let deletes = futures_util::future::join_all(clones.iter().map(|clone| {
        let request = api.request(
            Method::DELETE,
            &format!("/v1/sandboxes/{}", clone["id"].as_str().unwrap()),
        );
        async move { request.send().await.unwrap().status().as_u16() }
    }))
    .await;
    assert_eq!(deletes, vec![204; 4]);
    let (status, _) = api.delete(&format!("/v1/sandboxes/{base_id}")).await;
    assert_eq!(status, 204);
    let (_, list) = api.get("/v1/sandboxes").await;
    assert_eq!(list["total"], 0, "{list}");
}
