//! Commands in a sandbox (S6): run a command and collect its output and exit code, stream one (the CLI's `exec`
//! and `ssh`), and interactive terminal sessions for the UI whose output goes out as events.

use futures_util::StreamExt;
use sbx_api::{ApiError, ExecOutput, ExecRequest, SandboxState, UiEvent};
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::engine::exec::Command;
use crate::{Core, Error, Result};

pub use crate::engine::{ExecStream, Output};

/// The interactive shell: bash when the image has it, else sh.
pub const SHELL: &[&str] = &[
    "/bin/sh",
    "-c",
    "if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi",
];

/// Open terminal sessions of the UI.
#[derive(Default)]
pub struct Terminals {
    sessions: Mutex<HashMap<String, TerminalSession>>,
}

impl std::fmt::Debug for Terminals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Terminals")
    }
}

struct TerminalSession {
    input: Arc<tokio::sync::Mutex<Pin<Box<dyn AsyncWrite + Send>>>>,
    reader: tokio::task::JoinHandle<()>,
}

impl Core {
    /// The container id of a sandbox that is running (or setting up); a clear error otherwise.
    pub(crate) async fn running_container(&self, name: &str) -> Result<String> {
        let view = self.get_sandbox(name).await?;
        match (view.state, view.container_id) {
            (SandboxState::Running | SandboxState::SettingUp, Some(id)) => Ok(id),
            (state, _) => Err(ApiError::conflict(format!(
                "sandbox '{name}' is not running (it is {state}); start it first"
            ))
            .into()),
        }
    }

    /// Start `argv` in the sandbox, in its working directory, as root; `tty` allocates a terminal.
    pub async fn exec_start(&self, name: &str, argv: &[String], tty: bool) -> Result<ExecStream> {
        if argv.is_empty() || argv[0].is_empty() {
            return Err(
                ApiError::invalid(sbx_api::Field::Command, "", "give a command to run").into(),
            );
        }
        let record = self.sandbox_record(name).await?;
        let container = self.running_container(name).await?;
        let mut env = vec!["TERM=xterm-256color".to_string()];
        env.push(format!("AMIKA_AGENT_CWD={}", record.spec.agent_cwd));
        let secrets = self
            .secrets()
            .get(&record.spec.id)
            .map_err(|e| Error::io("reading the sandbox's secret variables", e))?;
        env.extend(
            secrets
                .into_iter()
                .map(|(name, value)| format!("{name}={value}")),
        );
        let command = Command {
            argv: argv.to_vec(),
            env,
            working_dir: record.spec.agent_cwd.clone(),
            user: "0:0".to_string(),
            tty,
        };
        let exec_id = self.engine().create_exec(&container, &command).await?;
        self.touch_active(&record.spec.id).await?;
        self.engine().start_exec(&exec_id, tty).await
    }

    /// The exit code of a finished command (waits briefly for the engine to record it).
    pub async fn exec_exit_code(&self, exec_id: &str) -> Result<i64> {
        for _ in 0..100 {
            let state = self.engine().exec_state(exec_id).await?;
            if !state.running {
                return Ok(state.exit_code.unwrap_or(-1));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(Error::Other(
            "the command did not report an exit code".into(),
        ))
    }

    /// Tell a command's terminal its size.
    pub async fn resize_exec(&self, exec_id: &str, cols: u16, rows: u16) -> Result<()> {
        self.engine().resize_exec(exec_id, cols, rows).await
    }

    /// Run a command to the end and collect what it printed and its exit code.
    pub async fn exec_collect(&self, request: &ExecRequest) -> Result<ExecOutput> {
        let mut stream = self.exec_start(&request.name, &request.argv, false).await?;
        let _ = stream.input.shutdown().await;
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        while let Some(item) = stream.output.next().await {
            match item? {
                Output::Stdout(bytes) | Output::Console(bytes) => stdout.extend_from_slice(&bytes),
                Output::Stderr(bytes) => stderr.extend_from_slice(&bytes),
                Output::Stdin(_) => {}
            }
        }
        let exit_code = self.exec_exit_code(&stream.exec_id).await?;
        Ok(ExecOutput {
            exit_code,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }

    /// Open an interactive shell in the sandbox for the UI; its output is emitted as
    /// [`UiEvent::TerminalOutput`]. Returns the session id.
    pub async fn open_terminal(
        self: &Arc<Self>,
        name: &str,
        cols: u16,
        rows: u16,
    ) -> Result<String> {
        let argv: Vec<String> = SHELL.iter().map(|s| s.to_string()).collect();
        let stream = self.exec_start(name, &argv, true).await?;
        if cols > 0 && rows > 0 {
            let _ = self.resize_exec(&stream.exec_id, cols, rows).await;
        }
        let session = uuid::Uuid::new_v4().to_string();
        let mut output = stream.output;
        let core = Arc::clone(self);
        let id = session.clone();
        let reader = tokio::spawn(async move {
            while let Some(Ok(chunk)) = output.next().await {
                core.emit(UiEvent::TerminalOutput {
                    session: id.clone(),
                    data: chunk.to_string(),
                });
            }
            if let Ok(mut sessions) = core.terminals.sessions.lock() {
                sessions.remove(&id);
            }
            core.emit(UiEvent::TerminalClosed { session: id });
        });
        if let Ok(mut sessions) = self.terminals.sessions.lock() {
            sessions.insert(
                session.clone(),
                TerminalSession {
                    input: Arc::new(tokio::sync::Mutex::new(stream.input)),
                    reader,
                },
            );
        }
        Ok(session)
    }

    /// Send keystrokes to a terminal session.
    pub async fn write_terminal(&self, session: &str, data: &str) -> Result<()> {
        let input = self
            .terminals
            .sessions
            .lock()
            .ok()
            .and_then(|s| s.get(session).map(|t| Arc::clone(&t.input)))
            .ok_or_else(|| ApiError::not_found("terminal session", session))?;
        let mut input = input.lock().await;
        input
            .write_all(data.as_bytes())
            .await
            .map_err(|e| Error::io("writing to the terminal", e))?;
        input
            .flush()
            .await
            .map_err(|e| Error::io("writing to the terminal", e))
    }

    /// Close a terminal session (ends its shell).
    pub async fn close_terminal(&self, session: &str) -> Result<()> {
        let removed = self
            .terminals
            .sessions
            .lock()
            .ok()
            .and_then(|mut s| s.remove(session));
        if let Some(terminal) = removed {
            {
                let mut input = terminal.input.lock().await;
                let _ = input.write_all(b"exit\n").await;
                let _ = input.shutdown().await;
            }
            terminal.reader.abort();
            self.emit(UiEvent::TerminalClosed {
                session: session.to_string(),
            });
        }
        Ok(())
    }
}
