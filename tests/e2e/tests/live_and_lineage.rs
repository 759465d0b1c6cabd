//! End-to-end: live state and lineage through the real window (SPEC E3, B3). A sandbox `sbx` makes in another
//! process turns running in the open window within 2 s of its ready line, without a refresh; so does one started
//! from the window after `sbx` stopped it. A chain made with `sbx` (sandbox → snapshot → restored sandbox →
//! snapshot) shows as a tree under the newest snapshot's row, each node named, and a sandbox node opens its page.

use anyhow::{Context, Result, bail, ensure};
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;
use sbx_e2e::{TestApp, attr_css, cli_binary, docker, test_image};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// For UI reactions to what the engine did.
const SOON: Duration = Duration::from_secs(20);
/// What the window is allowed after a sandbox's ready line (E3).
const LIVE: Duration = Duration::from_secs(2);
/// A sandbox boot with a 3 s setup script on a slow machine.
const BOOT: Duration = Duration::from_secs(90);

/// `sbx` on the app's data dir and scratch home.
fn sbx(app: &TestApp, args: &[&str]) -> Command {
    let mut command = Command::new(cli_binary());
    command
        .args(args)
        .env("SANDBOX_DESKTOP_HOME", app.home.path())
        .env("HOME", app.user_home.path())
        .stdin(Stdio::null());
    command
}

