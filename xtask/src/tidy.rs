//! Checks on the source tree itself, run as xtask's tests: every module says what it is for, and sizes a reader can
//! hold (no source file over [`MAX_FILE_LINES`] lines and no function over [`MAX_FN_LINES`], tests aside).
//!
//! The sizes come from a small Rust lexer (strings, raw strings, characters, lifetimes and comments skipped), so
//! braces inside text do not count.

use std::path::{Path, PathBuf};

/// The longest a source file may be, `#[cfg(test)]` modules not counted.
pub const MAX_FILE_LINES: usize = 800;
/// The longest a function may be, from its `fn` line to its closing brace.
pub const MAX_FN_LINES: usize = 150;

/// Every Rust file of the project (not `target`, generated or built folders).
pub fn rust_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if !["target", "gen", "dist", ".git", "node_modules"]
                    .iter()
                    .any(|n| name == *n)
                {
                    walk(&path, out);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = crate::util::root();
    let mut files = Vec::new();
    for dir in ["crates", "src-tauri", "ui", "xtask", "tests"] {
        walk(&root.join(dir), &mut files);
    }
    files.sort();
    files
}

/// Whether `path` is test code as a whole: an integration test folder (`tests/` of a crate) or the end-to-end
/// crate's tests.
fn is_test_file(path: &Path) -> bool {
    let text = path.to_string_lossy().replace('\\', "/");
    text.contains("/tests/")
}

/// A significant token of Rust source: what the size checks need.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Semi,
    Ident(String),
    Hash,
    Other,
}

/// The tokens of `source` with their line (1-based), strings, characters and comments left out.
fn tokens(source: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let count_lines = |from: usize, to: usize, line: &mut usize| {
        *line += chars[from..to.min(chars.len())]
            .iter()
            .filter(|c| **c == '\n')
            .count();
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            '/' if next == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                let start = i;
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                count_lines(start, i, &mut line);
            }
            '"' => {
                let start = i;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                count_lines(start, i, &mut line);
            }
            'r' | 'b' if is_raw_string(&chars, i) => {
                let start = i;
                while chars[i] != 'r' {
                    i += 1;
                }
                i += 1;
                let mut hashes = 0;
                while chars.get(i) == Some(&'#') {
                    hashes += 1;
                    i += 1;
                }
                i += 1; // the opening quote
                loop {
                    if i >= chars.len() {
                        break;
                    }
                    if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
                        i += 1 + hashes;
                        break;
                    }
                    i += 1;
                }
                count_lines(start, i, &mut line);
            }
            'b' if next == Some('"') || next == Some('\'') => {
                // A byte string or byte: the quote handles it next round.
                i += 1;
            }
            '\'' => {
                // A character literal, or a lifetime / label.
                if next == Some('\\') {
                    i += 2;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if chars.get(i + 2) == Some(&'\'') {
                    i += 3;
                } else {
                    i += 1;
                    while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                        i += 1;
                    }
                }
            }
            '{' => {
                out.push((Token::Open, line));
                i += 1;
            }
            '}' => {
                out.push((Token::Close, line));
                i += 1;
            }
            ';' => {
                out.push((Token::Semi, line));
                i += 1;
            }
            '#' => {
                out.push((Token::Hash, line));
                i += 1;
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push((Token::Ident(chars[start..i].iter().collect()), line));
            }
            c if c.is_whitespace() => i += 1,
            _ => {
                out.push((Token::Other, line));
                i += 1;
            }
        }
    }
    out
}

/// Whether a raw string (`r"`, `r#"`, `br"`, `br#"`) starts at `i`.
fn is_raw_string(chars: &[char], i: usize) -> bool {
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return false;
    }
    let mut j = i;
    if chars[j] == 'b' {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return false;
    }
    j += 1;
    while chars.get(j) == Some(&'#') {
        j += 1;
    }
    chars.get(j) == Some(&'"')
}

/// The index of the token closing the brace opened at `open`.
fn matching_close(tokens: &[(Token, usize)], open: usize) -> usize {
    let mut depth = 0;
    for (k, (token, _)) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::Open => depth += 1,
            Token::Close => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    tokens.len().saturating_sub(1)
}

/// What the size checks measure of one file: its lines outside `#[cfg(test)]` items, and each function outside
/// them with its length in lines.
#[derive(Debug, Default)]
pub struct Sizes {
    /// Lines of the file, test modules not counted.
    pub lines: usize,
    /// `(name, first line, lines)` of every function with a body.
    pub functions: Vec<(String, usize, usize)>,
}

