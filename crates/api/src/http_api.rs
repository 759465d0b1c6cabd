//! The local HTTP API as the window serves it (Settings → HTTP API): whether it runs, and where.

use serde::{Deserialize, Serialize};

/// The window's HTTP API server (the same API `sbx serve --api` serves).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HttpApiStatus {
    /// Whether the window serves the API now.
    pub running: bool,
    /// Where, while it runs: `http://127.0.0.1:7323`.
    pub address: Option<String>,
}