/// Run `sbx args` to the end; its stdout, or an error with what it printed.
fn sbx_ok(app: &TestApp, args: &[&str]) -> Result<String> {
    let out = sbx(app, args)
        .output()
        .with_context(|| format!("running sbx {args:?}"))?;
    if !out.status.success() {
        bail!(
            "sbx {args:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// How many ready lines the sandbox container `container` has printed so far.
async fn ready_lines(container: &str) -> Result<usize> {
    let docker = docker().await?;
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .build();
    let mut logs = docker.logs(container, Some(options));
    let mut text = String::new();
    while let Some(chunk) = logs.next().await {
        match chunk {
            Ok(chunk) => text.push_str(&chunk.to_string()),
            // The container is not there yet.
            Err(_) => return Ok(0),
        }
    }
    Ok(text
        .lines()
        .filter(|l| l.contains("[amikad] ready"))
        .count())
}

/// Poll the container's log every 50 ms until it has printed `count` ready lines; the moment it was seen.
async fn wait_for_ready_line(
    container: &str,
    count: usize,
    child: &mut Option<Child>,
) -> Result<Instant> {
    let deadline = Instant::now() + BOOT;
    loop {
        if ready_lines(container).await? >= count {
            return Ok(Instant::now());
        }
        if let Some(process) = child.as_mut()
            && let Some(status) = process.try_wait()?
            && !status.success()
        {
            bail!("sbx ended with {status} before {container} was ready");
        }
        ensure!(
            Instant::now() < deadline,
            "{container} printed no ready line #{count} in {BOOT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Wait until the sandbox's row shows `running`, and say how long after `since` that was.
async fn running_after(app: &TestApp, name: &str, since: Instant) -> Result<Duration> {
    app.wait_for_sandbox_status(name, "running", SOON).await?;
    Ok(since.elapsed())
}

#[tokio::test]
#[ignore = "needs the built app, a display and tauri-driver: run through `cargo xtask test`"]
async fn a_sandbox_made_or_started_elsewhere_turns_running_within_two_seconds_of_its_ready_line()
-> Result<()> {
    let app = TestApp::launch().await?;
    app.wait_for_text("No sandboxes yet", SOON).await?;
    let name = "e2e-live";
    let container = format!("sbx-{name}");

    // Made by `sbx` in another process, with a 3 s setup script: the window hears of the ready line by itself.
    let script = app.work.path().join("setup.sh");
    std::fs::write(&script, "sleep 3\n")?;
    let script = script.display().to_string();
    let image = test_image();
    let mut child = Some(
        sbx(
            &app,
            &[
                "sandbox",
                "create",
                "--name",
                name,
                "--image",
                &image,
                "--setup-script",
                &script,
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?,
    );
    app.wait_for_sandbox_status(name, "setting-up", BOOT)
        .await?;
    let ready = wait_for_ready_line(&container, 1, &mut child).await?;
    let shown = running_after(&app, name, ready).await?;
    ensure!(
        shown <= LIVE,
        "the window showed {name} running {shown:?} after its ready line (at most {LIVE:?})"
    );
    let out = child
        .take()
        .context("the sbx process")?
        .wait_with_output()?;
    ensure!(
        out.status.success(),
        "sbx sandbox create: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Stopped by `sbx`, started from the window: running again within 2 s of the new boot's ready line.
    sbx_ok(&app, &["sandbox", "stop", name])?;
    app.wait_for_sandbox_status(name, "stopped", SOON).await?;
    app.open_sandbox(name).await?;
    app.click_label("Start").await?;
    let ready = wait_for_ready_line(&container, 2, &mut None).await?;
    app.wait_for_detail_status("running", SOON).await?;
    let shown = ready.elapsed();
    ensure!(
        shown <= LIVE,
        "the window showed {name} running {shown:?} after its second ready line (at most {LIVE:?})"
    );
    app.screenshot("live-state").await?;
    app.finish().await
}

#[tokio::test]
#[ignore = "needs the built app, a display and tauri-driver: run through `cargo xtask test`"]
async fn the_lineage_of_a_snapshot_shows_as_a_tree_whose_sandbox_nodes_open_their_page()
-> Result<()> {
    let app = TestApp::launch().await?;
    let image = test_image();
    sbx_ok(
        &app,
        &["sandbox", "create", "--name", "e2e-gen1", "--image", &image],
    )?;
    sbx_ok(
        &app,
        &[
            "snapshot",
            "create",
            "e2e-gen1",
            "--name",
            "e2e-snap1",
            "--mode",
            "full",
        ],
    )?;
    sbx_ok(
        &app,
        &["snapshot", "restore", "e2e-snap1", "--name", "e2e-gen2"],
    )?;
    sbx_ok(
        &app,
        &[
            "snapshot",
            "create",
            "e2e-gen2",
            "--name",
            "e2e-snap2",
            "--mode",
            "full",
        ],
    )?;

    app.go_to("Snapshots").await?;
    app.wait_for_snapshot_status("e2e-snap2", "active", SOON)
        .await?;
    app.click_label("Lineage of e2e-snap2").await?;
    let tree = format!(
        "{} [role=treeitem]",
        attr_css("data-lineage-of", "e2e-snap2")
    );
    app.wait_for_css(&tree, SOON).await?;
    let items = app.client.find_all(fantoccini::Locator::Css(&tree)).await?;
    let mut texts = Vec::new();
    for item in items {
        texts.push(item.text().await?);
    }
    // The chain from the first sandbox down to this snapshot, in that order.
    let order: Vec<usize> = [
        "sandbox e2e-gen1",
        "snapshot e2e-snap1",
        "sandbox e2e-gen2",
        "snapshot e2e-snap2",
    ]
    .iter()
    .map(|node| {
        texts
            .iter()
            .position(|t| t.contains(node))
            .with_context(|| format!("no node `{node}` in the tree {texts:?}"))
    })
    .collect::<Result<_>>()?;
    ensure!(
        order.windows(2).all(|w| w[0] < w[1]),
        "the tree is out of order: {texts:?}"
    );
    let focus = texts.iter().find(|t| t.contains("snapshot e2e-snap2"));
    ensure!(
        focus.is_some_and(|t| t.contains("this snapshot")),
        "the snapshot asked about is not marked: {texts:?}"
    );
    app.screenshot("lineage").await?;

    // A sandbox node opens that sandbox's page.
    let node = format!("{tree} {}", attr_css("title", "Open sandbox e2e-gen1"));
    app.wait_for_css(&node, SOON).await?.click().await?;
    app.wait_for_css_text(".detail-head h1", "e2e-gen1", SOON)
        .await?;
    app.finish().await
}
