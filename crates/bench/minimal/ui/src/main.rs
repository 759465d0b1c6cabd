//! The minimal window's page: Leptos mounts one heading on the body, as the app mounts its UI. Compiled to wasm32
//! only (`cargo xtask bench --footprint` builds it in release mode through wasm-opt, as the app's UI is built).

#[cfg(target_arch = "wasm32")]
fn main() {
    use leptos::prelude::*;
    leptos::mount::mount_to_body(|| view! { <main><h1>"Minimal window"</h1></main> });
    // When the page is in the document, as the app marks it.
    if let Some(performance) = web_sys::window().and_then(|window| window.performance()) {
        let _ = performance.mark("ui-mounted");
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
