//! The secret scrub of a "Snapshot and delete" capture (N1, B1): what it finds, the preview of it, and the removal
//! that fails closed. The search runs inside the sandbox (`scrub.sh`, with a fixed environment, not the sandbox's
//! `PATH` or `LD_PRELOAD`), over the homes, the temporary folders and every path the engine reports as changed.
//!
//! What it covers: files at the agents' credential paths under `/home/amika` and `/root`; copies of the mounted
//! credential files; files holding the value of a secret variable (values of at least [`MIN_SEARCHED_LEN`]
//! characters); `.git-credentials`; credentials in git URLs (remotes, `url.*.insteadOf`) and `http.extraHeader`;
//! shell and REPL histories. It cannot know a secret the user typed into an arbitrary file.

use futures_util::StreamExt;
use sbx_api::{ApiError, ScrubFinding, ScrubKind, ScrubPreview};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

use crate::engine::exec::Command;
use crate::engine::{ChangeKind, Output};
use crate::sandbox::container::{SECRET_ENV_PATH, SETUP_SCRIPT_PATH};
use crate::sandbox::spec::SandboxSpec;
use crate::{Core, Error, Result, credentials};

/// The scrub script (see its header for what it takes and prints).
const SCRIPT: &str = include_str!("scrub.sh");

/// Secret values shorter than this are not searched for in files: they would match ordinary text.
pub const MIN_SEARCHED_LEN: usize = 6;

/// How long one pass of the scrub may take before the snapshot fails.
const PASS_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Folders the script always searches; changed paths below them are not passed again.
const FIXED_ROOTS: &[&str] = &["/home", "/root", "/tmp", "/var/tmp"];

/// Whether a pass only lists or also removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Find,
    Remove,
}

/// What one pass of the script reported.
#[derive(Debug, Default)]
struct Pass {
    found: Vec<ScrubFinding>,
    failed: Vec<ScrubFinding>,
    exit_code: i64,
    stderr: String,
}

impl Core {
    /// What a scrubbing snapshot of the running sandbox `name` would remove now: paths and kinds, never values.
    pub async fn preview_scrub(&self, name: &str) -> Result<ScrubPreview> {
        let record = self.sandbox_record(name).await?;
        let container = self.running_container(name).await?;
        let pass = self.scrub_pass(&container, &record.spec, Act::Find).await?;
        if pass.exit_code != 0 {
            return Err(failure(&pass, "looking for secrets failed").into());
        }
        let mut findings: Vec<ScrubFinding> = record
            .spec
            .env
            .iter()
            .filter(|v| v.secret)
            .map(|v| ScrubFinding {
                kind: ScrubKind::SecretVariable,
                path: v.name.clone(),
            })
            .collect();
        findings.extend(pass.found);
        sort(&mut findings);
        let short: Vec<String> = self
            .secret_values(&record.spec)?
            .into_iter()
            .filter(|(_, value)| !value.is_empty() && value.len() < MIN_SEARCHED_LEN)
            .map(|(name, _)| name)
            .collect();
        let mut notes = Vec::new();
        if !short.is_empty() {
            notes.push(format!(
                "not searched for in files (shorter than {MIN_SEARCHED_LEN} characters): the value of {}",
                short.join(", ")
            ));
        }
        Ok(ScrubPreview {
            sandbox: name.to_string(),
            findings,
            notes,
        })
    }

    /// Remove every secret the scrub finds, then look again: anything it could not remove, or still finds, fails
    /// the snapshot with the paths in the reason, before anything is captured.
    pub(crate) async fn scrub(&self, container: &str, spec: &SandboxSpec) -> Result<()> {
        let removal = self.scrub_pass(container, spec, Act::Remove).await?;
        if !removal.failed.is_empty() || removal.exit_code != 0 {
            return Err(failure(&removal, "removing injected secrets failed").into());
        }
        let check = self.scrub_pass(container, spec, Act::Find).await?;
        if !check.found.is_empty() || check.exit_code != 0 {
            let mut proof = check;
            proof.failed.append(&mut proof.found);
            return Err(failure(
                &proof,
                "removing injected secrets failed: still there after removal",
            )
            .into());
        }
        Ok(())
    }

    /// The values of the sandbox's secret variables, from the secret store.
    fn secret_values(&self, spec: &SandboxSpec) -> Result<Vec<(String, String)>> {
        let stored = self
            .secrets()
            .get(&spec.id)
            .map_err(|e| Error::io("reading the sandbox's secret variables", e))?;
        Ok(stored
            .into_iter()
            .filter(|(name, _)| spec.env.iter().any(|v| v.secret && &v.name == name))
            .collect())
    }

