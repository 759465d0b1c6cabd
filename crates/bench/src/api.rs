//! The HTTP API's rows of `cargo xtask bench`: create-to-ready, clone-to-ready and reading one sandbox through
//! `sbx-http` (a real server on a loopback port, a real client) against the same operations through the core
//! directly, the order alternating run by run, so the ratio is what the HTTP layer costs.

use anyhow::{Context, Result, ensure};
use sbx_api::{CloneSandboxRequest, CreateSandboxRequest, GitChoice, SnapshotChoice};
use sbx_core::Core;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{Row, image, median};

/// A server on a free loopback port and a client that sends its key.
struct Client {
    base: String,
    key: String,
    http: reqwest::Client,
}

impl Client {
    /// POST `body` to `path`; the answer, which must have `status`.
    async fn post(&self, path: &str, body: Value, status: u16) -> Result<Value> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("x-api-key", &self.key)
            .json(&body)
            .send()
            .await?;
        let got = response.status().as_u16();
        let answer: Value = response.json().await?;
        ensure!(got == status, "POST {path}: {got} {answer}");
        Ok(answer)
    }
}

/// Runs of each row at least (the operations take under a second; fewer would measure the engine's noise).
const MIN_RUNS: usize = 7;

/// Reads of one sandbox per timed run of the read row.
const READS: u32 = 100;

/// The rows: the API's time as "ours", the core's as "raw".
pub async fn rows(core: &Arc<Core>, runs: usize) -> Result<Vec<Row>> {
    let runs = runs.max(MIN_RUNS);
    let server = sbx_http::Server::start(Arc::clone(core), "127.0.0.1:0".parse()?)
        .await
        .context("starting the HTTP API")?;
    let client = Client {
        base: server.url(),
        key: sbx_http::token::ensure(core.paths())?,
        http: reqwest::Client::new(),
    };
    let result = async {
        Ok(vec![
            create(core, &client, runs).await?,
            clone(core, &client, runs).await?,
            read(core, &client, runs).await?,
        ])
    }
    .await;
    server.stop().await;
    result
}

/// Create to ready: `POST /v1/sandboxes` with `wait_for_ready` against `Core::create_sandbox` with the same request.
async fn create(core: &Arc<Core>, client: &Client, runs: usize) -> Result<Row> {
    let mut api = Vec::new();
    let mut direct = Vec::new();
    for i in 0..runs {
        for through_api in [i % 2 == 0, i % 2 == 1] {
            let name = format!("bench-create-{i}-{through_api}");
            let started = Instant::now();
            if through_api {
                let sandbox = client
                    .post(
                        "/v1/sandboxes",
                        json!({"name": name, "image": image(), "wait_for_ready": true}),
                        201,
                    )
                    .await?;
                api.push(started.elapsed());
                ensure!(sandbox["status"] == "running", "{sandbox}");
            } else {
                core.create_sandbox(&CreateSandboxRequest {
                    name: Some(name.clone()),
                    image: Some(image()),
                    git: GitChoice::Off,
                    snapshot: SnapshotChoice::Off,
                    wait_for_ready: true,
                    ..Default::default()
                })
                .await?;
                direct.push(started.elapsed());
            }
            core.delete_sandbox(&name, true).await?;
        }
    }
    Ok(row("API create to ready", api, direct))
}

/// Clone to ready: `POST /v1/sandboxes/{id}/clone` with `wait_for_ready` against `Core::clone_sandbox`.
async fn clone(core: &Arc<Core>, client: &Client, runs: usize) -> Result<Row> {
    let base = "bench-clone-base";
    let created = client
        .post(
            "/v1/sandboxes",
            json!({"name": base, "image": image(), "wait_for_ready": true}),
            201,
        )
        .await?;
    let base_id = created["id"].as_str().unwrap_or(base).to_string();
    let mut api = Vec::new();
    let mut direct = Vec::new();
    for i in 0..runs {
        for through_api in [i % 2 == 0, i % 2 == 1] {
            let name = format!("bench-clone-{i}-{through_api}");
            let started = Instant::now();
            let snapshot = if through_api {
                let result = client
                    .post(
                        &format!("/v1/sandboxes/{base_id}/clone"),
                        json!({"name": name, "wait_for_ready": true}),
                        201,
                    )
                    .await?;
                api.push(started.elapsed());
                ensure!(result["sandbox"]["status"] == "running", "{result}");
                result["snapshot"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            } else {
                let result = core
                    .clone_sandbox(&CloneSandboxRequest {
                        sandbox: base.to_string(),
                        name: Some(name.clone()),
                        wait_for_ready: true,
                        ..Default::default()
                    })
                    .await?;
                direct.push(started.elapsed());
                result.snapshot.name
            };
            core.delete_sandbox(&name, true).await?;
            core.delete_snapshot(&snapshot).await?;
        }
    }
    core.delete_sandbox(base, true).await?;
    Ok(row("API clone to ready", api, direct))
}

/// Reading one sandbox [`READS`] times: `GET /v1/sandboxes/{id}` against `Core::find_sandbox` + `sandbox_view`
/// (the per-request cost of HTTP, JSON and the key check, against an inspect of the container).
async fn read(core: &Arc<Core>, client: &Client, runs: usize) -> Result<Row> {
    let name = "bench-read";
    let created = client
        .post(
            "/v1/sandboxes",
            json!({"name": name, "image": image(), "wait_for_ready": true}),
            201,
        )
        .await?;
    let id = created["id"].as_str().unwrap_or(name).to_string();
    let url = format!("{}/v1/sandboxes/{id}", client.base);
    let mut api = Vec::new();
    let mut direct = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        for _ in 0..READS {
            let record = core.find_sandbox(&id).await?;
            core.sandbox_view(&record).await?;
        }
        direct.push(started.elapsed());
        let started = Instant::now();
        for _ in 0..READS {
            let response = client
                .http
                .get(&url)
                .header("x-api-key", &client.key)
                .send()
                .await?;
            ensure!(response.status() == 200, "GET {url}: {}", response.status());
            response.bytes().await?;
        }
        api.push(started.elapsed());
    }
    core.delete_sandbox(name, true).await?;
    Ok(row(&format!("API get one sandbox ({READS}x)"), api, direct))
}

fn row(what: &str, api: Vec<Duration>, direct: Vec<Duration>) -> Row {
    Row {
        what: what.to_string(),
        ours: median(api),
        raw: median(direct),
        peak_kib: None,
    }
}
