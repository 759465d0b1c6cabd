//! Commands attached to this terminal (`sbx sandbox exec` and `sbx sandbox ssh`): our stdin goes to the command,
//! its output comes back as it is printed, and its exit code becomes ours.

use futures_util::StreamExt;
use sbx_api::ApiError;
use sbx_core::Core;
use sbx_core::exec::{ExecStream, Output};
use std::process::ExitCode;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The exit code of a process killed by SIGPIPE (128 + 13), used when our output is closed before the command ends.
const SIGPIPE_EXIT: u8 = 141;

/// Puts the terminal in raw mode for as long as it lives (keys go to the sandbox as typed, Ctrl-C included).
struct RawMode;

impl RawMode {
    fn enable() -> Result<RawMode, ApiError> {
        crossterm::terminal::enable_raw_mode()
            .map_err(|e| ApiError::internal(format!("cannot put the terminal in raw mode: {e}")))?;
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// Run `argv` in the sandbox attached to this process, and answer its exit code. With `tty`, the sandbox gets a
/// terminal of our size and ours is put in raw mode until the command ends.
pub async fn run(
    core: &Arc<Core>,
    name: &str,
    argv: &[String],
    tty: bool,
) -> Result<ExitCode, ApiError> {
    let ExecStream {
        exec_id,
        mut output,
        mut input,
    } = core.exec_start(name, argv, tty).await?;
    let raw = if tty { Some(RawMode::enable()?) } else { None };
    let resizer = if tty {
        if let Ok((cols, rows)) = crossterm::terminal::size() {
            let _ = core.resize_exec(&exec_id, cols, rows).await;
        }
        watch_resize(Arc::clone(core), exec_id.clone())
    } else {
        None
    };
    let feeder = tokio::spawn(async move {
        let mut stdin = tokio::io::stdin();
        let mut buffer = vec![0u8; 8192];
        loop {
            match stdin.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if input.write_all(&buffer[..n]).await.is_err() || input.flush().await.is_err()
                    {
                        return;
                    }
                }
            }
        }
        let _ = input.shutdown().await;
    });
    let mut stdout = tokio::io::stdout();
    let mut stderr = tokio::io::stderr();
    let mut failure = None;
    let mut output_closed = false;
    while let Some(item) = output.next().await {
        let written = match item {
            Ok(Output::Stdout(bytes) | Output::Console(bytes)) => {
                write_chunk(&mut stdout, &bytes).await
            }
            Ok(Output::Stderr(bytes)) => write_chunk(&mut stderr, &bytes).await,
            Ok(Output::Stdin(_)) => Ok(()),
            Err(error) => {
                failure = Some(ApiError::from(error));
                break;
            }
        };
        if written.is_err() {
            // Our output is gone (a closed pipe, as with `| head`): stop like a process killed by SIGPIPE.
            output_closed = true;
            break;
        }
    }
    feeder.abort();
    if let Some(resizer) = resizer {
        resizer.abort();
    }
    drop(raw);
    if let Some(error) = failure {
        return Err(error);
    }
    if output_closed {
        return Ok(ExitCode::from(SIGPIPE_EXIT));
    }
    let code = core.exec_exit_code(&exec_id).await?;
    Ok(exit_code(code))
}

async fn write_chunk<W: tokio::io::AsyncWrite + Unpin>(
    out: &mut W,
    bytes: &[u8],
) -> std::io::Result<()> {
    out.write_all(bytes).await?;
    out.flush().await
}

/// The process exit code for a command's exit code: the same when it is 0–255, else 1.
pub fn exit_code(code: i64) -> ExitCode {
    u8::try_from(code)
        .map(ExitCode::from)
        .unwrap_or(ExitCode::FAILURE)
}

/// Tell the sandbox's terminal our new size whenever the window changes.
#[cfg(unix)]
fn watch_resize(core: Arc<Core>, exec_id: String) -> Option<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut changes = signal(SignalKind::window_change()).ok()?;
    Some(tokio::spawn(async move {
        while changes.recv().await.is_some() {
            if let Ok((cols, rows)) = crossterm::terminal::size() {
                let _ = core.resize_exec(&exec_id, cols, rows).await;
            }
        }
    }))
}

#[cfg(not(unix))]
fn watch_resize(_core: Arc<Core>, _exec_id: String) -> Option<tokio::task::JoinHandle<()>> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_pass_through() {
        assert_eq!(exit_code(0), ExitCode::SUCCESS);
        assert_eq!(exit_code(7), ExitCode::from(7));
        assert_eq!(exit_code(255), ExitCode::from(255));
        assert_eq!(exit_code(-1), ExitCode::FAILURE);
        assert_eq!(exit_code(256), ExitCode::FAILURE);
    }
}
