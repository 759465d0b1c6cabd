//! Memory of a window's whole process tree: the binary (found by the mark in its environment and its file name)
//! and every process under it (WebKitWebProcess, WebKitNetworkProcess and whatever runs them), each as PSS (its
//! private memory plus its share of what it shares) from `/proc/<pid>/smaps_rollup`.

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// One process's PSS.
#[derive(Debug, Clone)]
pub struct Process {
    pub name: String,
    pub pss_kib: u64,
}

fn pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
                .collect()
        })
        .unwrap_or_default()
}

/// The process running `binary` whose environment holds `SBX_FOOTPRINT_MARK=<mark>`.
pub fn find(binary: &Path, mark: &str) -> Option<u32> {
    let wanted = binary.file_name()?;
    let needle = format!("SBX_FOOTPRINT_MARK={mark}");
    pids().into_iter().find(|pid| {
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
        exe.as_deref().and_then(Path::file_name) == Some(wanted)
            && std::fs::read(format!("/proc/{pid}/environ"))
                .map(|env| env.split(|b| *b == 0).any(|v| v == needle.as_bytes()))
                .unwrap_or(false)
    })
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name in parentheses may hold spaces: the fields after it are what counts.
    let after = &stat[stat.rfind(')')? + 2..];
    after.split_whitespace().nth(1)?.parse().ok()
}

fn name_of(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim().to_string())
        .unwrap_or_default()
}

fn pss_kib(pid: u32) -> Result<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .with_context(|| format!("reading /proc/{pid}/smaps_rollup"))?;
    text.lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no Pss line in smaps_rollup")
}

/// `root` and every process under it, with their PSS.
pub fn tree(root: u32) -> Result<Vec<Process>> {
    let mut children: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for pid in pids() {
        if let Some(parent) = parent_of(pid) {
            children.entry(parent).or_default().push(pid);
        }
    }
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        // A process that ends while it is read (a short-lived helper) is left out.
        if let Ok(pss_kib) = pss_kib(pid) {
            out.push(Process {
                name: name_of(pid),
                pss_kib,
            });
        }
        stack.extend(children.get(&pid).into_iter().flatten().copied());
    }
    Ok(out)
}
