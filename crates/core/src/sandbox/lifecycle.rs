//! A sandbox-to-be's lifecycle values (S7, N8), one step of [`super::plan`]: auto-stop (the settings' default
//! unless given), auto-delete, and the snapshot mode with its schedule — required when automatic, refused when
//! manual ([`crate::validate::snapshot_schedule`]); the cron is read in the machine's local time zone.

use sbx_api::{ConfigKey, CreateSandboxRequest, EffectiveValue, Settings, ValueSource};

use crate::{Result, validate};

/// The lifecycle values of a sandbox, and their explanation.
#[derive(Debug, Clone)]
pub(super) struct Lifecycle {
    pub auto_stop_minutes: u32,
    pub auto_delete_minutes: Option<u32>,
    pub snapshot_schedule: Option<String>,
    /// What `sbx config explain` says of them, in order.
    pub explained: Vec<EffectiveValue>,
}

/// A flag's value, else the default.
fn source(given: bool) -> ValueSource {
    if given {
        ValueSource::Flag
    } else {
        ValueSource::Default
    }
}

/// Check and resolve the lifecycle values of `request` under `settings`.
pub(super) fn plan(request: &CreateSandboxRequest, settings: &Settings) -> Result<Lifecycle> {
    let auto_stop_minutes = request
        .auto_stop_minutes
        .unwrap_or(settings.default_auto_stop_minutes);
    validate::auto_stop_minutes(auto_stop_minutes)?;
    if let Some(minutes) = request.auto_delete_minutes {
        validate::auto_delete_minutes(minutes)?;
    }
    let snapshot_schedule =
        validate::snapshot_schedule(request.snapshot_mode, request.snapshot_schedule.as_deref())?;
    let value = |field: ConfigKey, value: String, given: bool| EffectiveValue {
        field,
        value,
        source: source(given),
    };
    let explained = vec![
        value(
            ConfigKey::AutoStop,
            if auto_stop_minutes == 0 {
                "off".to_string()
            } else {
                format!("{auto_stop_minutes} min")
            },
            request.auto_stop_minutes.is_some(),
        ),
        value(
            ConfigKey::AutoDelete,
            request
                .auto_delete_minutes
                .map(|m| format!("{m} min after stopping"))
                .unwrap_or_else(|| "keep".into()),
            request.auto_delete_minutes.is_some(),
        ),
        value(
            ConfigKey::SnapshotSchedule,
            snapshot_schedule
                .as_ref()
                .map(|cron| format!("automatic ({cron}, local time)"))
                .unwrap_or_else(|| "manual".into()),
            snapshot_schedule.is_some(),
        ),
    ];
    Ok(Lifecycle {
        auto_stop_minutes,
        auto_delete_minutes: request.auto_delete_minutes,
        snapshot_schedule,
        explained,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sbx_api::SnapshotScheduleMode;

    #[test]
    fn defaults_flags_and_an_automatic_schedule() {
        let settings = Settings::default();
        let planned = plan(&CreateSandboxRequest::default(), &settings).unwrap();
        assert_eq!(
            planned.auto_stop_minutes,
            settings.default_auto_stop_minutes
        );
        assert_eq!(planned.snapshot_schedule, None);
        assert_eq!(planned.explained[2].value, "manual");
        assert_eq!(planned.explained[2].source, ValueSource::Default);
        let request = CreateSandboxRequest {
            auto_stop_minutes: Some(0),
            snapshot_mode: Some(SnapshotScheduleMode::Automatic),
            snapshot_schedule: Some("0 3 * * *".into()),
            ..Default::default()
        };
        let planned = plan(&request, &settings).unwrap();
        assert_eq!(planned.explained[0].value, "off");
        assert_eq!(planned.snapshot_schedule.as_deref(), Some("0 3 * * *"));
        assert_eq!(
            planned.explained[2].value,
            "automatic (0 3 * * *, local time)"
        );
        assert_eq!(planned.explained[2].source, ValueSource::Flag);
        let refused = CreateSandboxRequest {
            snapshot_schedule: Some("0 3 * * *".into()),
            ..Default::default()
        };
        assert!(plan(&refused, &settings).is_err());
    }
}
