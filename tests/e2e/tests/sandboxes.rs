//! End-to-end: sandboxes made, used and removed through the real window against the real engine — the Create
//! Sandbox dialog with a setup script and a port, the live table, the detail page's command runner, Stop and
//! Delete; a failing setup script; a create that fails after the dialog closed; and the dialog's validation as the
//! user types.

use anyhow::{Context, Result, ensure};
use sbx_e2e::{TEST_PRESET, TestApp, attr_css, free_port};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// Long enough for a first build of the test preset and a container start on a slow machine.
const READY: Duration = Duration::from_secs(90);
/// For UI reactions to what the engine did.
const SOON: Duration = Duration::from_secs(20);

/// Open the Create Sandbox dialog from the Sandboxes page.
async fn open_create_dialog(app: &TestApp) -> Result<()> {
    app.click_label("Create Sandbox").await?;
    app.wait_for_css("[role=dialog][aria-label=\"Create Sandbox\"]", SOON)
        .await?;
    Ok(())
}

/// Wait until the terminal's screen shows what `wanted` accepts; answers the screen.
async fn wait_for_screen(
    app: &TestApp,
    what: &str,
    wanted: impl Fn(&str) -> bool,
) -> Result<String> {
    let screen = attr_css("aria-label", "Terminal");
    sbx_e2e::wait_for_shown(what, SOON, || app.text_of(&screen), wanted).await
}

/// GET `/` from 127.0.0.1:`port`; the whole answer.
fn http_get(port: u16) -> Result<String> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

