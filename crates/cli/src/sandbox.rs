//! `sbx sandbox …`: create, list, show, start, stop, restart, delete, logs, exec, ssh and clone sandboxes.

use clap::{Args, Subcommand};
use futures_util::StreamExt;
use sbx_api::{
    ApiError, CloneSandboxRequest, CreateSandboxRequest, JobKind, LogsRequest, Sandbox,
    SandboxState, SnapshotChoice, SnapshotScheduleMode,
};
use sbx_core::Core;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::output;
use crate::progress::{Filter, SetupSection, Watch};
use crate::session;

/// How long start and restart wait for the sandbox to be ready.
const READY_TIMEOUT: Duration = Duration::from_secs(3600);

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Create a sandbox and wait until it is ready.
    Create(Box<CreateArgs>),
    /// List sandboxes.
    List(JsonArgs),
    /// Show one sandbox.
    Show(NameArgs),
    /// Start a stopped sandbox and wait until it is ready.
    Start(NameArgs),
    /// Stop a sandbox.
    Stop(NameArgs),
    /// Stop and start a sandbox, and wait until it is ready.
    Restart(NameArgs),
    /// Delete a sandbox (its git volume is kept).
    Delete(DeleteArgs),
    /// Print a sandbox's log.
    Logs(LogsArgs),
    /// Run a command in a sandbox.
    Exec(ExecArgs),
    /// Open a shell in a sandbox.
    Ssh(SshArgs),
    /// Copy a running sandbox into a new one (through a snapshot).
    Clone(CloneArgs),
}

/// Only `--json`.
#[derive(Debug, Args)]
pub struct JsonArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// A sandbox name and `--json`.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// The sandbox.
    name: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example: sbx sandbox create --name base-box --preset coder --git --no-setup",
    after_long_help = "\
Examples:
  sbx sandbox create --name base-box --preset coder --git --no-setup
  sbx sandbox create --git ./src --branch feature/new-api
  sbx sandbox create --name dev-box --setup-script ./install-deps.sh --port 8080:80
  sbx sandbox create --name web --setup-script ./install.sh --command 'python3 -m http.server 8000'
  sbx sandbox create --name nightly --snapshot-mode automatic --snapshot-schedule '0 3 * * *'"
)]
pub struct CreateArgs {
    /// Name: 1-40 lowercase letters, digits and hyphens (generated when omitted).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Preset image definition (default: coder).
    #[arg(long, value_name = "NAME")]
    preset: Option<String>,
    /// A custom image instead of a preset.
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,
    /// Environment variable (repeatable).
    #[arg(long = "env", value_name = "K=V")]
    env: Vec<String>,
    /// Publish a port (repeatable); container ports 60899-60999 are reserved.
    #[arg(long = "port", value_name = "HOST:CONTAINER[/udp]")]
    ports: Vec<String>,
    /// CPU limit, 1-32.
    #[arg(long, value_name = "N")]
    cpus: Option<u32>,
    /// Memory limit in MiB, 128-32768.
    #[arg(long, value_name = "MIB")]
    memory: Option<u32>,
    /// Setup script to run once before the sandbox starts.
    #[arg(long, value_name = "FILE", conflicts_with = "no_setup")]
    setup_script: Option<String>,
    /// Skip the setup script (put a no-op script in place).
    #[arg(long)]
    no_setup: bool,
    /// The main command, run by /bin/sh -c after the setup script instead of the keep-alive; the sandbox stops
    /// when it exits 0 and fails when it exits non-zero.
    #[arg(long, value_name = "CMD", conflicts_with = "image_command")]
    command: Option<String>,
    /// Run the image's own entrypoint and command after the setup script instead of the keep-alive.
    #[arg(long)]
    image_command: bool,
    /// Clone a repository: the current one, or the one containing PATH, or URL.
    #[arg(
        long,
        value_name = "PATH|URL",
        num_args = 0..=1,
        conflicts_with = "no_git"
    )]
    git: Option<Option<String>>,
    /// Do not clone the current repository.
    #[arg(long)]
    no_git: bool,
    /// Branch to clone.
    #[arg(long, value_name = "BRANCH")]
    branch: Option<String>,
    /// Include untracked and uncommitted files.
    #[arg(long)]
    no_clean: bool,
    /// Do not mount credential files.
    #[arg(long)]
    no_credentials: bool,
    /// Stop after this many idle minutes (0-10080, 0 disables; default 30).
    #[arg(long, value_name = "MIN")]
    auto_stop: Option<u32>,
    /// Delete this many minutes after stopping (0-10080; default: keep).
    #[arg(long, value_name = "MIN")]
    auto_delete: Option<u32>,
    /// Start from this snapshot.
    #[arg(long, value_name = "NAME", conflicts_with = "no_snapshot")]
    snapshot: Option<String>,
    /// Start from the preset or image, not the repository's default snapshot.
    #[arg(long)]
    no_snapshot: bool,
    /// Snapshots only when asked (manual, the default) or on a schedule (automatic, with --snapshot-schedule).
    #[arg(long, value_name = "MODE", value_parser = ["manual", "automatic"])]
    snapshot_mode: Option<String>,
    /// The five-field cron schedule of automatic snapshots, in this machine's local time (e.g. '0 */2 * * *').
    #[arg(long, value_name = "CRON")]
    snapshot_schedule: Option<String>,
    /// Launch from a profile's snapshot: NAME (its newest usable version) or NAME@N; its setup is not run again.
    #[arg(long, value_name = "NAME[@N]")]
    profile: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The sandbox.
    name: String,
    /// Delete it even when it is running.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The sandbox.
    name: String,
    /// Only the setup script's output.
    #[arg(long)]
    setup: bool,
    /// Keep printing new output until the sandbox stops (or Ctrl-C).
    #[arg(long, short = 'f')]
    follow: bool,
    /// Only the last N lines.
    #[arg(long, value_name = "N")]
    tail: Option<u32>,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The sandbox.
    name: String,
    /// The command and its arguments (after `--`).
    #[arg(
        value_name = "CMD",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SshArgs {
    /// The sandbox.
    name: String,
}

