//! The minimal window: Tauri 2 with its defaults and one WebKit window showing a Leptos page (`ui/`), nothing
//! else. `cargo xtask bench --footprint` measures the app against it; see the README's "Footprint".

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(error) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("minimal-window: {error}");
        std::process::exit(1);
    }
}