    /// One run of the script in the sandbox, with a fixed environment; the changed paths go in on stdin.
    async fn scrub_pass(&self, container: &str, spec: &SandboxSpec, act: Act) -> Result<Pass> {
        let changed: Vec<(String, bool)> = self
            .engine()
            .changes(container)
            .await?
            .into_iter()
            .filter(|c| c.kind != ChangeKind::Deleted)
            .map(|c| (c.path, c.kind == ChangeKind::Modified))
            .collect();
        let roots = extra_roots(&changed);
        let mounted_credentials: Vec<String> = spec
            .credentials
            .iter()
            .map(|rel| format!("{}/{rel}", credentials::SANDBOX_HOME))
            .collect();
        let mut mounts = mounted_credentials.clone();
        mounts.push(SECRET_ENV_PATH.to_string());
        mounts.push(SETUP_SCRIPT_PATH.to_string());
        let values: Vec<String> = self
            .secret_values(spec)?
            .into_iter()
            .map(|(_, value)| value)
            .filter(|value| value.len() >= MIN_SEARCHED_LEN && !value.contains('\0'))
            .collect();
        let mut env = vec![
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
            "LD_PRELOAD=".into(),
            "LD_LIBRARY_PATH=".into(),
            "LD_AUDIT=".into(),
            "ENV=".into(),
            "BASH_ENV=".into(),
            "CDPATH=".into(),
            "IFS= \t\n".into(),
            "LC_ALL=C".into(),
            "LANG=C".into(),
            "GREP_OPTIONS=".into(),
            "GREP_COLOR=".into(),
            "GREP_COLORS=".into(),
            "TMPDIR=/tmp".into(),
            "HOME=/root".into(),
            format!(
                "SBX_SCRUB_ACT={}",
                if act == Act::Remove { "remove" } else { "find" }
            ),
            format!("SBX_SCRUB_SCRIPT={SCRIPT}"),
            format!("SBX_SCRUB_MOUNTS={}", mounts.join("\n")),
            format!("SBX_SCRUB_CREDS={}", mounted_credentials.join("\n")),
            format!("SBX_SCRUB_CREDPATHS={}", credentials::FILES.join("\n")),
            format!("SBX_SCRUB_NV={}", values.len()),
        ];
        env.extend(
            values
                .iter()
                .enumerate()
                .map(|(i, value)| format!("SBX_SCRUB_V{i}={value}")),
        );
        let command = Command {
            argv: vec![
                "/bin/sh".to_string(),
                "-c".to_string(),
                SCRIPT.to_string(),
                "amikad-scrub".to_string(),
                "scan".to_string(),
            ],
            env,
            working_dir: "/".to_string(),
            user: "0:0".to_string(),
            tty: false,
        };
        let exec_id = self.engine().create_exec(container, &command).await?;
        let started = self.engine().start_exec(&exec_id, false).await?;
        let (mut output, mut input) = (started.output, started.input);
        let mut stdin = String::new();
        for root in &roots {
            stdin.push_str(root);
            stdin.push('\n');
        }
        let feed = async move {
            let _ = input.write_all(stdin.as_bytes()).await;
            let _ = input.shutdown().await;
        };
        let collect = async {
            let mut stdout = Vec::new();
            let mut stderr = Vec::new();
            while let Some(item) = output.next().await {
                match item? {
                    Output::Stderr(bytes) => {
                        if stderr.len() < 64 * 1024 {
                            stderr.extend_from_slice(&bytes);
                        }
                    }
                    Output::Stdout(bytes) | Output::Console(bytes) => {
                        stdout.extend_from_slice(&bytes)
                    }
                    Output::Stdin(_) => {}
                }
            }
            Ok::<_, Error>((stdout, stderr))
        };
        let ((), collected) =
            tokio::time::timeout(PASS_TIMEOUT, async { tokio::join!(feed, collect) })
                .await
                .map_err(|_| {
                    Error::Api(ApiError::conflict(format!(
                        "the secret scrub did not finish within {} minutes; nothing was captured",
                        PASS_TIMEOUT.as_secs() / 60
                    )))
                })?;
        let (stdout, stderr) = collected?;
        let mut pass = parse_records(&stdout);
        pass.exit_code = self.exec_exit_code(&exec_id).await?;
        pass.stderr = String::from_utf8_lossy(&stderr).trim().to_string();
        Ok(pass)
    }
}

