//! Tauri's build step for the minimal window (its `tauri.conf.json` is beside this crate, as Tauri expects).

fn main() {
    if let Err(error) = tauri_build::try_build(tauri_build::Attributes::new()) {
        panic!("tauri build step failed: {error:#}");
    }
}
