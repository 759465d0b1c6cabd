//! The other desktop platforms, type-checked from Linux with `cargo check`: the core, the CLI and the shell for
//! Windows (`x86_64-pc-windows-gnu`, the C parts compiled by Debian's mingw-w64), and the core and the CLI for macOS
//! (`aarch64-apple-darwin`). Nothing is linked, so no platform SDK or linker is needed beyond those C compilers.
//!
//! macOS: two dependencies compile C for it, and both need Apple's toolchain, which no package on this machine
//! provides. SQLite's amalgamation (libsqlite3-sys, `bundled`) needs Apple's SDK headers: the check tells
//! libsqlite3-sys to link a system SQLite instead (`LIBSQLITE3_SYS_USE_PKG_CONFIG=1`, `SQLITE3_LIB_DIR` pointing at
//! an empty folder), so it compiles no C and its Rust (the same pre-generated bindings) is checked as before. The
//! shell's webview stack (tao/wry through objc2) compiles an Objective-C exception helper
//! (`objc2-exception-helper`) with Apple's clang flags (`-arch`, `-mmacosx-version-min`), which Debian's gcc refuses:
//! so the shell is not checked for macOS here (README, "How the tests run").

use anyhow::{Context, Result};
use std::time::Instant;

use crate::util::{self, cmd, step};

/// The crates checked: the core, the CLI and the shell.
const ALL: &[&str] = &["sbx-core", "sbx-cli", "sandbox-desktop"];
/// For macOS, the core and the CLI (see the module documentation for the shell).
const WITHOUT_SHELL: &[&str] = &["sbx-core", "sbx-cli"];

/// A platform to check and what it needs.
struct Platform {
    target: &'static str,
    name: &'static str,
    /// The crates checked for it.
    crates: &'static [&'static str],
    /// Debian packages with its C compiler.
    packages: &'static [&'static str],
    /// Environment for the check.
    env: fn() -> Vec<(String, String)>,
}

const PLATFORMS: &[Platform] = &[
    Platform {
        target: "x86_64-pc-windows-gnu",
        name: "Windows",
        crates: ALL,
        packages: &["gcc-mingw-w64-x86-64"],
        env: Vec::new,
    },
    Platform {
        target: "aarch64-apple-darwin",
        name: "macOS",
        crates: WITHOUT_SHELL,
        packages: &[],
        env: macos_env,
    },
];

fn macos_env() -> Vec<(String, String)> {
    let empty = util::cache_dir().join("no-sqlite-lib");
    let _ = std::fs::create_dir_all(&empty);
    vec![
        ("LIBSQLITE3_SYS_USE_PKG_CONFIG".into(), "1".into()),
        ("SQLITE3_LIB_DIR".into(), empty.display().to_string()),
    ]
}

/// Type-check the core, the CLI and the shell for every platform of [`PLATFORMS`].
pub fn check() -> Result<()> {
    for platform in PLATFORMS {
        let started = Instant::now();
        step(&format!(
            "type-checking {} for {} ({})",
            platform.crates.join(", "),
            platform.name,
            platform.target
        ));
        if cfg!(target_os = "linux") {
            crate::setup::ensure_debian_packages(platform.packages)?;
        }
        ensure_target(platform.target)?;
        let mut check = util::cargo(&["check", "--target", platform.target]);
        for package in platform.crates {
            check.args(["-p", package]);
        }
        check
            .env_pairs((platform.env)())
            .run()
            .with_context(|| format!("the {} check", platform.name))?;
        step(&format!(
            "{} check passed in {:.0} s",
            platform.name,
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(())
}

/// Add a Rust target's standard library through rustup when missing.
fn ensure_target(target: &str) -> Result<()> {
    let installed = cmd("rustup")
        .args(["target", "list", "--installed"])
        .read_quiet()
        .unwrap_or_default();
    if installed.lines().any(|l| l.trim() == target) {
        return Ok(());
    }
    step(&format!("adding the {target} target (rustup)"));
    cmd("rustup").args(["target", "add", target]).run()
}
