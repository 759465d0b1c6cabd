//! Containers: create (from a [`NewContainer`]), start, stop, pause, remove, inspect (as a [`ContainerInfo`]), list
//! by label or by the image they were made from, the filesystem changes, logs and CPU usage.

use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, ContainerStateStatusEnum, HostConfig,
    Mount as DockerMount, MountType, PortBinding,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, StatsOptionsBuilder, StopContainerOptionsBuilder,
    WaitContainerOptionsBuilder,
};
use futures_util::StreamExt;
use std::collections::HashMap;

use super::{Engine, TextStream, error};
use crate::Result;
use crate::labels;

/// A container to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewContainer {
    /// The engine name; `None` lets the engine pick one.
    pub name: Option<String>,
    /// The image.
    pub image: String,
    /// The entrypoint.
    pub entrypoint: Vec<String>,
    /// The command (empty: none).
    pub cmd: Vec<String>,
    /// Environment (`NAME=value`); empty: the image's.
    pub env: Vec<String>,
    /// Working directory; `None`: the image's.
    pub working_dir: Option<String>,
    /// User (`uid:gid`); `None`: the image's.
    pub user: Option<String>,
    /// Keep standard input open.
    pub open_stdin: bool,
    /// Seconds a stop waits before killing; `None`: the engine's default.
    pub stop_timeout_secs: Option<i64>,
    /// Labels.
    pub labels: HashMap<String, String>,
    /// Mounts, published ports and limits; `None`: the engine's defaults.
    pub host: Option<HostSettings>,
}

/// How a container runs on the host: mounts, published ports, limits, privileges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostSettings {
    /// Docker's init as the first process (reaps zombies, forwards signals).
    pub init: bool,
    /// Bind mounts and volumes.
    pub mounts: Vec<Mount>,
    /// Ports published on the host.
    pub ports: Vec<PublishedPort>,
    /// CPU limit, in CPUs.
    pub cpus: Option<u32>,
    /// Memory limit, in MiB.
    pub memory_mib: Option<u32>,
    /// The most processes at once.
    pub pids_limit: u32,
    /// No process gains privileges through setuid binaries or file capabilities.
    pub no_new_privileges: bool,
}

/// A mount of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// A host path or a volume.
    pub kind: MountKind,
    /// The host path or the volume's name.
    pub source: String,
    /// Where it appears inside the container.
    pub target: String,
    /// Read-only inside the container.
    pub read_only: bool,
}

/// What a [`Mount`] mounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MountKind {
    /// A host file or folder.
    Bind,
    /// A named volume.
    Volume,
}

/// A container port published on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPort {
    /// The port inside the container.
    pub container_port: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
    /// The host address it is bound to.
    pub host_ip: String,
    /// The host port; 0 lets the engine pick a free one.
    pub host_port: u16,
}

/// A create refused because the engine already has a container of that name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameTaken {
    /// What the engine said.
    pub message: String,
}

/// An inspected container: what the core reads of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerInfo {
    /// The engine's id.
    pub id: String,
    /// Its state, when the engine reports one.
    pub state: Option<ContainerState>,
    /// Exec sessions started in it (running or finished, while the engine keeps them).
    pub exec_ids: Vec<String>,
    /// The host ports the engine published, by (container port, protocol).
    pub published: HashMap<(u16, String), u16>,
}

/// A container's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerState {
    /// Its status, when the engine names one.
    pub status: Option<ContainerStatus>,
    /// When it last started (RFC 3339).
    pub started_at: Option<String>,
    /// When it last stopped (RFC 3339).
    pub finished_at: Option<String>,
    /// The exit code of its last run.
    pub exit_code: Option<i64>,
    /// Killed for using too much memory.
    pub oom_killed: bool,
    /// Paused.
    pub paused: bool,
}

/// A container's status as the engine names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerStatus {
    /// Created, never started.
    Created,
    /// Running.
    Running,
    /// Paused.
    Paused,
    /// Restarting.
    Restarting,
    /// Being removed.
    Removing,
    /// Exited.
    Exited,
    /// Dead.
    Dead,
    /// Being stopped.
    Stopping,
}

/// A container listed by label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedContainer {
    /// The engine's id.
    pub id: String,
    /// Its names (`/name`).
    pub names: Vec<String>,
    /// Its labels.
    pub labels: HashMap<String, String>,
}