/// The error of a pass that failed: what could not be removed (paths and kinds), or what the script said.
fn failure(pass: &Pass, what: &str) -> ApiError {
    let mut reason = String::from(what);
    if !pass.failed.is_empty() {
        let listed: Vec<String> = pass
            .failed
            .iter()
            .take(20)
            .map(|f| format!("{} ({})", f.path.escape_debug(), f.kind.describe()))
            .collect();
        reason.push_str(&format!(": {}", listed.join(", ")));
        if pass.failed.len() > 20 {
            reason.push_str(&format!(" and {} more", pass.failed.len() - 20));
        }
    } else {
        reason.push_str(&format!(" (exit code {})", pass.exit_code));
        if !pass.stderr.is_empty() {
            let said: String = pass.stderr.chars().take(500).collect();
            reason.push_str(&format!(": {}", said.escape_debug()));
        }
    }
    reason.push_str("; nothing was captured");
    ApiError::conflict(reason)
}

/// The script's records: `KIND\tPATH\0`, or `failed\tKIND\tPATH\0`.
fn parse_records(stdout: &[u8]) -> Pass {
    let mut pass = Pass::default();
    let mut seen = BTreeSet::new();
    for record in stdout.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let text = String::from_utf8_lossy(record);
        let (failed, rest) = match text.strip_prefix("failed\t") {
            Some(rest) => (true, rest),
            None => (false, text.as_ref()),
        };
        let Some((kind, path)) = rest.split_once('\t') else {
            continue;
        };
        let Some(kind) = ScrubKind::parse(kind) else {
            continue;
        };
        if !seen.insert((failed, kind, path.to_string())) {
            continue;
        }
        let finding = ScrubFinding {
            kind,
            path: path.to_string(),
        };
        if failed {
            pass.failed.push(finding);
        } else {
            pass.found.push(finding);
        }
    }
    pass
}

fn sort(findings: &mut [ScrubFinding]) {
    findings.sort_by(|a, b| {
        let rank = |k: ScrubKind| ScrubKind::ALL.iter().position(|x| *x == k);
        rank(a.kind)
            .cmp(&rank(b.kind))
            .then_with(|| a.path.cmp(&b.path))
    });
}

/// The changed paths the script searches besides [`FIXED_ROOTS`]: added paths and changed files (a changed
/// folder is listed with its changed entries, which are taken instead), the topmost of each branch only, none of
/// the app's mounts or the kernel's folders. A name with a newline is searched through its parent.
fn extra_roots(changed: &[(String, bool)]) -> Vec<String> {
    let paths: BTreeSet<&str> = changed.iter().map(|(p, _)| p.as_str()).collect();
    let has_child = |dir: &str| {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        paths
            .range::<str, _>((std::ops::Bound::Excluded(dir), std::ops::Bound::Unbounded))
            .take_while(|p| p.starts_with(dir))
            .any(|p| p.starts_with(&prefix))
    };
    let under = |path: &str, dir: &str| path == dir || path.starts_with(&format!("{dir}/"));
    let skipped = ["/proc", "/sys", "/dev", "/run/amikad", SETUP_SCRIPT_PATH];
    let mut roots: BTreeSet<String> = BTreeSet::new();
    for (path, modified) in changed {
        if *modified && has_child(path) {
            continue;
        }
        let mut path = path.clone();
        while path.contains('\n') {
            path = match path.rsplit_once('/') {
                Some((parent, _)) if !parent.is_empty() => parent.to_string(),
                _ => "/".to_string(),
            };
        }
        if path == "/"
            || FIXED_ROOTS.iter().any(|r| under(&path, r))
            || skipped.iter().any(|s| under(&path, s))
        {
            continue;
        }
        roots.insert(path);
    }
    let all: Vec<String> = roots.iter().cloned().collect();
    all.into_iter()
        .filter(|p| !roots.iter().any(|other| other != p && under(p, other)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_parse_whatever_the_file_name() {
        let out = b"credential-file\t/root/.codex/auth.json\0secret-value\t/tmp/a\nb c\0failed\tshell-history\t/root/.ash_history\0junk\0";
        let pass = parse_records(out);
        assert_eq!(pass.found.len(), 2);
        assert_eq!(pass.found[1].path, "/tmp/a\nb c");
        assert_eq!(pass.failed[0].kind, ScrubKind::ShellHistory);
    }

    #[test]
    fn extra_roots_are_the_topmost_changes_outside_the_fixed_ones() {
        let changed = [
            ("/usr".to_string(), true),
            ("/usr/local".to_string(), true),
            ("/usr/local/lib".to_string(), false),
            ("/usr/local/lib/x".to_string(), false),
            ("/etc/hosts".to_string(), true),
            ("/root/.ash_history".to_string(), false),
            ("/opt/odd\nname/file".to_string(), false),
            ("/proc/1".to_string(), false),
            ("/run/amikad".to_string(), false),
            (SETUP_SCRIPT_PATH.to_string(), false),
        ];
        assert_eq!(
            extra_roots(&changed),
            ["/etc/hosts", "/opt", "/usr/local/lib"]
        );
    }
}
