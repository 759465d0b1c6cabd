//! The test environment: a Docker engine (started here on Linux when none answers), the local test images
//! (built from files on this machine, never pulled), and an X display for the app window.

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::util::{self, cmd, step};

/// A tiny image: busybox from Debian's busybox-static, with /bin/sh and the usual applets.
pub const BUSYBOX_IMAGE: &str = "sandbox-desktop-test/busybox:latest";
/// A Debian image with git, bash, curl, Python 3, Node.js and build tools, from the machine's own apt sources.
pub const DEBIAN_IMAGE: &str = "sandbox-desktop-test/debian:bookworm";

/// Environment the tests read: which images to use, where the display is.
pub fn test_env() -> Vec<(String, String)> {
    vec![
        ("SBX_TEST_IMAGE".into(), BUSYBOX_IMAGE.into()),
        ("SBX_TEST_DEBIAN_IMAGE".into(), DEBIAN_IMAGE.into()),
        // Presets are built FROM this base, so `coder` builds without a registry.
        ("SANDBOX_DESKTOP_BASE_IMAGE".into(), DEBIAN_IMAGE.into()),
    ]
}

fn engine_answers() -> bool {
    cmd("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .succeeds()
}

/// Make sure a Docker engine answers; on Linux, start `dockerd` when none does.
pub fn ensure_engine() -> Result<()> {
    if engine_answers() {
        return Ok(());
    }
    if !cfg!(target_os = "linux") {
        bail!("no Docker engine answers: start Docker Desktop and run this again");
    }
    if std::env::var_os("DOCKER_HOST").is_some() {
        bail!(
            "no Docker engine answers at DOCKER_HOST; start it (or unset DOCKER_HOST) and run this again"
        );
    }
    if !util::is_root() {
        bail!(
            "no Docker engine answers: start it (sudo systemctl start docker) and run this again"
        );
    }
    step("starting the Docker engine (dockerd)");
    let pid = Path::new("/var/run/docker.pid");
    if pid.exists() {
        let stale = std::fs::read_to_string(pid)
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
            .is_none_or(|p| !Path::new(&format!("/proc/{p}")).exists());
        if stale {
            let _ = std::fs::remove_file(pid);
        }
    }
    let log = util::cache_dir().join("dockerd.log");
    cmd("dockerd").spawn_logged(&log)?;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if engine_answers() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    bail!("dockerd did not answer within 60 s; see {}", log.display())
}

/// Before `run`: an engine for the window to talk to, so Create Sandbox works in the window it opens. On Linux,
/// install `docker.io` when `dockerd` is missing and start it as `test` does; on macOS and Windows the engine is
/// Docker Desktop's, which only the user can start: say so (the window connects once it answers).
pub fn ensure_engine_for_run() -> Result<()> {
    if engine_answers() {
        return Ok(());
    }
    if !cfg!(target_os = "linux") {
        step(
            "no Docker engine answers: start Docker Desktop (the window shows \"engine unreachable\" and connects \
             once it is up)",
        );
        return Ok(());
    }
    if !util::on_path("dockerd") && std::env::var_os("DOCKER_HOST").is_none() {
        step("no Docker engine answers and none is installed: installing docker.io");
        crate::setup::ensure_debian_packages(&["docker.io"])?;
    }
    ensure_engine()
}

fn image_exists(name: &str) -> bool {
    cmd("docker").args(["image", "inspect", name]).succeeds()
}

/// Build the test images when missing (no registry is used).
pub fn ensure_test_images() -> Result<()> {
    if !image_exists(BUSYBOX_IMAGE) {
        step(&format!("building {BUSYBOX_IMAGE} from busybox-static"));
        let busybox = ["/bin/busybox", "/usr/bin/busybox"]
            .into_iter()
            .find(|p| Path::new(p).is_file())
            .context("busybox-static is not installed")?;
        let dir = tempdir("busybox-rootfs")?;
        let script = format!(
            "set -e; cd '{d}'; mkdir -p bin usr/bin sbin tmp etc root home var/lib; cp {busybox} bin/busybox; \
             for a in $(./bin/busybox --list); do [ -e bin/$a ] || ln -s busybox bin/$a; done; \
             echo 'root:x:0:0:root:/root:/bin/sh' > etc/passwd; echo 'root:x:0:' > etc/group; chmod 1777 tmp; \
             tar -C '{d}' -c . | docker import -c 'CMD [\"/bin/sh\"]' -c 'ENV PATH=/bin:/usr/bin:/sbin' - {BUSYBOX_IMAGE}",
            d = dir.display()
        );
        cmd("sh").args(["-c", &script]).run()?;
        let _ = std::fs::remove_dir_all(&dir);
    }
    if !image_exists(DEBIAN_IMAGE) {
        step(&format!(
            "building {DEBIAN_IMAGE} with mmdebstrap (from this machine's apt sources)"
        ));
        let dir = tempdir("debian-rootfs")?;
        let tarball = dir.join("rootfs.tar");
        cmd("mmdebstrap")
            .args([
                "--variant=apt",
                "--include=git,ca-certificates,bash,curl,python3,nodejs,build-essential,procps",
                "bookworm",
            ])
            .args([&tarball])
            .run()?;
        cmd("docker")
            .args([
                "import",
                "-c",
                "CMD [\"/bin/bash\"]",
                "-c",
                "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ])
            .args([&tarball])
            .arg1(DEBIAN_IMAGE)
            .run()?;
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

fn tempdir(name: &str) -> Result<std::path::PathBuf> {
    let dir = util::cache_dir().join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// An X display for the app window: `DISPLAY` when it answers, else one on `:99` (or the next free number) that
/// answers already or that an Xvfb started here serves.
///
/// A socket file alone proves nothing: when an Xvfb is killed, `/tmp/.X11-unix/X99` and `/tmp/.X99-lock` stay
/// behind, and an app pointed at them hangs before its window opens. So a display must accept a connection (on
/// its socket file or, on Linux, its abstract socket); a dead one's files are removed before a fresh Xvfb starts,
/// and a number another X server holds is skipped.
pub fn ensure_display() -> Result<String> {
    if let Ok(display) = std::env::var("DISPLAY")
        && !display.is_empty()
    {
        match local_display_number(&display) {
            Some(number) if !display_answers(number) => {
                step(&format!(
                    "DISPLAY={display} does not answer; using an Xvfb of our own"
                ));
            }
            _ => return Ok(display),
        }
    }
    if !cfg!(target_os = "linux") {
        return Ok(String::new());
    }
    let mut failures = Vec::new();
    for number in 99..110 {
        if display_answers(number) {
            return Ok(format!(":{number}"));
        }
        match start_xvfb(number)? {
            None => return Ok(format!(":{number}")),
            Some(failure) => failures.push(format!(":{number}: {failure}")),
        }
    }
    bail!("no Xvfb could start:\n{}", failures.join("\n"))
}

/// Start an Xvfb on display `number` and wait until it answers. `Some(reason)` when it exited instead (e.g.
/// another X server holds the number).
fn start_xvfb(number: u32) -> Result<Option<String>> {
    let socket = x_socket(number);
    if socket.exists() {
        step(&format!(
            "removing the socket and lock of an X server that is gone (:{number})"
        ));
        std::fs::remove_file(&socket).with_context(|| format!("removing {}", socket.display()))?;
        let lock = std::path::PathBuf::from(format!("/tmp/.X{number}-lock"));
        if lock.exists() {
            std::fs::remove_file(&lock).with_context(|| format!("removing {}", lock.display()))?;
        }
    }
    step(&format!("starting Xvfb on :{number}"));
    let log = util::cache_dir().join(format!("xvfb-{number}.log"));
    let mut xvfb = cmd("Xvfb")
        .args([
            &format!(":{number}"),
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .spawn_logged(&log)?;
    let started = Instant::now();
    while !display_answers(number) {
        if let Some(status) = xvfb.try_wait()? {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            return Ok(Some(format!("Xvfb exited ({status}): {}", tail.trim())));
        }
        if started.elapsed() > Duration::from_secs(20) {
            bail!("Xvfb did not answer within 20 s; see {}", log.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(None)
}

/// The number of a local display such as `:0` or `:99.0`; `None` for a remote or unusual one.
fn local_display_number(display: &str) -> Option<u32> {
    display.strip_prefix(':')?.split('.').next()?.parse().ok()
}

/// The socket file of display `number`.
fn x_socket(number: u32) -> std::path::PathBuf {
    Path::new("/tmp/.X11-unix").join(format!("X{number}"))
}

/// Whether an X server accepts connections for display `number`: on its socket file, or (Linux) on the abstract
/// socket X clients try first.
fn display_answers(number: u32) -> bool {
    #[cfg(unix)]
    {
        if std::os::unix::net::UnixStream::connect(x_socket(number)).is_ok() {
            return true;
        }
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::linux::net::SocketAddrExt;
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::net::{SocketAddr, UnixStream};
        // The abstract name is the socket file's path.
        let socket = x_socket(number);
        if let Ok(address) = SocketAddr::from_abstract_name(socket.as_os_str().as_bytes())
            && UnixStream::connect_addr(&address).is_ok()
        {
            return true;
        }
    }
    false
}
