//! Tools from npm, installed with npm into xtask's cache dir: binaryen's `wasm-opt` for the release UI
//! (`binaryen@132.0.0`: JavaScript and WebAssembly, so it runs wherever Node.js does) and axe-core for the
//! end-to-end tests' accessibility checks.
//!
//! `wasm-opt` comes from npm because Debian's `binaryen` (version 108) is too old: it silently breaks what
//! wasm-bindgen 0.2.130 writes (a blank page). The features enabled are the ones Rust's wasm32-unknown-unknown
//! target emits by default, so nothing is lowered or refused.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

use crate::util::{self, cmd, step};

/// The binaryen release npm installs.
const BINARYEN: &str = "binaryen@132.0.0";

/// The axe-core release npm installs.
const AXE_CORE: &str = "axe-core@4.14.1";

/// The WebAssembly features rustc enables for wasm32-unknown-unknown (and wasm-bindgen keeps).
const FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-multivalue",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-sign-ext",
];

/// Node.js and npm, from Debian when missing.
pub fn ensure_npm() -> Result<()> {
    if util::on_path("npm") && util::on_path("node") {
        return Ok(());
    }
    if cfg!(target_os = "linux") {
        crate::setup::ensure_debian_packages(&["nodejs", "npm"])?;
    }
    if !util::on_path("npm") {
        bail!("npm is missing: install Node.js (with npm) and run this again");
    }
    Ok(())
}

/// `npm install` of `package` (`name@version`) into `<cache>/npm/<folder>` unless `marker` (a path inside that
/// folder's `node_modules`) is already there; the installed folder.
pub fn npm_package(folder: &str, package: &str, marker: &str) -> Result<PathBuf> {
    let dir = util::cache_dir().join("npm").join(folder);
    if dir.join("node_modules").join(marker).exists() {
        return Ok(dir);
    }
    ensure_npm()?;
    std::fs::create_dir_all(&dir)?;
    step(&format!("installing {package} with npm (once)"));
    cmd("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
        ])
        .args([&dir])
        .arg1(package)
        .run()?;
    if !dir.join("node_modules").join(marker).exists() {
        bail!("npm installed {package} but {marker} is missing");
    }
    Ok(dir)
}

/// Optimise `wasm` in place for size (`-Oz`); prints the size before and after.
pub fn wasm_opt(wasm: &Path) -> Result<()> {
    let dir = npm_package("binaryen", BINARYEN, "binaryen/bin/wasm-opt")?;
    let before = std::fs::metadata(wasm)?.len();
    let out = wasm.with_extension("opt.wasm");
    step(&format!("wasm-opt -Oz ({BINARYEN})"));
    cmd("node")
        .args([dir.join("node_modules/binaryen/bin/wasm-opt")])
        .args(["-Oz", "--strip-debug", "--strip-producers"])
        .args(FEATURES.iter().copied())
        .args([wasm])
        .arg1("-o")
        .args([&out])
        .run()
        .context("wasm-opt")?;
    std::fs::rename(&out, wasm)?;
    let after = std::fs::metadata(wasm)?.len();
    step(&format!(
        "UI wasm: {} before wasm-opt, {} after ({:.0} % smaller)",
        size(before),
        size(after),
        100.0 * (1.0 - after as f64 / before.max(1) as f64)
    ));
    Ok(())
}

/// Bytes as a short human size.
pub fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.2} MiB", bytes as f64 / f64::from(1u32 << 20))
    } else {
        format!("{:.0} KiB", bytes as f64 / 1024.0)
    }
}

/// axe-core's `axe.min.js`, installed when missing.
pub fn axe_core() -> Result<PathBuf> {
    let dir = npm_package("axe-core", AXE_CORE, "axe-core/axe.min.js")?;
    Ok(dir.join("node_modules/axe-core/axe.min.js"))
}
