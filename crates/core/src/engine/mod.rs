//! The engine layer: everything the core asks the Docker engine, and the only place that knows bollard.
//!
//! [`Engine`] is the connection — its address (`DOCKER_HOST`, else the local Docker, Docker Desktop or Podman
//! socket), the API version negotiated on first use, the client dropped when the engine stops answering so the next
//! call reconnects — and the small typed functions the services call, one engine request (or stream) each, by what
//! they act on: [`containers`] (create, start, stop, remove, inspect, list by label, changes, pause, logs, stats),
//! [`images`] (exists, size, commit, remove, list by label, build, pull, the export and load streams), [`exec`]
//! (commands with attached streams as [`Output`], their exit code, terminal size), [`volumes`], [`helpers`] (the
//! short-lived containers of a capture or copy, and tar archives in and out), [`purge`] (removing by label),
//! [`usage`] (the bytes volumes take) and [`watch`] (the event stream turned into `UiEvent`s).
//!
//! The rest of the core sees the layer's own types ([`ContainerInfo`], [`NewContainer`], [`Output`], …), never
//! bollard's (a test below walks the core's sources). Engine errors are mapped in one place, [`error`]: no answer
//! is `EngineUnavailable` (and the client is dropped), an answer that is an error is [`crate::Error::Engine`] with
//! what the core was doing and what the engine said; where the caller decides on the answer (a 404 is "missing",
//! a 409 on a container name is "taken", an image in use is kept) the function returns it typed.

pub mod containers;
pub mod error;
pub mod exec;
pub mod helpers;
pub mod image_config;
pub mod images;
pub mod purge;
pub mod space;
pub mod usage;
pub mod volumes;
pub(crate) mod watch;

pub use containers::{
    Change, ChangeKind, ContainerInfo, ContainerState, ContainerStatus, HostSettings,
    ListedContainer, LogOptions, Mount, MountKind, NewContainer, PublishedPort,
};
pub use error::EngineError;
pub use exec::{ExecStream, Output, OutputStream};
pub use images::ListedImage;
pub use volumes::ListedVolume;

use bollard::Docker;
use bollard::query_parameters::ListContainersOptionsBuilder;
use futures_util::Stream;
use sbx_api::{ContainerSummary, EngineInfo, EngineStatus};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::labels;

/// How long one engine request may take before the client gives up waiting for the answer's headers.
/// Commits of large containers answer only when done, so this is generous.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(900);

/// Chunks of bytes as the engine sends them (an archive, an image), its errors mapped.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Vec<u8>>> + Send>>;

/// Text as the engine sends it (a container's log), its errors mapped.
pub type TextStream = Pin<Box<dyn Stream<Item = Result<String>> + Send>>;

/// The engine the app talks to. Cheap to clone (clones share the connection); reconnects lazily.
#[derive(Debug, Clone)]
pub struct Engine {
    connection: Arc<Connection>,
}

#[derive(Debug)]
struct Connection {
    address: String,
    client: Mutex<Option<Docker>>,
}

impl Engine {
    /// An engine at `DOCKER_HOST`, or the first local socket that exists, or the platform default.
    pub fn from_env() -> Engine {
        Engine::at(resolve_address())
    }

    /// An engine at an explicit address (`unix://…`, `tcp://…`, `npipe://…`).
    pub fn at(address: impl Into<String>) -> Engine {
        Engine {
            connection: Arc::new(Connection {
                address: address.into(),
                client: Mutex::new(None),
            }),
        }
    }

    /// The address tried.
    pub fn address(&self) -> &str {
        &self.connection.address
    }

    /// The bollard client with the API version negotiated; connects on first use and after a connection was lost.
    /// Only the engine layer holds one: no bollard type leaves the core (the tests and the bench that inspect the
    /// engine directly make a client of their own).
    pub(crate) async fn client(&self) -> Result<Docker> {
        if let Some(client) = self.cached() {
            return Ok(client);
        }
        let unavailable = |message: String| Error::EngineUnavailable {
            address: self.address().to_string(),
            message,
        };
        let docker = Docker::connect_with_host(self.address())
            .map_err(|e| unavailable(e.to_string()))?
            .with_timeout(REQUEST_TIMEOUT);
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        if let Ok(mut slot) = self.connection.client.lock() {
            *slot = Some(docker.clone());
        }
        Ok(docker)
    }

    /// Connect (or keep the connection): fails with `EngineUnavailable` when no engine answers.
    pub async fn connect(&self) -> Result<()> {
        self.client().await.map(|_| ())
    }

    fn cached(&self) -> Option<Docker> {
        self.connection
            .client
            .lock()
            .ok()
            .and_then(|slot| slot.clone())
    }

    /// Forget the client so the next call reconnects and renegotiates.
    pub fn forget(&self) {
        if let Ok(mut slot) = self.connection.client.lock() {
            *slot = None;
        }
    }

