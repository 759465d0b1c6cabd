//! What the dialogs check as the user types, through the app's own rules ([`sbx_api::rules`]): the same functions
//! the core and the CLI call, so a value the window lets through is one the app accepts, and a refusal reads the
//! same here as from the app. Pure (no browser): its tests run natively.

use sbx_api::{Field, rules};
use std::ops::RangeInclusive;

/// A range as the dialogs show it: `1–32`.
pub(crate) fn range_text(range: &RangeInclusive<u32>) -> String {
    format!("{}–{}", range.start(), range.end())
}

/// Why `value` is not a valid name for `field` (the app's rule and words), or `None` when it is.
pub(crate) fn name_problem(field: Field, value: &str) -> Option<String> {
    rules::name(field, value).err().map(|e| e.to_string())
}

/// Why an optional name field is invalid; an empty field is fine (the name is generated).
pub(crate) fn optional_name_problem(field: Field, value: &str) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        None
    } else {
        name_problem(field, trimmed)
    }
}

/// Parse an optional whole number within `range`: empty is `Ok(None)`, anything else invalid is the reason.
pub(crate) fn parse_optional_number(
    value: &str,
    range: &RangeInclusive<u32>,
) -> Result<Option<u32>, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let shown = range_text(range);
    match trimmed.parse::<u32>() {
        Ok(number) if range.contains(&number) => Ok(Some(number)),
        Ok(number) => Err(format!("{number} is out of range: use {shown}")),
        Err(_) => Err(format!("'{trimmed}' is not a whole number ({shown})")),
    }
}

/// The trimmed text of an optional field, `None` when empty.
pub(crate) fn optional_text(value: &str) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_apps_rule() {
        assert_eq!(name_problem(Field::Name, "teal-tokyo"), None);
        assert_eq!(
            name_problem(Field::Name, "My Box").as_deref(),
            Some(
                "invalid name 'My Box': may contain only lowercase letters a-z, digits 0-9 and '-', not 'M'"
            )
        );
        // The app refuses a leading or trailing hyphen; so does the window.
        assert!(name_problem(Field::SnapshotName, "-base").is_some());
        assert_eq!(optional_name_problem(Field::Name, "  "), None);
        assert!(optional_name_problem(Field::Name, &"a".repeat(41)).is_some());
    }

    #[test]
    fn numbers_in_range() {
        assert_eq!(parse_optional_number(" ", &rules::CPUS), Ok(None));
        assert_eq!(parse_optional_number("4", &rules::CPUS), Ok(Some(4)));
        assert_eq!(
            parse_optional_number("64", &rules::CPUS),
            Err("64 is out of range: use 1–32".to_string())
        );
        assert_eq!(
            parse_optional_number("lots", &rules::MEMORY_MIB),
            Err("'lots' is not a whole number (128–32768)".to_string())
        );
        assert_eq!(optional_text("  x "), Some("x".to_string()));
    }
}
