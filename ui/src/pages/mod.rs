//! One module per page of the sidebar, and the dialogs and detail pages they open.

pub mod clone_dialog;
pub mod create_dialog;
pub mod engine;
pub mod http_api;
pub mod lineage;
pub mod profiles;
pub mod repositories;
pub mod sandbox_detail;
pub mod sandbox_services;
pub mod sandbox_snapshots;
pub mod sandbox_terminal;
pub mod sandboxes;
pub mod settings;
pub mod snapshot_modal;
pub mod snapshot_transfer;
pub mod snapshots;
pub mod volumes;
