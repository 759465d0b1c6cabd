//! Printing: JSON for `--json`, aligned tables for people.

use serde::Serialize;

/// Print `value` as pretty JSON on stdout.
pub fn json<T: Serialize>(value: &T) -> Result<(), sbx_api::ApiError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| sbx_api::ApiError::internal(e.to_string()))?;
    println!("{text}");
    Ok(())
}

#[allow(dead_code)] // used by the list commands
/// Print rows under a header, columns padded to the widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        println!("{}", out.trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
}

/// `key: value` lines, keys padded.
pub fn facts(pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in pairs {
        println!("{key:<width$}  {value}");
    }
}
