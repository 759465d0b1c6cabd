//! Big workspaces: a repository of 10,000 files (200 MB, so 400 MB of workspace with its `.git`) taken through the
//! `sbx` binary as a user runs it, each step timed against the raw Docker work it stands for, with `sbx`'s peak
//! resident memory (`VmHWM`, read while it runs):
//!
//! - create with that repository against `git clone` + `docker run -d` + `docker cp` of the clone;
//! - a snapshot of that sandbox against `docker commit` of the raw container (the same 400 MB changed in its layer);
//! - restore-to-ready from the snapshot against `docker run -d` of the committed image with a new volume that the
//!   engine fills with the same bytes.
//!
//! The raw side runs the `docker` and `git` command-line tools, as a user would without the app. Every timed step
//! starts after a `sync` (not timed), so none pays for writing back what the step before it wrote: with 400 MB a
//! step, that write-back otherwise decides which side looks faster. And every timed step starts [`QUIET`] after the
//! one before ended, so none pays for the files the one before deleted: on ext4 without a journal (as on the
//! machine this was measured on), creating files within a minute of deleting many is several times slower — the
//! allocator steps over each recently deleted inode — and every step here creates or deletes 10,000 files.

use anyhow::{Context, Result, ensure};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Row, image, median};

/// The files of the benchmark repository and the size of each.
const FILES: usize = 10_000;
const FILE_BYTES: usize = 20 * 1024;

/// Label on every raw object, so [`crate::clean`] removes what a failed run left.
const RAW_LABEL: &str = "dev.sandboxdesktop.bench=1";

/// Where the `sbx` processes keep their data: the bench core's data dir and credential home.
pub struct Sbx {
    pub binary: PathBuf,
    pub data: PathBuf,
    pub home: PathBuf,
}

impl Sbx {
    /// Run `sbx ARGS` as a timed step (after [`settle`]); its time and peak resident memory in KiB. Fails when it
    /// fails.
    fn measure(&self, args: &[&str]) -> Result<(Duration, u64)> {
        settle();
        self.run(args)
    }

    /// Run `sbx ARGS`; its time and peak resident memory in KiB. Fails when it fails.
    fn run(&self, args: &[&str]) -> Result<(Duration, u64)> {
        let started = Instant::now();
        let mut child = Command::new(&self.binary)
            .args(args)
            .env("SANDBOX_DESKTOP_HOME", &self.data)
            .env("HOME", &self.home)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        let mut peak = 0;
        let status = loop {
            if let Some(kib) = high_water_mark(child.id()) {
                peak = u64::max(peak, kib);
            }
            if let Some(status) = child.try_wait()? {
                break status;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let elapsed = started.elapsed();
        if !status.success() {
            let mut err = String::new();
            if let Some(mut stderr) = child.stderr.take() {
                std::io::Read::read_to_string(&mut stderr, &mut err)?;
            }
            anyhow::bail!("sbx {args:?} failed: {err}");
        }
        Ok((elapsed, peak))
    }
}

/// `VmHWM` of a running process, in KiB.
fn high_water_mark(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// How long a timed step waits after the one before: ext4 without a journal steps over inodes deleted within the
/// last 60 s (65 s while their block is not yet written back) when it creates files.
const QUIET: Duration = Duration::from_secs(66);

/// Write back what earlier steps left in the page cache and let their deletions age past [`QUIET`], so the next
/// timed step starts from the same state.
fn settle() {
    let _ = Command::new("sync").status();
    std::thread::sleep(QUIET);
}

/// Run a tool; its standard output, trimmed. Fails when it fails.
fn tool(program: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("starting {program}"))?;
    ensure!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The benchmark repository at `dir`: [`FILES`] files of bytes that do not compress.
fn repository(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir.join("src"))?;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut block = vec![0u8; FILE_BYTES];
    for file in 0..FILES {
        for chunk in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes());
        }
        let folder = dir.join(format!("src/{:03}", file / 100));
        std::fs::create_dir_all(&folder)?;
        std::fs::File::create(folder.join(format!("{file:05}.bin")))?.write_all(&block)?;
    }
    let git = |args: &[&str]| -> Result<()> {
        let status = Command::new("git")
            .args([
                "-c",
                "user.email=bench@example.com",
                "-c",
                "user.name=bench",
            ])
            .args(args)
            .current_dir(dir)
            .status()?;
        ensure!(status.success(), "git {args:?} failed");
        Ok(())
    };
    git(&["init", "-q"])?;
    git(&["add", "-A"])?;
    git(&["commit", "-q", "-m", "bench"])
}

