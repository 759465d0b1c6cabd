//! Repositories on the host (S3): finding the repository a path is in, cloning it (clean, or with untracked and
//! uncommitted files), and packing the checkout as a tar archive for the sandbox's git volume.
//!
//! Cloning runs the host's `git`; nothing of it happens inside the sandbox.
//!
//! A repository is untrusted input. The repository URL or path and the branch are refused when they start with `-`
//! (they could be read as git options), and every git command that takes one puts `--` before it. A URL's user-info
//! (`https://user:TOKEN@host/…`) is used for the clone only: [`without_userinfo`] is the URL everywhere else — the
//! recorded source and repository key ([`RepoSource::display`]), the checkout's `origin` remote (rewritten after the
//! clone) and git's error messages ([`redact`]).

use sbx_api::{ApiError, GitChoice};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where a sandbox's repository comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSource {
    /// The repository name: the root folder's name, or the URL's last segment without `.git`.
    pub name: String,
    /// The repository root on the host, for a local repository.
    pub root: Option<PathBuf>,
    /// The URL, for a remote repository, as given (user-info included: used for the clone only).
    pub url: Option<String>,
}

impl RepoSource {
    /// The root path or the URL without its user-info, as shown to the user and recorded (the repository key).
    pub fn display(&self) -> String {
        match (&self.root, &self.url) {
            (Some(root), _) => root.display().to_string(),
            (None, Some(url)) => without_userinfo(url),
            (None, None) => self.name.clone(),
        }
    }
}

/// Schemes whose user name is a login rather than a credential (only a password is removed from them).
const SSH_SCHEMES: [&str; 3] = ["ssh", "git+ssh", "ssh+git"];

/// `url` without the credentials in its user-info: `https://user:TOKEN@host/repo` and `https://TOKEN@host/repo`
/// become `https://host/repo`; an ssh URL keeps its login (`ssh://git:pw@host/x` becomes `ssh://git@host/x`).
/// Anything else (a path, the scp-like `git@host:org/repo.git`, which holds no credential) is returned as is.
pub fn without_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let scheme = &url[..scheme_end];
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return url.to_string();
    }
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let userinfo = &authority[..at];
    let kept = if SSH_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
        match userinfo.split_once(':') {
            Some((login, _)) => format!("{login}@"),
            None => format!("{userinfo}@"),
        }
    } else {
        String::new()
    };
    format!(
        "{}{kept}{}",
        &url[..authority_start],
        &url[authority_start + at + 1..]
    )
}

