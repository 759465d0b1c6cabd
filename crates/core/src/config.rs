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
//! port = 8080                         # or "8080", "53/udp"
//!
//! [services.dns]
//! ports = [53, "53/udp"]
//!
//! [sandbox]
//! snapshot = "example-repo-base"      # default snapshot for sandboxes of this repository
//! preset = "coder"
//! ```
//!
//! Syntax errors and values of the wrong type are errors with a line and column; keys the app does not know are
//! warnings, so a file written for a newer version still works.
//!
//! The repository is untrusted input: `setup_script` must be relative and stay inside the repository as written
//! (checked here), and when it is read ([`read_setup_script`]) it must resolve, symlinks followed, to a regular file
//! inside the repository root of at most [`MAX_SETUP_SCRIPT_BYTES`]. `[sandbox] snapshot` is only honoured for a
//! snapshot taken from the same repository (checked where the sandbox is planned).

use crate::validate;
use sbx_api::{ApiError, PortBinding, Protocol};
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

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
    /// `[sandbox] snapshot`: the default snapshot of sandboxes of this repository.
    pub snapshot: Option<String>,
    /// `[sandbox] preset`.
    pub preset: Option<String>,
    /// Things worth telling the user that are not errors: unknown keys and tables, ports listed twice.
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
            CONFIG_PATH,
            file.display().to_string(),
            "cannot be read: it is not UTF-8 text",
        )),
        Err(e) => Err(ApiError::invalid(
            CONFIG_PATH,
            file.display().to_string(),
            format!("cannot be read: {e}"),
        )),
    }
}

/// Parse and check the text of a configuration file. `file` is named in messages; `repo_root` is what the setup
/// script is relative to.
pub fn parse(text: &str, file: &Path, repo_root: &Path) -> Result<RepoConfig, ApiError> {
    let doc = DeTable::parse(text).map_err(|e| {
        let what = e.message().lines().next().unwrap_or("not valid TOML");
        let message = match e.span() {
            Some(span) => {
                let (line, column) = line_column(text, span.start);
                format!("line {line}, column {column}: {what}")
            }
            None => what.to_string(),
        };
        ApiError::invalid(CONFIG_PATH, file.display().to_string(), message)
    })?;
    let mut reader = Reader {
        text,
        file,
        config: RepoConfig {
            file: file.to_path_buf(),
            ..RepoConfig::default()
        },
    };
    for (key, value) in in_file_order(doc.get_ref()) {
        match key.get_ref().as_ref() {
            "lifecycle" => reader.lifecycle(value, repo_root)?,
            "env" => reader.env(value)?,
            "services" => reader.services(value)?,
            "sandbox" => reader.sandbox(value)?,
            other => reader.unknown(other, key, value),
        }
    }
    Ok(reader.config)
}

type Entry<'t, 'i> = (&'t Spanned<DeString<'i>>, &'t Spanned<DeValue<'i>>);

/// The entries of a table in the order they appear in the file (the parser keeps them sorted by name).
fn in_file_order<'t, 'i>(table: &'t DeTable<'i>) -> Vec<Entry<'t, 'i>> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn a_type(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// An integer as decimal text (the file may write it as `0x1F` or `+3`).
fn integer_text(value: &toml::de::DeInteger<'_>) -> String {
    i128::from_str_radix(value.as_str(), value.radix())
        .map_or_else(|_| value.to_string(), |n| n.to_string())
}

struct Reader<'a> {
    text: &'a str,
    file: &'a Path,
    config: RepoConfig,
}