/// The three rows, the median of `runs` (at most 3) each, with `sbx`'s peak resident memory (the highest of the
/// runs).
pub fn rows(sbx: &Sbx, scratch: &Path, runs: usize) -> Result<Vec<Row>> {
    let repo = scratch.join("repo");
    eprintln!(
        "bench: making a repository of {FILES} files ({} MB)",
        FILES * FILE_BYTES / 1_000_000
    );
    repository(&repo)?;
    let repo_arg = repo.to_str().context("a non-UTF-8 temporary path")?;
    let mut times: [(Vec<Duration>, Vec<Duration>, u64); 3] = Default::default();
    for i in 0..runs.clamp(1, 3) {
        eprintln!("bench: 400 MB workspace, run {}", i + 1);
        let run = one_run(sbx, scratch, repo_arg, i)?;
        for (row, (ours, raw, peak)) in times.iter_mut().zip(run) {
            row.0.push(ours);
            row.1.push(raw);
            row.2 = row.2.max(peak);
        }
    }
    let names = [
        "create with a 400 MB repository",
        "snapshot of a 400 MB workspace",
        "restore to ready, 400 MB workspace",
    ];
    Ok(names
        .into_iter()
        .zip(times)
        .map(|(what, (ours, raw, peak))| Row {
            what: what.into(),
            ours: median(ours),
            raw: median(raw),
            peak_kib: Some(peak),
        })
        .collect())
}

/// One run of the three: (ours, raw, peak) for create, snapshot and restore.
fn one_run(
    sbx: &Sbx,
    scratch: &Path,
    repo: &str,
    i: usize,
) -> Result<[(Duration, Duration, u64); 3]> {
    let name = format!("bench-ws-{i}");
    let snapshot = format!("bench-ws-snap-{i}");
    let restored = format!("bench-ws-restored-{i}");
    let img = image();

    let (create, create_peak) = sbx.measure(&[
        "sandbox",
        "create",
        "--name",
        &name,
        "--image",
        &img,
        "--git",
        repo,
        "--no-setup",
    ])?;
    let clone = scratch.join(format!("clone-{i}"));
    let clone_arg = clone.to_str().context("a non-UTF-8 temporary path")?;
    settle();
    let started = Instant::now();
    tool("git", &["clone", "-q", repo, clone_arg])?;
    let container = tool(
        "docker",
        &["run", "-d", "--label", RAW_LABEL, &img, "sleep", "86400"],
    )?;
    tool(
        "docker",
        &["cp", clone_arg, &format!("{container}:/workspace")],
    )?;
    let raw_create = started.elapsed();
    std::fs::remove_dir_all(&clone)?;

    // Full: like `docker commit`, it keeps the sandbox (the default, scrub, also deletes it).
    let (snap, snap_peak) = sbx.measure(&[
        "snapshot", "create", &name, "--name", &snapshot, "--mode", "full",
    ])?;
    settle();
    let started = Instant::now();
    let committed = tool("docker", &["commit", &container])?;
    let raw_snap = started.elapsed();
    tool("docker", &["rm", "-f", &container])?;

    let (restore, restore_peak) =
        sbx.measure(&["snapshot", "restore", &snapshot, "--name", &restored])?;
    let volume = format!("bench-ws-volume-{i}");
    settle();
    let started = Instant::now();
    let raw_restored = tool(
        "docker",
        &[
            "run",
            "-d",
            "--label",
            RAW_LABEL,
            "--mount",
            &format!("type=volume,src={volume},dst=/workspace,volume-label={RAW_LABEL}"),
            &committed,
            "sleep",
            "86400",
        ],
    )?;
    let raw_restore = started.elapsed();
    tool("docker", &["rm", "-f", &raw_restored])?;
    tool("docker", &["volume", "rm", &volume])?;
    tool("docker", &["rmi", "-f", &committed])?;
    for args in [
        ["sandbox", "delete", name.as_str(), "--force"],
        ["sandbox", "delete", restored.as_str(), "--force"],
    ] {
        sbx.run(&args)?;
    }
    sbx.run(&["snapshot", "delete", &snapshot])?;
    Ok([
        (create, raw_create, create_peak),
        (snap, raw_snap, snap_peak),
        (restore, raw_restore, restore_peak),
    ])
}