/// A path the container's filesystem changed against its image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The path.
    pub path: String,
    /// How it changed.
    pub kind: ChangeKind,
}

/// How a path changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Modified.
    Modified,
    /// Added.
    Added,
    /// Deleted.
    Deleted,
}

/// Which part of a container's log to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// Keep following until the container stops.
    pub follow: bool,
    /// From this time on (unix seconds).
    pub since: Option<i32>,
    /// Only the last lines.
    pub tail: Option<u32>,
}

impl Engine {
    /// Create a container; `Ok(Err(_))` when the engine has a container of its name already.
    pub(crate) async fn create_container(
        &self,
        container: &NewContainer,
    ) -> Result<std::result::Result<String, NameTaken>> {
        let docker = self.client().await?;
        let mut options = CreateContainerOptionsBuilder::default();
        if let Some(name) = &container.name {
            options = options.name(name);
        }
        let doing = format!("creating a container of {}", container.image);
        match docker
            .create_container(Some(options.build()), create_body(container))
            .await
        {
            Ok(created) => Ok(Ok(created.id)),
            Err(e) if error::status_of(&e) == Some(409) => Ok(Err(NameTaken {
                message: error::message_of(&e),
            })),
            Err(e) => Err(self.fail(doing, e)),
        }
    }

    /// Start a container.
    pub(crate) async fn start_container(&self, id: &str) -> Result<()> {
        let docker = self.client().await?;
        docker
            .start_container(id, None)
            .await
            .map_err(|e| self.fail(format!("starting container {id}"), e))
    }

    /// Stop a container, killing it after `timeout_secs`.
    pub(crate) async fn stop_container(&self, id: &str, timeout_secs: i32) -> Result<()> {
        let docker = self.client().await?;
        docker
            .stop_container(
                id,
                Some(
                    StopContainerOptionsBuilder::default()
                        .t(timeout_secs)
                        .build(),
                ),
            )
            .await
            .map_err(|e| self.fail(format!("stopping container {id}"), e))
    }

    /// Pause a container's processes.
    pub(crate) async fn pause_container(&self, id: &str) -> Result<()> {
        let docker = self.client().await?;
        docker
            .pause_container(id)
            .await
            .map_err(|e| self.fail(format!("pausing container {id}"), e))
    }

    /// Let a paused container's processes run again.
    pub(crate) async fn unpause_container(&self, id: &str) -> Result<()> {
        let docker = self.client().await?;
        docker
            .unpause_container(id)
            .await
            .map_err(|e| self.fail(format!("unpausing container {id}"), e))
    }

    /// Remove a container, running or not.
    pub(crate) async fn remove_container(&self, id: &str) -> Result<()> {
        let docker = self.client().await?;
        docker
            .remove_container(
                id,
                Some(RemoveContainerOptionsBuilder::default().force(true).build()),
            )
            .await
            .map_err(|e| self.fail(format!("removing container {id}"), e))
    }

    /// Wait until the container `id` is removed (by the engine, for one made to remove itself when it ends, or by
    /// another caller), at most `limit`; whether it is gone.
    pub(crate) async fn wait_removed(&self, id: &str, limit: std::time::Duration) -> bool {
        let Ok(docker) = self.client().await else {
            return false;
        };
        wait_removed(&docker, id, limit).await
    }

    /// Inspect a container by name or id; `None` when it does not exist.
    pub(crate) async fn inspect_container(&self, name: &str) -> Result<Option<ContainerInfo>> {
        let docker = self.client().await?;
        match docker.inspect_container(name, None).await {
            Ok(inspect) => Ok(Some(container_info(inspect))),
            Err(e) if error::status_of(&e) == Some(404) => Ok(None),
            Err(e) => Err(self.fail(format!("inspecting container {name}"), e)),
        }
    }

