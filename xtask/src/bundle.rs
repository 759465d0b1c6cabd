//! Release builds and the `.deb`: `cargo xtask build --release` (the UI in release mode through wasm-opt, the app
//! and the CLI optimised) and `cargo xtask bundle`, which bundles that build with the Tauri bundler
//! (`cargo tauri bundle`, tauri-cli installed on first use) and checks what it made:
//!
//! - its contents: the app binary, `sbx` (the CLI ships in the same package), the `.desktop` entry (naming the
//!   binary and the icon) and the icons, and the dependencies it declares;
//! - that it installs and runs: a throwaway Debian root holding only the base system and the dependencies the
//!   package declares (made by mmdebstrap, once per dependency list), into which `dpkg -i` installs it and in which
//!   `sandbox-desktop --version` and `sbx --version` must run.
//!
//! No AppImage: the Tauri bundler downloads linuxdeploy and the AppImage runtime from GitHub when it bundles one,
//! and neither is in Debian, PyPI, npm or the Rust registry (README, "Bundles").

use anyhow::{Context, Result, bail};
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::setup::{self, Need};
use crate::ui::{self, Profile};
use crate::util::{self, cmd, step};

/// The app's binary and the CLI's, as the package installs them.
const INSTALLED_BINARIES: &[&str] = &["usr/bin/sandbox-desktop", "usr/bin/sbx"];

/// Packages the `.deb` must declare: what the app links against (WebKitGTK and GTK).
const REQUIRED_DEPENDS: &[&str] = &["libwebkit2gtk-4.1-0", "libgtk-3-0"];

/// `cargo xtask build --release`: the UI in release mode (wasm-opt included), then the app as the Tauri CLI builds
/// it for a bundle (`--features tauri/custom-protocol`, assets served from the binary) and the CLI, optimised.
pub fn build_release() -> Result<()> {
    setup::all(Need::App)?;
    let wasm = setup::wasm_toolchain()?;
    ui::build_as(&wasm, Profile::Release)?;
    step("building the app and the CLI (release)");
    util::cargo(&[
        "build",
        "--release",
        "-p",
        "sandbox-desktop",
        "--bins",
        "--features",
        "tauri/custom-protocol",
    ])
    .run()?;
    util::cargo(&["build", "--release", "-p", "sbx-cli"]).run()?;
    for binary in ["sandbox-desktop", "sbx"] {
        let path = release_binary(binary);
        step(&format!(
            "{} ({})",
            path.display(),
            crate::npm::size(std::fs::metadata(&path)?.len())
        ));
    }
    Ok(())
}

