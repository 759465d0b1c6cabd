//! Serde types that cross the boundary between the desktop shell and the UI, and that the CLI prints with `--json`.
//!
//! Nothing here knows Tauri, Docker or SQLite: the crate builds for wasm32 (the UI) and native (shell, CLI).
//! Every call the UI can make is a type implementing [`Request`], which names the Tauri command and its
//! parameter and result types, so both sides agree on them at compile time.

pub mod config_key;
pub mod engine;
pub mod error;
pub mod event;
pub mod field;
pub mod http_api;
pub mod job;
pub mod lineage;
pub mod profile;
pub mod repo;
pub mod requests;
pub mod rules;
pub mod sandbox;
pub mod service;
pub mod settings;
pub mod snapshot;
pub mod storage;

pub use config_key::*;
pub use engine::*;
pub use error::*;
pub use event::*;
pub use field::*;
pub use http_api::*;
pub use job::*;
pub use lineage::*;
pub use profile::*;
pub use repo::*;
pub use sandbox::*;
pub use service::*;
pub use settings::*;
pub use snapshot::*;
pub use storage::*;

use serde::{Serialize, de::DeserializeOwned};

/// A typed call from the UI to the desktop shell: the Tauri command name and its parameter and result types.
///
/// Every command takes exactly one argument named `params`.
pub trait Request {
    /// The Tauri command name.
    const METHOD: &'static str;
    /// What the UI sends.
    type Params: Serialize + DeserializeOwned;
    /// What the shell answers on success (errors are always [`ApiError`]).
    type Result: Serialize + DeserializeOwned;
}

/// The name of the Tauri event every [`UiEvent`] is emitted under.
pub const UI_EVENT: &str = "sbx://event";
