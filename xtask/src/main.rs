//! The build system: `cargo xtask setup | build | run | test | queries | bench | bundle | ui`.
//!
//! Every command first installs what is missing (system packages on Debian/Ubuntu, the wasm32 target or its
//! offline replacement, the end-to-end test tools, sqlx-cli), so a fresh machine needs only these commands. Each
//! step checks before it acts, so a second run is quick.

mod bundle;
mod engine;
mod footprint;
mod icons;
mod npm;
mod platforms;
mod queries;
mod setup;
#[cfg(test)]
mod tidy;
mod ui;
mod util;

use anyhow::{Result, bail};
use std::time::Instant;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  setup    install what building and testing need (system packages, wasm32 target, test tools, sqlx-cli)
  build    setup, then build the UI and the app (target/debug/sandbox-desktop) and the CLI (target/debug/sbx);
           --release: the UI in release mode through wasm-opt, the app and the CLI in target/release
  run      make sure a Docker engine answers (on Linux: install and start one), build, start the desktop app
  test     setup, check formatting, lints and the core's query data (cargo sqlx prepare --check), start a
           Docker engine if none answers, build the test images, and run every test (unit, integration
           against the engine, end-to-end through the app window); then type-check for Windows and macOS
           and make and check the .deb (bundle)
  queries  write the core's query data (crates/core/.sqlx) again after changing a query or a migration
  bench    build the bench and sbx in release mode, then measure create, snapshot and restore against the
           raw Docker operations, and a 400 MB workspace through sbx (with its peak memory); --workspace: only those rows;
           --footprint: the release app against a minimal Tauri + Leptos window (first paint, idle memory)
           and the render times of the Sandboxes and Snapshots pages with 1,000 and 10,000 rows
  bundle   build --release, then a .deb with the Tauri bundler (installs tauri-cli on first use), its contents
           checked, installed into a throwaway Debian root and its binaries run there
  ui       build only the UI into ui/dist
  icons    make every icon (PNG sizes, icon.ico, icon.icns) from icons/icon.png
";

fn main() {
    let started = Instant::now();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = run(&args);
    match result {
        Ok(()) => util::step(&format!("done in {:.0} s", started.elapsed().as_secs_f64())),
        Err(error) => {
            eprintln!("xtask: {error:#}");
            std::process::exit(1);
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let Some(command) = args.first() else {
        print!("{USAGE}");
        return Ok(());
    };
    let rest = &args[1..];
    match command.as_str() {
        "setup" => setup::all(setup::Need::Test),
        "build" if rest.iter().any(|a| a == "--release") => bundle::build_release(),
        "build" => build(),
        "run" => {
            engine::ensure_engine_for_run()?;
            build()?;
            util::step("starting the app");
            util::cmd("target/debug/sandbox-desktop").run()
        }
        "ui" => {
            let wasm = setup::wasm_toolchain()?;
            ui::build(&wasm)
        }
        "test" => test(rest),
        "queries" => queries::regenerate(),
        "bench" if rest.iter().any(|a| a == "--footprint") => footprint::run(rest),
        "bench" => {
            // Release builds, as users run them: the bench (the core's rows run in its process) and `sbx`.
            setup::all(setup::Need::App)?;
            util::step("building the bench and the CLI (release)");
            util::cargo(&["build", "--release", "-p", "sbx-cli", "-p", "sbx-bench"]).run()?;
            engine::ensure_engine()?;
            engine::ensure_test_images()?;
            util::cargo(&[
                "run",
                "--release",
                "-p",
                "sbx-bench",
                "--bin",
                "sbx-bench",
                "--",
            ])
            .args(rest)
            .env_pairs(engine::test_env())
            .env("SBX_CLI_BINARY", bundle::release_binary("sbx"))
            .run()
        }
        "bundle" => bundle::bundle(),
        "icons" => icons::generate(),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command '{other}'\n\n{USAGE}"),
    }
}

/// Install, build the UI, build the app and the CLI.
fn build() -> Result<()> {
    setup::all(setup::Need::App)?;
    let wasm = setup::wasm_toolchain()?;
    ui::build(&wasm)?;
    util::step("building the app and the CLI");
    // The whole workspace but the UI, as `test` builds it: the same features, so neither rebuilds the other's work.
    util::cargo(&["build", "--workspace", "--exclude", "sbx-ui"]).run()?;
    install_cli()
}

/// Put the built `sbx` on PATH (`~/.cargo/bin`), unless another program of that name is there.
fn install_cli() -> anyhow::Result<()> {
    let built = util::root()
        .join("target/debug")
        .join(format!("sbx{}", std::env::consts::EXE_SUFFIX));
    let Some(bin) = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin"))
    else {
        return Ok(());
    };
    let target = bin.join(format!("sbx{}", std::env::consts::EXE_SUFFIX));
    let ours = !target.exists()
        || util::cmd(&target)
            .arg1("--version")
            .read()
            .is_ok_and(|v| v.starts_with("sbx "));
    if ours && bin.is_dir() {
        std::fs::copy(&built, &target)?;
        util::step(&format!("sbx copied to {}", target.display()));
    }
    Ok(())
}

/// Everything `cargo xtask test` does, in order; `args` after `--` go to `cargo test`.
fn test(args: &[String]) -> Result<()> {
    setup::all(setup::Need::Test)?;
    let wasm = setup::wasm_toolchain()?;
    ui::build(&wasm)?;
    util::step("checking formatting and lints");
    util::cargo(&["fmt", "--all", "--", "--check"]).run()?;
    util::cargo(&[
        "clippy",
        "--workspace",
        "--exclude",
        "sbx-ui",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])
    .run()?;
    ui::clippy(&wasm)?;
    ui::test()?;
    queries::check()?;
    engine::ensure_engine()?;
    engine::ensure_test_images()?;
    util::step("building the app, the CLI and the tests");
    util::cargo(&[
        "build",
        "--workspace",
        "--exclude",
        "sbx-ui",
        "--all-targets",
    ])
    .run()?;
    // The same package set in every cargo call, so features unify the same way and nothing is built twice.
    util::step("unit and integration tests (real Docker engine)");
    let mut test = util::cargo(&["test", "--workspace", "--exclude", "sbx-ui"]);
    test.args(args).env_pairs(engine::test_env());
    test.run()?;
    util::step("end-to-end tests through the app window (tauri-driver + WebKitWebDriver, Xvfb)");
    let display = engine::ensure_display()?;
    let axe = npm::axe_core()?;
    let mut e2e = util::cargo(&[
        "test",
        "--workspace",
        "--exclude",
        "sbx-ui",
        "--",
        "--ignored",
        "--test-threads=1",
    ]);
    e2e.env_pairs(engine::test_env())
        .env("DISPLAY", &display)
        .env(
            "SBX_APP_BINARY",
            util::root().join("target/debug/sandbox-desktop"),
        )
        .env("SBX_CLI_BINARY", util::root().join("target/debug/sbx"))
        .env("SBX_AXE_JS", &axe);
    e2e.run()?;
    platforms::check()?;
    bundle::bundle()
}
