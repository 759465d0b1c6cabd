//! What the app's explanation of the request says about each field of the dialog: its effective value, the tag
//! saying where it came from, the repository's default snapshot, and the script a repository configures. Pure:
//! its tests run natively.

use sbx_api::{ConfigExplanation, EffectiveValue, ValueSource};

use super::control::Control;

/// The explanation's values for a dialog field.
pub(super) fn explained(explanation: &ConfigExplanation, field: Control) -> Vec<&EffectiveValue> {
    explanation
        .values
        .iter()
        .filter(|v| Control::for_key(&v.field) == Some(field))
        .collect()
}

/// The repository default snapshot an explanation (of a request asking for it) names.
pub(super) fn repository_default(explanation: &ConfigExplanation) -> Option<String> {
    explained(explanation, Control::Snapshot)
        .into_iter()
        .find(|v| matches!(v.source, ValueSource::RepoConfig | ValueSource::App))
        .map(|v| v.value.clone())
        .filter(|v| !v.is_empty())
}

/// The tag beside a field whose value came from the repository, the app or the snapshot started from:
/// (text, tooltip).
pub(super) fn source_tag(
    explanation: &ConfigExplanation,
    field: Control,
) -> Option<(String, String)> {
    let values: Vec<&EffectiveValue> = explained(explanation, field)
        .into_iter()
        .filter(|v| {
            matches!(
                v.source,
                ValueSource::RepoConfig
                    | ValueSource::App
                    | ValueSource::Snapshot
                    | ValueSource::Profile
            )
        })
        .collect();
    if values.is_empty() {
        return None;
    }
    let has = |source: ValueSource| values.iter().any(|v| v.source == source);
    let text = match field {
        Control::Snapshot if has(ValueSource::RepoConfig) => {
            "repository default, from .amika/config.toml"
        }
        Control::Snapshot => "repository default, set in the app",
        _ if has(ValueSource::RepoConfig) => "from .amika/config.toml",
        _ if has(ValueSource::App) => "from app settings",
        _ if has(ValueSource::Profile) => "from the profile",
        _ => "from the snapshot",
    };
    let tooltip = values
        .iter()
        .map(|v| format!("{} = {} ({})", v.field, v.value, v.source.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
    Some((text.to_string(), tooltip))
}

/// The effective value of a single-valued field, when the explanation has one.
pub(super) fn effective_value(
    explanation: &Option<ConfigExplanation>,
    field: Control,
) -> Option<String> {
    explanation
        .as_ref()
        .and_then(|e| explained(e, field).first().map(|v| v.value.clone()))
        .filter(|v| !v.is_empty())
}

/// The setup script the repository configures, when it does (the explanation also names the no-op script and a
/// skipped setup, which come from no repository).
pub(super) fn repository_script(explanation: &ConfigExplanation) -> Option<String> {
    explained(explanation, Control::SetupScript)
        .into_iter()
        .find(|v| v.source == ValueSource::RepoConfig && !v.value.is_empty())
        .map(|v| v.value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sbx_api::ConfigKey;

    fn value(field: &str, value: &str, source: ValueSource) -> EffectiveValue {
        EffectiveValue {
            field: ConfigKey::parse(field),
            value: value.into(),
            source,
        }
    }

    fn explanation(values: Vec<EffectiveValue>) -> ConfigExplanation {
        ConfigExplanation {
            repo_root: None,
            config_file: None,
            values,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn values_find_their_fields() {
        let e = explanation(vec![
            value("snapshot", "base", ValueSource::RepoConfig),
            value("env.TOKEN", "***", ValueSource::RepoConfig),
            value("env.MODE", "dev", ValueSource::Flag),
            value("auto_stop", "30 minutes", ValueSource::App),
            value("setup_script", ".amika/setup.sh", ValueSource::RepoConfig),
        ]);
        assert_eq!(repository_default(&e), Some("base".to_string()));
        assert_eq!(explained(&e, Control::Env).len(), 2);
        assert_eq!(
            source_tag(&e, Control::Snapshot).map(|t| t.0),
            Some("repository default, from .amika/config.toml".to_string())
        );
        assert_eq!(
            source_tag(&e, Control::AutoStop).map(|t| t.0),
            Some("from app settings".to_string())
        );
        assert_eq!(
            source_tag(&e, Control::Env).map(|t| t.1),
            Some("env.TOKEN = *** (.amika/config.toml)".to_string())
        );
        assert_eq!(source_tag(&e, Control::Cpus), None);
        assert_eq!(
            effective_value(&Some(e.clone()), Control::AutoStop),
            Some("30 minutes".to_string())
        );
        assert_eq!(repository_script(&e), Some(".amika/setup.sh".to_string()));
    }
}
