//! The `sandbox-desktop` binary: starts the desktop app. `--version` (or `-V`) prints the version and exits
//! before any window, display or data dir is touched (the bundle check runs it on a machine with no display).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Some(arg) = std::env::args().nth(1)
        && (arg == "--version" || arg == "-V")
    {
        println!("sandbox-desktop {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    sandbox_desktop_lib::run();
}
