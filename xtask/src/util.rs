//! Running commands with readable progress lines, and the paths xtask works with.

use anyhow::{Context, Result, bail};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The repository root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

/// Where downloads and built tools are kept between runs (survives fresh clones on the same machine).
pub fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| root().join(".cache"));
    base.join("sandbox-desktop-xtask")
}

/// Print a step heading.
pub fn step(text: &str) {
    eprintln!("==> {text}");
}

/// A command to run from the repository root.
pub struct Cmd {
    inner: Command,
    shown: String,
}

/// `program` with no arguments yet.
pub fn cmd(program: impl AsRef<OsStr>) -> Cmd {
    let mut inner = Command::new(program.as_ref());
    inner.current_dir(root());
    Cmd {
        inner,
        shown: program.as_ref().to_string_lossy().into_owned(),
    }
}

/// `cargo` with `args`.
pub fn cargo(args: &[&str]) -> Cmd {
    let mut c = cmd(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.args(args.iter().copied());
    c
}

impl Cmd {
    /// Add arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for arg in args {
            self.shown.push(' ');
            self.shown.push_str(&arg.as_ref().to_string_lossy());
            self.inner.arg(arg);
        }
        self
    }

    /// Set an environment variable.
    pub fn env(&mut self, key: &str, value: impl AsRef<OsStr>) -> &mut Cmd {
        self.inner.env(key, value);
        self
    }

    /// Set several environment variables.
    pub fn env_pairs(&mut self, pairs: Vec<(String, String)>) -> &mut Cmd {
        for (k, v) in pairs {
            self.inner.env(k, v);
        }
        self
    }

    /// Remove an environment variable.
    pub fn env_remove(&mut self, key: &str) -> &mut Cmd {
        self.inner.env_remove(key);
        self
    }

    /// Run in `dir` instead of the repository root.
    pub fn dir(&mut self, dir: impl AsRef<Path>) -> &mut Cmd {
        self.inner.current_dir(dir);
        self
    }

    /// Run with inherited output; fail unless it exits 0.
    pub fn run(&mut self) -> Result<()> {
        let status = self
            .inner
            .status()
            .with_context(|| format!("could not start `{}`", self.shown))?;
        if !status.success() {
            bail!("`{}` failed ({status})", self.shown);
        }
        Ok(())
    }

    /// Run quietly; true when it exits 0 (false also when it cannot start).
    pub fn succeeds(&mut self) -> bool {
        self.inner
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    /// Run and capture standard output; fail unless it exits 0.
    pub fn read(&mut self) -> Result<String> {
        let output = self
            .inner
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| format!("could not start `{}`", self.shown))?;
        if !output.status.success() {
            bail!("`{}` failed ({})", self.shown, output.status);
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Run and capture standard output, hiding standard error; `None` unless it exits 0.
    pub fn read_quiet(&mut self) -> Option<String> {
        let output = self
            .inner
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Run with standard output and error going to `log` (overwritten); fail unless it exits 0.
    pub fn run_logged(&mut self, log: &Path) -> Result<()> {
        let mut child = self.spawn_logged(log)?;
        let status = child
            .wait()
            .with_context(|| format!("waiting for `{}`", self.shown))?;
        if !status.success() {
            bail!("`{}` failed ({status}); see {}", self.shown, log.display());
        }
        Ok(())
    }

    /// Start in the background, detached from our terminal, output to `log` (its folder is made if missing).
    pub fn spawn_logged(&mut self, log: &Path) -> Result<std::process::Child> {
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("could not create {}", dir.display()))?;
        }
        let file = std::fs::File::create(log)
            .with_context(|| format!("could not create {}", log.display()))?;
        let err = file.try_clone()?;
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            self.inner.process_group(0);
        }
        self.inner
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .with_context(|| format!("could not start `{}`", self.shown))
    }
}

/// Whether `program` is on PATH.
pub fn on_path(program: &str) -> bool {
    which(program).is_some()
}

/// The full path of `program` on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Whether this process runs as root (Unix).
pub fn is_root() -> bool {
    cmd("id")
        .arg1("-u")
        .read()
        .map(|s| s.trim() == "0")
        .unwrap_or(false)
}

impl Cmd {
    /// Add one argument.
    pub fn arg1(&mut self, arg: &str) -> &mut Cmd {
        self.args([arg])
    }
}
