//! Commands in a running container: created with a [`Command`], started with their streams attached (what they
//! print comes as [`Output`], their standard input is a writer), their exit code, their terminal's size.

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, ResizeExecOptions, StartExecOptions, StartExecResults};
use futures_util::{Stream, StreamExt};
use std::pin::Pin;
use tokio::io::AsyncWrite;

use super::Engine;
use crate::{Error, Result};

/// A command to run in a container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Command {
    /// The program and its arguments.
    pub argv: Vec<String>,
    /// Its environment (`NAME=value`), added to the container's.
    pub env: Vec<String>,
    /// Where it starts.
    pub working_dir: String,
    /// Who runs it (`uid:gid`).
    pub user: String,
    /// Give it a terminal (its output then comes as [`Output::Console`]).
    pub tty: bool,
}

/// A piece of what a command printed, as the engine sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// On its standard output.
    Stdout(Vec<u8>),
    /// On its standard error.
    Stderr(Vec<u8>),
    /// Its standard input echoed.
    Stdin(Vec<u8>),
    /// On its terminal (a command with a terminal has one stream).
    Console(Vec<u8>),
}

impl Output {
    /// The bytes, whatever stream they came on.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Output::Stdout(bytes)
            | Output::Stderr(bytes)
            | Output::Stdin(bytes)
            | Output::Console(bytes) => bytes,
        }
    }
}

impl std::fmt::Display for Output {
    /// The bytes as text, invalid UTF-8 replaced.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.bytes()))
    }
}

/// What a started command prints, as it prints it; engine errors already mapped.
pub type OutputStream = Pin<Box<dyn Stream<Item = Result<Output>> + Send>>;

/// Output of a started command, and its standard input.
pub struct ExecStream {
    /// The engine's exec id (for the exit code and resizing).
    pub exec_id: String,
    /// What the command prints.
    pub output: OutputStream,
    /// Its standard input.
    pub input: Pin<Box<dyn AsyncWrite + Send>>,
}

impl std::fmt::Debug for ExecStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecStream")
            .field("exec_id", &self.exec_id)
            .finish()
    }
}

/// How a command stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecState {
    /// Still running.
    pub running: bool,
    /// Its exit code, once it has one.
    pub exit_code: Option<i64>,
}

impl Engine {
    /// Create `command` in `container` with its standard streams to be attached; its exec id.
    pub(crate) async fn create_exec(&self, container: &str, command: &Command) -> Result<String> {
        let docker = self.client().await?;
        let created = docker
            .create_exec(
                container,
                CreateExecOptions {
                    attach_stdin: Some(true),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    tty: Some(command.tty),
                    cmd: Some(command.argv.clone()),
                    env: Some(command.env.clone()),
                    working_dir: Some(command.working_dir.clone()),
                    user: Some(command.user.clone()),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| self.fail(format!("creating a command in container {container}"), e))?;
        Ok(created.id)
    }

    /// Start a created command, attached: what it prints, and its standard input.
    pub(crate) async fn start_exec(&self, exec_id: &str, tty: bool) -> Result<ExecStream> {
        let docker = self.client().await?;
        let started = docker
            .start_exec(
                exec_id,
                Some(StartExecOptions {
                    detach: false,
                    tty,
                    output_capacity: None,
                }),
            )
            .await
            .map_err(|e| self.fail(format!("starting command {exec_id}"), e))?;
        let StartExecResults::Attached { output, input } = started else {
            return Err(Error::Other("the engine detached the command".into()));
        };
        let engine = self.clone();
        let doing = format!("reading the output of command {exec_id}");
        let output = output.map(move |item| {
            item.map(output_of)
                .map_err(|e| engine.fail(doing.clone(), e))
        });
        Ok(ExecStream {
            exec_id: exec_id.to_string(),
            output: Box::pin(output),
            input,
        })
    }

    /// Whether a command still runs, and its exit code.
    pub(crate) async fn exec_state(&self, exec_id: &str) -> Result<ExecState> {
        let docker = self.client().await?;
        let inspect = docker
            .inspect_exec(exec_id)
            .await
            .map_err(|e| self.fail(format!("inspecting command {exec_id}"), e))?;
        Ok(ExecState {
            running: inspect.running == Some(true),
            exit_code: inspect.exit_code,
        })
    }

    /// Tell a command's terminal its size.
    pub(crate) async fn resize_exec(&self, exec_id: &str, cols: u16, rows: u16) -> Result<()> {
        let docker = self.client().await?;
        docker
            .resize_exec(
                exec_id,
                ResizeExecOptions {
                    height: rows,
                    width: cols,
                },
            )
            .await
            .map_err(|e| self.fail(format!("resizing the terminal of command {exec_id}"), e))
    }
}

fn output_of(output: LogOutput) -> Output {
    match output {
        LogOutput::StdOut { message } => Output::Stdout(message.into()),
        LogOutput::StdErr { message } => Output::Stderr(message.into()),
        LogOutput::StdIn { message } => Output::Stdin(message.into()),
        LogOutput::Console { message } => Output::Console(message.into()),
    }
}
