//! The Docker engine as the UI sees it: connected (with its versions and counts) or unreachable.

use serde::{Deserialize, Serialize};

/// What the connected engine reports about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineInfo {
    /// The address the app talks to, e.g. `unix:///var/run/docker.sock`.
    pub address: String,
    /// The engine's own version, e.g. `20.10.24+dfsg1`.
    pub server_version: String,
    /// The API version both sides agreed on, e.g. `1.41`.
    pub api_version: String,
    /// Operating system of the engine host, e.g. `Debian GNU/Linux 12 (bookworm)`.
    pub os: String,
    /// All containers the engine knows, running or not.
    pub containers: u64,
    /// Containers currently running.
    pub containers_running: u64,
    /// Images stored in the engine.
    pub images: u64,
}

/// Whether an engine answers, and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EngineStatus {
    /// The engine answered.
    Connected(EngineInfo),
    /// Nothing answered at `address`.
    Unreachable {
        /// The address the app tried.
        address: String,
        /// Why the connection failed, as the client library says it.
        reason: String,
    },
}

/// One container of the engine, whoever started it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerSummary {
    /// Full container id.
    pub id: String,
    /// Name without the leading slash.
    pub name: String,
    /// Image reference the container was created from.
    pub image: String,
    /// Engine state: `created`, `running`, `paused`, `restarting`, `exited`, `dead`.
    pub state: String,
    /// Human status line, e.g. `Up 3 minutes`.
    pub status: String,
    /// Whether Sandbox Desktop created it.
    pub managed: bool,
}