impl Reader<'_> {
    /// `line L, column C in FILE` of a span.
    fn place(&self, span: &Range<usize>) -> String {
        let (line, column) = line_column(self.text, span.start);
        format!("line {line}, column {column} in {}", self.file.display())
    }

    /// The value as the user wrote it, for error messages: a string's text, anything else as it appears in the
    /// file; shortened to one line.
    fn shown(&self, value: &Spanned<DeValue<'_>>) -> String {
        const MAX: usize = 60;
        let raw = match value.get_ref() {
            DeValue::String(s) => s.as_ref(),
            _ => self.text.get(value.span()).unwrap_or_default().trim(),
        };
        let first = raw.lines().next().unwrap_or_default();
        if first.len() < raw.len() || first.chars().count() > MAX {
            let short: String = first.chars().take(MAX).collect();
            format!("{}…", short.trim_end())
        } else {
            first.to_string()
        }
    }

    fn error(&self, field: &str, value: &Spanned<DeValue<'_>>, message: &str) -> ApiError {
        let span = value.span();
        ApiError::invalid(
            field,
            self.shown(value),
            format!("{}: {message}", self.place(&span)),
        )
    }

    fn wrong_type(&self, field: &str, value: &Spanned<DeValue<'_>>, expected: &str) -> ApiError {
        self.error(
            field,
            value,
            &format!("must be {expected}, not {}", a_type(value.get_ref())),
        )
    }

    /// Put the place in the file in front of the message of an error from [`validate`].
    fn locate(&self, error: ApiError, span: &Range<usize>) -> ApiError {
        match error {
            ApiError::InvalidInput {
                field,
                value,
                message,
            } => ApiError::InvalidInput {
                field,
                value,
                message: format!("{}: {message}", self.place(span)),
            },
            other => other,
        }
    }

    fn table<'t, 'i>(
        &self,
        field: &str,
        value: &'t Spanned<DeValue<'i>>,
    ) -> Result<&'t DeTable<'i>, ApiError> {
        match value.get_ref() {
            DeValue::Table(table) => Ok(table),
            _ => Err(self.wrong_type(field, value, &format!("a table, written [{field}]"))),
        }
    }

    fn string<'t>(
        &self,
        field: &str,
        value: &'t Spanned<DeValue<'_>>,
    ) -> Result<&'t str, ApiError> {
        match value.get_ref() {
            DeValue::String(s) => Ok(s.as_ref()),
            _ => Err(self.wrong_type(field, value, "a string in quotes")),
        }
    }

    fn unknown(&mut self, path: &str, key: &Spanned<DeString<'_>>, value: &Spanned<DeValue<'_>>) {
        let (line, _) = line_column(self.text, key.span().start);
        let what = if matches!(value.get_ref(), DeValue::Table(_)) {
            "table"
        } else {
            "key"
        };
        self.config.warnings.push(format!(
            "unknown {what} `{path}` in {} (line {line}) — ignored",
            self.file.display()
        ));
    }

    fn lifecycle(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        repo_root: &Path,
    ) -> Result<(), ApiError> {
        for (key, value) in in_file_order(self.table("lifecycle", value)?) {
            match key.get_ref().as_ref() {
                "setup_script" => {
                    let field = "lifecycle.setup_script";
                    let relative = self.string(field, value)?;
                    let inside =
                        inside_repository(relative).map_err(|why| self.error(field, value, why))?;
                    self.config.setup_script = Some(repo_root.join(inside));
                }
                other => self.unknown(&format!("lifecycle.{other}"), key, value),
            }
        }
        Ok(())
    }

    fn env(&mut self, value: &Spanned<DeValue<'_>>) -> Result<(), ApiError> {
        for (key, value) in in_file_order(self.table("env", value)?) {
            let name = key.get_ref().as_ref();
            let field = format!("env.{name}");
            validate::env_name(&field, name).map_err(|e| self.locate(e, &key.span()))?;
            let text = match value.get_ref() {
                DeValue::String(s) => s.to_string(),
                DeValue::Integer(i) => integer_text(i),
                DeValue::Float(f) => f.as_str().to_string(),
                DeValue::Boolean(b) => b.to_string(),
                DeValue::Datetime(d) => d.to_string(),
                DeValue::Array(_) | DeValue::Table(_) => {
                    let mut error =
                        self.wrong_type(&field, value, "a string, a number or a boolean");
                    if validate::is_secret_name(name) {
                        // Do not repeat what may be a secret in a message that ends up in logs.
                        if let ApiError::InvalidInput { value, .. } = &mut error {
                            *value = "***".into();
                        }
                    }
                    return Err(error);
                }
            };
            self.config.env.push((name.to_string(), text));
        }
        Ok(())
    }

    fn services(&mut self, value: &Spanned<DeValue<'_>>) -> Result<(), ApiError> {
        let services = match value.get_ref() {
            DeValue::Table(table) => table,
            _ => {
                return Err(self.wrong_type(
                    "services",
                    value,
                    "a table of services, each written [services.NAME]",
                ));
            }
        };
        for (key, service) in in_file_order(services) {
            let service_name = key.get_ref().as_ref();
            let service_field = format!("services.{service_name}");
            let table = self.table(&service_field, service)?;
            let mut has_port = false;
            for (key, value) in in_file_order(table) {
                match key.get_ref().as_ref() {
                    "port" => {
                        has_port = true;
                        let field = format!("{service_field}.port");
                        let binding = self.port(&field, value)?;
                        self.add_port(&service_field, binding, &value.span());
                    }
                    "ports" => {
                        has_port = true;
                        let field = format!("{service_field}.ports");
                        let DeValue::Array(items) = value.get_ref() else {
                            return Err(self.wrong_type(
                                &field,
                                value,
                                "an array such as [53, \"53/udp\"]",
                            ));
                        };
                        for item in items.iter() {
                            let binding = self.port(&field, item)?;
                            self.add_port(&service_field, binding, &item.span());
                        }
                    }
                    other => self.unknown(&format!("{service_field}.{other}"), key, value),
                }
            }
            if !has_port {
                let (line, _) = line_column(self.text, key.span().start);
                self.config.warnings.push(format!(
                    "`{service_field}` in {} (line {line}) has no `port` or `ports` — nothing is published for it",
                    self.file.display()
                ));
            }
        }
        Ok(())
    }

    /// One service port: an integer, or a string `8080`, `53/udp`, `53/tcp`.
    fn port(&self, field: &str, value: &Spanned<DeValue<'_>>) -> Result<PortBinding, ApiError> {
        let span = value.span();
        match value.get_ref() {
            DeValue::Integer(i) => {
                let number = i128::from_str_radix(i.as_str(), i.radix())
                    .ok()
                    .and_then(|n| u16::try_from(n).ok())
                    .filter(|n| *n != 0);
                let Some(number) = number else {
                    return Err(self.error(
                        field,
                        value,
                        "must be a port number between 1 and 65535",
                    ));
                };
                validate::service_port(field, number, Protocol::Tcp)
                    .map_err(|e| self.locate(e, &span))
            }
            DeValue::String(s) => {
                validate::service_port_text(field, s).map_err(|e| self.locate(e, &span))
            }
            _ => Err(self.wrong_type(
                field,
                value,
                "a port number such as 8080 or a string such as \"53/udp\"",
            )),
        }
    }

    fn add_port(&mut self, service_field: &str, binding: PortBinding, span: &Range<usize>) {
        if self.config.ports.contains(&binding) {
            let (line, _) = line_column(self.text, span.start);
            self.config.warnings.push(format!(
                "port {}/{} of `{service_field}` in {} (line {line}) is already listed — published once",
                binding.container_port,
                binding.protocol.as_str(),
                self.file.display()
            ));
        } else {
            self.config.ports.push(binding);
        }
    }

    fn sandbox(&mut self, value: &Spanned<DeValue<'_>>) -> Result<(), ApiError> {
        for (key, value) in in_file_order(self.table("sandbox", value)?) {
            match key.get_ref().as_ref() {
                "snapshot" => {
                    let field = "sandbox.snapshot";
                    let name = self.string(field, value)?;
                    validate::name(field, name).map_err(|e| self.locate(e, &value.span()))?;
                    self.config.snapshot = Some(name.to_string());
                }
                "preset" => {
                    let field = "sandbox.preset";
                    let name = self.string(field, value)?;
                    if name.trim().is_empty() {
                        return Err(self.error(
                            field,
                            value,
                            "must name a preset, such as \"coder\"",
                        ));
                    }
                    if name.chars().any(char::is_whitespace) {
                        return Err(self.error(field, value, "must not contain spaces"));
                    }
                    self.config.preset = Some(name.to_string());
                }
                other => self.unknown(&format!("sandbox.{other}"), key, value),
            }
        }
        Ok(())
    }
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
pub fn read_script(field: &str, shown: &str, path: &Path) -> Result<String, ApiError> {
    let bytes = read_bounded(path, MAX_SETUP_SCRIPT_BYTES)
        .map_err(|e| ApiError::invalid(field, shown, format!("cannot read it: {e}")))?
        .ok_or_else(|| {
            ApiError::invalid(field, shown, "too big: a setup script may be at most 1 MiB")
        })?;
    String::from_utf8(bytes)
        .map_err(|_| ApiError::invalid(field, shown, "cannot read it: it is not UTF-8 text"))
}