#[tokio::test]
#[ignore = "needs the built app, a display and tauri-driver: run through `cargo xtask test`"]
async fn create_with_setup_and_port_run_a_command_stop_and_delete() -> Result<()> {
    let started = Instant::now();
    let app = TestApp::launch().await?;
    // A fresh data dir: the empty state says what to do next.
    app.wait_for_text("No sandboxes yet", SOON).await?;
    app.screenshot("sandboxes-empty").await?;

    let host_port = free_port()?;
    let name = "web-box";
    open_create_dialog(&app).await?;
    app.fill_label("Name", name).await?;
    app.select_value("Preset", TEST_PRESET).await?;
    app.fill_label("Setup script", "echo ready-from-setup > /root/setup-done")
        .await?;
    app.fill_label("Ports", &format!("{host_port}:8000"))
        .await?;
    ensure!(
        app.is_enabled("Create").await?,
        "Create is disabled with valid fields"
    );
    app.screenshot("create-dialog").await?;
    app.click_label("Create").await?;
    app.wait_for_no_css("[role=dialog]", SOON)
        .await
        .context("the dialog did not close after Create")?;

    // The row appears and reaches running without a refresh.
    app.wait_for_sandbox_status(name, "running", READY).await?;
    let row = app
        .text_of(&attr_css("data-sandbox", name))
        .await?
        .unwrap_or_default();
    ensure!(row.contains(TEST_PRESET), "the row names the preset: {row}");
    ensure!(
        row.contains(&format!("127.0.0.1:{host_port}→8000/tcp")),
        "the row shows the port binding: {row}"
    );
    app.screenshot("sandboxes-list").await?;

    app.open_sandbox(name).await?;
    app.wait_for_detail_status("running", SOON).await?;
    app.wait_for_css_text(
        ".fact-ports",
        &format!("127.0.0.1:{host_port}→8000/tcp"),
        SOON,
    )
    .await?;
    let (output, exit) = app
        .run_command("cat /root/setup-done", "ready-from-setup")
        .await?;
    ensure!(output.trim() == "ready-from-setup", "output: {output}");
    ensure!(exit == "exit code 0", "exit line: {exit}");
    app.screenshot("sandbox-detail").await?;

    // The published port reaches a server started in the sandbox.
    app.run_command(
        "mkdir -p /tmp/www && echo hello-from-the-sandbox > /tmp/www/index.html && httpd -p 8000 -h /tmp/www && echo httpd-started",
        "httpd-started",
    )
    .await?;
    let answer = sbx_e2e::wait_until("an answer on the published port", SOON, || async {
        Ok(http_get(host_port)
            .ok()
            .filter(|a| a.contains("hello-from-the-sandbox")))
    })
    .await?;
    ensure!(answer.starts_with("HTTP/1."), "answer: {answer}");

    // A shell in the sandbox: a line typed in the terminal runs there.
    app.click_label("Open terminal").await?;
    let input = app.by_label("Terminal input").await?;
    sbx_e2e::wait_until("the terminal ready for input", SOON, || async {
        Ok(input.is_enabled().await?.then_some(()))
    })
    .await?;
    app.fill_label("Terminal input", "echo term-$((6*7))\n")
        .await?;
    wait_for_screen(&app, "term-42", |screen| screen.contains("term-42")).await?;
    // The shell redraws each prompt over itself; the screen shows the first prompt once with the command on
    // it, the output, then the next prompt.
    let screen = wait_for_screen(&app, "the prompt after the command", |screen| {
        screen.matches("workspace #").count() >= 2
    })
    .await?;
    ensure!(
        screen.matches("workspace #").count() == 2
            && screen.contains("workspace # echo term-$((6*7))\nterm-42"),
        "one prompt with the command, its output, one new prompt: {screen:?}"
    );
    // Keys typed on the screen itself go to the shell: Tab completes, the up arrow recalls the last line.
    use fantoccini::key::Key;
    let (enter, tab, up, escape) = (
        char::from(Key::Enter),
        char::from(Key::Tab),
        char::from(Key::Up),
        char::from(Key::Escape),
    );
    let screen_element = app.by_label("Terminal").await?;
    screen_element.click().await?;
    screen_element
        .send_keys(&format!("ech{tab}key-$((2*3)){enter}"))
        .await?;
    wait_for_screen(&app, "echo key-$((2*3))", |screen| {
        screen.contains("echo key-$((2*3))")
    })
    .await
    .context("Tab completed the command")?;
    wait_for_screen(&app, "\nkey-6", |screen| screen.contains("\nkey-6")).await?;
    screen_element.send_keys(&format!("{up}{enter}")).await?;
    wait_for_screen(&app, "the recalled line's output", |screen| {
        screen.matches("\nkey-6").count() == 2
    })
    .await?;
    app.screenshot("sandbox-terminal").await?;
    // A full-screen program: vi draws on the alternate screen, and leaving it brings the shell's lines back.
    screen_element
        .send_keys(&format!("vi /tmp/notes.txt{enter}"))
        .await?;
    wait_for_screen(&app, "vi on the whole screen", |screen| {
        screen.lines().filter(|line| *line == "~").count() >= 20
            && screen.contains("/tmp/notes.txt")
            && !screen.contains("key-6")
    })
    .await?;
    screen_element
        .send_keys(&format!("ihello from vi{escape}"))
        .await?;
    wait_for_screen(&app, "hello from vi", |screen| {
        screen.contains("hello from vi")
    })
    .await?;
    app.screenshot("sandbox-terminal-vi").await?;
    // vi tells a lone Escape from the start of a key's sequence by a pause after it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    screen_element.send_keys(&format!(":wq{enter}")).await?;
    let screen = wait_for_screen(&app, "the shell's lines back after vi", |screen| {
        screen.contains("\nkey-6")
    })
    .await?;
    ensure!(
        !screen.lines().any(|line| line == "~"),
        "nothing of vi's screen is left: {screen:?}"
    );
    screen_element
        .send_keys(&format!("cat /tmp/notes.txt{enter}"))
        .await?;
    wait_for_screen(&app, "\nhello from vi\n", |screen| {
        screen.contains("\nhello from vi\n")
    })
    .await
    .context("vi saved the file")?;
    // A lot of output: the screen keeps up, and keeps only the newest part (the start scrolled away for good).
    let long_output = Instant::now();
    screen_element
        .send_keys(&format!("seq 1 60000; echo seq-done{enter}"))
        .await?;
    let screen = wait_for_screen(&app, "the end of the long output", |screen| {
        screen.contains("\nseq-done")
    })
    .await?;
    eprintln!(
        "seq 1 60000 (340 KB) on the terminal's screen after {:?}",
        long_output.elapsed()
    );
    ensure!(
        screen.contains("\n60000\n") && !screen.contains("BusyBox v"),
        "the newest output only: {} bytes, starting {:?}",
        screen.len(),
        screen.chars().take(80).collect::<String>()
    );
    app.click_label("Close terminal").await?;
    app.wait_for_text("No terminal open", SOON).await?;

    // Stop: the state follows.
    app.click_label("Stop").await?;
    app.wait_for_detail_status("stopped", READY).await?;
    app.wait_for_css(&attr_css("aria-label", "Start"), SOON)
        .await
        .context("a stopped sandbox offers Start")?;

    // Delete asks for a confirmation naming the sandbox, then the sandbox goes.
    app.click_label("Delete").await?;
    app.wait_for_css_text(
        &attr_css("aria-label", "Confirm delete"),
        &format!("Delete sandbox {name}?"),
        SOON,
    )
    .await?;
    sbx_e2e::wait_until("the focus on Cancel", SOON, || async {
        Ok((app.focused().await?.label == "Cancel").then_some(()))
    })
    .await?;
    app.click_label("Delete sandbox").await?;
    app.wait_for_text("No sandboxes yet", SOON)
        .await
        .context("after Delete the list is empty again")?;
    let (containers, _, _) = app.engine_objects().await?;
    ensure!(
        containers.is_empty(),
        "containers left in the engine: {containers:?}"
    );

    app.finish().await?;
    eprintln!("create/run/stop/delete took {:?}", started.elapsed());
    Ok(())
}

