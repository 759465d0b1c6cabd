//! Building the UI: cargo for wasm32, then wasm-bindgen (as a library, no CLI to install) into `ui/dist`; its
//! lints (for wasm32, tests included) and its unit tests (native).

use anyhow::{Context, Result};
use wasm_bindgen_cli_support::Bindgen;

use crate::setup::WasmToolchain;
use crate::util::{self, cmd, step};

fn wasm_cargo(wasm: &WasmToolchain, args: &[&str]) -> util::Cmd {
    // The rustup proxy on PATH, not the cargo that runs xtask: it must pick the wasm toolchain.
    let mut c = cmd("cargo");
    c.args(args.iter().copied())
        .env_remove("CARGO")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC")
        .env("CARGO_TARGET_DIR", util::root().join("target/ui"));
    match &wasm.toolchain {
        Some(name) => c.env("RUSTUP_TOOLCHAIN", name),
        None => c.env_remove("RUSTUP_TOOLCHAIN"),
    };
    c
}

/// Compile the UI and write `ui/dist` (index.html, style.css, sbx-ui.js, sbx-ui_bg.wasm).
pub fn build(wasm: &WasmToolchain) -> Result<()> {
    step("building the UI (wasm32)");
    wasm_cargo(
        wasm,
        &[
            "build",
            "-p",
            "sbx-ui",
            "--target",
            "wasm32-unknown-unknown",
        ],
    )
    .run()?;
    let root = util::root();
    let input = root.join("target/ui/wasm32-unknown-unknown/debug/sbx-ui.wasm");
    let dist = root.join("ui/dist");
    std::fs::create_dir_all(&dist)?;
    Bindgen::new()
        .input_path(&input)
        .web(true)?
        .out_name("sbx-ui")
        .typescript(false)
        .generate(&dist)
        .with_context(|| format!("wasm-bindgen on {}", input.display()))?;
    for file in ["index.html", "style.css"] {
        let from = root.join("ui").join(file);
        let to = dist.join(file);
        // Only rewrite when changed, so the app's build does not see a new file every time.
        let new = std::fs::read(&from)?;
        if std::fs::read(&to).ok().as_deref() != Some(&new[..]) {
            std::fs::write(&to, new)?;
        }
    }
    Ok(())
}

/// Lints of the UI crate and its tests, compiled for wasm32.
pub fn clippy(wasm: &WasmToolchain) -> Result<()> {
    wasm_cargo(
        wasm,
        &[
            "clippy",
            "-p",
            "sbx-ui",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )
    .run()
}

/// The UI's unit tests, compiled natively with the machine's toolchain (the crate builds for the host too; its
/// tests cover the parts that need no browser), so they need neither the wasm toolchain nor a window.
pub fn test() -> Result<()> {
    step("UI unit tests (native)");
    util::cargo(&["test", "-p", "sbx-ui", "--lib"]).run()
}

/// The Tauri bundler expects `tauri.conf.json` beside the app crate: write a copy of the top-level config there
/// with its relative paths rebased (the top-level file stays the one source).
pub fn write_bundler_config() -> Result<()> {
    let root = util::root();
    let text = std::fs::read_to_string(root.join("tauri.conf.json"))?;
    let mut config: serde_json::Value = serde_json::from_str(&text)?;
    let rebase = |v: &mut serde_json::Value| {
        if let Some(s) = v.as_str()
            && !s.starts_with('/')
            && !s.contains("://")
        {
            *v = serde_json::Value::String(format!("../{s}"));
        }
    };
    if let Some(dist) = config.pointer_mut("/build/frontendDist") {
        rebase(dist);
    }
    if let Some(icons) = config
        .pointer_mut("/bundle/icon")
        .and_then(|v| v.as_array_mut())
    {
        icons.iter_mut().for_each(rebase);
    }
    let out = root.join("src-tauri/tauri.conf.json");
    std::fs::write(&out, serde_json::to_string_pretty(&config)?)?;
    Ok(())
}