    /// Every container (running or not) carrying all of `with_labels` (`key=value`, see [`labels::filter`]).
    pub(crate) async fn list_containers(
        &self,
        with_labels: &[String],
    ) -> Result<Vec<ListedContainer>> {
        let docker = self.client().await?;
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&labels::filters(with_labels))
            .build();
        let list = docker
            .list_containers(Some(options))
            .await
            .map_err(|e| self.fail("listing containers by label", e))?;
        Ok(list
            .into_iter()
            .map(|c| ListedContainer {
                id: c.id.unwrap_or_default(),
                names: c.names.unwrap_or_default(),
                labels: c.labels.unwrap_or_default(),
            })
            .collect())
    }

    /// The containers (running or not) made from the image `image` (a name or an id) or from an image built on it.
    pub(crate) async fn image_users(&self, image: &str) -> Result<Vec<ListedContainer>> {
        let docker = self.client().await?;
        let filters =
            std::collections::HashMap::from([("ancestor".to_string(), vec![image.to_string()])]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let list = docker
            .list_containers(Some(options))
            .await
            .map_err(|e| self.fail(format!("listing the containers of image {image}"), e))?;
        Ok(list
            .into_iter()
            .map(|c| ListedContainer {
                id: c.id.unwrap_or_default(),
                names: c.names.unwrap_or_default(),
                labels: c.labels.unwrap_or_default(),
            })
            .collect())
    }

    /// The paths the container's filesystem changed against its image.
    pub(crate) async fn changes(&self, id: &str) -> Result<Vec<Change>> {
        let docker = self.client().await?;
        let changes = docker
            .container_changes(id)
            .await
            .map_err(|e| self.fail(format!("listing the changes of container {id}"), e))?;
        Ok(changes
            .unwrap_or_default()
            .into_iter()
            .map(|c| Change {
                path: c.path,
                kind: match c.kind {
                    bollard::models::ChangeType::_0 => ChangeKind::Modified,
                    bollard::models::ChangeType::_1 => ChangeKind::Added,
                    bollard::models::ChangeType::_2 => ChangeKind::Deleted,
                },
            })
            .collect())
    }

    /// A container's log (standard output and error), as text in the chunks the engine sends.
    pub(crate) async fn logs(&self, id: &str, read: &LogOptions) -> Result<TextStream> {
        let docker = self.client().await?;
        let mut options = LogsOptionsBuilder::default().stdout(true).stderr(true);
        if read.follow {
            options = options.follow(true);
        }
        if let Some(since) = read.since {
            options = options.since(since);
        }
        if let Some(tail) = read.tail {
            options = options.tail(&tail.to_string());
        }
        let engine = self.clone();
        let doing = format!("reading the log of container {id}");
        let stream = docker.logs(id, Some(options.build())).map(move |item| {
            item.map(|chunk| chunk.to_string())
                .map_err(|e| engine.fail(doing.clone(), e))
        });
        Ok(Box::pin(stream))
    }

    /// The CPU time (nanoseconds) the container's processes used so far; `None` when the engine has no sample.
    pub(crate) async fn cpu_usage(&self, id: &str) -> Result<Option<u64>> {
        let docker = self.client().await?;
        let options = StatsOptionsBuilder::default()
            .stream(false)
            .one_shot(true)
            .build();
        let mut stream = docker.stats(id, Some(options));
        let Some(Ok(stats)) = stream.next().await else {
            return Ok(None);
        };
        Ok(Some(
            stats
                .cpu_stats
                .and_then(|c| c.cpu_usage)
                .and_then(|u| u.total_usage)
                .unwrap_or(0),
        ))
    }
}

/// The engine's create body of a [`NewContainer`].
fn create_body(container: &NewContainer) -> ContainerCreateBody {
    let (host_config, exposed) = match &container.host {
        Some(host) => {
            let (config, exposed) = host_config(host);
            (Some(config), exposed)
        }
        None => (None, Vec::new()),
    };
    ContainerCreateBody {
        image: Some(container.image.clone()),
        entrypoint: Some(container.entrypoint.clone()),
        cmd: Some(container.cmd.clone()),
        env: (!container.env.is_empty()).then(|| container.env.clone()),
        working_dir: container.working_dir.clone(),
        user: container.user.clone(),
        open_stdin: container.open_stdin.then_some(true),
        stop_timeout: container.stop_timeout_secs,
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        labels: Some(container.labels.clone()),
        host_config,
        ..Default::default()
    }
}

