//! The dialog's fields as one enum: their element ids, the field of the app's errors each one shows, and the values
//! of the effective configuration each one explains. Pure: its tests run natively.

use sbx_api::{ConfigKey, Field};

/// A field of the dialog, for errors and source tags.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Control {
    Repository,
    Branch,
    Name,
    Preset,
    Image,
    Snapshot,
    SnapshotMode,
    Schedule,
    SetupScript,
    Command,
    Ports,
    Env,
    Secrets,
    Cpus,
    Memory,
    AutoStop,
    AutoDelete,
    Profile,
}

impl Control {
    /// Every field, in the order the dialog shows them (errors are listed in this order).
    pub(super) const ALL: [Control; 18] = [
        Control::Repository,
        Control::Branch,
        Control::Name,
        Control::Preset,
        Control::Image,
        Control::Profile,
        Control::Snapshot,
        Control::SnapshotMode,
        Control::Schedule,
        Control::SetupScript,
        Control::Command,
        Control::Ports,
        Control::Env,
        Control::Secrets,
        Control::Cpus,
        Control::Memory,
        Control::AutoStop,
        Control::AutoDelete,
    ];

    /// The element id of the field's control.
    pub(super) fn id(self) -> &'static str {
        match self {
            Control::Repository => "create-repository",
            Control::Branch => "create-branch",
            Control::Name => "create-name",
            Control::Preset => "create-preset",
            Control::Image => "create-image",
            Control::Snapshot => "create-snapshot",
            Control::SnapshotMode => "create-snapshot-mode",
            Control::Schedule => "create-schedule",
            Control::SetupScript => "create-setup-script",
            Control::Command => "create-command",
            Control::Ports => "create-ports",
            Control::Env => "create-env",
            Control::Secrets => "create-secrets",
            Control::Cpus => "create-cpus",
            Control::Memory => "create-memory",
            Control::AutoStop => "create-auto-stop",
            Control::AutoDelete => "create-auto-delete",
            Control::Profile => "create-profile",
        }
    }

    /// The id of the line that shows the field's error.
    pub(super) fn error_id(self) -> String {
        format!("{}-error", self.id())
    }

    /// The dialog's field for the field an app error names (`InvalidInput.field`), if the dialog has it.
    pub(super) fn for_field(field: &Field) -> Option<Control> {
        Some(match field {
            Field::Git => Control::Repository,
            Field::Branch => Control::Branch,
            Field::Name => Control::Name,
            Field::Preset => Control::Preset,
            Field::Image => Control::Image,
            Field::Snapshot => Control::Snapshot,
            Field::SnapshotMode => Control::SnapshotMode,
            Field::SnapshotSchedule => Control::Schedule,
            Field::SetupScript => Control::SetupScript,
            Field::Command => Control::Command,
            Field::Port => Control::Ports,
            Field::Env => Control::Env,
            Field::Cpus => Control::Cpus,
            Field::Memory => Control::Memory,
            Field::AutoStop => Control::AutoStop,
            Field::AutoDelete => Control::AutoDelete,
            Field::Profile => Control::Profile,
            _ => return None,
        })
    }

    /// The dialog's field for the effective value `key` explains (one field may have several, like Env).
    pub(super) fn for_key(key: &ConfigKey) -> Option<Control> {
        Some(match key {
            ConfigKey::Repository => Control::Repository,
            ConfigKey::Branch => Control::Branch,
            ConfigKey::Snapshot => Control::Snapshot,
            ConfigKey::Preset => Control::Preset,
            ConfigKey::Image => Control::Image,
            ConfigKey::SetupScript => Control::SetupScript,
            ConfigKey::Env(_) => Control::Env,
            ConfigKey::Port => Control::Ports,
            ConfigKey::Cpus => Control::Cpus,
            ConfigKey::Memory => Control::Memory,
            ConfigKey::AutoStop => Control::AutoStop,
            ConfigKey::AutoDelete => Control::AutoDelete,
            ConfigKey::SnapshotSchedule => Control::Schedule,
            ConfigKey::MainCommand => Control::Command,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_values_find_their_field() {
        assert_eq!(Control::for_field(&Field::Git), Some(Control::Repository));
        assert_eq!(Control::for_field(&Field::Port), Some(Control::Ports));
        assert_eq!(
            Control::for_field(&Field::Key("services.web.port".into())),
            None
        );
        assert_eq!(
            Control::for_key(&ConfigKey::Env("TOKEN".into())),
            Some(Control::Env)
        );
        assert_eq!(Control::for_key(&ConfigKey::Credentials), None);
        let ids: std::collections::HashSet<&str> = Control::ALL.iter().map(|c| c.id()).collect();
        assert_eq!(ids.len(), Control::ALL.len(), "one id per field");
    }
}
