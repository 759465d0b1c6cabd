//! Checks of what the user types when creating a sandbox: names, env vars, port bindings, resources, lifetimes and
//! snapshot schedules. Every failure is an [`sbx_api::ApiError::InvalidInput`] naming the flag, the value and the
//! reason.
//!
//! The rules are pure and shared with the window: they live in [`sbx_api::rules`] and are re-exported here, so the
//! core, the CLI and the UI check the same way and say the same words. What needs this machine (a host port in use,
//! the engine's CPUs) is checked where the machine is asked.

pub use sbx_api::rules::*;
