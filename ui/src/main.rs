//! Sandbox Desktop's UI: the entry point of the wasm module; the app is the library ([`sbx_ui`]).

fn main() {
    sbx_ui::start();
}
