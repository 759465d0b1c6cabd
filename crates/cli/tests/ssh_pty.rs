//! `sbx sandbox ssh` through a pseudo-terminal, as a person uses it: the shell's prompt comes, a command typed in
//! runs in the sandbox and its output is read back, and the shell's exit code becomes `sbx`'s.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::{Cli, name};

/// Read from the terminal (on its own thread) until `wanted` has appeared in what was read, or `timeout`.
fn read_until(
    received: &mpsc::Receiver<Vec<u8>>,
    seen: &mut String,
    wanted: &str,
    timeout: Duration,
) {
    let deadline = Instant::now() + timeout;
    while !seen.contains(wanted) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no {wanted:?} on the terminal; it showed:\n{seen}"
        );
        if let Ok(chunk) = received.recv_timeout(left.min(Duration::from_millis(200))) {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

#[test]
fn ssh_runs_what_is_typed_and_passes_the_exit_code_through() {
    let cli = Cli::new();
    let sandbox = name("ssh");
    cli.plain_sandbox(&sandbox);

    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_sbx"));
    command.args(["sandbox", "ssh", &sandbox]);
    command.cwd(cli.dir.path());
    command.env("SANDBOX_DESKTOP_HOME", cli.data());
    command.env("HOME", cli.home());
    command.env("TERM", "xterm");
    let mut child = pty.slave.spawn_command(command).unwrap();
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().unwrap();
    let mut writer = pty.master.take_writer().unwrap();
    let (sender, received) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buffer) {
            if n == 0 || sender.send(buffer[..n].to_vec()).is_err() {
                break;
            }
        }
    });

    let mut seen = String::new();
    // The shell is interactive (a terminal): it answers a command as soon as it reads one.
    writer.write_all(b"echo ready-$((20 + 22))\r").unwrap();
    read_until(&received, &mut seen, "ready-42", Duration::from_secs(60));
    // Where it runs: the sandbox (its id is in the environment), not this machine.
    writer
        .write_all(b"echo \"in=$AMIKA_SANDBOX_NAME tty=$(tty)\"\r")
        .unwrap();
    read_until(
        &received,
        &mut seen,
        &format!("in={sandbox} tty=/dev/pts/"),
        Duration::from_secs(30),
    );
    writer.write_all(b"exit 7\r").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "sbx did not end; the terminal showed:\n{seen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.exit_code(), 7, "the terminal showed:\n{seen}");

    // The terminal is given back as it was: a second session works the same, and exit 0 is success.
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_sbx"));
    command.args(["sandbox", "ssh", &sandbox]);
    command.cwd(cli.dir.path());
    command.env("SANDBOX_DESKTOP_HOME", cli.data());
    command.env("HOME", cli.home());
    let pty = native_pty_system().openpty(PtySize::default()).unwrap();
    let mut child = pty.slave.spawn_command(command).unwrap();
    drop(pty.slave);
    let mut writer = pty.master.take_writer().unwrap();
    let mut reader = pty.master.try_clone_reader().unwrap();
    std::thread::spawn(move || {
        let mut sink = [0u8; 4096];
        while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
    });
    writer.write_all(b"exit\r").unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the second session did not end");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success());
}