/// `text` (git's output, an error message) with the user-info of every URL in it removed, as
/// [`without_userinfo`] does.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find("://") {
        // The URL starts at its scheme: the run of scheme characters before `://`.
        let start = rest[..found]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            .last()
            .map_or(found, |(i, _)| i);
        // It ends at whitespace or a quote.
        let end = rest[found..]
            .find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '<' | '>' | '`'))
            .map_or(rest.len(), |i| found + i);
        out.push_str(&rest[..start]);
        out.push_str(&without_userinfo(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Refuse a value that git could read as an option (`--upload-pack=…`): the repository (`git`) or the branch.
pub fn not_an_option(field: &sbx_api::Field, value: &str) -> Result<(), ApiError> {
    if value.trim_start().starts_with('-') {
        return Err(ApiError::invalid(
            field.clone(),
            redact(value),
            "must not start with '-' (it would be read as a git option)",
        ));
    }
    Ok(())
}

/// The mount path of a repository checkout in the sandbox.
pub fn mount_path(repo_name: &str) -> String {
    format!("/home/amika/workspace/{repo_name}")
}

fn git(dir: Option<&Path>) -> Command {
    let mut command = Command::new("git");
    if let Some(dir) = dir {
        command.arg("-C").arg(dir);
    }
    command
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "")
        .env("LC_ALL", "C")
        .stdin(Stdio::null());
    command
}

/// Run git; on failure the error names `field` and `value` and carries git's message.
fn run_git(mut command: Command, field: &sbx_api::Field, value: &str) -> Result<String, ApiError> {
    let output = command.output().map_err(|e| {
        ApiError::invalid(
            field.clone(),
            value,
            format!("cannot run git (is it installed?): {e}"),
        )
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = stderr
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or("git failed");
        return Err(ApiError::invalid(
            field.clone(),
            redact(value),
            redact(message),
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Whether `value` names a remote repository rather than a path.
pub fn looks_like_url(value: &str) -> bool {
    value.contains("://")
        || (value.contains('@') && value.contains(':') && !Path::new(value).exists())
}

/// The repository root containing `path`, or `None` when `path` is not inside a repository.
pub fn repo_root(path: &Path) -> Option<PathBuf> {
    let mut command = git(Some(path));
    command.args(["rev-parse", "--show-toplevel"]);
    let output = command.output().ok()?;
    if !output.status.success() {
        return None;
    }
    let root = String::from_utf8_lossy(&output.stdout).trim().to_string();
    (!root.is_empty()).then(|| PathBuf::from(root))
}

fn name_from_url(url: &str) -> String {
    let trimmed = url.trim_end_matches('/');
    let last = trimmed
        .rsplit(['/', ':'])
        .next()
        .unwrap_or(trimmed)
        .trim_end_matches(".git");
    if last.is_empty() {
        "repo".to_string()
    } else {
        last.to_string()
    }
}

/// Which repository a sandbox gets, from the user's choice and the working directory relative paths start from.
pub fn resolve(choice: &GitChoice, cwd: &Path) -> Result<Option<RepoSource>, ApiError> {
    let from_path = |path: &Path, shown: &str| -> Result<RepoSource, ApiError> {
        if !path.exists() {
            return Err(ApiError::invalid(
                sbx_api::Field::Git,
                shown,
                "no such file or directory",
            ));
        }
        let root = repo_root(path).ok_or_else(|| {
            ApiError::invalid(sbx_api::Field::Git, shown, "not inside a git repository")
        })?;
        let root = std::fs::canonicalize(&root).unwrap_or(root);
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "repo".to_string());
        Ok(RepoSource {
            name,
            root: Some(root),
            url: None,
        })
    };
    if let GitChoice::Source(value) = choice {
        not_an_option(&sbx_api::Field::Git, value)?;
    }
    match choice {
        GitChoice::Off => Ok(None),
        GitChoice::Auto => {
            Ok(repo_root(cwd).and_then(|_| from_path(cwd, &cwd.display().to_string()).ok()))
        }
        GitChoice::Current => from_path(cwd, &cwd.display().to_string()).map(Some),
        GitChoice::Source(value) if value.trim().is_empty() => {
            from_path(cwd, &cwd.display().to_string()).map(Some)
        }
        GitChoice::Source(value) if looks_like_url(value) => Ok(Some(RepoSource {
            name: name_from_url(value),
            root: None,
            url: Some(value.clone()),
        })),
        GitChoice::Source(value) => {
            let path = Path::new(value);
            let path = if path.is_absolute() {
                path.to_path_buf()
            } else {
                cwd.join(path)
            };
            from_path(&path, value).map(Some)
        }
    }
}

/// Clone `source` into `dest` (which must not exist): a clean clone of the committed state, on `branch` when given;
/// with `no_clean`, the working tree's untracked and uncommitted files are copied over it.
pub fn clone(
    source: &RepoSource,
    branch: Option<&str>,
    no_clean: bool,
    dest: &Path,
) -> Result<(), ApiError> {
    let shown = source.display();
    let from = match (&source.root, &source.url) {
        (Some(root), _) => root.display().to_string(),
        (None, Some(url)) => url.clone(),
        (None, None) => {
            return Err(ApiError::invalid(
                sbx_api::Field::Git,
                shown,
                "no repository given",
            ));
        }
    };
    not_an_option(&sbx_api::Field::Git, &from)?;
    if let Some(branch) = branch {
        not_an_option(&sbx_api::Field::Branch, branch)?;
    }
    let found = match (branch, &source.root) {
        (Some(branch), Some(root)) => Some(find_branch(root, branch, &shown)?),
        _ => None,
    };
    let mut command = git(None);
    // A local source's objects are hard-linked, as `git clone` does by default: they are only read (packed into
    // the sandbox) and the scratch clone is removed after, so the source's files are never changed through it.
    command.args(["clone", "--quiet"]);
    match (branch, &found) {
        (Some(_), Some(Branch::RemoteTracking(_))) => {
            // Not a branch of the source: checked out below, from its remote-tracking ref.
            command.arg("--no-checkout");
        }
        (Some(branch), _) => {
            command.args(["--branch", branch]);
        }
        (None, _) => {}
    }
    command.arg("--").arg(&from).arg(dest);
    if let Err(error) = run_git(command, &sbx_api::Field::Git, &shown) {
        return Err(match (branch, &source.url) {
            (Some(branch), Some(url)) => remote_branch_error(url, branch, &shown).unwrap_or(error),
            _ => error,
        });
    }
    if let (Some(branch), Some(Branch::RemoteTracking(tracking)), Some(root)) =
        (branch, &found, &source.root)
    {
        check_out_remote_tracking(root, tracking, branch, dest, &shown)?;
    }

    if let Some(url) = &source.url {
        // The checkout goes into the sandbox: its origin must not carry the URL's credentials.
        let clean = without_userinfo(url);
        if &clean != url {
            let mut fix = git(Some(dest));
            fix.args(["remote", "set-url", "--", "origin", &clean]);
            run_git(fix, &sbx_api::Field::Git, &shown)?;
        }
    }

    if let Some(root) = &source.root {
        // The clone's origin would be a host path, meaningless in the sandbox: use the source's own origin.
        let mut get = git(Some(root));
        get.args(["remote", "get-url", "origin"]);
        let mut fix = git(Some(dest));
        match run_git(get, &sbx_api::Field::Git, &shown) {
            Ok(url) if !url.is_empty() => {
                fix.args(["remote", "set-url", "--", "origin", &without_userinfo(&url)])
            }
            _ => fix.args(["remote", "remove", "--", "origin"]),
        };
        run_git(fix, &sbx_api::Field::Git, &shown)?;
        if no_clean {
            copy_working_tree(root, dest).map_err(|e| {
                ApiError::invalid(
                    sbx_api::Field::Git,
                    &shown,
                    format!("copying uncommitted files: {e}"),
                )
            })?;
        }
    }
    Ok(())
}

/// Where a branch asked for is found in a local repository.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Branch {
    /// A branch of the repository (`refs/heads/NAME`).
    Local,
    /// Only a remote-tracking branch (`refs/remotes/REMOTE/NAME`, the full ref): `git clone --branch` would not see
    /// it in a local repository, as it sees a remote's branches.
    RemoteTracking(String),
}

/// The lines git prints, one a line, or none when it fails.
fn git_lines(dir: &Path, args: &[&str]) -> Vec<String> {
    let Ok(output) = git(Some(dir)).args(args).output() else {
        return Vec::new();
    };
    if !output.status.success() {
        return Vec::new();
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Find `branch` in the repository at `root`: a branch of its own, else a remote-tracking branch of one of its
/// remotes (`origin` first); else a clear error listing close names.
fn find_branch(root: &Path, branch: &str, shown: &str) -> Result<Branch, ApiError> {
    let exists = |reference: &str| {
        git(Some(root))
            .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
            .arg(format!("{reference}^{{commit}}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if exists(&format!("refs/heads/{branch}")) {
        return Ok(Branch::Local);
    }
    let mut remotes = git_lines(root, &["remote"]);
    remotes.sort_by_key(|r| r != "origin");
    for remote in remotes {
        let tracking = format!("refs/remotes/{remote}/{branch}");
        if exists(&tracking) {
            return Ok(Branch::RemoteTracking(tracking));
        }
    }
    let mut names = git_lines(
        root,
        &["for-each-ref", "--format=%(refname:lstrip=2)", "refs/heads"],
    );
    // Remote-tracking branches by their name on the remote (`origin/feature` is `feature`).
    names.extend(
        git_lines(
            root,
            &[
                "for-each-ref",
                "--format=%(refname:lstrip=3)",
                "refs/remotes",
            ],
        )
        .into_iter()
        .filter(|n| n != "HEAD"),
    );
    Err(no_such_branch(
        branch,
        &format!("{shown}, neither as a branch nor as a remote-tracking branch"),
        names,
    ))
}

/// The error for a branch that a repository does not have, with the names close to it (or a few of its branches
/// when none is close).
fn no_such_branch(branch: &str, place: &str, mut names: Vec<String>) -> ApiError {
    names.sort();
    names.dedup();
    let close = close_names(branch, &names, 5);
    let hint = if !close.is_empty() {
        format!("; close names: {}", close.join(", "))
    } else if names.is_empty() {
        "; it has no branches".to_string()
    } else {
        let mut some: Vec<&str> = names.iter().take(8).map(String::as_str).collect();
        if names.len() > some.len() {
            some.push("…");
        }
        format!("; none is close to it; its branches: {}", some.join(", "))
    };
    ApiError::invalid(
        sbx_api::Field::Branch,
        branch,
        format!("no branch '{branch}' in {place}{hint}"),
    )
}

/// Up to `limit` of `names` close to `wanted`: first those where one starts with the other (ignoring case), then
/// those a few edits apart (at most a third of the name, at least 2), closest first.
fn close_names(wanted: &str, names: &[String], limit: usize) -> Vec<String> {
    let lower = wanted.to_lowercase();
    let most = (wanted.chars().count() / 3).max(2);
    let mut ranked: Vec<(bool, usize, &String)> = names
        .iter()
        .filter_map(|name| {
            let other = name.to_lowercase();
            let distance = edit_distance(&lower, &other);
            let prefix = other.starts_with(&lower) || lower.starts_with(&other);
            (distance <= most || prefix).then_some((!prefix, distance, name))
        })
        .collect();
    ranked.sort();
    ranked
        .into_iter()
        .take(limit)
        .map(|(_, _, n)| n.clone())
        .collect()
}

/// The number of single-character insertions, deletions and substitutions between `a` and `b` (Levenshtein).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// After a clone without checkout: fetch the source's remote-tracking ref `tracking` as the clone's
/// `origin/BRANCH`, and check out `branch` tracking it (as `git clone --branch` of the remote would have).
fn check_out_remote_tracking(
    root: &Path,
    tracking: &str,
    branch: &str,
    dest: &Path,
    shown: &str,
) -> Result<(), ApiError> {
    let mut fetch = git(Some(dest));
    fetch
        .args(["fetch", "--quiet", "--no-tags", "--"])
        .arg(root)
        .arg(format!("+{tracking}:refs/remotes/origin/{branch}"));
    run_git(fetch, &sbx_api::Field::Branch, branch)?;
    let mut checkout = git(Some(dest));
    checkout
        .args(["checkout", "--quiet", "--track", "-b", branch])
        .arg(format!("origin/{branch}"));
    run_git(checkout, &sbx_api::Field::Branch, branch).map_err(|e| match e {
        ApiError::InvalidInput { message, .. } => ApiError::invalid(
            sbx_api::Field::Branch,
            branch,
            format!("checking out the remote-tracking branch of {shown}: {message}"),
        ),
        other => other,
    })?;
    Ok(())
}

/// When a clone of `url` on `branch` failed: the branch error with close names if the remote has no such branch
/// (asked with `git ls-remote`); `None` when it has one, or cannot be asked (the clone's own error stands).
fn remote_branch_error(url: &str, branch: &str, shown: &str) -> Option<ApiError> {
    let output = git(None)
        .args(["ls-remote", "--heads", "--"])
        .arg(url)
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let names: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .filter_map(|r| r.strip_prefix("refs/heads/"))
        .map(str::to_string)
        .collect();
    if names.iter().any(|n| n == branch) {
        return None;
    }
    Some(no_such_branch(branch, shown, names))
}

/// Copy tracked-and-modified and untracked (not ignored) files from `root` over the clone, and remove files
/// deleted in the working tree.
fn copy_working_tree(root: &Path, dest: &Path) -> std::io::Result<()> {
    let list = |args: &[&str]| -> std::io::Result<Vec<String>> {
        let output = git(Some(root)).args(args).output()?;
        if !output.status.success() {
            return Err(std::io::Error::other(
                String::from_utf8_lossy(&output.stderr).trim().to_string(),
            ));
        }
        Ok(output
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect())
    };
    let deleted = list(&["ls-files", "-z", "--deleted"])?;
    for file in list(&[
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ])? {
        let from = root.join(&file);
        let to = dest.join(&file);
        let Ok(meta) = std::fs::symlink_metadata(&from) else {
            continue; // deleted in the working tree
        };
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&from)?;
            let _ = std::fs::remove_file(&to);
            #[cfg(unix)]
            std::os::unix::fs::symlink(target, &to)?;
            #[cfg(not(unix))]
            let _ = target;
        } else if meta.is_file() {
            std::fs::copy(&from, &to)?;
        }
    }
    for file in deleted {
        let _ = std::fs::remove_file(dest.join(file));
    }
    Ok(())
}

/// Write a tar archive of `dir`'s content (entries relative to `dir`, symlinks kept, never followed) to `out`, as it
/// is read, and remove each file and symlink from `dir` once it is in the archive: a writer that sends the archive
/// on (to the engine) holds no more than it buffers, and a scratch checkout is consumed as it is packed, so that
/// removing it after is only removing empty folders (and a checkout's data that is not written back yet never is).
///
/// The removals run on a thread of their own, beside the packing, at most [`REMOVALS_IN_FLIGHT`] behind it. A
/// symlink is removed, not what it points to.
pub fn pack_consuming(dir: &Path, out: impl std::io::Write) -> std::io::Result<()> {
    let (remove, removals) = std::sync::mpsc::sync_channel::<PathBuf>(REMOVALS_IN_FLIGHT);
    let remover = std::thread::spawn(move || {
        for path in removals {
            let _ = std::fs::remove_file(path);
        }
    });
    let packed = pack_each(dir, out, |packed| {
        let _ = remove.send(packed);
    });
    drop(remove);
    let _ = remover.join();
    packed
}

/// How many packed files may wait for their removal: memory stays bounded whatever the number of files.
const REMOVALS_IN_FLIGHT: usize = 4096;

/// Write a tar archive of `dir`'s content to `out` (what [`pack_consuming`] does), calling `done` with the path of
/// each file, symlink or special file once it is in the archive (folders are written before their content).
fn pack_each(
    dir: &Path,
    out: impl std::io::Write,
    mut done: impl FnMut(PathBuf),
) -> std::io::Result<()> {
    let mut builder = tar::Builder::new(std::io::BufWriter::with_capacity(256 * 1024, out));
    builder.follow_symlinks(false);
    builder.mode(tar::HeaderMode::Complete);
    let root = Path::new(".");
    let mut stack = vec![(dir.to_path_buf(), true)];
    while let Some((path, is_dir)) = stack.pop() {
        let name = root.join(path.strip_prefix(dir).map_err(std::io::Error::other)?);
        if is_dir {
            for entry in std::fs::read_dir(&path)? {
                let entry = entry?;
                // The entry's own type: a symlink to a folder is a symlink, never followed.
                stack.push((entry.path(), entry.file_type()?.is_dir()));
            }
            builder.append_dir(&name, &path)?;
        } else {
            builder.append_path_with_name(&path, &name)?;
            done(path);
        }
    }
    // The end of the archive, then what is buffered, then what the writer holds.
    let mut out = builder
        .into_inner()?
        .into_inner()
        .map_err(|e| e.into_error())?;
    std::io::Write::flush(&mut out)
}

/// A name usable in a volume name: letters, digits, `_`, `.`, `-` (others become `-`).
pub fn volume_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, script: &str) {
        let status = Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .status()
            .unwrap();
        assert!(status.success(), "{script}");
    }

    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Hello-World");
        std::fs::create_dir_all(root.join("src")).unwrap();
        sh(
            &root,
            "git init -q -b main . && echo one > committed.txt && echo x > src/lib.txt && \
             git add . && git commit -q -m one && git checkout -q -b feature && echo f > feature.txt && \
             git add . && git commit -q -m f && git checkout -q main && \
             echo changed > committed.txt && echo new > untracked.txt && echo '*.log' > .gitignore && echo i > ignored.log",
        );
        dir
    }

    #[test]
    fn a_path_inside_a_repository_selects_its_root() {
        let dir = repo();
        let root = std::fs::canonicalize(dir.path().join("Hello-World")).unwrap();
        let source = resolve(&GitChoice::Source("src".into()), &root)
            .unwrap()
            .unwrap();
        assert_eq!(source.name, "Hello-World");
        assert_eq!(source.root.as_deref(), Some(root.as_path()));
        assert_eq!(resolve(&GitChoice::Auto, dir.path()).unwrap(), None);
        let err = resolve(&GitChoice::Current, dir.path()).unwrap_err();
        assert_eq!(err.field(), Some("git"));
        let err = resolve(&GitChoice::Source("nope".into()), dir.path()).unwrap_err();
        assert!(err.to_string().contains("no such file"), "{err}");
    }

    #[test]
    fn clean_clone_has_only_committed_files_and_no_clean_has_the_working_tree() {
        let dir = repo();
        let root = dir.path().join("Hello-World");
        let source = resolve(&GitChoice::Current, &root).unwrap().unwrap();
        let clean = dir.path().join("clean");
        clone(&source, None, false, &clean).unwrap();
        assert_eq!(
            std::fs::read_to_string(clean.join("committed.txt")).unwrap(),
            "one\n"
        );
        assert!(!clean.join("untracked.txt").exists());
        assert!(!clean.join("feature.txt").exists());

        let dirty = dir.path().join("dirty");
        clone(&source, None, true, &dirty).unwrap();
        assert_eq!(
            std::fs::read_to_string(dirty.join("committed.txt")).unwrap(),
            "changed\n"
        );
        assert!(dirty.join("untracked.txt").exists());
        assert!(!dirty.join("ignored.log").exists());

        let branch = dir.path().join("branch");
        clone(&source, Some("feature"), false, &branch).unwrap();
        assert!(branch.join("feature.txt").exists());

        let err = clone(&source, Some("nope"), false, &dir.path().join("x")).unwrap_err();
        assert_eq!(err.field(), Some("branch"));
        assert!(!dir.path().join("x").exists());
    }

    /// `upstream` (branches main, feature, topic/new-api, release-1) cloned as `Hello-World`: there, only main is
    /// a branch; the others exist only as remote-tracking branches (`origin/feature`, …).
    fn clone_of_upstream() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let upstream = dir.path().join("upstream");
        std::fs::create_dir_all(&upstream).unwrap();
        sh(
            &upstream,
            "git init -q -b main . && echo one > committed.txt && git add . && git commit -q -m one && \
             git checkout -q -b feature && echo f > feature.txt && git add . && git commit -q -m f && \
             git checkout -q -b topic/new-api main && echo api > api.txt && git add . && git commit -q -m api && \
             git branch release-1 main && git checkout -q main",
        );
        sh(dir.path(), "git clone -q upstream Hello-World");
        let root = dir.path().join("Hello-World");
        let heads = git_lines(
            &root,
            &["for-each-ref", "--format=%(refname)", "refs/heads"],
        );
        assert_eq!(heads, ["refs/heads/main"]);
        (dir, upstream, root)
    }

    #[test]
    fn a_branch_that_is_only_remote_tracking_is_checked_out() {
        let (dir, upstream, root) = clone_of_upstream();
        let source = resolve(&GitChoice::Current, &root).unwrap().unwrap();
        for (branch, file) in [("feature", "feature.txt"), ("topic/new-api", "api.txt")] {
            let dest = dir.path().join(volume_safe(branch));
            clone(&source, Some(branch), false, &dest).unwrap();
            assert!(dest.join(file).exists(), "{branch}");
            assert!(dest.join("committed.txt").exists(), "{branch}");
            let current = git_lines(&dest, &["rev-parse", "--abbrev-ref", "HEAD"]);
            assert_eq!(current, [branch]);
            // It tracks the branch of the same name on origin, which is the source's own origin.
            let upstream_of = git_lines(&dest, &["rev-parse", "--abbrev-ref", "@{upstream}"]);
            assert_eq!(upstream_of, [format!("origin/{branch}")]);
            let origin = git_lines(&dest, &["remote", "get-url", "origin"]);
            assert_eq!(origin, [upstream.display().to_string()]);
            assert_eq!(
                git_lines(&dest, &["status", "--porcelain"]),
                Vec::<String>::new()
            );
        }
        // A branch of its own still comes the usual way.
        let dest = dir.path().join("main");
        clone(&source, Some("main"), false, &dest).unwrap();
        assert!(!dest.join("feature.txt").exists());
    }

    #[test]
    fn a_branch_that_exists_nowhere_is_refused_with_close_names() {
        let (dir, _upstream, root) = clone_of_upstream();
        let source = resolve(&GitChoice::Current, &root).unwrap().unwrap();
        let dest = dir.path().join("x");
        let err = clone(&source, Some("featur"), false, &dest).unwrap_err();
        assert_eq!(err.field(), Some("branch"));
        let ApiError::InvalidInput { value, message, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(value, "featur");
        assert_eq!(
            message,
            &format!(
                "no branch 'featur' in {}, neither as a branch nor as a remote-tracking branch; close names: \
                 feature",
                source.display()
            )
        );
        assert!(!dest.exists());

        let err = clone(&source, Some("zzz"), false, &dest).unwrap_err();
        assert!(
            err.to_string().ends_with(
                "none is close to it; its branches: feature, main, release-1, topic/new-api"
            ),
            "{err}"
        );
        assert!(!dest.exists());

        // A remote repository: its branches are asked with ls-remote once the clone failed.
        let url = format!("file://{}", dir.path().join("upstream").display());
        let remote = resolve(&GitChoice::Source(url.clone()), dir.path())
            .unwrap()
            .unwrap();
        let err = clone(&remote, Some("relase-1"), false, &dest).unwrap_err();
        assert_eq!(err.field(), Some("branch"));
        assert!(
            err.to_string().ends_with(&format!(
                "no branch 'relase-1' in {url}; close names: release-1"
            )),
            "{err}"
        );
        assert!(!dest.exists());
        clone(&remote, Some("feature"), false, &dest).unwrap();
        assert!(dest.join("feature.txt").exists());
    }

    #[test]
    fn close_names_by_prefix_and_edits() {
        let names: Vec<String> = ["main", "master", "feature", "feature-2", "fix", "develop"]
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(close_names("feat", &names, 5), ["feature", "feature-2"]);
        assert_eq!(close_names("mian", &names, 5), ["main"]);
        assert_eq!(close_names("Develop", &names, 5), ["develop"]);
        assert_eq!(close_names("mast", &names, 1), ["master"]);
        assert!(close_names("zzzzzz", &names, 5).is_empty());
    }

    #[test]
    fn url_names() {
        assert_eq!(
            name_from_url("https://github.com/octocat/Hello-World.git"),
            "Hello-World"
        );
        assert_eq!(
            name_from_url("git@github.com:octocat/Hello-World.git"),
            "Hello-World"
        );
        assert!(looks_like_url("https://example.com/x.git"));
        assert_eq!(volume_safe("a b/c"), "a-b-c");
    }

    #[test]
    fn user_info_is_removed_from_urls_and_from_text() {
        for (url, clean) in [
            (
                "https://user:TOKEN@github.com/o/r.git",
                "https://github.com/o/r.git",
            ),
            (
                "https://TOKEN@github.com/o/r.git",
                "https://github.com/o/r.git",
            ),
            ("HTTP://u:p@h:8080/r?x=@y#z", "HTTP://h:8080/r?x=@y#z"),
            ("https://u:p@ss@host", "https://host"),
            ("https://u%40x:t@host/r", "https://host/r"),
            ("ssh://git:PW@host/r.git", "ssh://git@host/r.git"),
            ("ssh://git@host/r.git", "ssh://git@host/r.git"),
            ("git+ssh://me:PW@host/r", "git+ssh://me@host/r"),
            ("git@github.com:o/r.git", "git@github.com:o/r.git"),
            ("https://github.com/o/r@v1", "https://github.com/o/r@v1"),
            ("file:///srv/r.git", "file:///srv/r.git"),
            ("/home/me/r", "/home/me/r"),
        ] {
            assert_eq!(without_userinfo(url), clean, "{url}");
        }
        let message = "fatal: unable to access 'https://user:SENTINEL@127.0.0.1:9/x.git/': Failed; \
                       see http://SENTINEL@h/ and \"git+ssh://a:SENTINEL@h/x\"";
        let redacted = redact(message);
        assert!(!redacted.contains("SENTINEL"), "{redacted}");
        assert_eq!(
            redacted,
            "fatal: unable to access 'https://127.0.0.1:9/x.git/': Failed; \
             see http://h/ and \"git+ssh://a@h/x\""
        );
        assert_eq!(redact("no url here: a@b:c"), "no url here: a@b:c");
        assert_eq!(redact("éhttps://u:t@h/x ü:// ://"), "éhttps://h/x ü:// ://");
        let source = RepoSource {
            name: "r".into(),
            root: None,
            url: Some("https://u:SENTINEL@h/r.git".into()),
        };
        assert_eq!(source.display(), "https://h/r.git");
    }

    #[test]
    fn values_git_could_read_as_options_are_refused() {
        let dir = repo();
        let root = dir.path().join("Hello-World");
        for value in ["--upload-pack=touch /tmp/pwned", "-c", " -x"] {
            let err = resolve(&GitChoice::Source(value.into()), &root).unwrap_err();
            assert_eq!(err.field(), Some("git"), "{err}");
            assert!(err.to_string().contains("git option"), "{err}");
        }
        let err =
            not_an_option(&sbx_api::Field::Git, "--config=x=https://u:SENTINEL@h/").unwrap_err();
        assert!(!err.to_string().contains("SENTINEL"), "{err}");
        let source = resolve(&GitChoice::Current, &root).unwrap().unwrap();
        let err = clone(
            &source,
            Some("--upload-pack=touch pwned"),
            false,
            &dir.path().join("x"),
        )
        .unwrap_err();
        assert_eq!(err.field(), Some("branch"));
        assert!(!dir.path().join("x").exists());
        assert!(!root.join("pwned").exists());
        let url = RepoSource {
            name: "x".into(),
            root: None,
            url: Some("--upload-pack=touch pwned".into()),
        };
        let err = clone(&url, None, false, &dir.path().join("y")).unwrap_err();
        assert_eq!(err.field(), Some("git"));
        assert!(!dir.path().join("y").exists());
    }

    #[test]
    fn a_failing_clone_does_not_echo_the_token_and_origins_lose_their_credentials() {
        let dir = repo();
        // A closed port of this machine: the clone fails at once, nothing leaves the machine.
        let source = resolve(
            &GitChoice::Source("https://user:SENTINEL@127.0.0.1:9/x.git".into()),
            dir.path(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(source.display(), "https://127.0.0.1:9/x.git");
        let err = clone(&source, None, false, &dir.path().join("x")).unwrap_err();
        assert_eq!(err.field(), Some("git"));
        let text = format!("{err} {err:?}");
        assert!(!text.contains("SENTINEL"), "{text}");

        // A local repository whose own origin carries a token: the checkout's origin does not.
        let root = dir.path().join("Hello-World");
        sh(
            &root,
            "git remote add origin https://user:SENTINEL@example.com/o/Hello-World.git",
        );
        let source = resolve(&GitChoice::Current, &root).unwrap().unwrap();
        let dest = dir.path().join("clean");
        clone(&source, None, false, &dest).unwrap();
        let config = std::fs::read_to_string(dest.join(".git/config")).unwrap();
        assert!(!config.contains("SENTINEL"), "{config}");
        assert!(
            config.contains("url = https://example.com/o/Hello-World.git"),
            "{config}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn packing_consumes_the_files_but_never_what_a_symlink_points_to() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(outside.join("folder")).unwrap();
        std::fs::write(outside.join("secret.txt"), "keep me").unwrap();
        std::fs::write(outside.join("folder/inner.txt"), "keep me too").unwrap();
        let checkout = dir.path().join("checkout");
        std::fs::create_dir_all(checkout.join("src/deep")).unwrap();
        std::fs::create_dir_all(checkout.join("empty")).unwrap();
        std::fs::write(checkout.join("top.txt"), "top").unwrap();
        std::fs::write(checkout.join("src/deep/a.bin"), vec![7u8; 70_000]).unwrap();
        std::os::unix::fs::symlink(outside.join("secret.txt"), checkout.join("link-file")).unwrap();
        std::os::unix::fs::symlink(outside.join("folder"), checkout.join("src/link-dir")).unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            let script = checkout.join("run.sh");
            std::fs::write(&script, "#!/bin/sh\n").unwrap();
            for (file, mode) in [
                ("run.sh", 0o755),
                ("top.txt", 0o644),
                ("src/deep/a.bin", 0o640),
            ] {
                let permissions = std::fs::Permissions::from_mode(mode);
                std::fs::set_permissions(checkout.join(file), permissions).unwrap();
            }
        }

        let mut archive = Vec::new();
        pack_consuming(&checkout, &mut archive).unwrap();

        // What the archive holds: every entry, with its content, mode and link target.
        let mut seen = std::collections::BTreeMap::new();
        let mut reader = tar::Archive::new(archive.as_slice());
        for entry in reader.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            let kind = entry.header().entry_type();
            let what = if kind.is_symlink() {
                format!("-> {}", entry.link_name().unwrap().unwrap().display())
            } else if kind.is_dir() {
                "dir".to_string()
            } else {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
                format!(
                    "{} bytes, mode {:o}",
                    bytes.len(),
                    entry.header().mode().unwrap() & 0o777
                )
            };
            seen.insert(
                path.trim_start_matches("./")
                    .trim_end_matches('/')
                    .to_string(),
                what,
            );
        }
        let expect = |path: &str, what: &str| {
            assert_eq!(
                seen.get(path).map(String::as_str),
                Some(what),
                "{path} in {seen:?}"
            );
        };
        expect("top.txt", "3 bytes, mode 644");
        expect("run.sh", "10 bytes, mode 755");
        expect("src/deep/a.bin", "70000 bytes, mode 640");
        expect("src/deep", "dir");
        expect("empty", "dir");
        expect(
            "link-file",
            &format!("-> {}", outside.join("secret.txt").display()),
        );
        expect(
            "src/link-dir",
            &format!("-> {}", outside.join("folder").display()),
        );
        assert!(
            !seen.keys().any(|path| path.contains("inner.txt")),
            "{seen:?}"
        );

        // The checkout holds only folders now; what its symlinks pointed to is untouched.
        let mut left = Vec::new();
        let mut stack = vec![checkout.clone()];
        while let Some(folder) = stack.pop() {
            for entry in std::fs::read_dir(folder).unwrap() {
                let entry = entry.unwrap();
                if entry.file_type().unwrap().is_dir() {
                    stack.push(entry.path());
                } else {
                    left.push(entry.path());
                }
            }
        }
        assert!(left.is_empty(), "left in the checkout: {left:?}");
        assert_eq!(
            std::fs::read_to_string(outside.join("secret.txt")).unwrap(),
            "keep me"
        );
        assert_eq!(
            std::fs::read_to_string(outside.join("folder/inner.txt")).unwrap(),
            "keep me too"
        );
    }
}
