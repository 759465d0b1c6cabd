//! The container of a sandbox: its entry script (setup once, then the main command — the app's keep-alive, the
//! user's command or the image's own — on any image with `/bin/sh`), its mounts, ports, resources and labels.

use std::collections::HashMap;
use std::path::Path;

use sbx_api::MainCommand;

use crate::credentials::Credential;
use crate::engine::{HostSettings, Mount, MountKind, NewContainer, PublishedPort};
use crate::labels;
use crate::sandbox::spec::SandboxSpec;

/// Where the setup script is, inside the sandbox.
pub const SETUP_SCRIPT_PATH: &str = "/usr/local/etc/amikad/setup/setup.sh";
/// The state folder of the entry script inside the sandbox.
pub const STATE_DIR: &str = "/var/lib/amikad";
/// Exit code of the entry script when the setup script failed: the sandbox is `setup-failed`.
pub const SETUP_FAILED_EXIT: i64 = 97;
/// Printed first at every boot of the container.
pub const BOOT_MARKER: &str = "[amikad] boot";
/// Printed when the setup script starts.
pub const SETUP_START_MARKER: &str = "[amikad] setup: start";
/// Printed when the setup script succeeded.
pub const SETUP_DONE_MARKER: &str = "[amikad] setup: done";
/// Printed (with the exit code) when the setup script failed.
pub const SETUP_FAILED_MARKER: &str = "[amikad] setup: failed with exit code";
/// Printed once the sandbox is ready (after setup, or at once on later boots).
pub const READY_MARKER: &str = "[amikad] ready";
/// Printed (with the exit code) when the main command ended on its own; the container then exits with that code.
pub const MAIN_EXIT_MARKER: &str = "[amikad] main command exited with code";
/// Where the file of secret environment variables is mounted (never in the container's configuration, so a
/// commit cannot capture them).
pub const SECRET_ENV_PATH: &str = "/run/amikad/secret.env";
/// The no-op setup script.
pub const NOOP_SETUP: &str = "#!/bin/sh\n# No-op setup script.\nexit 0\n";

/// The entry script, run as `sh -c SCRIPT amikad [command CMD | image ARGV…]`: runs the setup script once per
/// sandbox (the marker is keyed by the sandbox id, so a sandbox restored from a snapshot runs it once again), then
/// the main command: with `command`, `CMD` through `/bin/sh -c`; with `image`, the image's own entrypoint and
/// command; else a keep-alive until stopped. A main command that ends on its own ends the container with its exit
/// code (after a line saying so); a stop ends it (and the container) with 0. Only POSIX sh features, so it works
/// on busybox.
const ENTRY_SCRIPT: &str = r#"echo "[amikad] boot"
S=/var/lib/amikad
if [ -r /run/amikad/secret.env ]; then set -a; . /run/amikad/secret.env; set +a; fi
mkdir -p "$S" 2>/dev/null
rm -f "$S/ready"
trap 'exit 0' TERM INT HUP
cd "${AMIKA_AGENT_CWD:-/}" 2>/dev/null || { mkdir -p "${AMIKA_AGENT_CWD:-/}" 2>/dev/null && cd "${AMIKA_AGENT_CWD:-/}"; } || cd /
if [ ! -e "$S/setup-done-$AMIKA_SANDBOX_ID" ]; then
  echo "[amikad] setup: start"
  SETUP=/usr/local/etc/amikad/setup/setup.sh
  if [ -x "$SETUP" ]; then "$SETUP" 2>&1; elif [ -e "$SETUP" ]; then /bin/sh "$SETUP" 2>&1; else true; fi
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "[amikad] setup: failed with exit code $rc"
    exit 97
  fi
  : > "$S/setup-done-$AMIKA_SANDBOX_ID"
  echo "[amikad] setup: done"
