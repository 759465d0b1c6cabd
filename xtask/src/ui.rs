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

/// How the UI is compiled: for development (debug, as `build`, `run` and `test` use it) or for release (what
/// `bundle` and `build --release` ship).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Profile {
    Dev,
    Release,
}

/// Compile the UI for development and write `ui/dist` (index.html, style.css, sbx-ui.js, sbx-ui_bg.wasm).
pub fn build(wasm: &WasmToolchain) -> Result<()> {
    build_as(wasm, Profile::Dev)
}

/// Compile the UI as `profile` says and write `ui/dist` (see [`build_wasm`]).
pub fn build_as(wasm: &WasmToolchain, profile: Profile) -> Result<()> {
    let root = util::root();
    let dist = root.join("ui/dist");
    build_wasm(wasm, "sbx-ui", &dist, profile)?;
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

/// Compile the wasm32 binary crate `package` and write `<package>.js` and `<package>_bg.wasm` into `dist`. A
/// release build is optimised for size (opt-level `z`, link-time optimisation, one codegen unit: set for this
/// cargo call only, which has its own target folder) and then run through `wasm-opt`, printing the sizes before
/// and after.
pub fn build_wasm(
    wasm: &WasmToolchain,
    package: &str,
    dist: &std::path::Path,
    profile: Profile,
) -> Result<()> {
    let release = profile == Profile::Release;
    step(&format!(
        "building {package} (wasm32{})",
        if release { ", release" } else { "" }
    ));
    let mut args = vec!["build", "-p", package, "--target", "wasm32-unknown-unknown"];
    if release {
        args.push("--release");
    }
    let mut cargo = wasm_cargo(wasm, &args);
    if release {
        cargo
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z")
            .env("CARGO_PROFILE_RELEASE_LTO", "true")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1");
    }
    cargo.run()?;
    let input = util::root().join(format!(
        "target/ui/wasm32-unknown-unknown/{}/{package}.wasm",
        if release { "release" } else { "debug" }
    ));
    std::fs::create_dir_all(dist)?;
    Bindgen::new()
        .input_path(&input)
        .web(true)?
        .out_name(package)
        .typescript(false)
        .generate(dist)
        .with_context(|| format!("wasm-bindgen on {}", input.display()))?;
    if release {
        crate::npm::wasm_opt(&dist.join(format!("{package}_bg.wasm")))?;
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