    /// Connected (with versions and counts) or unreachable (with the address and the reason).
    pub async fn status(&self) -> EngineStatus {
        match self.info().await {
            Ok(info) => EngineStatus::Connected(info),
            Err(error) => EngineStatus::Unreachable {
                address: self.address().to_string(),
                reason: match error {
                    Error::EngineUnavailable { message, .. } => message,
                    other => other.to_string(),
                },
            },
        }
    }

    /// What the engine reports about itself.
    pub async fn info(&self) -> Result<EngineInfo> {
        let docker = self.client().await?;
        let version = docker
            .version()
            .await
            .map_err(|e| self.fail("asking its version", e))?;
        let info = docker
            .info()
            .await
            .map_err(|e| self.fail("asking about it", e))?;
        let (major, minor) = {
            let v = docker.client_version();
            (v.major_version, v.minor_version)
        };
        Ok(EngineInfo {
            address: self.address().to_string(),
            server_version: version.version.unwrap_or_default(),
            api_version: format!("{major}.{minor}"),
            os: info.operating_system.unwrap_or_default(),
            containers: info.containers.unwrap_or(0).max(0) as u64,
            containers_running: info.containers_running.unwrap_or(0).max(0) as u64,
            images: info.images.unwrap_or(0).max(0) as u64,
        })
    }

    /// How many CPUs the engine has, when it says.
    pub(crate) async fn cpus(&self) -> Result<Option<i64>> {
        let docker = self.client().await?;
        let info = docker
            .info()
            .await
            .map_err(|e| self.fail("asking about it", e))?;
        Ok(info.ncpu)
    }

    /// Every container of the engine, newest first, marking those this data dir manages.
    pub async fn containers(&self, instance: &str) -> Result<Vec<ContainerSummary>> {
        let docker = self.client().await?;
        let options = ListContainersOptionsBuilder::default().all(true).build();
        let list = docker
            .list_containers(Some(options))
            .await
            .map_err(|e| self.fail("listing containers", e))?;
        Ok(list
            .into_iter()
            .map(|c| {
                let labels = c.labels.unwrap_or_default();
                ContainerSummary {
                    id: c.id.unwrap_or_default(),
                    name: c
                        .names
                        .and_then(|n| n.into_iter().next())
                        .map(|n| n.trim_start_matches('/').to_string())
                        .unwrap_or_default(),
                    image: c.image.unwrap_or_default(),
                    state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                    status: c.status.unwrap_or_default(),
                    managed: labels.get(labels::INSTANCE).map(String::as_str) == Some(instance),
                }
            })
            .collect())
    }
}

/// `DOCKER_HOST` when set; otherwise the first local socket that exists (Docker, Docker Desktop, Podman);
/// otherwise the platform default.
fn resolve_address() -> String {
    if let Ok(host) = std::env::var("DOCKER_HOST")
        && !host.trim().is_empty()
    {
        return host;
    }
    #[cfg(unix)]
    {
        let mut candidates = vec![std::path::PathBuf::from("/var/run/docker.sock")];
        if let Some(home) = dirs::home_dir() {
            candidates.push(home.join(".docker/run/docker.sock"));
            candidates.push(home.join(".docker/desktop/docker.sock"));
        }
        if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR") {
            candidates.push(std::path::PathBuf::from(runtime).join("podman/podman.sock"));
        }
        for path in candidates {
            if path.exists() {
                return format!("unix://{}", path.display());
            }
        }
        "unix:///var/run/docker.sock".to_string()
    }
    #[cfg(windows)]
    {
        "npipe:////./pipe/docker_engine".to_string()
    }
    #[cfg(not(any(unix, windows)))]
    {
        "tcp://127.0.0.1:2375".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    #[tokio::test]
    async fn unreachable_engine_reports_the_address_it_tried() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("nothing.sock");
        let address = format!("unix://{}", socket.display());
        let engine = Engine::at(&address);
        match engine.status().await {
            EngineStatus::Unreachable { address: a, reason } => {
                assert_eq!(a, address);
                assert!(!reason.is_empty());
            }
            other => panic!("expected unreachable, got {other:?}"),
        }
    }

    /// The Rust files under `dir`.
    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// No bollard outside `engine/`: the services call this layer's typed functions, see its own types, and get
    /// engine errors already mapped (so a new call cannot forget the mapping, nor leak bollard into the API).
    #[test]
    fn no_bollard_outside_the_engine() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let engine = src.join("engine");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        assert!(files.len() > 20, "found only {} files", files.len());
        let found: Vec<String> = files
            .iter()
            .filter(|file| !file.starts_with(&engine))
            .filter(|file| {
                std::fs::read_to_string(file)
                    .unwrap()
                    .to_lowercase()
                    .contains("bollard")
            })
            .map(|file| file.display().to_string())
            .collect();
        assert!(found.is_empty(), "bollard outside engine/: {found:#?}");
    }
}
