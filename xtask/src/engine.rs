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
    std::fs::create_dir_all(util::cache_dir())?;
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

/// An X display for the app window: `DISPLAY` when it answers, else an Xvfb started here (`:99`).
///
/// A socket file alone proves nothing: when an Xvfb is killed, `/tmp/.X11-unix/X99` and `/tmp/.X99-lock`
/// stay behind, and an app pointed at them hangs before its window opens. So the socket must accept a
/// connection; a dead one is removed with its lock before a fresh Xvfb starts.
pub fn ensure_display() -> Result<String> {
    if let Ok(display) = std::env::var("DISPLAY")
        && !display.is_empty()
    {
        match local_display_socket(&display) {
            Some(socket) if !socket_answers(&socket) => {
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
    let display = ":99";
    let socket = Path::new("/tmp/.X11-unix/X99");
    if socket_answers(socket) {
        return Ok(display.to_string());
    }
    if socket.exists() {
        step("removing the socket and lock of an Xvfb that is gone (:99)");
        std::fs::remove_file(socket).with_context(|| format!("removing {}", socket.display()))?;
        let lock = Path::new("/tmp/.X99-lock");
        if lock.exists() {
            std::fs::remove_file(lock).with_context(|| format!("removing {}", lock.display()))?;
        }
    }
    step("starting Xvfb on :99");
    let log = util::cache_dir().join("xvfb.log");
    let mut xvfb = cmd("Xvfb")
        .args([display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
        .spawn_logged(&log)?;
    let started = Instant::now();
    while !socket_answers(socket) {
        if let Some(status) = xvfb.try_wait()? {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            bail!("Xvfb exited ({status}) before it answered:\n{tail}");
        }
        if started.elapsed() > Duration::from_secs(20) {
            bail!("Xvfb did not answer within 20 s; see {}", log.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(display.to_string())
}

/// The Unix socket of a local display such as `:0` or `:99.0`; `None` for a remote or unusual one.
fn local_display_socket(display: &str) -> Option<std::path::PathBuf> {
    let number = display.strip_prefix(':')?.split('.').next()?;
    number.parse::<u32>().ok()?;
    Some(Path::new("/tmp/.X11-unix").join(format!("X{number}")))
}

/// Whether a Unix socket accepts a connection (an X server listening behind it).
#[cfg(unix)]
fn socket_answers(socket: &Path) -> bool {
    std::os::unix::net::UnixStream::connect(socket).is_ok()
}

#[cfg(not(unix))]
fn socket_answers(_socket: &Path) -> bool {
    false
}
