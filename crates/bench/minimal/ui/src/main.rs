//! The minimal window's page: Leptos mounts one heading on the body, as the app mounts its UI. Compiled to wasm32
//! only (`cargo xtask bench --footprint` builds it in release mode through wasm-opt, as the app's UI is built).

#[cfg(target_arch = "wasm32")]
fn main() {
    use leptos::prelude::*;
    leptos::mount::mount_to_body(|| view! { <main><h1>"Minimal window"</h1></main> });
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
