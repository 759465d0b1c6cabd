//! Sandbox Desktop's UI: a Leptos client-side-rendered app inside the Tauri window, compiled to wasm32.
//!
//! The binary (`main.rs`) only calls [`start`]. The crate also compiles natively, so `cargo test -p sbx-ui --lib`
//! (run by `cargo xtask test`) runs the tests of its pure parts without a browser: the checks through the app's
//! rules (`checks`), the Create dialog's draft, fields and explanation, and the widgets' tones and verbs.

mod app;
mod checks;
mod dialog;
mod fetched;
mod ipc;
mod live;
mod pages;
mod widgets;

/// Mount the app on the page's body.
pub fn start() {
    console_error_panic_hook::set_once();
    let window = web_sys::window();
    // The frame `index.html` paints while the module loads: the app draws the same frame in its place.
    if let Some(shell) = window
        .as_ref()
        .and_then(web_sys::Window::document)
        .and_then(|document| document.get_element_by_id("shell"))
    {
        shell.remove();
    }
    leptos::mount::mount_to_body(app::App);
    // When the UI is in the document, for `cargo xtask bench --footprint`.
    if let Some(performance) = window.as_ref().and_then(web_sys::Window::performance) {
        let _ = performance.mark("ui-mounted");
    }
}
