//! Sandbox Desktop's UI: a Leptos client-side-rendered app inside the Tauri window.

mod app;
mod checks;
mod dialog;
mod ipc;
mod live;
mod pages;
mod widgets;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
