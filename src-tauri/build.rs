//! Tauri's build step, reading the top-level `tauri.conf.json` (see ARCHITECTURE.md, "Where tauri.conf.json lives").

fn main() {
    let attributes = tauri_build::Attributes::new().config_path("../tauri.conf.json");
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {error:#}");
    }
}
