//! Files and folders only the user can read: the data dir (0700), the database, the secret store and the settings
//! (0600), private from the moment they are created (never created open and restricted afterwards).
//!
//! On Windows the data dir is under the user's profile, whose access list already keeps other users out; the mode
//! bits are a Unix notion, so these calls only create there.

use std::io::Write;
use std::path::Path;

/// Create `dir` (and its parents) if missing, and make it 0700.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if !dir.is_dir() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
        if mode != 0o700 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Make sure `file` exists and is 0600, creating it empty if missing (for files another library then opens:
/// SQLite, which gives its WAL and shared-memory files the mode of the database file).
pub fn touch(file: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let handle = options.open(file)?;
    restrict(&handle)
}

/// Replace `file` with `bytes`: written to a 0600 file beside it, then renamed over it, so no reader ever sees a
/// half-written file and the content is never readable by others.
pub fn write(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or_else(|| Path::new("."));
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let mut options = std::fs::OpenOptions::new();
    options.create_new(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut handle = options.open(&temp)?;
        restrict(&handle)?;
        handle.write_all(bytes)?;
        handle.sync_all()?;
        std::fs::rename(&temp, file)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(unix)]
fn restrict(handle: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if handle.metadata()?.permissions().mode() & 0o777 != 0o600 {
        handle.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_handle: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn everything_is_private_from_creation() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("a/b");
        create_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700, "an existing open dir is closed");
        let file = dir.join("f");
        write(&file, b"one").unwrap();
        assert_eq!(mode(&file), 0o600);
        write(&file, b"two").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"two");
        let other = dir.join("g");
        std::fs::write(&other, b"x").unwrap();
        std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).unwrap();
        touch(&other).unwrap();
        assert_eq!(mode(&other), 0o600);
        assert_eq!(
            std::fs::read(&other).unwrap(),
            b"x",
            "touch keeps the content"
        );
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            2,
            "no temp file left"
        );
    }
}
