//! End-to-end harness: launches the built app under tauri-driver (which drives WebKitWebDriver), with its own
//! data dir and environment, and gives the test a WebDriver client on the real window.
//!
//! [`TestApp`] is what most tests use: the app on its own data dir (with the busybox-based `e2e` preset) and its own
//! `HOME`, and a guard that removes every container, image and volume labelled with that data dir's instance
//! when the test ends, passed or failed. The `App` helpers find controls by accessible label or `data-*`
//! attribute, wait for what the user sees (never a fixed sleep), and save screenshots.
//!
//! The tests are `#[ignore]`d: they need the built app, an X display and tauri-driver, which `cargo xtask test`
//! provides (it runs them with `--ignored`, one at a time: each drives a whole app on one shared X display).
//!
//! The harness is in modules: `driver` (tauri-driver and WebKitWebDriver: ports, launch and retry, stopping),
//! `app` (the window: generic waits and actions), `pages` (helpers for particular pages), `fixtures` (test image,
//! preset, [`TestApp`]), `cleanup` (the engine clean-up, written down before each test) and `axe` (axe-core run on
//! what the window shows: [`App::check_accessibility`]); everything a test uses is exported here.

mod app;
mod axe;
mod cleanup;
mod driver;
mod fixtures;
mod pages;

pub use app::{App, Focused, Launch, attr_css, screenshot_dir, wait_for_shown, wait_until};
pub use axe::Violation;
pub use cleanup::{EngineCleanup, remove_engine_objects};
pub use driver::{app_binary, driver_log, workspace_root};
pub use fixtures::{
    TEST_FILE_ENV, TEST_PRESET, TestApp, cli_binary, docker, engine_objects, free_port,
    instance_of, test_image,
};