#[tokio::test]
#[ignore = "needs the built app, a display and tauri-driver: run through `cargo xtask test`"]
async fn a_failing_setup_script_shows_setup_failed_and_its_output() -> Result<()> {
    let started = Instant::now();
    let app = TestApp::launch().await?;
    app.wait_for_text("No sandboxes yet", SOON).await?;
    let name = "broken-setup";
    open_create_dialog(&app).await?;
    app.fill_label("Name", name).await?;
    app.select_value("Preset", TEST_PRESET).await?;
    app.fill_label("Setup script", "echo setup-went-wrong; exit 3")
        .await?;
    app.click_label("Create").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;

    app.wait_for_sandbox_status(name, "setup-failed", READY)
        .await?;
    // The reason is on the badge's tooltip.
    let badge = app
        .wait_for_css(&format!("{} .badge", attr_css("data-sandbox", name)), SOON)
        .await?;
    let reason = badge.attr("title").await?.unwrap_or_default();
    ensure!(
        !reason.trim().is_empty(),
        "the badge has no reason to hover"
    );

    app.open_sandbox(name).await?;
    app.wait_for_detail_status("setup-failed", SOON).await?;
    app.wait_for_css_text("h2.setup-failed", "Setup failed", SOON)
        .await?;
    app.wait_for_css_text(&attr_css("aria-label", "Logs"), "setup-went-wrong", SOON)
        .await?;
    app.screenshot("setup-failed").await?;
    app.finish().await?;
    eprintln!("setup-failed took {:?}", started.elapsed());
    Ok(())
}

#[tokio::test]
#[ignore = "needs the built app, a display and tauri-driver: run through `cargo xtask test`"]
async fn a_create_that_fails_after_the_dialog_closed_says_why_until_dismissed() -> Result<()> {
    let app = TestApp::launch().await?;
    // A preset whose image cannot be built: the dialog accepts it, the build (in the background) fails.
    let preset = app.home.path().join("presets").join("broken");
    std::fs::create_dir_all(&preset)?;
    std::fs::write(
        preset.join("Dockerfile"),
        format!(
            "FROM {}\nRUN echo preset-went-wrong; exit 3\n",
            sbx_e2e::test_image()
        ),
    )?;
    app.wait_for_text("No sandboxes yet", SOON).await?;
    open_create_dialog(&app).await?;
    app.fill_label("Name", "bad-preset").await?;
    app.select_value("Preset", "broken").await?;
    app.click_label("Create").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;

    // The sandbox is undone, and the page says what failed and why.
    app.wait_for_css_text("[data-failed-job]", "Creating bad-preset failed", READY)
        .await?;
    app.wait_for_css_text(
        "[data-failed-job] .failure-reason",
        "invalid preset 'broken': building its image failed",
        SOON,
    )
    .await
    .context("the reason is shown")?;
    ensure!(
        app.sandbox_row_status("bad-preset").await?.is_none(),
        "no row for the undone sandbox"
    );
    let (containers, volumes, _) = app.engine_objects().await?;
    ensure!(
        containers.is_empty() && volumes.is_empty(),
        "nothing left in the engine: {containers:?} {volumes:?}"
    );
    app.screenshot("create-failed").await?;

    // It stays (also across pages) until dismissed.
    app.go_to("Snapshots").await?;
    app.go_to("Sandboxes").await?;
    app.wait_for_css("[data-failed-job]", SOON).await?;
    app.click_label("Dismiss the failure of bad-preset").await?;
    app.wait_for_no_css("[data-failed-job]", SOON).await?;
    app.finish().await?;
    Ok(())
}

