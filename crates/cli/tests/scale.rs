//! Big workspaces in bounded memory, through `sbx` processes against the real Docker engine: a sandbox created from
//! a repository whose checkout makes a 2 GB workspace, then snapshotted, restored, exported and imported, each by a
//! process of its own whose peak resident memory (`VmHWM` in `/proc/PID/status`, read while it runs) must stay
//! under 150 MB; the restored and the imported sandbox hold every byte. And an export into a folder too small for it
//! (a 1 MB tmpfs) is refused before it starts, naming the room it needs and the room there is, and leaves no file
//! behind.
//!
//! `SBX_SCALE_MB` sets the repository's file bytes in MB (default 1024: with the `.git` folder holding the same
//! bytes again, a 2 GB workspace).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{Cli, image, name};

/// The bound the issue sets on `sbx`'s peak resident memory, whatever the workspace's size.
const PEAK_RSS_LIMIT_KIB: u64 = 150 * 1024;

/// What one `sbx` process did: its exit, its output and its peak resident memory.
struct Measured {
    success: bool,
    stdout: String,
    stderr: String,
    peak_kib: u64,
}

/// The `VmHWM` line of `/proc/PID/status`, in KiB (`None` once the process has exited).
fn high_water_mark(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Run `sbx ARGS`, reading its high-water mark every 10 ms until it exits.
fn measured(cli: &Cli, args: &[&str]) -> Measured {
    let mut child = cli
        .command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut text = String::new();
        out.read_to_string(&mut text).unwrap();
        text
    });
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        err.read_to_string(&mut text).unwrap();
        text
    });
    let mut peak_kib = 0;
    let status = loop {
        if let Some(kib) = high_water_mark(child.id()) {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Measured {
        success: status.success(),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
        peak_kib,
    }
}

/// Run `sbx ARGS`, which must succeed within the memory bound; its standard output.
fn bounded(cli: &Cli, what: &str, args: &[&str]) -> String {
    let started = Instant::now();
    let run = measured(cli, args);
    assert!(
        run.success,
        "{what}: sbx {args:?} failed: {}{}",
        run.stdout, run.stderr
    );
    eprintln!(
        "{what}: {:.1} s, peak RSS {:.1} MiB",
        started.elapsed().as_secs_f64(),
        run.peak_kib as f64 / 1024.0
    );
    assert!(
        run.peak_kib > 0,
        "{what}: no VmHWM was read (the process ended before the first read?)"
    );
    assert!(
        run.peak_kib < PEAK_RSS_LIMIT_KIB,
        "{what}: sbx's peak resident memory was {} KiB, over the {} KiB bound",
        run.peak_kib,
        PEAK_RSS_LIMIT_KIB
    );
    run.stdout
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.email=t@e",
            "-c",
            "user.name=t",
            "-c",
            "core.compression=0",
            "-c",
            "core.looseCompression=0",
        ])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A repository of `mb` files of 1 MB of bytes that do not compress (so the checkout and `.git` each hold `mb` MB),
/// committed uncompressed; the working files are removed afterwards (a clone reads the objects), to spare the disk.
fn big_repository(dir: &Path, mb: usize) {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    git(dir, &["init", "-q"]);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut block = vec![0u8; 1 << 20];
    for file in 0..mb {
        for chunk in block.chunks_mut(8) {
            // xorshift64: fast bytes that zlib cannot shrink.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes());
        }
        let mut f = std::fs::File::create(dir.join(format!("data/{file:05}.bin"))).unwrap();
        f.write_all(&block).unwrap();
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "big"]);
    std::fs::remove_dir_all(dir.join("data")).unwrap();
}

/// Megabytes under `path` in `sandbox` (`du -sm`).
fn workspace_mb(cli: &Cli, sandbox: &str, path: &str) -> u64 {
    let out = cli.ok(&["sandbox", "exec", sandbox, "--", "du", "-sm", path]);
    out.split_whitespace().next().unwrap().parse().unwrap()
}

