//! The connection to the Docker engine (bollard): finding its address, negotiating the API version,
//! reconnecting after it went away, and the few engine-wide queries (status, all containers).

use bollard::Docker;
use bollard::query_parameters::ListContainersOptionsBuilder;
use sbx_api::{ContainerSummary, EngineInfo, EngineStatus};
use std::sync::Mutex;
use std::time::Duration;

use crate::error::{Error, Result, is_connection_error};
use crate::labels;

/// How long one engine request may take before the client gives up waiting for the answer's headers.
/// Commits of large containers answer only when done, so this is generous.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(900);

/// The engine the app talks to. Cheap to clone the inner client out of; reconnects lazily.
#[derive(Debug)]
pub struct Engine {
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
            address: address.into(),
            client: Mutex::new(None),
        }
    }

    /// The address tried.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// A client with the API version negotiated; connects on first use and after a connection was lost.
    pub async fn client(&self) -> Result<Docker> {
        if let Some(client) = self.cached() {
            return Ok(client);
        }
        let unavailable = |message: String| Error::EngineUnavailable {
            address: self.address.clone(),
            message,
        };
        let docker = Docker::connect_with_host(&self.address)
            .map_err(|e| unavailable(e.to_string()))?
            .with_timeout(REQUEST_TIMEOUT);
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        if let Ok(mut slot) = self.client.lock() {
            *slot = Some(docker.clone());
        }
        Ok(docker)
    }

    fn cached(&self) -> Option<Docker> {
        self.client.lock().ok().and_then(|slot| slot.clone())
    }

    /// Forget the client so the next call reconnects and renegotiates.
    pub fn forget(&self) {
        if let Ok(mut slot) = self.client.lock() {
            *slot = None;
        }
    }

    /// Turn a bollard error into a core error, forgetting the client when the engine stopped answering.
    pub fn fail(&self, error: bollard::errors::Error) -> Error {
        if is_connection_error(&error) {
            self.forget();
            Error::EngineUnavailable {
                address: self.address.clone(),
                message: error.to_string(),
            }
        } else {
            Error::Engine(error)
        }
    }

    /// Connected (with versions and counts) or unreachable (with the address and the reason).
    pub async fn status(&self) -> EngineStatus {
        match self.info().await {
            Ok(info) => EngineStatus::Connected(info),
            Err(error) => EngineStatus::Unreachable {
                address: self.address.clone(),
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
        let version = docker.version().await.map_err(|e| self.fail(e))?;
        let info = docker.info().await.map_err(|e| self.fail(e))?;
        let (major, minor) = {
            let v = docker.client_version();
            (v.major_version, v.minor_version)
        };
        Ok(EngineInfo {
            address: self.address.clone(),
            server_version: version.version.unwrap_or_default(),
            api_version: format!("{major}.{minor}"),
            os: info.operating_system.unwrap_or_default(),
            containers: info.containers.unwrap_or(0).max(0) as u64,
            containers_running: info.containers_running.unwrap_or(0).max(0) as u64,
            images: info.images.unwrap_or(0).max(0) as u64,
        })
    }

    /// Every container of the engine, newest first, marking those this data dir manages.
    pub async fn containers(&self, instance: &str) -> Result<Vec<ContainerSummary>> {
        let docker = self.client().await?;
        let options = ListContainersOptionsBuilder::default().all(true).build();
        let list = docker
            .list_containers(Some(options))
            .await
            .map_err(|e| self.fail(e))?;
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
}