fi
: > "$S/ready"
echo "[amikad] ready"
if [ "$1" = command ] || [ "$1" = image ]; then
  if [ "$1" = command ]; then /bin/sh -c "$2" & else shift; "$@" & fi
  M=$!
  trap 'kill -TERM $M 2>/dev/null; wait $M; exit 0' TERM INT HUP
  wait $M
  rc=$?
  echo "[amikad] main command exited with code $rc"
  exit $rc
fi
if command -v sleep >/dev/null 2>&1; then
  while :; do sleep 86400 & wait $!; done
else
  while :; do read -r _ || true; done
fi
"#;

/// Everything the container needs besides the spec.
#[derive(Debug)]
pub struct ContainerPlan<'a> {
    /// The data dir's instance id (label).
    pub instance: &'a str,
    /// The job creating it (label).
    pub job_id: &'a str,
    /// The host file mounted read-only as the setup script.
    pub setup_file: &'a Path,
    /// The git volume, when there is a repository.
    pub volume: Option<&'a str>,
    /// Credential files to mount read-only.
    pub credentials: &'a [Credential],
    /// The host file of secret environment variables, when the sandbox has any.
    pub secret_env_file: Option<&'a Path>,
}

/// The labels of a sandbox container.
pub fn sandbox_labels(spec: &SandboxSpec, instance: &str, job_id: &str) -> HashMap<String, String> {
    let mut map = labels::base(instance, labels::KIND_SANDBOX);
    map.insert(labels::ID.into(), spec.id.clone());
    map.insert(labels::NAME.into(), spec.name.clone());
    map.insert(labels::JOB.into(), job_id.to_string());
    map.insert(labels::SOURCE.into(), spec.template.clone());
    if let Ok(json) = serde_json::to_string(spec) {
        map.insert(labels::RECORD.into(), json);
    }
    map
}

/// Environment of the container: the app's own variables, then the user's that are not secret. Secret ones reach
/// processes through [`SECRET_ENV_PATH`] (the entry script) and the exec calls, both from the secret store.
pub fn container_env(spec: &SandboxSpec) -> Vec<String> {
    let mut env = vec![
        format!("AMIKA_AGENT_CWD={}", spec.agent_cwd),
        format!("AMIKA_SANDBOX_ID={}", spec.id),
        format!("AMIKA_SANDBOX_NAME={}", spec.name),
        "HOME=/home/amika".to_string(),
    ];
    env.extend(
        spec.env
            .iter()
            .filter(|v| !v.secret)
            .map(|v| format!("{}={}", v.name, v.value)),
    );
    env
}

/// The sandbox's container, as the engine layer creates it.
pub fn create_body(spec: &SandboxSpec, plan: &ContainerPlan<'_>) -> NewContainer {
    NewContainer {
        name: Some(spec.container_name()),
        image: spec.image.clone(),
        entrypoint: vec![
            "/bin/sh".to_string(),
            "-c".to_string(),
            ENTRY_SCRIPT.to_string(),
            "amikad".to_string(),
        ],
        cmd: main_command_args(&spec.main_command),
        env: container_env(spec),
        working_dir: Some(spec.agent_cwd.clone()),
        user: Some("0:0".to_string()),
        open_stdin: true,
        stop_timeout_secs: Some(5),
        labels: sandbox_labels(spec, plan.instance, plan.job_id),
        host: Some(HostSettings {
            init: true,
            mounts: mounts(spec, plan),
            ports: spec
                .ports
                .iter()
                .map(|port| PublishedPort {
                    container_port: port.container_port,
                    protocol: port.protocol.as_str().to_string(),
                    host_ip: port.host_ip.clone(),
                    host_port: port.host_port,
                })
                .collect(),
            cpus: spec.cpus,
            memory_mib: spec.memory_mib,
            pids_limit: spec.pids_limit,
            // No process in the sandbox gains privileges through setuid binaries or file capabilities.
            no_new_privileges: true,
        }),
    }
}