/// The number of checked-out data files in `sandbox` under `path`.
fn data_files(cli: &Cli, sandbox: &str, path: &str) -> usize {
    cli.sh(sandbox, &format!("ls {path}/data | wc -l"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_2_gb_workspace_is_created_snapshotted_restored_exported_and_imported_in_bounded_memory() {
    let mb: usize = std::env::var("SBX_SCALE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let cli = Cli::new();
    let repo = cli.dir.path().join("big");
    let started = Instant::now();
    big_repository(&repo, mb);
    eprintln!(
        "repository of {mb} MB made in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let sandbox = name("big");
    let created = bounded(
        &cli,
        "create",
        &[
            "sandbox",
            "create",
            "--name",
            &sandbox,
            "--image",
            &image(),
            "--git",
            repo.to_str().unwrap(),
            "--no-setup",
            "--json",
        ],
    );
    let created: serde_json::Value = serde_json::from_str(&created).unwrap();
    let path = created["repo"]["mount_path"].as_str().unwrap().to_string();
    let expected_mb = 2 * mb as u64;
    let size = workspace_mb(&cli, &sandbox, &path);
    assert!(
        size >= expected_mb,
        "the workspace holds {size} MB, expected at least {expected_mb} MB"
    );
    assert_eq!(data_files(&cli, &sandbox, &path), mb);

    // The default mode scrubs: Snapshot and delete, so the sandbox is gone afterwards (its volume too).
    let snapshot = name("bigsnap");
    bounded(
        &cli,
        "snapshot",
        &["snapshot", "create", &sandbox, "--name", &snapshot],
    );

    let restored = name("bigrestored");
    bounded(
        &cli,
        "restore",
        &["snapshot", "restore", &snapshot, "--name", &restored],
    );
    assert!(workspace_mb(&cli, &restored, &path) >= expected_mb);
    assert_eq!(data_files(&cli, &restored, &path), mb);
    cli.ok(&["sandbox", "delete", &restored, "--force"]);

    let file = cli.dir.path().join("big.tar");
    bounded(
        &cli,
        "export",
        &["snapshot", "export", &snapshot, file.to_str().unwrap()],
    );
    let exported = std::fs::metadata(&file).unwrap().len();
    assert!(
        exported >= expected_mb * 1_000_000,
        "the export is {exported} bytes"
    );
    cli.ok(&["snapshot", "delete", &snapshot]);

    let imported = bounded(
        &cli,
        "import",
        &["snapshot", "import", file.to_str().unwrap(), "--json"],
    );
    std::fs::remove_file(&file).unwrap();
    let imported: serde_json::Value = serde_json::from_str(&imported).unwrap();
    let from_import = name("bigimported");
    cli.ok(&[
        "snapshot",
        "restore",
        imported["name"].as_str().unwrap(),
        "--name",
        &from_import,
    ]);
    assert_eq!(data_files(&cli, &from_import, &path), mb);
}

/// A 1 MB tmpfs at `dir`; unmounted when dropped.
struct SmallFolder<'a>(&'a Path);

impl Drop for SmallFolder<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0).status();
    }
}

#[test]
fn an_export_into_a_folder_without_room_is_refused_before_it_starts_and_leaves_no_file() {
    let cli = Cli::new();
    let small = cli.dir.path().join("small");
    std::fs::create_dir_all(&small).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&small)
        .status()
        .unwrap();
    assert!(
        mounted.success(),
        "mounting a 1 MB tmpfs failed: this test needs root (cargo xtask test runs as root on the CI machine)"
    );
    let _unmount = SmallFolder(&small);

    let sandbox = name("roomless");
    cli.plain_sandbox(&sandbox);
    cli.fill(&sandbox, 8);
    let snapshot = name("roomless");
    cli.ok(&["snapshot", "create", &sandbox, "--name", &snapshot]);

    let file = small.join("snap.tar");
    let run = measured(
        &cli,
        &["snapshot", "export", &snapshot, file.to_str().unwrap()],
    );
    assert!(!run.success, "the export succeeded: {}", run.stdout);
    assert!(run.stderr.contains("not enough room in"), "{}", run.stderr);
    assert!(run.stderr.contains("is free"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_dir(&small).unwrap().count(),
        0,
        "the refused export left a file"
    );
    // The snapshot is untouched and still exports where there is room.
    let roomy = cli.dir.path().join("snap.tar");
    cli.ok(&["snapshot", "export", &snapshot, roomy.to_str().unwrap()]);
    assert!(std::fs::metadata(&roomy).unwrap().len() > 8_000_000);
}
