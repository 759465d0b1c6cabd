//! Storage (SPEC N10): what the snapshots take on the engine's disk and how much room is left there.

use serde::{Deserialize, Serialize};

/// The Snapshots page's storage line: the snapshots' total and the engine's free space.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SnapshotStorage {
    /// How many snapshots there are.
    pub snapshots: u64,
    /// Bytes they take on disk (each snapshot's own layers).
    pub total_bytes: u64,
    /// Bytes left where the engine keeps images and volumes; `None` when it cannot be found out.
    pub free_bytes: Option<u64>,
    /// The size of that file system, when known.
    pub disk_bytes: Option<u64>,
    /// What was measured, in words (the engine's data root, `df` in a container…), or why nothing could be.
    pub measured: String,
}