/// The engine's host configuration, and the ports to expose (`port/protocol`, first seen first).
fn host_config(host: &HostSettings) -> (HostConfig, Vec<String>) {
    let mounts = host
        .mounts
        .iter()
        .map(|mount| DockerMount {
            target: Some(mount.target.clone()),
            source: Some(mount.source.clone()),
            typ: Some(match mount.kind {
                MountKind::Bind => MountType::BIND,
                MountKind::Volume => MountType::VOLUME,
            }),
            read_only: Some(mount.read_only),
            ..Default::default()
        })
        .collect();
    let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    let mut exposed = Vec::new();
    for port in &host.ports {
        let key = format!("{}/{}", port.container_port, port.protocol);
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        port_bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: Some(port.host_ip.clone()),
                host_port: Some(if port.host_port == 0 {
                    String::new()
                } else {
                    port.host_port.to_string()
                }),
            });
    }
    let config = HostConfig {
        init: host.init.then_some(true),
        mounts: Some(mounts),
        port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
        nano_cpus: host.cpus.map(|c| i64::from(c) * 1_000_000_000),
        memory: host.memory_mib.map(|m| i64::from(m) * 1024 * 1024),
        pids_limit: Some(i64::from(host.pids_limit)),
        security_opt: host
            .no_new_privileges
            .then(|| vec!["no-new-privileges:true".to_string()]),
        ..Default::default()
    };
    (config, exposed)
}

/// What the core reads of an inspected container.
fn container_info(inspect: ContainerInspectResponse) -> ContainerInfo {
    let published = published_ports(&inspect);
    ContainerInfo {
        id: inspect.id.unwrap_or_default(),
        state: inspect.state.map(|state| ContainerState {
            status: state.status.and_then(status),
            started_at: state.started_at,
            finished_at: state.finished_at,
            exit_code: state.exit_code,
            oom_killed: state.oom_killed.unwrap_or(false),
            paused: state.paused.unwrap_or(false),
        }),
        exec_ids: inspect.exec_ids.unwrap_or_default(),
        published,
    }
}

fn status(status: ContainerStateStatusEnum) -> Option<ContainerStatus> {
    Some(match status {
        ContainerStateStatusEnum::EMPTY => return None,
        ContainerStateStatusEnum::CREATED => ContainerStatus::Created,
        ContainerStateStatusEnum::RUNNING => ContainerStatus::Running,
        ContainerStateStatusEnum::PAUSED => ContainerStatus::Paused,
        ContainerStateStatusEnum::RESTARTING => ContainerStatus::Restarting,
        ContainerStateStatusEnum::REMOVING => ContainerStatus::Removing,
        ContainerStateStatusEnum::EXITED => ContainerStatus::Exited,
        ContainerStateStatusEnum::DEAD => ContainerStatus::Dead,
        ContainerStateStatusEnum::STOPPING => ContainerStatus::Stopping,
    })
}

/// The host ports the engine published, by (container port, protocol).
fn published_ports(inspect: &ContainerInspectResponse) -> HashMap<(u16, String), u16> {
    let mut out = HashMap::new();
    let ports = inspect
        .network_settings
        .as_ref()
        .and_then(|n| n.ports.clone())
        .unwrap_or_default();
    for (key, bindings) in ports {
        let Some((port, protocol)) = key.split_once('/') else {
            continue;
        };
        let Ok(port) = port.parse::<u16>() else {
            continue;
        };
        if let Some(host) = bindings
            .unwrap_or_default()
            .into_iter()
            .find_map(|b| b.host_port.and_then(|p| p.parse::<u16>().ok()))
        {
            out.insert((port, protocol.to_string()), host);
        }
    }
    out
}

/// See [`Engine::wait_removed`].
pub(super) async fn wait_removed(
    docker: &bollard::Docker,
    id: &str,
    limit: std::time::Duration,
) -> bool {
    let options = WaitContainerOptionsBuilder::default()
        .condition("removed")
        .build();
    let waited = tokio::time::timeout(limit, async {
        let mut waiting = docker.wait_container(id, Some(options));
        while let Some(item) = waiting.next().await {
            if let Err(e) = item
                && !matches!(e, bollard::errors::Error::DockerContainerWaitError { .. })
            {
                return error::status_of(&e) == Some(404);
            }
        }
        true
    })
    .await;
    waited.unwrap_or(false)
}
