//! The `sandbox-desktop` binary: starts the desktop app.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    sandbox_desktop_lib::run();
}
