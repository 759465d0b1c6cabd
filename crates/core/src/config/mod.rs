//! The repository configuration file `.amika/config.toml`: reading it, checking it, and merging it with what the
//! user gave as flags.
//!
//! ```toml
//! [lifecycle]
//! setup_script = "scripts/setup.sh"   # relative to the repository root
//!
//! [env]
//! FOO = "bar"                         # integers, floats and booleans are taken as their text
//!
//! [services.web]
//! port = 8080                         # or "8080/tcp", "53/udp"
//! url_scheme = "http"                 # or "https": the service's URL
//!
//! [services.dns]
//! ports = [53, "53/udp", 8053]        # `port` or `ports`, not both
//! url_scheme = [{ port = 8053, scheme = "https" }]
//!
//! [sandbox]
//! snapshot = "example-repo-base"      # default snapshot for sandboxes of this repository
//! preset = "coder"
//! ```
//!
//! Syntax errors, values of the wrong type and values the rules refuse are errors with a line and column
//! ([`reader`]); keys the app does not know are warnings, so a file written for a newer version still works. The
//! services are checked as the reference implementation checks them ([`services`]).
//!
//! The repository is untrusted input: `setup_script` must be relative and stay inside the repository as written
//! (checked here), and when it is read ([`read_setup_script`]) it must resolve, symlinks followed, to a regular file
//! inside the repository root of at most [`MAX_SETUP_SCRIPT_BYTES`]. `[sandbox] snapshot` is only honoured for a
//! snapshot taken from the same repository (checked where the sandbox is planned).

mod reader;
mod services;

use sbx_api::{ApiError, PortBinding, SandboxService};
use std::path::{Component, Path, PathBuf};

/// Where the file lives, relative to the repository root.
pub const CONFIG_PATH: &str = ".amika/config.toml";

/// What `.amika/config.toml` says, checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepoConfig {
    /// Absolute path of the file read.
    pub file: PathBuf,
    /// `[lifecycle] setup_script`, joined to the repository root; always inside the repository.
    pub setup_script: Option<PathBuf>,
    /// `[env]`, in file order.
    pub env: Vec<(String, String)>,
    /// The ports of every `[services.NAME]`, in file order, each published on the same port of 127.0.0.1.
    pub ports: Vec<PortBinding>,
    /// Every `[services.NAME]`, in file order: its ports and their URL schemes (none: metadata only).
    pub services: Vec<SandboxService>,
    /// `[sandbox] snapshot`: the default snapshot of sandboxes of this repository.
    pub snapshot: Option<String>,
    /// `[sandbox] preset`.
    pub preset: Option<String>,
    /// Things worth telling the user that are not errors: unknown keys and tables, services without ports.
    pub warnings: Vec<String>,
}

/// Read `<repo_root>/.amika/config.toml`. `Ok(None)` when the repository has none.
pub fn load(repo_root: &Path) -> Result<Option<RepoConfig>, ApiError> {
    let root = std::path::absolute(repo_root).unwrap_or_else(|_| repo_root.to_path_buf());
    let file = root.join(CONFIG_PATH);
    match std::fs::read_to_string(&file) {
        Ok(text) => parse(&text, &file, &root).map(Some),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(None)
        }
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(ApiError::invalid(
            sbx_api::Field::ConfigFile,
            file.display().to_string(),
            "cannot be read: it is not UTF-8 text",
        )),
        Err(e) => Err(ApiError::invalid(
            sbx_api::Field::ConfigFile,
            file.display().to_string(),
            format!("cannot be read: {e}"),
        )),
    }
}

/// Parse and check the text of a configuration file. `file` is named in messages; `repo_root` is what the setup
/// script is relative to.
pub fn parse(text: &str, file: &Path, repo_root: &Path) -> Result<RepoConfig, ApiError> {
    reader::read(text, file, repo_root)
}