/// The text of the repository's `[lifecycle] setup_script` (`path`, as [`RepoConfig::setup_script`] has it). The
/// file must resolve, symlinks followed, to a regular file inside `repo_root` (outside its `.git` directory) of at
/// most [`MAX_SETUP_SCRIPT_BYTES`]: a repository must not hand the sandbox a file of the host.
pub fn read_setup_script(repo_root: &Path, path: &Path) -> Result<String, ApiError> {
    let field = "lifecycle.setup_script";
    let shown = path.display().to_string();
    let refuse = |why: String| {
        ApiError::invalid(
            field,
            &shown,
            format!("named in {CONFIG_PATH} but refused: {why}"),
        )
    };
    let root = std::fs::canonicalize(repo_root)
        .map_err(|e| refuse(format!("the repository root cannot be resolved: {e}")))?;
    let target = std::fs::canonicalize(path).map_err(|e| {
        ApiError::invalid(
            field,
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
    read_script(field, &shown, &target).map_err(|e| match e {
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
    fn services_without_ports_and_repeated_ports_are_warnings() {
        let text = "[services.web]\nport = 8080\n\n[services.docs]\n\n[services.proxy]\nports = [8080, 443]\n";
        let config = parse_text(text).unwrap();
        assert_eq!(
            config.ports,
            vec![local(8080, Protocol::Tcp), local(443, Protocol::Tcp)]
        );
        assert_eq!(
            config.warnings,
            vec![
                "`services.docs` in /repo/.amika/config.toml (line 4) has no `port` or `ports` — nothing is \
                 published for it"
                    .to_string(),
                "port 8080/tcp of `services.proxy` in /repo/.amika/config.toml (line 7) is already listed — \
                 published once"
                    .to_string(),
            ]
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
            read_script("setup-script", "s.sh", &root.join("s.sh")).unwrap(),
            "HOST-SENTINEL\n"
        );
        let (field, _, message) =
            invalid(read_script("setup-script", "big.sh", &root.join("big.sh")).unwrap_err());
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