#[tokio::test]
#[ignore = "needs the built app, a display and tauri-driver: run through `cargo xtask test`"]
async fn the_dialog_keeps_create_disabled_with_the_reason_while_a_field_is_invalid() -> Result<()> {
    let app = TestApp::launch().await?;
    app.wait_for_text("No sandboxes yet", SOON).await?;
    open_create_dialog(&app).await?;
    app.select_value("Preset", TEST_PRESET).await?;
    ensure!(app.is_enabled("Create").await?, "Create starts enabled");

    // CPUs out of range: the reason beside the field and beside Create.
    app.fill_label("CPUs", "64").await?;
    app.wait_for_css_text("#create-cpus-error", "CPUs must be 1–32", SOON)
        .await?;
    app.wait_for_css_text("#create-fix", "CPUs must be 1–32 (not '64')", SOON)
        .await?;
    ensure!(!app.is_enabled("Create").await?, "Create stays disabled");
    let cpus = app.by_label("CPUs").await?;
    ensure!(
        cpus.attr("aria-invalid").await?.as_deref() == Some("true"),
        "the CPUs field is marked invalid"
    );
    app.screenshot("create-dialog-invalid").await?;

    app.fill_label("CPUs", "2").await?;
    app.wait_for_no_css("#create-cpus-error", SOON).await?;

    // A binding to a reserved container port.
    app.fill_label("Ports", "8080:60900").await?;
    app.wait_for_css_text("#create-ports-error", "8080:60900", SOON)
        .await?;
    app.wait_for_css_text("#create-fix", "reserved", SOON)
        .await?;
    ensure!(!app.is_enabled("Create").await?, "Create stays disabled");

    // A name with capitals and a space.
    app.fill_label("Ports", "").await?;
    app.fill_label("Name", "My Box").await?;
    app.wait_for_css_text("#create-name-error", "My Box", SOON)
        .await?;
    ensure!(!app.is_enabled("Create").await?, "Create stays disabled");

    // Fixed: Create is enabled again and nothing blocks it.
    app.fill_label("Name", "my-box").await?;
    app.wait_for_no_css("#create-fix", SOON).await?;
    ensure!(app.is_enabled("Create").await?, "Create is enabled again");

    // Cancel creates nothing.
    app.click_label("Cancel").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    app.wait_for_text("No sandboxes yet", SOON).await?;
    let (containers, _, _) = app.engine_objects().await?;
    ensure!(containers.is_empty(), "containers: {containers:?}");
    app.finish().await
}

#[tokio::test]
#[ignore = "needs the built app, a display and tauri-driver: run through `cargo xtask test`"]
async fn errors_from_the_app_show_beside_their_field_with_the_focus_there() -> Result<()> {
    let app = TestApp::launch().await?;
    app.wait_for_text("No sandboxes yet", SOON).await?;
    open_create_dialog(&app).await?;
    app.fill_label("Name", "taken").await?;
    app.select_value("Preset", TEST_PRESET).await?;
    app.click_label("Create").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    app.wait_for_sandbox_status("taken", "running", READY)
        .await?;

    // The same name again: the dialog stays open, says so beside Name, and puts the focus there.
    open_create_dialog(&app).await?;
    app.fill_label("Name", "taken").await?;
    app.select_value("Preset", TEST_PRESET).await?;
    app.click_label("Create").await?;
    app.wait_for_css_text("#create-name-error", "'taken'", SOON)
        .await?;
    app.wait_for_css_text("#create-name-error", "already exists", SOON)
        .await?;
    let focused = sbx_e2e::wait_until("the focus on Name", SOON, || async {
        let focused = app.focused().await?;
        Ok((focused.label == "Name").then_some(focused))
    })
    .await?;
    ensure!(focused.tag == "input", "focused: {focused:?}");
    app.screenshot("create-dialog-duplicate-name").await?;

    // A host port something else listens on: refused beside Ports, naming the port; nothing is made.
    let busy = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = busy.local_addr()?.port();
    app.fill_label("Name", "port-clash").await?;
    app.wait_for_no_css("#create-name-error", SOON).await?;
    app.fill_label("Ports", &format!("{port}:80")).await?;
    app.click_label("Create").await?;
    app.wait_for_css_text("#create-ports-error", &port.to_string(), SOON)
        .await?;
    app.wait_for_css_text("#create-ports-error", "already in use", SOON)
        .await?;
    sbx_e2e::wait_until("the focus on Ports", SOON, || async {
        Ok((app.focused().await?.label == "Ports").then_some(()))
    })
    .await?;
    app.screenshot("create-busy-port").await?;
    drop(busy);
    app.click_label("Cancel").await?;
    app.wait_for_no_css("[role=dialog]", SOON).await?;
    ensure!(
        app.sandbox_row_status("port-clash").await?.is_none(),
        "a refused sandbox is listed"
    );
    let (containers, _, _) = app.engine_objects().await?;
    ensure!(containers.len() == 1, "containers: {containers:?}");
    app.finish().await
}
