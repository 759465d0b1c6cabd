//! Command-line tests of `sbx` that need no Docker engine: help texts, flag conflicts and invalid values.
//!
//! Every run gets its own data dir and a `DOCKER_HOST` pointing at a socket that does not exist, so no test can
//! touch a real engine; the values checked here are rejected before the engine is needed.

use std::path::Path;
use std::process::{Command, Output};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn sbx_in(home: &Path, args: &[&str]) -> Run {
    let socket = home.join("no-engine.sock");
    let output: Output = Command::new(env!("CARGO_BIN_EXE_sbx"))
        .args(args)
        .env("SANDBOX_DESKTOP_HOME", home)
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .env("HOME", home)
        .env_remove("RUST_LOG")
        .current_dir(home)
        .output()
        .expect("run sbx");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn sbx(args: &[&str]) -> Run {
    let home = tempfile::tempdir().expect("temp dir");
    sbx_in(home.path(), args)
}

/// Exit code 1 and exactly one stderr line starting `sbx:`; returns that line.
fn one_line_failure(args: &[&str]) -> String {
    let run = sbx(args);
    assert_eq!(run.code, Some(1), "{args:?}: stderr {:?}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: stderr {:?}", run.stderr);
    assert!(lines[0].starts_with("sbx: "), "{args:?}: {:?}", lines[0]);
    assert!(run.stdout.is_empty(), "{args:?}: stdout {:?}", run.stdout);
    lines[0].to_string()
}

fn help(args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.push("--help");
    let run = sbx(&all);
    assert_eq!(run.code, Some(0), "{all:?}: {}", run.stderr);
    run.stdout
}

fn assert_mentions(text: &str, words: &[&str]) {
    for word in words {
        assert!(text.contains(word), "help lacks {word}:\n{text}");
    }
}

#[test]
fn create_help_lists_every_flag_and_the_example() {
    let text = help(&["sandbox", "create"]);
    let flags = [
        "--name",
        "--preset",
        "--image",
        "--env",
        "--port",
        "--cpus",
        "--memory",
        "--setup-script",
        "--no-setup",
        "--git",
        "--no-git",
        "--branch",
        "--no-clean",
        "--no-credentials",
        "--auto-stop",
        "--auto-delete",
        "--snapshot",
        "--no-snapshot",
        "--snapshot-schedule",
        "--json",
    ];
    assert_eq!(flags.len(), 20);
    assert_mentions(&text, &flags);
    assert_mentions(
        &text,
        &["sbx sandbox create --name base-box --preset coder --git --no-setup"],
    );
}

#[test]
fn help_of_every_command_lists_its_flags() {
    assert_mentions(
        &help(&[]),
        &[
            "engine", "sandbox", "snapshot", "volume", "config", "repo", "serve", "api",
        ],
    );
    assert_mentions(&help(&["serve"]), &["--api", "--port", "--listen", "7323"]);
    assert_mentions(&help(&["api", "token"]), &["--rotate", "x-api-key"]);
    assert_mentions(
        &help(&["sandbox"]),
        &[
            "create", "list", "show", "start", "stop", "restart", "delete", "logs", "exec", "ssh",
            "clone",
        ],
    );
    assert_mentions(&help(&["sandbox", "list"]), &["--json"]);
    assert_mentions(&help(&["sandbox", "show"]), &["<NAME>", "--json"]);
    assert_mentions(&help(&["sandbox", "start"]), &["<NAME>", "--json"]);
    assert_mentions(&help(&["sandbox", "stop"]), &["<NAME>", "--json"]);
    assert_mentions(&help(&["sandbox", "restart"]), &["<NAME>", "--json"]);
    assert_mentions(&help(&["sandbox", "delete"]), &["<NAME>", "--force"]);
    assert_mentions(
        &help(&["sandbox", "logs"]),
        &["<NAME>", "--setup", "--follow", "-f", "--tail"],
    );
    assert_mentions(&help(&["sandbox", "exec"]), &["<NAME>", "<CMD>"]);
    assert_mentions(&help(&["sandbox", "ssh"]), &["<NAME>"]);
    assert_mentions(
        &help(&["sandbox", "clone"]),
        &[
            "<NAME>",
            "--name",
            "--snapshot-name",
            "--cpus",
            "--memory",
            "--image",
            "--json",
        ],
    );
    assert_mentions(
        &help(&["snapshot"]),
        &[
            "create", "list", "show", "restore", "delete", "export", "import",
        ],
    );
    assert_mentions(
        &help(&["snapshot", "create"]),
        &[
            "<SANDBOX>",
            "--name",
            "--mode",
            "scrub",
            "full",
            "--quick",
            "--json",
        ],
    );
    assert_mentions(
        &help(&["snapshot", "list"]),
        &["--sandbox", "--page", "--limit", "--json"],
    );
    assert_mentions(&help(&["snapshot", "show"]), &["<NAME>", "--json"]);
    assert_mentions(
        &help(&["snapshot", "restore"]),
        &[
            "--name",
            "--cpus",
            "--memory",
            "--no-setup",
            "--credentials",
            "--json",
        ],
    );
    assert_mentions(&help(&["snapshot", "delete"]), &["<NAME>"]);
    assert_mentions(
        &help(&["snapshot", "export"]),
        &["<NAME>", "<FILE>", "--include-secrets"],
    );
    assert_mentions(&help(&["snapshot", "import"]), &["<FILE>", "--json"]);
    assert_mentions(&help(&["volume"]), &["list", "delete"]);
    assert_mentions(&help(&["volume", "list"]), &["--json"]);
    assert_mentions(&help(&["volume", "delete"]), &["<NAME>"]);
    assert_mentions(&help(&["config", "explain"]), &["[PATH]", "--json"]);
    assert_mentions(&help(&["repo", "default"]), &["show", "set", "unset"]);
    assert_mentions(&help(&["repo", "default", "show"]), &["<PATH>", "--json"]);
    assert_mentions(
        &help(&["repo", "default", "set"]),
        &["<PATH>", "<SNAPSHOT>", "--json"],
    );
    assert_mentions(&help(&["repo", "default", "unset"]), &["<PATH>", "--json"]);
    assert_mentions(&help(&["engine"]), &["--json"]);
}

#[test]
fn conflicting_flags_are_one_line() {
    let line = one_line_failure(&["sandbox", "create", "--git", "x", "--no-git"]);
    assert!(line.contains("--no-git"), "{line}");
    let line = one_line_failure(&["sandbox", "create", "--git", "--no-git"]);
    assert!(line.contains("--no-git"), "{line}");
    let line = one_line_failure(&["sandbox", "create", "--snapshot", "s", "--no-snapshot"]);
    assert!(line.contains("--no-snapshot"), "{line}");
}

#[test]
fn usage_errors_are_one_line() {
    one_line_failure(&["sandbox"]);
    one_line_failure(&["sandbox", "frobnicate"]);
    one_line_failure(&["sandbox", "create", "--cpus", "many"]);
    one_line_failure(&["sandbox", "exec", "box"]);
    one_line_failure(&["snapshot", "create", "box"]);
    one_line_failure(&["snapshot", "create", "box", "--name", "s", "--mode", "half"]);
}

#[test]
fn invalid_create_values_are_one_line_before_the_engine() {
    let cases: [(&[&str], &str); 6] = [
        (&["--name", "Bad_Name"], "invalid name 'Bad_Name'"),
        (&["--cpus", "64"], "invalid cpus '64'"),
        (&["--memory", "64"], "invalid memory '64'"),
        (&["--port", "8080:60900"], "invalid port '8080:60900'"),
        (&["--auto-stop", "20000"], "invalid auto-stop '20000'"),
        (
            &["--snapshot-schedule", "* * *"],
            "invalid snapshot-schedule '* * *'",
        ),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["sandbox", "create", "--no-git"];
        args.extend_from_slice(flags);
        let line = one_line_failure(&args);
        assert!(line.contains(expected), "{args:?}: {line}");
    }
}

#[test]
fn snapshot_list_limit_zero_is_one_line() {
    let line = one_line_failure(&["snapshot", "list", "--limit", "0"]);
    assert!(line.contains("invalid limit '0'"), "{line}");
    let line = one_line_failure(&["snapshot", "list", "--page", "0"]);
    assert!(line.contains("invalid page '0'"), "{line}");
}

#[test]
fn empty_lists_need_no_engine() {
    let home = tempfile::tempdir().expect("temp dir");
    let run = sbx_in(home.path(), &["snapshot", "list", "--json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let page: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON page");
    assert_eq!(page["total"], 0);
    assert_eq!(page["page"], 1);
    assert_eq!(page["limit"], 50);
}

#[test]
fn missing_objects_are_one_line() {
    let line = one_line_failure(&["snapshot", "show", "nope"]);
    assert_eq!(line, "sbx: snapshot 'nope' not found");
    let line = one_line_failure(&["snapshot", "delete", "nope"]);
    assert_eq!(line, "sbx: snapshot 'nope' not found");
}

#[test]
fn engine_unreachable_is_reported() {
    let run = sbx(&["engine", "--json"]);
    assert_eq!(run.code, Some(1));
    let status: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON status");
    assert_eq!(status["state"], "unreachable");
}