#[derive(Debug, Args)]
pub struct CloneArgs {
    /// The running sandbox to clone.
    name: String,
    /// Name of the new sandbox (generated when omitted).
    #[arg(long = "name", value_name = "NEW")]
    new_name: Option<String>,
    /// Name of the intermediate snapshot (generated when omitted).
    #[arg(long, value_name = "S")]
    snapshot_name: Option<String>,
    /// CPU limit of the new sandbox, 1-32.
    #[arg(long, value_name = "N")]
    cpus: Option<u32>,
    /// Memory limit of the new sandbox in MiB, 128-32768.
    #[arg(long, value_name = "MIB")]
    memory: Option<u32>,
    /// Image of the new sandbox.
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(core: &Arc<Core>, command: SandboxCommand) -> Result<ExitCode, ApiError> {
    match command {
        SandboxCommand::Create(args) => create(core, *args).await,
        SandboxCommand::List(args) => list(core, args).await,
        SandboxCommand::Show(args) => {
            let sandbox = core.get_sandbox(&args.name).await?;
            print_sandbox(&sandbox, args.json)?;
            Ok(ExitCode::SUCCESS)
        }
        SandboxCommand::Start(args) => {
            core.start_sandbox(&args.name).await?;
            let sandbox = core.wait_until_ready(&args.name, READY_TIMEOUT).await?;
            check_ready(core, &sandbox, false).await?;
            print_state(&sandbox, "started", args.json)?;
            Ok(ExitCode::SUCCESS)
        }
        SandboxCommand::Stop(args) => {
            let sandbox = core.stop_sandbox(&args.name).await?;
            print_state(&sandbox, "stopped", args.json)?;
            Ok(ExitCode::SUCCESS)
        }
        SandboxCommand::Restart(args) => {
            core.restart_sandbox(&args.name).await?;
            let sandbox = core.wait_until_ready(&args.name, READY_TIMEOUT).await?;
            check_ready(core, &sandbox, false).await?;
            print_state(&sandbox, "restarted", args.json)?;
            Ok(ExitCode::SUCCESS)
        }
        SandboxCommand::Delete(args) => delete(core, args).await,
        SandboxCommand::Logs(args) => logs(core, args).await,
        SandboxCommand::Exec(args) => {
            let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
            session::run(core, &args.name, &args.command, tty).await
        }
        SandboxCommand::Ssh(args) => {
            let argv: Vec<String> = sbx_core::exec::SHELL
                .iter()
                .map(|s| s.to_string())
                .collect();
            let tty = std::io::stdin().is_terminal();
            session::run(core, &args.name, &argv, tty).await
        }
        SandboxCommand::Clone(args) => clone(core, args).await,
    }
}

async fn create(core: &Arc<Core>, args: CreateArgs) -> Result<ExitCode, ApiError> {
    let snapshot = match (args.snapshot, args.no_snapshot) {
        (_, true) => SnapshotChoice::Off,
        (Some(name), false) => SnapshotChoice::Named(name),
        (None, false) => SnapshotChoice::RepoDefault,
    };
    let request = CreateSandboxRequest {
        name: args.name.clone(),
        preset: args.preset,
        image: args.image,
        env: args.env,
        secret_env: Vec::new(),
        ports: args.ports,
        cpus: args.cpus,
        memory_mib: args.memory,
        no_setup: args.no_setup,
        setup_script: args.setup_script,
        setup_script_text: None,
        command: args.command,
        image_command: args.image_command,
        git: sbx_core::sandbox::create::git_choice(args.git, args.no_git),
        branch: args.branch,
        no_clean: args.no_clean,
        no_credentials: args.no_credentials,
        auto_stop_minutes: args.auto_stop,
        auto_delete_minutes: args.auto_delete,
        snapshot_mode: args
            .snapshot_mode
            .as_deref()
            .and_then(SnapshotScheduleMode::parse),
        snapshot,
        snapshot_schedule: args.snapshot_schedule,
        profile: args.profile,
        wait_for_ready: true,
        cwd: current_dir(),
    };
    let watch = Watch::start(
        core,
        Filter {
            kinds: &[JobKind::Create],
            target: args.name,
        },
        true,
    );
    let result = core.create_sandbox(&request).await;
    let setup_shown = watch.finish().await;
    ready(core, result?, setup_shown, args.json, "created").await
}

/// The process's working directory, as the core resolves relative paths and the current repository from it.
pub fn current_dir() -> Option<String> {
    std::env::current_dir()
        .ok()
        .map(|dir| dir.display().to_string())
}

/// Print a sandbox that was waited for: fail with its setup output when setup failed, with its reason when it
/// failed, else print it. `setup_shown`: the setup output was already printed while it ran.
pub async fn ready(
    core: &Core,
    sandbox: Sandbox,
    setup_shown: bool,
    json: bool,
    verb: &str,
) -> Result<ExitCode, ApiError> {
    check_ready(core, &sandbox, setup_shown).await?;
    if json {
        output::json(&output::masked(sandbox))?;
    } else {
        println!("{verb} {} ({})", sandbox.name, sandbox.state);
        output::sandbox_facts(&sandbox);
    }
    Ok(ExitCode::SUCCESS)
}

/// Fail when a sandbox that was waited for did not become ready; prints the setup output first when setup failed.
pub async fn check_ready(
    core: &Core,
    sandbox: &Sandbox,
    setup_shown: bool,
) -> Result<(), ApiError> {
    match sandbox.state {
        SandboxState::SetupFailed => {
            if !setup_shown
                && let Ok(logs) = core
                    .sandbox_logs(&LogsRequest {
                        name: sandbox.name.clone(),
                        setup_only: true,
                        tail: None,
                    })
                    .await
            {
                eprint!("{}", logs.setup);
            }
            Err(ApiError::conflict(format!(
                "sandbox {}: setup script failed (see output above)",
                sandbox.name
            )))
        }
        SandboxState::Failed => Err(ApiError::conflict(format!(
            "sandbox {} failed: {}",
            sandbox.name,
            sandbox
                .state_reason
                .as_deref()
                .unwrap_or("the container stopped")
        ))),
        _ => Ok(()),
    }
}

fn print_sandbox(sandbox: &Sandbox, json: bool) -> Result<(), ApiError> {
    if json {
        output::json(&output::masked(sandbox.clone()))
    } else {
        output::sandbox_facts(sandbox);
        Ok(())
    }
}

fn print_state(sandbox: &Sandbox, verb: &str, json: bool) -> Result<(), ApiError> {
    if json {
        output::json(&output::masked(sandbox.clone()))
    } else {
        println!("{verb} {} ({})", sandbox.name, sandbox.state);
        Ok(())
    }
}

async fn list(core: &Core, args: JsonArgs) -> Result<ExitCode, ApiError> {
    let sandboxes = core.list_sandboxes().await?;
    if args.json {
        let masked: Vec<Sandbox> = sandboxes.into_iter().map(output::masked).collect();
        output::json(&masked)?;
    } else if sandboxes.is_empty() {
        println!("No sandboxes yet. Create one with: sbx sandbox create");
    } else {
        let rows: Vec<Vec<String>> = sandboxes
            .iter()
            .map(|s| {
                vec![
                    s.name.clone(),
                    s.state.to_string(),
                    s.preset.clone().unwrap_or_else(|| s.image.clone()),
                    output::or_dash(s.repo.as_ref().map(|r| r.name.as_str())),
                    output::ports(&s.ports),
                    output::date(&s.created_at),
                ]
            })
            .collect();
        output::table(
            &["NAME", "STATE", "PRESET", "REPOSITORY", "PORTS", "CREATED"],
            &rows,
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn delete(core: &Core, args: DeleteArgs) -> Result<ExitCode, ApiError> {
    let volume = core
        .sandbox_record(&args.name)
        .await?
        .spec
        .repo
        .map(|r| r.volume);
    core.delete_sandbox(&args.name, args.force).await?;
    match volume {
        Some(volume) => println!("deleted {} (volume kept: {volume})", args.name),
        None => println!("deleted {}", args.name),
    }
    Ok(ExitCode::SUCCESS)
}

async fn logs(core: &Core, args: LogsArgs) -> Result<ExitCode, ApiError> {
    if !args.follow {
        let logs = core
            .sandbox_logs(&LogsRequest {
                name: args.name.clone(),
                setup_only: args.setup,
                // The setup section is cut from the whole log, so its tail is taken after.
                tail: if args.setup { None } else { args.tail },
            })
            .await?;
        let text = if args.setup {
            last_lines(&logs.setup, args.tail)
        } else {
            logs.all.as_str()
        };
        print!("{text}");
        let _ = std::io::stdout().flush();
        return Ok(ExitCode::SUCCESS);
    }
    // What was printed so far, so `--tail` can cut it; the followed stream repeats it from the start.
    let history_len = match (args.tail, args.setup) {
        (Some(_), false) => Some(
            core.sandbox_logs(&LogsRequest {
                name: args.name.clone(),
                setup_only: false,
                tail: None,
            })
            .await?
            .all
            .len(),
        ),
        _ => None,
    };
    let mut stream = core.follow_logs(&args.name).await?;
    let mut follower = Follower::new(args.setup, history_len, args.tail);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut stdout = std::io::stdout();
    loop {
        tokio::select! {
            chunk = stream.next() => match chunk {
                Some(Ok(chunk)) => {
                    let text = follower.push(&chunk);
                    if !text.is_empty() {
                        let _ = stdout.write_all(text.as_bytes());
                        let _ = stdout.flush();
                    }
                    if follower.done() {
                        break;
                    }
                }
                Some(Err(error)) => return Err(error.into()),
                None => break,
            },
            _ = &mut ctrl_c => break,
        }
    }
    let rest = follower.finish();
    if !rest.is_empty() {
        let _ = stdout.write_all(rest.as_bytes());
        let _ = stdout.flush();
    }
    Ok(ExitCode::SUCCESS)
}

/// The last `n` lines of `text` (all of it when `n` is `None`).
fn last_lines(text: &str, n: Option<u32>) -> &str {
    let Some(n) = n else {
        return text;
    };
    if n == 0 {
        return "";
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    match body.rmatch_indices('\n').nth(n as usize - 1) {
        Some((at, _)) => &text[at + 1..],
        None => text,
    }
}

/// Turns the chunks of a followed log into what `sbx sandbox logs --follow` prints.
#[derive(Debug)]
struct Follower {
    /// Only the setup section.
    setup: Option<SetupSection>,
    /// Bytes of history still to collect before printing its tail; `None` prints everything as it comes.
    history_left: Option<usize>,
    history: String,
    tail: Option<u32>,
}

impl Follower {
    fn new(setup: bool, history_len: Option<usize>, tail: Option<u32>) -> Follower {
        Follower {
            setup: setup.then(SetupSection::default),
            history_left: history_len.filter(|len| *len > 0),
            history: String::new(),
            tail,
        }
    }

    fn push(&mut self, chunk: &str) -> String {
        if let Some(section) = &mut self.setup {
            let lines = section.push(chunk);
            return lines.iter().map(|l| format!("{l}\n")).collect();
        }
        let Some(left) = self.history_left else {
            return chunk.to_string();
        };
        let mut cut = left.min(chunk.len());
        while !chunk.is_char_boundary(cut) {
            cut += 1;
        }
        self.history.push_str(&chunk[..cut]);
        let remaining = left.saturating_sub(cut);
        if remaining > 0 {
            self.history_left = Some(remaining);
            return String::new();
        }
        self.history_left = None;
        let mut text = last_lines(&self.history, self.tail).to_string();
        self.history.clear();
        text.push_str(&chunk[cut..]);
        text
    }

    fn done(&self) -> bool {
        self.setup.as_ref().is_some_and(|s| s.ended)
    }

    /// What is left when the stream ends before the history was complete.
    fn finish(&mut self) -> String {
        if self.history_left.take().is_some() {
            let text = last_lines(&self.history, self.tail).to_string();
            self.history.clear();
            text
        } else {
            String::new()
        }
    }
}

async fn clone(core: &Arc<Core>, args: CloneArgs) -> Result<ExitCode, ApiError> {
    let request = CloneSandboxRequest {
        sandbox: args.name.clone(),
        name: args.new_name,
        snapshot_name: args.snapshot_name,
        cpus: args.cpus,
        memory_mib: args.memory,
        image: args.image,
        wait_for_ready: true,
    };
    let watch = Watch::start(
        core,
        Filter {
            kinds: &[JobKind::Snapshot, JobKind::Clone],
            target: None,
        },
        true,
    );
    let result = core.clone_sandbox(&request).await;
    let setup_shown = watch.finish().await;
    let mut result = result?;
    check_ready(core, &result.sandbox, setup_shown).await?;
    if args.json {
        result.sandbox = output::masked(result.sandbox);
        output::json(&result)?;
    } else {
        println!(
            "cloned {} into {} (snapshot {})",
            args.name, result.sandbox.name, result.snapshot.name
        );
        output::sandbox_facts(&result.sandbox);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_lines_counts_from_the_end() {
        assert_eq!(last_lines("a\nb\nc\n", Some(2)), "b\nc\n");
        assert_eq!(last_lines("a\nb\nc", Some(2)), "b\nc");
        assert_eq!(last_lines("a\nb\n", Some(5)), "a\nb\n");
        assert_eq!(last_lines("a\nb\n", None), "a\nb\n");
        assert_eq!(last_lines("a\nb\n", Some(0)), "");
    }

    #[test]
    fn follow_with_tail_cuts_only_the_history() {
        let mut follower = Follower::new(false, Some(6), Some(1));
        assert_eq!(follower.push("a\nb"), "");
        assert_eq!(follower.push("\nc\nd\n"), "c\nd\n");
        assert_eq!(follower.push("e\n"), "e\n");
        let mut plain = Follower::new(false, None, None);
        assert_eq!(plain.push("x\n"), "x\n");
    }

    #[test]
    fn follow_setup_stops_at_the_end_marker() {
        let mut follower = Follower::new(true, None, None);
        assert_eq!(
            follower.push("[amikad] setup: start\nhi\n[amikad] setup: done\n"),
            "hi\n[amikad] setup: done\n"
        );
        assert!(follower.done());
    }
}
