//! `cargo xtask bench --footprint`: builds the release app (as `bundle` ships it) and the minimal window
//! (`crates/bench/minimal`, its Leptos page built the same way: release, wasm-opt), makes sure the engine, the
//! test image, an X display and tauri-driver are there, and runs the measurement (`sbx-bench`'s `footprint`
//! binary) on both.

use anyhow::Result;

use crate::ui::{self, Profile};
use crate::util::{self, step};
use crate::{bundle, engine, setup};

/// Build both windows and measure them; `args` go to the measurement (`--runs N`, `--idle SECONDS`).
pub fn run(args: &[String]) -> Result<()> {
    bundle::build_release()?;
    let wasm = setup::wasm_toolchain()?;
    let dist = util::root().join("crates/bench/minimal/dist");
    ui::build_wasm(&wasm, "sbx-minimal-ui", &dist, Profile::Release)?;
    step("building the minimal window (release)");
    util::cargo(&[
        "build",
        "--release",
        "-p",
        "sbx-minimal-window",
        "--features",
        "tauri/custom-protocol",
    ])
    .run()?;
    setup::ensure_debian_packages(&["xvfb", "xauth", "webkit2gtk-driver"])?;
    setup::ensure_cargo_tool("tauri-driver", "tauri-driver", "^2")?;
    engine::ensure_engine()?;
    engine::ensure_test_images()?;
    let display = engine::ensure_display()?;
    step("measuring (first paint, idle memory, render times)");
    let mut measure = util::cargo(&["run", "-q", "-p", "sbx-bench", "--bin", "footprint", "--"]);
    measure
        .arg1("--app")
        .args([bundle::release_binary("sandbox-desktop")])
        .arg1("--minimal")
        .args([bundle::release_binary("minimal-window")])
        .args(args.iter().filter(|a| *a != "--footprint"))
        .env_pairs(engine::test_env())
        .env("DISPLAY", &display);
    measure.run()
}