/// The entry script's arguments for the main command (see [`ENTRY_SCRIPT`]).
pub fn main_command_args(main: &MainCommand) -> Vec<String> {
    match main {
        MainCommand::KeepAlive => Vec::new(),
        MainCommand::Shell(command) => vec!["command".to_string(), command.clone()],
        MainCommand::Image(argv) => std::iter::once("image".to_string())
            .chain(argv.iter().cloned())
            .collect(),
    }
}

/// The exit code of the main command of the last boot in `log`, when it ended on its own (its line follows the last
/// boot line).
pub fn main_exit_code(log: &str) -> Option<i64> {
    let mut code = None;
    for line in log.lines() {
        if line.starts_with(BOOT_MARKER) {
            code = None;
        } else if let Some(rest) = line.strip_prefix(MAIN_EXIT_MARKER) {
            code = rest.trim().parse().ok();
        }
    }
    code
}

/// The setup script, the git volume, the secret variables and the credential files.
fn mounts(spec: &SandboxSpec, plan: &ContainerPlan<'_>) -> Vec<Mount> {
    let bind = |source: &Path, target: String| Mount {
        kind: MountKind::Bind,
        source: source.display().to_string(),
        target,
        read_only: true,
    };
    let mut mounts = vec![bind(plan.setup_file, SETUP_SCRIPT_PATH.to_string())];
    if let (Some(volume), Some(repo)) = (plan.volume, &spec.repo) {
        mounts.push(Mount {
            kind: MountKind::Volume,
            source: volume.to_string(),
            target: repo.mount_path.clone(),
            read_only: false,
        });
    }
    if let Some(file) = plan.secret_env_file {
        mounts.push(bind(file, SECRET_ENV_PATH.to_string()));
    }
    for credential in plan.credentials {
        mounts.push(bind(&credential.host_path, credential.sandbox_path()));
    }
    mounts
}

/// The setup script's output in a container log: the lines between the start marker and the end (done or failed)
/// marker of the most recent run, markers excluded.
pub fn setup_section(log: &str) -> String {
    let mut section: Vec<&str> = Vec::new();
    let mut inside = false;
    for line in log.lines() {
        if line.starts_with(SETUP_START_MARKER) {
            section.clear();
            inside = true;
            continue;
        }
        if line.starts_with(SETUP_DONE_MARKER) || line.starts_with(SETUP_FAILED_MARKER) {
            section.push(line);
            inside = false;
            continue;
        }
        if inside {
            section.push(line);
        }
    }
    let mut text = section.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_section_is_the_last_run() {
        let log = "[amikad] setup: start\nold\n[amikad] setup: failed with exit code 3\n\
                   [amikad] setup: start\ninstalling\nok\n[amikad] setup: done\n[amikad] ready\n";
        assert_eq!(setup_section(log), "installing\nok\n[amikad] setup: done\n");
        assert_eq!(setup_section("[amikad] ready\n"), "");
    }

    #[test]
    fn main_command_exit_is_that_of_the_last_boot() {
        let log = "[amikad] boot\n[amikad] ready\n[amikad] main command exited with code 3\n";
        assert_eq!(main_exit_code(log), Some(3));
        assert_eq!(
            main_exit_code(&format!("{log}[amikad] boot\n[amikad] ready\n")),
            None
        );
        assert_eq!(main_exit_code("[amikad] boot\n[amikad] ready\n"), None);
    }

    #[test]
    fn main_commands_become_the_entry_scripts_arguments() {
        assert!(main_command_args(&MainCommand::KeepAlive).is_empty());
        assert_eq!(
            main_command_args(&MainCommand::Shell("echo hi; exit 3".into())),
            ["command", "echo hi; exit 3"]
        );
        assert_eq!(
            main_command_args(&MainCommand::Image(vec!["/app".into(), "--serve".into()])),
            ["image", "/app", "--serve"]
        );
    }
}
