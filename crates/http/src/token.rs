//! The API key: 256 random bits, written hex-encoded to `<data dir>/api-token` (0600, through
//! [`sbx_core::private::write`]) at the first start of the server or of `sbx api token`, replaced by
//! `sbx api token --rotate`. The server reads the file on every request, so a rotation takes effect at once in every
//! running server of the data dir, and two processes that create it at the same moment agree on whichever landed.

use sbx_core::Paths;
use std::path::{Path, PathBuf};
use subtle::ConstantTimeEq;

/// The name of the token file in the data dir.
pub const TOKEN_FILE: &str = "api-token";

/// The header every request carries the key in.
pub const HEADER: &str = "x-api-key";

/// Where the token of the data dir `paths` lives.
pub fn token_path(paths: &Paths) -> PathBuf {
    paths.root().join(TOKEN_FILE)
}

/// A fresh token: 32 bytes from the operating system's generator, as 64 lowercase hex digits.
fn generate() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The token in `file`, when the file holds one.
pub fn read(file: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(file) {
        Ok(text) => {
            let token = text.trim();
            Ok((!token.is_empty()).then(|| token.to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The token of the data dir, made (and stored 0600) when there is none yet.
pub fn ensure(paths: &Paths) -> std::io::Result<String> {
    let file = token_path(paths);
    if let Some(token) = read(&file)? {
        return Ok(token);
    }
    sbx_core::private::write(&file, format!("{}\n", generate()?).as_bytes())?;
    // Another process may have written its own at the same moment: the file is the truth.
    read(&file)?.ok_or_else(|| std::io::Error::other("the API token file is empty"))
}

/// Replace the token with a new one; the old one stops working at once. Returns the new token.
pub fn rotate(paths: &Paths) -> std::io::Result<String> {
    let token = generate()?;
    sbx_core::private::write(&token_path(paths), format!("{token}\n").as_bytes())?;
    Ok(token)
}

/// Whether `presented` is `expected`, compared in constant time (for equal lengths; the length of a token is no
/// secret).
pub fn matches(presented: &[u8], expected: &[u8]) -> bool {
    presented.ct_eq(expected).into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_token_is_made_once_kept_private_and_rotated() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::at(dir.path().join("data")).unwrap();
        let first = ensure(&paths).unwrap();
        assert_eq!(first.len(), 64);
        assert!(first.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(ensure(&paths).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(token_path(&paths))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let second = rotate(&paths).unwrap();
        assert_ne!(second, first);
        assert_eq!(ensure(&paths).unwrap(), second);
    }

    #[test]
    fn comparison_needs_every_byte() {
        assert!(matches(b"abc", b"abc"));
        assert!(!matches(b"abd", b"abc"));
        assert!(!matches(b"ab", b"abc"));
        assert!(!matches(b"", b"abc"));
    }
}
