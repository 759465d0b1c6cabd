//! Reading `.amika/config.toml`: the TOML parsed with its places kept, each table walked in file order, values of
//! the wrong type and values the rules refuse turned into errors that name the key, the value, the line and the
//! column, and keys the app does not know kept as warnings. `[services]` is read in [`super::services`].

use super::{RepoConfig, inside_repository};
use crate::validate;
use sbx_api::ApiError;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

/// Parse and check the text of a configuration file (see [`super::parse`]).
pub(super) fn read(text: &str, file: &Path, repo_root: &Path) -> Result<RepoConfig, ApiError> {
    let doc = DeTable::parse(text).map_err(|e| {
        let what = e.message().lines().next().unwrap_or("not valid TOML");
        let message = match e.span() {
            Some(span) => {
                let (line, column) = line_column(text, span.start);
                format!("line {line}, column {column}: {what}")
            }
            None => what.to_string(),
        };
        ApiError::invalid(
            sbx_api::Field::ConfigFile,
            file.display().to_string(),
            message,
        )
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

pub(super) type Entry<'t, 'i> = (&'t Spanned<DeString<'i>>, &'t Spanned<DeValue<'i>>);

/// The entries of a table in the order they appear in the file (the parser keeps them sorted by name).
pub(super) fn in_file_order<'t, 'i>(table: &'t DeTable<'i>) -> Vec<Entry<'t, 'i>> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
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

pub(super) fn a_type(value: &DeValue<'_>) -> &'static str {
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

/// A file being read: its text (for places and values as written), its path (named in messages) and what was
/// read so far.
pub(super) struct Reader<'a> {
    pub(super) text: &'a str,
    pub(super) file: &'a Path,
    pub(super) config: RepoConfig,
}

impl Reader<'_> {
    /// `line L, column C in FILE` of a span.
    pub(super) fn place(&self, span: &Range<usize>) -> String {
        let (line, column) = line_column(self.text, span.start);
        format!("line {line}, column {column} in {}", self.file.display())
    }

    /// The value as the user wrote it, for error messages: a string's text, anything else as it appears in the
    /// file; shortened to one line.
    pub(super) fn shown(&self, value: &Spanned<DeValue<'_>>) -> String {
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

    pub(super) fn error(
        &self,
        field: &str,
        value: &Spanned<DeValue<'_>>,
        message: &str,
    ) -> ApiError {
        let span = value.span();
        ApiError::invalid(
            sbx_api::Field::Key(field.to_string()),
            self.shown(value),
            format!("{}: {message}", self.place(&span)),
        )
    }

    pub(super) fn wrong_type(
        &self,
        field: &str,
        value: &Spanned<DeValue<'_>>,
        expected: &str,
    ) -> ApiError {
        self.error(
            field,
            value,
            &format!("must be {expected}, not {}", a_type(value.get_ref())),
        )
    }

    /// Put the place in the file in front of the message of an error from [`validate`].
    pub(super) fn locate(&self, error: ApiError, span: &Range<usize>) -> ApiError {
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

    pub(super) fn table<'t, 'i>(
        &self,
        field: &str,
        value: &'t Spanned<DeValue<'i>>,
    ) -> Result<&'t DeTable<'i>, ApiError> {
        match value.get_ref() {
            DeValue::Table(table) => Ok(table),
            _ => Err(self.wrong_type(field, value, &format!("a table, written [{field}]"))),
        }
    }

    pub(super) fn string<'t>(
        &self,
        field: &str,
        value: &'t Spanned<DeValue<'_>>,
    ) -> Result<&'t str, ApiError> {
        match value.get_ref() {
            DeValue::String(s) => Ok(s.as_ref()),
            _ => Err(self.wrong_type(field, value, "a string in quotes")),
        }
    }

    pub(super) fn unknown(
        &mut self,
        path: &str,
        key: &Spanned<DeString<'_>>,
        value: &Spanned<DeValue<'_>>,
    ) {
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
            validate::env_name(sbx_api::Field::Key(field.clone()), name)
                .map_err(|e| self.locate(e, &key.span()))?;
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

    fn sandbox(&mut self, value: &Spanned<DeValue<'_>>) -> Result<(), ApiError> {
        for (key, value) in in_file_order(self.table("sandbox", value)?) {
            match key.get_ref().as_ref() {
                "snapshot" => {
                    let field = "sandbox.snapshot";
                    let name = self.string(field, value)?;
                    validate::name(sbx_api::Field::Key(field.into()), name)
                        .map_err(|e| self.locate(e, &value.span()))?;
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