/// The setup script path, checked to be relative and to stay inside the repository, with `.` and `..` resolved.
fn inside_repository(relative: &str) -> Result<PathBuf, &'static str> {
    if relative.trim().is_empty() {
        return Err("must name a script, relative to the repository root");
    }
    let path = Path::new(relative);
    if path.has_root() || path.is_absolute() {
        return Err("must be relative to the repository root, not an absolute path");
    }
    let mut inside = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => inside.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !inside.pop() {
                    return Err(
                        "must stay inside the repository; this path leaves it through '..'",
                    );
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err("must be relative to the repository root, not an absolute path");
            }
        }
    }
    if inside.as_os_str().is_empty() {
        return Err("must name a script file, not the repository root itself");
    }
    Ok(inside)
}

/// The largest setup script read, from the repository or from `--setup-script FILE` (1 MiB).
pub const MAX_SETUP_SCRIPT_BYTES: u64 = sbx_api::rules::SETUP_SCRIPT_MAX_BYTES;

/// At most `limit` bytes of `path` (symlinks followed); `Ok(None)` when it holds more. Never reads more than
/// `limit + 1` bytes, whatever the file's size.
pub fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// The text of a setup script of at most [`MAX_SETUP_SCRIPT_BYTES`]; `field` and `shown` name it in errors.
pub fn read_script(field: &sbx_api::Field, shown: &str, path: &Path) -> Result<String, ApiError> {
    let bytes = read_bounded(path, MAX_SETUP_SCRIPT_BYTES)
        .map_err(|e| ApiError::invalid(field.clone(), shown, format!("cannot read it: {e}")))?
        .ok_or_else(|| {
            ApiError::invalid(
                field.clone(),
                shown,
                "too big: a setup script may be at most 1 MiB",
            )
        })?;
    String::from_utf8(bytes).map_err(|_| {
        ApiError::invalid(field.clone(), shown, "cannot read it: it is not UTF-8 text")
    })
}

/// The text of the repository's `[lifecycle] setup_script` (`path`, as [`RepoConfig::setup_script`] has it). The
/// file must resolve, symlinks followed, to a regular file inside `repo_root` (outside its `.git` directory) of at
/// most [`MAX_SETUP_SCRIPT_BYTES`]: a repository must not hand the sandbox a file of the host.
pub fn read_setup_script(repo_root: &Path, path: &Path) -> Result<String, ApiError> {
    let field = || sbx_api::Field::Key("lifecycle.setup_script".into());
    let shown = path.display().to_string();
    let refuse = |why: String| {
        ApiError::invalid(
            field(),
            &shown,
            format!("named in {CONFIG_PATH} but refused: {why}"),
        )
    };
    let root = std::fs::canonicalize(repo_root)
        .map_err(|e| refuse(format!("the repository root cannot be resolved: {e}")))?;
    let target = std::fs::canonicalize(path).map_err(|e| {
        ApiError::invalid(
            field(),
            &shown,
            format!("named in {CONFIG_PATH} but cannot be read: {e}"),
        )
    })?;
    let Ok(inside) = target.strip_prefix(&root) else {
        return Err(refuse(format!(
            "it resolves to {}, outside the repository {}",
            target.display(),
            root.display()
        )));
    };
    if inside.components().next() == Some(Component::Normal(".git".as_ref())) {
        return Err(refuse(format!(
            "it resolves to {}, inside the repository's .git directory",
            target.display()
        )));
    }
    let meta = std::fs::metadata(&target)
        .map_err(|e| refuse(format!("cannot read {}: {e}", target.display())))?;
    if !meta.is_file() {
        return Err(refuse(format!(
            "{} is not a regular file",
            target.display()
        )));
    }
    if meta.len() > MAX_SETUP_SCRIPT_BYTES {
        return Err(refuse(format!(
            "too big: {} bytes, and a setup script may be at most 1 MiB",
            meta.len()
        )));
    }
    read_script(&field(), &shown, &target).map_err(|e| match e {
        ApiError::InvalidInput { message, .. } => refuse(message),
        other => other,
    })
}