/// A binary of the release build.
pub fn release_binary(name: &str) -> PathBuf {
    util::root()
        .join("target/release")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// `cargo xtask bundle`: the release build, the `.deb`, and its checks.
pub fn bundle() -> Result<()> {
    let started = Instant::now();
    build_release()?;
    setup::ensure_cargo_tool("cargo-tauri", "tauri-cli", "^2")?;
    write_bundler_config()?;
    let deb_dir = util::root().join("target/release/bundle/deb");
    if deb_dir.exists() {
        std::fs::remove_dir_all(&deb_dir)?;
    }
    step("bundling (cargo tauri bundle --bundles deb)");
    cmd("cargo")
        .args(["tauri", "bundle", "--bundles", "deb"])
        .dir(util::root().join("src-tauri"))
        .run()?;
    let deb = find_deb(&deb_dir)?;
    step(&format!(
        "{} ({}) in {:.0} s",
        deb.display(),
        crate::npm::size(std::fs::metadata(&deb)?.len()),
        started.elapsed().as_secs_f64()
    ));
    if cfg!(target_os = "linux") {
        let facts = check_deb(&deb)?;
        install_check(&deb, &facts.depends)?;
    }
    Ok(())
}

fn find_deb(dir: &Path) -> Result<PathBuf> {
    std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .with_context(|| format!("the bundler wrote no .deb into {}", dir.display()))
}

/// What a `.deb` holds and declares, read with dpkg-deb.
struct DebFacts {
    /// Paths without the leading `./`.
    files: Vec<String>,
    depends: Vec<String>,
    desktop_entry: String,
}

fn read_deb(deb: &Path) -> Result<DebFacts> {
    let listing = cmd("dpkg-deb").arg1("--contents").args([deb]).read()?;
    let files: Vec<String> = listing.lines().filter_map(listed_path).collect();
    let depends = cmd("dpkg-deb")
        .args(["--field"])
        .args([deb])
        .arg1("Depends")
        .read()?;
    let depends = depends
        .split(',')
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .collect();
    let desktop = files
        .iter()
        .find(|f| f.starts_with("usr/share/applications/") && f.ends_with(".desktop"))
        .cloned()
        .context("the .deb has no .desktop entry under usr/share/applications")?;
    let dir = util::cache_dir().join("deb-check");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    cmd("dpkg-deb").arg1("--extract").args([deb, &dir]).run()?;
    let desktop_entry = std::fs::read_to_string(dir.join(&desktop))?;
    std::fs::remove_dir_all(&dir)?;
    Ok(DebFacts {
        files,
        depends,
        desktop_entry,
    })
}

/// The path of one line of `dpkg-deb --contents` (`-rw-r--r-- root/root 123 2026-01-01 00:00 ./usr/bin/x`), without
/// its leading `./` (and a symlink's ` -> target`); paths may hold spaces.
fn listed_path(line: &str) -> Option<String> {
    // Five columns (mode, owner, size, date, time), then the path, with or without a leading `./`.
    let mut rest = line;
    for _ in 0..5 {
        rest = rest.trim_start();
        rest = &rest[rest.find(char::is_whitespace)?..];
    }
    let path = rest.trim_start();
    let path = path.strip_prefix("./").unwrap_or(path);
    let path = path.split(" -> ").next().unwrap_or(path);
    let path = path.trim_end_matches('/');
    (!path.is_empty()).then(|| path.to_string())
}

/// The package's contents and declarations, as the module doc lists them.
fn check_deb(deb: &Path) -> Result<DebFacts> {
    step("checking the .deb: binaries, .desktop entry, icons, declared dependencies");
    let facts = read_deb(deb)?;
    let problems = deb_problems(&facts);
    if !problems.is_empty() {
        bail!(
            "{} is not right:\n- {}",
            deb.display(),
            problems.join("\n- ")
        );
    }
    let icons = facts
        .files
        .iter()
        .filter(|f| f.starts_with("usr/share/icons/"))
        .count();
    step(&format!(
        "the .deb holds {}, {icons} icons and a .desktop entry; it depends on {}",
        INSTALLED_BINARIES.join(" and "),
        facts.depends.join(", ")
    ));
    Ok(facts)
}

/// What is wrong with a package's facts (empty when nothing is).
fn deb_problems(facts: &DebFacts) -> Vec<String> {
    let mut problems = Vec::new();
    for binary in INSTALLED_BINARIES {
        if !facts.files.iter().any(|f| f == binary) {
            problems.push(format!("{binary} is missing"));
        }
    }
    for size in ["32x32", "128x128", "256x256@2"] {
        let icon = format!("usr/share/icons/hicolor/{size}/apps/sandbox-desktop.png");
        if !facts.files.contains(&icon) {
            problems.push(format!("{icon} is missing"));
        }
    }
    let entry = |key: &str| {
        facts
            .desktop_entry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(str::trim)
            .map(String::from)
    };
    if entry("Exec").as_deref() != Some("sandbox-desktop") {
        problems.push(format!(
            "the .desktop entry runs {:?}, not sandbox-desktop",
            entry("Exec")
        ));
    }
    if entry("Icon").as_deref() != Some("sandbox-desktop") {
        problems.push(format!(
            "the .desktop entry's icon is {:?}, not sandbox-desktop",
            entry("Icon")
        ));
    }
    if entry("Name").as_deref() != Some("Sandbox Desktop") {
        problems.push(format!("the .desktop entry is named {:?}", entry("Name")));
    }
    for needed in REQUIRED_DEPENDS {
        let declared = facts
            .depends
            .iter()
            .any(|d| d.split_whitespace().next() == Some(needed));
        if !declared {
            problems.push(format!("it does not depend on {needed}"));
        }
    }
    problems
}

/// Install the package into a throwaway Debian root that holds only Debian's base and the package's declared
/// dependencies, and run both binaries there with `--version` (as root, in a chroot; elsewhere with this machine's
/// libraries).
///
/// The root comes from a tarball mmdebstrap makes once per dependency list (from this machine's apt sources, kept
/// in xtask's cache dir): unpacked fresh for every check, the package installed into it by `dpkg -i` inside the
/// chroot (which refuses a package whose dependencies are not there), then removed.
fn install_check(deb: &Path, depends: &[String]) -> Result<()> {
    let started = Instant::now();
    let root = util::cache_dir().join("deb-install-root");
    if root.exists() {
        std::fs::remove_dir_all(&root)?;
    }
    std::fs::create_dir_all(&root)?;
    let chroot = util::is_root();
    if chroot {
        let base = base_root(depends)?;
        step(
            "installing the .deb into a throwaway Debian root (its declared dependencies only) and running it",
        );
        cmd("tar")
            .args(["-x", "--same-owner", "-f"])
            .args([&base])
            .arg1("-C")
            .args([&root])
            .run()?;
        std::fs::copy(deb, root.join("tmp/app.deb"))?;
    } else {
        step(
            "not root: installing the .deb with dpkg --root and running it with this machine's libraries",
        );
        for dir in ["var/lib/dpkg/info", "var/lib/dpkg/updates"] {
            std::fs::create_dir_all(root.join(dir))?;
        }
        std::fs::write(root.join("var/lib/dpkg/status"), "")?;
    }
    let result = install_and_run(&root, deb, chroot);
    let _ = std::fs::remove_dir_all(&root);
    let versions = result?;
    let version = env!("CARGO_PKG_VERSION");
    let expected = [
        format!("sandbox-desktop {version}"),
        format!("sbx {version}"),
    ];
    if !expected
        .iter()
        .all(|e| versions.lines().any(|l| l.trim() == e))
    {
        bail!("the installed binaries printed {versions:?}, not {expected:?}");
    }
    step(&format!(
        "installed and ran: {} ({:.0} s)",
        versions.lines().collect::<Vec<_>>().join(", "),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// `dpkg -i` the package into `root` and run its binaries with `--version`; what they printed.
fn install_and_run(root: &Path, deb: &Path, chroot: bool) -> Result<String> {
    if chroot {
        cmd("chroot")
            .args([root])
            .args(["dpkg", "-i", "/tmp/app.deb"])
            .env("LC_ALL", "C.UTF-8")
            .run()
            .context(
                "installing the .deb in the throwaway root (are its declared dependencies enough?)",
            )?;
        cmd("chroot")
            .args([root])
            .args(["sh", "-c", "sandbox-desktop --version && sbx --version"])
            .read()
    } else {
        // An empty root has none of the dependencies: dpkg is told to go on without them.
        let mut dpkg_root = std::ffi::OsString::from("--root=");
        dpkg_root.push(root);
        cmd("dpkg")
            .args([dpkg_root.as_os_str()])
            .args(["--force-depends", "--force-not-root", "-i"])
            .args([deb])
            .run()?;
        let mut out = String::new();
        for binary in INSTALLED_BINARIES {
            out.push_str(&cmd(root.join(binary)).arg1("--version").read()?);
        }
        Ok(out)
    }
}

/// The tarball of a Debian root with `depends` installed (made once per list by mmdebstrap, then kept).
fn base_root(depends: &[String]) -> Result<PathBuf> {
    // Package names only: a version constraint or an alternative (`a (>= 1) | b`) picks its first name.
    let mut names: Vec<String> = depends
        .iter()
        .filter_map(|d| d.split(['|', '(', ' ']).next())
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    names.dedup();
    let list = names.join(",");
    let key: String = sha2::Sha256::digest(list.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    let base = util::cache_dir().join(format!("deb-base-{key}.tar"));
    if base.is_file() {
        return Ok(base);
    }
    setup::ensure_debian_packages(&["mmdebstrap"])?;
    step(&format!(
        "making a Debian root with {list} (mmdebstrap from this machine's apt sources; once per dependency list)"
    ));
    // mmdebstrap picks the format from the extension: the partial file must end in .tar too.
    let partial = base.with_extension("partial.tar");
    if partial.exists() {
        let _ = std::fs::remove_file(&partial).or_else(|_| std::fs::remove_dir_all(&partial));
    }
    let log = util::cache_dir().join("deb-base.log");
    cmd("mmdebstrap")
        .args([
            "--quiet",
            "--variant=apt",
            &format!("--include={list}"),
            "bookworm",
        ])
        .args([&partial])
        .run_logged(&log)?;
    std::fs::rename(&partial, &base)?;
    Ok(base)
}

/// The Tauri bundler expects `tauri.conf.json` beside the app crate: write a copy of the top-level config there
/// with its relative paths rebased (the top-level file stays the one source).
pub fn write_bundler_config() -> Result<()> {
    let root = util::root();
    let text = std::fs::read_to_string(root.join("tauri.conf.json"))?;
    let mut config: serde_json::Value = serde_json::from_str(&text)?;
    rebase_paths(&mut config);
    let out = root.join("src-tauri/tauri.conf.json");
    std::fs::write(&out, serde_json::to_string_pretty(&config)?)?;
    Ok(())
}

/// Make the config's file paths relative to `src-tauri/` instead of the repository root.
fn rebase_paths(config: &mut serde_json::Value) {
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
    // Extra files of the Linux packages: installed path → file on this machine.
    for pointer in ["/bundle/linux/deb/files", "/bundle/linux/appimage/files"] {
        if let Some(files) = config.pointer_mut(pointer).and_then(|v| v.as_object_mut()) {
            files.values_mut().for_each(rebase);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundler_config_is_rebased_and_ships_the_cli() {
        let text = std::fs::read_to_string(util::root().join("tauri.conf.json")).unwrap();
        let mut config: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            config.pointer("/bundle/linux/deb/files/~1usr~1bin~1sbx"),
            Some(&serde_json::json!("target/release/sbx")),
            "the .deb ships the CLI from the release build"
        );
        rebase_paths(&mut config);
        assert_eq!(config["build"]["frontendDist"], "../ui/dist");
        assert_eq!(config["bundle"]["icon"][0], "../icons/32x32.png");
        assert_eq!(
            config.pointer("/bundle/linux/deb/files/~1usr~1bin~1sbx"),
            Some(&serde_json::json!("../target/release/sbx"))
        );
    }

    #[test]
    fn listed_paths_keep_spaces() {
        assert_eq!(
            listed_path("-rw-r--r-- root/root  247 2026-11-30 22:00 ./usr/share/applications/Sandbox Desktop.desktop")
                .as_deref(),
            Some("usr/share/applications/Sandbox Desktop.desktop")
        );
        // The Tauri bundler's archive: numeric owners, no leading `./`.
        assert_eq!(
            listed_path("-rw-r--r-- 0/0             242 2026-12-01 01:04 usr/share/applications/Sandbox Desktop.desktop")
                .as_deref(),
            Some("usr/share/applications/Sandbox Desktop.desktop")
        );
        assert_eq!(
            listed_path("drwxr-xr-x 0/0 0 2026-12-01 01:04 ./").as_deref(),
            None
        );
        assert_eq!(
            listed_path("drwxr-xr-x root/root    0 2026-11-30 22:00 ./usr/bin/").as_deref(),
            Some("usr/bin")
        );
        assert_eq!(
            listed_path("lrwxrwxrwx root/root    0 2026-11-30 22:00 ./usr/bin/a -> b").as_deref(),
            Some("usr/bin/a")
        );
    }

    #[test]
    fn deb_problems_name_what_is_missing() {
        let good = DebFacts {
            files: [
                "usr/bin/sandbox-desktop",
                "usr/bin/sbx",
                "usr/share/icons/hicolor/32x32/apps/sandbox-desktop.png",
                "usr/share/icons/hicolor/128x128/apps/sandbox-desktop.png",
                "usr/share/icons/hicolor/256x256@2/apps/sandbox-desktop.png",
                "usr/share/applications/Sandbox Desktop.desktop",
            ]
            .map(String::from)
            .to_vec(),
            depends: vec!["libwebkit2gtk-4.1-0".into(), "libgtk-3-0".into()],
            desktop_entry: "[Desktop Entry]\nName=Sandbox Desktop\nExec=sandbox-desktop\nIcon=sandbox-desktop\n"
                .into(),
        };
        assert!(deb_problems(&good).is_empty(), "{:?}", deb_problems(&good));
        let bad = DebFacts {
            files: vec!["usr/bin/sandbox-desktop".into()],
            depends: vec!["libgtk-3-0 (>= 3.24)".into()],
            desktop_entry: "Exec=other\n".into(),
        };
        let problems = deb_problems(&bad).join("\n");
        for expected in [
            "usr/bin/sbx is missing",
            "32x32/apps/sandbox-desktop.png is missing",
            "runs Some(\"other\")",
            "does not depend on libwebkit2gtk-4.1-0",
        ] {
            assert!(problems.contains(expected), "{expected} in {problems}");
        }
        assert!(
            !problems.contains("libgtk-3-0"),
            "a version constraint is fine"
        );
    }
}