/// Measure `source`.
pub fn measure(source: &str) -> Sizes {
    let tokens = tokens(source);
    let total = source.lines().count();
    let mut test_lines = 0;
    let mut functions = Vec::new();
    let mut k = 0;
    while k < tokens.len() {
        // `# [ cfg ( test ) ]` then an item with a body: skip it whole.
        if tokens[k].0 == Token::Hash
            && matches!(tokens.get(k + 2), Some((Token::Ident(i), _)) if i == "cfg")
            && matches!(tokens.get(k + 4), Some((Token::Ident(i), _)) if i == "test")
        {
            let start_line = tokens[k].1;
            let mut j = k + 1;
            while j < tokens.len() && !matches!(tokens[j].0, Token::Open | Token::Semi) {
                j += 1;
            }
            if j < tokens.len() && tokens[j].0 == Token::Open {
                let close = matching_close(&tokens, j);
                test_lines += tokens[close].1 - start_line + 1;
                k = close + 1;
                continue;
            }
        }
        if let (Token::Ident(word), line) = &tokens[k]
            && word == "fn"
            && let Some((Token::Ident(name), _)) = tokens.get(k + 1)
        {
            let mut j = k + 2;
            while j < tokens.len() && !matches!(tokens[j].0, Token::Open | Token::Semi) {
                j += 1;
            }
            if j < tokens.len() && tokens[j].0 == Token::Open {
                let close = matching_close(&tokens, j);
                functions.push((name.clone(), *line, tokens[close].1 - line + 1));
            }
        }
        k += 1;
    }
    Sizes {
        lines: total.saturating_sub(test_lines),
        functions,
    }
}

/// Files and functions over the limits that are being split, as `path` or `path: fn name`. The list only shrinks:
/// the check fails when one of them fits again, so it is taken off.
const BEING_SPLIT: &[&str] = &[];

/// Every file or function over the limits, as `(key, what)` where the key is `path` or `path: fn name`, test code
/// aside.
pub fn oversized() -> Vec<(String, String)> {
    let root = crate::util::root();
    let mut found = Vec::new();
    for file in rust_files() {
        if is_test_file(&file) {
            continue;
        }
        let Ok(source) = std::fs::read_to_string(&file) else {
            continue;
        };
        let shown = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        let sizes = measure(&source);
        if sizes.lines > MAX_FILE_LINES {
            found.push((shown.clone(), format!("{shown}: {} lines", sizes.lines)));
        }
        for (name, line, length) in sizes.functions {
            if length > MAX_FN_LINES {
                found.push((
                    format!("{shown}: fn {name}"),
                    format!("{shown}:{line}: fn {name} is {length} lines"),
                ));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every Rust file starts with a `//!` line saying what it is for.
    #[test]
    fn every_module_says_what_it_is_for() {
        let files = rust_files();
        assert!(files.len() > 50, "found only {} files", files.len());
        let missing: Vec<String> = files
            .iter()
            .filter(|f| {
                !std::fs::read_to_string(f)
                    .unwrap_or_default()
                    .trim_start()
                    .starts_with("//!")
            })
            .map(|f| f.display().to_string())
            .collect();
        assert!(missing.is_empty(), "no //! line: {missing:?}");
    }

    #[test]
    fn the_lexer_skips_text_and_finds_functions_and_test_modules() {
        let source = r####"//! x
fn one() {
    let s = "}}}";
    let r = r#"{ "#;
    let c = '}';
    let l: &'static str = "";
}
/* { */ // {
fn two() -> u8 { 1 }
trait T { fn declared(&self); }
#[cfg(test)]
mod tests {
    fn inside() {}
}
"####;
        let sizes = measure(source);
        let names: Vec<&str> = sizes.functions.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(names, ["one", "two"]);
        assert_eq!(sizes.functions[0].2, 6);
        assert_eq!(sizes.lines, source.lines().count() - 4);
    }

    /// Sizes a reader can hold: no source file over 800 lines and no function over 150, tests aside.
    #[test]
    fn files_and_functions_stay_small() {
        let found = oversized();
        let new: Vec<&str> = found
            .iter()
            .filter(|(key, _)| !BEING_SPLIT.contains(&key.as_str()))
            .map(|(_, what)| what.as_str())
            .collect();
        assert!(new.is_empty(), "too big:\n{}", new.join("\n"));
        let fits: Vec<&&str> = BEING_SPLIT
            .iter()
            .filter(|known| !found.iter().any(|(key, _)| key == *known))
            .collect();
        assert!(
            fits.is_empty(),
            "these fit now; take them off BEING_SPLIT: {fits:?}"
        );
    }
}