/// Merge env vars of the configuration file and of flags. A flag wins over the file for the same name; the result
/// has the file's names in file order, then the names only flags give, in flag order. A name given twice as a
/// flag takes its last value.
pub fn merge_env(config: &[(String, String)], flags: &[(String, String)]) -> Vec<(String, String)> {
    let flag_value = |name: &str| flags.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v);
    let mut merged: Vec<(String, String)> = Vec::with_capacity(config.len() + flags.len());
    for (name, value) in config {
        if merged.iter().any(|(k, _)| k == name) {
            continue;
        }
        let value = flag_value(name).unwrap_or(value);
        merged.push((name.clone(), value.clone()));
    }
    for (name, _) in flags {
        if merged.iter().any(|(k, _)| k == name) {
            continue;
        }
        if let Some(value) = flag_value(name) {
            merged.push((name.clone(), value.clone()));
        }
    }
    merged
}

/// Merge port bindings of the configuration file and of flags: flag ports are added to the file's. A flag port
/// for the same container port and protocol as a file port takes that port's place (all such flag ports, in flag
/// order); the other flag ports follow in flag order.
pub fn merge_ports(config: &[PortBinding], flags: &[PortBinding]) -> Vec<PortBinding> {
    let same = |a: &PortBinding, b: &PortBinding| {
        a.container_port == b.container_port && a.protocol == b.protocol
    };
    let mut used = vec![false; flags.len()];
    let mut merged = Vec::with_capacity(config.len() + flags.len());
    for port in config {
        let mut replaced = false;
        for (i, flag) in flags.iter().enumerate() {
            if same(port, flag) {
                replaced = true;
                if !used[i] {
                    used[i] = true;
                    merged.push(flag.clone());
                }
            }
        }
        if !replaced {
            merged.push(port.clone());
        }
    }
    merged.extend(
        flags
            .iter()
            .zip(used)
            .filter(|(_, used)| !used)
            .map(|(flag, _)| flag.clone()),
    );
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use sbx_api::Protocol;

    const ROOT: &str = "/repo";
    const FILE: &str = "/repo/.amika/config.toml";

    fn parse_text(text: &str) -> Result<RepoConfig, ApiError> {
        parse(text, Path::new(FILE), Path::new(ROOT))
    }

    fn invalid(err: ApiError) -> (String, String, String) {
        match err {
            ApiError::InvalidInput {
                field,
                value,
                message,
            } => (field.to_string(), value, message),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    fn parse_err(text: &str) -> (String, String, String) {
        invalid(parse_text(text).unwrap_err())
    }

    fn local(port: u16, protocol: Protocol) -> PortBinding {
        PortBinding {
            host_ip: "127.0.0.1".into(),
            host_port: port,
            container_port: port,
            protocol,
        }
    }

    fn service(name: &str, ports: &[(u16, Protocol)]) -> SandboxService {
        SandboxService {
            name: name.into(),
            ports: ports
                .iter()
                .map(|(port, protocol)| sbx_api::ServicePort::declared(*port, *protocol, None))
                .collect(),
        }
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const FULL: &str = r#"# Example repository configuration
[lifecycle]
setup_script = "scripts/setup.sh"

[env]
ZED = "last letter"
FOO = "bar"
COUNT = 3
HEX = 0x1F
RATIO = 1.5
DEBUG = true
EMPTY = ""
WITH_EQUALS = "a=b"

[services.web]
port = 8080

[services.dns]
ports = [53, "53/udp"]

[services.api]
port = "9000/tcp"

[sandbox]
snapshot = "example-repo-base"
preset = "coder"
"#;

    #[test]
    fn a_full_file_parses() {
        let config = parse_text(FULL).unwrap();
        assert_eq!(
            config,
            RepoConfig {
                file: PathBuf::from(FILE),
                setup_script: Some(PathBuf::from("/repo/scripts/setup.sh")),
                env: env(&[
                    ("ZED", "last letter"),
                    ("FOO", "bar"),
                    ("COUNT", "3"),
                    ("HEX", "31"),
                    ("RATIO", "1.5"),
                    ("DEBUG", "true"),
                    ("EMPTY", ""),
                    ("WITH_EQUALS", "a=b"),
                ]),
                ports: vec![
                    local(8080, Protocol::Tcp),
                    local(53, Protocol::Tcp),
                    local(53, Protocol::Udp),
                    local(9000, Protocol::Tcp),
                ],
                services: vec![
                    service("web", &[(8080, Protocol::Tcp)]),
                    service("dns", &[(53, Protocol::Tcp), (53, Protocol::Udp)]),
                    service("api", &[(9000, Protocol::Tcp)]),
                ],
                snapshot: Some("example-repo-base".into()),
                preset: Some("coder".into()),
                warnings: vec![],
            }
        );
    }

    #[test]
    fn an_empty_file_is_an_empty_config() {
        let config = parse_text("# nothing yet\n").unwrap();
        assert_eq!(
            config,
            RepoConfig {
                file: PathBuf::from(FILE),
                ..RepoConfig::default()
            }
        );
    }

    #[test]
    fn inline_tables_and_dotted_keys_work_too() {
        let text = "services = { web = { port = 3000 } }\nsandbox.preset = \"coder-dind\"\n";
        let config = parse_text(text).unwrap();
        assert_eq!(config.ports, vec![local(3000, Protocol::Tcp)]);
        assert_eq!(config.preset.as_deref(), Some("coder-dind"));
    }

    #[test]
    fn syntax_errors_give_line_and_column() {
        let (field, value, message) = parse_err("[env]\nFOO = \"bar\"\nBAR = \n");
        assert_eq!(field, ".amika/config.toml");
        assert_eq!(value, FILE);
        assert_eq!(
            message,
            "line 3, column 7: string values must be quoted, expected literal string"
        );

        let (_, _, message) = parse_err("[env\nFOO = 1\n");
        assert_eq!(message, "line 1, column 5: unclosed table, expected `]`");

        let (_, _, message) = parse_err("[env]\nFOO = \"a\"\nFOO = \"b\"\n");
        assert_eq!(message, "line 3, column 1: duplicate key");

        // Columns count characters, not bytes.
        let (_, _, message) = parse_err("[env]\nA = \"é\" x\n");
        assert!(message.starts_with("line 2, column 9: "), "{message}");
    }

    #[test]
    fn windows_line_endings_count_lines_the_same() {
        let (_, _, message) = parse_err("[env]\r\nFOO = \"bar\"\r\nBAR = \r\n");
        assert!(message.starts_with("line 3, column 7: "), "{message}");
    }

    #[test]
    fn wrong_types_name_the_key_and_the_place() {
        let (field, value, message) = parse_err("[services.web]\nport = true\n");
        assert_eq!(field, "services.web.port");
        assert_eq!(value, "true");
        assert_eq!(
            message,
            "line 2, column 8 in /repo/.amika/config.toml: must be a port number such as 8080 or a string such as \
             \"53/udp\", not a boolean"
        );

        let (field, value, message) = parse_err("env = \"FOO=bar\"\n");
        assert_eq!(field, "env");
        assert_eq!(value, "FOO=bar");
        assert_eq!(
            message,
            "line 1, column 7 in /repo/.amika/config.toml: must be a table, written [env], not a string"
        );

        let (field, value, message) = parse_err("[lifecycle]\nsetup_script = 3\n");
        assert_eq!(field, "lifecycle.setup_script");
        assert_eq!(value, "3");
        assert!(
            message.starts_with("line 2, column 16 in /repo/.amika/config.toml: must be a string")
        );
        assert!(message.ends_with("not an integer"), "{message}");

        let (field, _, message) = parse_err("\n[env]\nLIST = [1, 2]\n");
        assert_eq!(field, "env.LIST");
        assert!(message.starts_with("line 3, column 8 in "), "{message}");
        assert!(
            message.ends_with("must be a string, a number or a boolean, not an array"),
            "{message}"
        );

        let (field, _, message) = parse_err("[services]\nweb = 8080\n");
        assert_eq!(field, "services.web");
        assert!(
            message.ends_with("must be a table, written [services.web], not an integer"),
            "{message}"
        );

        let (field, _, message) = parse_err("services = [1]\n");
        assert_eq!(field, "services");
        assert!(message.contains("a table of services"), "{message}");

        let (field, value, message) = parse_err("[services.dns]\nports = 53\n");
        assert_eq!(field, "services.dns.ports");
        assert_eq!(value, "53");
        assert!(
            message.ends_with("must be an array such as [53, \"53/udp\"], not an integer"),
            "{message}"
        );

        let (field, value, message) = parse_err("[services.dns]\nports = [53, 1.5]\n");
        assert_eq!(field, "services.dns.ports");
        assert_eq!(value, "1.5");
        assert!(message.starts_with("line 2, column 14 in "), "{message}");

        let (field, _, message) = parse_err("[sandbox]\nsnapshot = 7\n");
        assert_eq!(field, "sandbox.snapshot");
        assert!(message.ends_with("not an integer"), "{message}");

        let (field, _, _) = parse_err("[sandbox]\npreset = false\n");
        assert_eq!(field, "sandbox.preset");

        let (field, value, message) = parse_err("[sandbox]\npreset = \"\"\n");
        assert_eq!((field.as_str(), value.as_str()), ("sandbox.preset", ""));
        assert!(
            message.ends_with("must name a preset, such as \"coder\""),
            "{message}"
        );
    }

    #[test]
    fn error_values_stay_short_and_hide_secrets() {
        let (field, value, _) = parse_err("[env]\nGITHUB_TOKEN = [\"ghp_abc\"]\n");
        assert_eq!(
            (field.as_str(), value.as_str()),
            ("env.GITHUB_TOKEN", "***")
        );

        let (_, value, _) = parse_err("[env]\nLIST = [\n  1,\n  2,\n]\n");
        assert_eq!(value, "[…");

        let long = "x".repeat(100);
        let (_, value, _) = parse_err(&format!("[lifecycle]\nsetup_script = \"/{long}\"\n"));
        assert_eq!(value, format!("/{}…", "x".repeat(59)));
    }

    #[test]
    fn bad_port_values() {
        let (field, value, message) = parse_err("[services.web]\nport = 70000\n");
        assert_eq!(
            (field.as_str(), value.as_str()),
            ("services.web.port", "70000")
        );
        assert_eq!(
            message,
            "line 2, column 8 in /repo/.amika/config.toml: must be a port number between 1 and 65535"
        );
        let (_, value, _) = parse_err("[services.web]\nport = -1\n");
        assert_eq!(value, "-1");
        let (_, value, _) = parse_err("[services.web]\nport = 0\n");
        assert_eq!(value, "0");

        let (field, value, message) = parse_err("[services.web]\nport = \"80:80\"\n");
        assert_eq!(
            (field.as_str(), value.as_str()),
            ("services.web.port", "80:80")
        );
        assert!(message.starts_with(
            "line 2, column 8 in /repo/.amika/config.toml: the port '80:80' is not a number"
        ));
    }

    #[test]
    fn reserved_ports_in_services_are_refused() {
        let (field, value, message) =
            parse_err("[services.web]\nport = 8080\n\n[services.agent]\nport = 60900\n");
        assert_eq!(field, "services.agent.port");
        assert_eq!(value, "60900");
        assert!(
            message
                .starts_with("line 5, column 8 in /repo/.amika/config.toml: container port 60900")
        );
        assert!(
            message.contains("reserved for the app's own services"),
            "{message}"
        );

        let (field, value, message) = parse_err("[services.dns]\nports = [53, \"60999/udp\"]\n");
        assert_eq!(field, "services.dns.ports");
        assert_eq!(value, "60999/udp");
        assert!(message.starts_with("line 2, column 14 in "), "{message}");
    }

    #[test]
    fn setup_script_paths() {
        let script = |path: &str| parse_text(&format!("[lifecycle]\nsetup_script = {path:?}\n"));
        assert_eq!(
            script("./scripts/../tools/setup.sh").unwrap().setup_script,
            Some(PathBuf::from("/repo/tools/setup.sh"))
        );
        assert_eq!(
            script("setup.sh").unwrap().setup_script,
            Some(PathBuf::from("/repo/setup.sh"))
        );

        let (field, value, message) = invalid(script("/etc/setup.sh").unwrap_err());
        assert_eq!(field, "lifecycle.setup_script");
        assert_eq!(value, "/etc/setup.sh");
        assert_eq!(
            message,
            "line 2, column 16 in /repo/.amika/config.toml: must be relative to the repository root, not an \
             absolute path"
        );

        for escaping in ["../setup.sh", "scripts/../../setup.sh", "a/../.."] {
            let (field, _, message) = invalid(script(escaping).unwrap_err());
            assert_eq!(field, "lifecycle.setup_script");
            assert!(
                message
                    .ends_with("must stay inside the repository; this path leaves it through '..'"),
                "{message}"
            );
        }

        for empty in ["", ".", "scripts/.."] {
            let (_, _, message) = invalid(script(empty).unwrap_err());
            assert!(
                message.contains("must name a script"),
                "{empty:?}: {message}"
            );
        }
    }

    #[test]
    fn bad_snapshot_names() {
        let (field, value, message) = parse_err("[sandbox]\nsnapshot = \"Example_Base\"\n");
        assert_eq!(field, "sandbox.snapshot");
        assert_eq!(value, "Example_Base");
        assert!(
            message.starts_with(
                "line 2, column 12 in /repo/.amika/config.toml: may contain only lowercase letters"
            ),
            "{message}"
        );
    }

    #[test]
    fn bad_env_names() {
        let (field, value, message) = parse_err("[env]\nOK = 1\n\"NOT-OK\" = 2\n");
        assert_eq!((field.as_str(), value.as_str()), ("env.NOT-OK", "NOT-OK"));
        assert!(message.starts_with("line 3, column 1 in "), "{message}");
        assert!(
            message.contains("must start with a letter or '_'"),
            "{message}"
        );
    }

    #[test]
    fn unknown_keys_are_warnings() {
        let text = "version = 2\n\n[lifecycle]\nsetup_script = \"s.sh\"\nteardown_script = \"t.sh\"\n\n\
                    [sandbox]\npreset = \"coder\"\ncolour = \"red\"\n\n[services.web]\nport = 80\n\
                    healthcheck = \"/health\"\n\n[extras]\na = 1\n";
        let config = parse_text(text).unwrap();
        assert_eq!(config.preset.as_deref(), Some("coder"));
        assert_eq!(config.setup_script, Some(PathBuf::from("/repo/s.sh")));
        assert_eq!(config.ports, vec![local(80, Protocol::Tcp)]);
        assert_eq!(
            config.warnings,
            vec![
                "unknown key `version` in /repo/.amika/config.toml (line 1) — ignored",
                "unknown key `lifecycle.teardown_script` in /repo/.amika/config.toml (line 5) — ignored",
                "unknown key `sandbox.colour` in /repo/.amika/config.toml (line 9) — ignored",
                "unknown key `services.web.healthcheck` in /repo/.amika/config.toml (line 13) — ignored",
                "unknown table `extras` in /repo/.amika/config.toml (line 15) — ignored",
            ]
        );
    }

    #[test]
    fn services_without_ports_are_warnings_and_repeated_ports_are_errors() {
        // A service without ports is metadata only: valid, with a warning that nothing is published for it.
        let text = "[services.web]\nport = 8080\n\n[services.docs]\n\n[services.proxy]\nports = [8081, 443]\n";
        let config = parse_text(text).unwrap();
        assert_eq!(
            config.ports,
            vec![
                local(8080, Protocol::Tcp),
                local(8081, Protocol::Tcp),
                local(443, Protocol::Tcp)
            ]
        );
        assert_eq!(
            config.warnings,
            vec![
                "`services.docs` in /repo/.amika/config.toml (line 4) has no `port` or `ports` — nothing is \
                 published for it"
                    .to_string(),
            ]
        );
        // A port listed twice, by two services or by one, is an error (it used to be published once, with a
        // warning): the reference implementation refuses both.
        let text = "[services.web]\nport = 8080\n\n[services.docs]\n\n[services.proxy]\nports = [8080, 443]\n";
        let (field, value, message) = parse_err(text);
        assert_eq!(
            (field.as_str(), value.as_str()),
            ("services.proxy.ports", "8080")
        );
        assert_eq!(
            message,
            "line 7, column 10 in /repo/.amika/config.toml: port 8080/tcp is already declared by [services.web]; a \
             container port belongs to one service"
        );
        let (field, value, message) =
            parse_err("[services.dns]\nports = [53, \"53/udp\", \"53/tcp\"]\n");
        assert_eq!(
            (field.as_str(), value.as_str()),
            ("services.dns.ports", "53/tcp")
        );
        assert_eq!(
            message,
            "line 2, column 24 in /repo/.amika/config.toml: port 53/tcp is listed twice in [services.dns]"
        );
    }

    #[test]
    fn load_reads_the_file_or_finds_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), Ok(None));

        // A `.amika` that is a file, not a directory, means no configuration either.
        std::fs::write(dir.path().join(".amika"), "").unwrap();
        assert_eq!(load(dir.path()), Ok(None));
        std::fs::remove_file(dir.path().join(".amika")).unwrap();

        std::fs::create_dir(dir.path().join(".amika")).unwrap();
        let file = dir.path().join(CONFIG_PATH);
        std::fs::write(&file, "[sandbox]\npreset = \"coder\"\n").unwrap();
        let config = load(dir.path()).unwrap().unwrap();
        assert_eq!(config.file, file);
        assert!(config.file.is_absolute());
        assert_eq!(config.preset.as_deref(), Some("coder"));

        std::fs::write(&file, "[sandbox\n").unwrap();
        let (field, value, message) = invalid(load(dir.path()).unwrap_err());
        assert_eq!(field, CONFIG_PATH);
        assert_eq!(value, file.display().to_string());
        assert!(message.starts_with("line 1, column 9: "), "{message}");

        std::fs::write(&file, b"[env]\nA = \"\xff\"\n").unwrap();
        let (_, _, message) = invalid(load(dir.path()).unwrap_err());
        assert_eq!(message, "cannot be read: it is not UTF-8 text");
    }

    #[test]
    fn setup_script_is_joined_to_the_given_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".amika")).unwrap();
        std::fs::write(
            dir.path().join(CONFIG_PATH),
            "[lifecycle]\nsetup_script = \"scripts/setup.sh\"\n",
        )
        .unwrap();
        let config = load(dir.path()).unwrap().unwrap();
        assert_eq!(
            config.setup_script,
            Some(dir.path().join("scripts/setup.sh"))
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_repository_setup_script_must_be_a_small_regular_file_inside_it() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("host-secret.txt");
        std::fs::write(&outside, "HOST-SENTINEL\n").unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("scripts")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join("scripts/setup.sh"), "echo ok\n").unwrap();
        std::fs::write(root.join(".git/config"), "[core]\n").unwrap();
        symlink("scripts/setup.sh", root.join("inside.sh")).unwrap();
        symlink(&outside, root.join("s.sh")).unwrap();
        symlink("/", root.join("up")).unwrap();
        symlink("../..", root.join("scripts/back")).unwrap();
        symlink("missing", root.join("dangling.sh")).unwrap();
        symlink(".git/config", root.join("git.sh")).unwrap();
        std::fs::write(
            root.join("big.sh"),
            vec![b'#'; MAX_SETUP_SCRIPT_BYTES as usize + 1],
        )
        .unwrap();
        let read = |path: &str| read_setup_script(&root, &root.join(path));

        assert_eq!(read("scripts/setup.sh").unwrap(), "echo ok\n");
        assert_eq!(read("inside.sh").unwrap(), "echo ok\n");
        let outside_path = std::fs::canonicalize(&outside).unwrap();
        for (path, why) in [
            ("s.sh", "outside the repository"),
            (
                &*format!("up{}", outside_path.display()),
                "outside the repository",
            ),
            ("scripts/back/host-secret.txt", "outside the repository"),
            ("scripts", "not a regular file"),
            ("git.sh", ".git directory"),
            ("big.sh", "at most 1 MiB"),
            ("dangling.sh", "cannot be read"),
        ] {
            let (field, value, message) = invalid(read(path).unwrap_err());
            assert_eq!(field, "lifecycle.setup_script");
            assert_eq!(value, root.join(path).display().to_string());
            assert!(message.contains(why), "{path}: {message}");
            assert!(!message.contains("HOST-SENTINEL"), "{message}");
        }
        // The user's own `--setup-script` may be a symlink anywhere, but not too big.
        assert_eq!(
            read_script(&sbx_api::Field::SetupScript, "s.sh", &root.join("s.sh")).unwrap(),
            "HOST-SENTINEL\n"
        );
        let (field, _, message) = invalid(
            read_script(&sbx_api::Field::SetupScript, "big.sh", &root.join("big.sh")).unwrap_err(),
        );
        assert_eq!(field, "setup-script");
        assert!(message.contains("at most 1 MiB"), "{message}");
        // A bounded read stops after the limit, whatever the size.
        assert_eq!(read_bounded(Path::new("/dev/zero"), 16).unwrap(), None);
        assert_eq!(
            read_bounded(&root.join("scripts/setup.sh"), 8).unwrap(),
            Some(b"echo ok\n".to_vec())
        );
    }

    #[test]
    fn flag_env_wins_by_name() {
        let config = env(&[("A", "1"), ("B", "2"), ("C", "3")]);
        let flags = env(&[("D", "4"), ("B", "flag"), ("E", "5"), ("D", "last")]);
        assert_eq!(
            merge_env(&config, &flags),
            env(&[
                ("A", "1"),
                ("B", "flag"),
                ("C", "3"),
                ("D", "last"),
                ("E", "5")
            ])
        );
        assert_eq!(merge_env(&config, &[]), config);
        assert_eq!(
            merge_env(&[], &flags),
            env(&[("D", "last"), ("B", "flag"), ("E", "5")])
        );
        assert_eq!(merge_env(&[], &[]), vec![]);
        // An empty flag value still wins.
        assert_eq!(
            merge_env(&env(&[("A", "1")]), &env(&[("A", "")])),
            env(&[("A", "")])
        );
    }

    #[test]
    fn flag_ports_add_to_and_replace_config_ports() {
        let flag = |ip: &str, host: u16, container: u16, protocol: Protocol| PortBinding {
            host_ip: ip.into(),
            host_port: host,
            container_port: container,
            protocol,
        };
        let config = vec![
            local(8080, Protocol::Tcp),
            local(53, Protocol::Tcp),
            local(53, Protocol::Udp),
        ];
        // Same container port, other protocol: an addition, not a replacement.
        let extra = flag("127.0.0.1", 5432, 5432, Protocol::Tcp);
        let web = flag("0.0.0.0", 18080, 8080, Protocol::Tcp);
        let dns_udp = flag("127.0.0.1", 5353, 53, Protocol::Udp);
        let web_again = flag("127.0.0.1", 28080, 8080, Protocol::Tcp);
        let merged = merge_ports(
            &config,
            &[
                extra.clone(),
                web.clone(),
                dns_udp.clone(),
                web_again.clone(),
            ],
        );
        assert_eq!(
            merged,
            vec![
                web,
                web_again,
                local(53, Protocol::Tcp),
                dns_udp,
                extra.clone()
            ]
        );
        assert_eq!(merge_ports(&config, &[]), config);
        assert_eq!(merge_ports(&[], std::slice::from_ref(&extra)), vec![extra]);
    }
}
