//! Test helpers: a core on a temporary data dir and credential home, on the real Docker engine, serving the HTTP
//! API on a free loopback port, with a client that sends the key; every engine object labelled with the data dir's
//! instance is removed when dropped.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use reqwest::{Method, RequestBuilder, Response};
use sbx_core::{Core, Engine, Paths};
use sbx_http::Server;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

/// The busybox image `cargo xtask test` builds (only `/bin/sh` and busybox applets).
pub fn test_image() -> String {
    std::env::var("SBX_TEST_IMAGE").unwrap_or_else(|_| "sandbox-desktop-test/busybox:latest".into())
}

/// A unique name for a test object.
pub fn unique(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &id[..8])
}

/// A core and its API server.
pub struct Api {
    pub core: Arc<Core>,
    pub server: Option<Server>,
    pub base: String,
    pub key: String,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
}

impl Api {
    pub async fn start() -> Api {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let paths = Paths::at(dir.path().join("data")).unwrap();
        let core = Core::open(paths, Engine::from_env()).await.unwrap();
        core.tune(|t| t.credentials_home = Some(home.clone()));
        core.engine()
            .connect()
            .await
            .expect("a Docker engine must answer (cargo xtask test starts one)");
        let server = Server::start(core.clone(), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let key = sbx_http::token::ensure(core.paths()).unwrap();
        Api {
            base: server.url(),
            core,
            server: Some(server),
            key,
            client: reqwest::Client::new(),
            dir,
            home,
        }
    }

    /// A request with the key.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .header("x-api-key", &self.key)
    }

    /// Send `body` (if any) as JSON with the key; the status and the JSON answer (null when there is none).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Create a running busybox sandbox through the API; its JSON.
    pub async fn sandbox(&self, name: &str) -> Value {
        let (status, body) = self
            .post(
                "/v1/sandboxes",
                json!({"name": name, "image": test_image(), "wait_for_ready": true}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["status"], "running", "{body}");
        body
    }

    /// Run `command` in the sandbox through the API; (exit code, stdout).
    pub async fn execute(&self, sandbox: &str, command: &str) -> (i64, String) {
        let (status, body) = self
            .post(
                &format!("/v1/sandboxes/{sandbox}/execute"),
                json!({"command": command}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        (
            body["exit_code"].as_i64().unwrap(),
            body["stdout"].as_str().unwrap().to_string(),
        )
    }

    /// Wait until no job of the data dir runs (a create, restore or clone answered before it was ready), so the
    /// clean-up on drop finds everything it made.
    pub async fn settle(&self) {
        for _ in 0..1200 {
            if sbx_core::store::jobs::count_running(self.core.store().pool())
                .await
                .unwrap()
                == 0
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("jobs still running after two minutes");
    }

    /// Wait until the snapshot is ready (or failed); its JSON.
    pub async fn ready_snapshot(&self, snapshot: &str) -> Value {
        for _ in 0..600 {
            let (status, body) = self.get(&format!("/v1/snapshots/{snapshot}")).await;
            assert_eq!(status, 200, "{body}");
            if body["status"] != "creating" {
                return body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("snapshot {snapshot} still creating after a minute");
    }
}

/// The status and the JSON of a response (null when its body is empty).
pub async fn answer(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, body)
}

/// Assert `body` is the API's error shape with `code` (and `field`, when given).
pub fn assert_error(body: &Value, code: &str, field: Option<&str>) {
    let error = &body["error"];
    assert_eq!(error["code"], code, "{body}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    if let Some(field) = field {
        assert_eq!(error["field"], field, "{body}");
    }
}

/// Remove everything labelled with `instance`.
pub async fn clean_instance(instance: &str) {
    let _ = Engine::from_env().purge_instance(instance).await;
}

impl Drop for Api {
    fn drop(&mut self) {
        let instance = self.core.paths().instance().to_string();
        let server = self.server.take();
        // A fresh runtime on another thread: Drop may run inside the test's runtime.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                drop(server);
                rt.block_on(clean_instance(&instance));
            }
        })
        .join();
    }
}
