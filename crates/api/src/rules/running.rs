//! The rules of what a sandbox runs and when it is snapshotted: its main command (a command line, or the image's
//! own command, never both), its snapshot mode (a schedule required when automatic, refused otherwise), how many
//! automatic snapshots a sandbox keeps, and when a cron schedule fires in a given time zone.

use chrono::{DateTime, DurationRound, TimeDelta, TimeZone};
use std::ops::RangeInclusive;

use super::{cron_schedule, in_range};
use crate::{ApiError, Field, MainCommand, SnapshotScheduleMode};

/// How many automatic snapshots a sandbox may keep: 1–100.
pub const AUTOMATIC_SNAPSHOTS_KEPT: RangeInclusive<u32> = 1..=100;
/// The longest main command line, in bytes.
pub const MAIN_COMMAND_MAX_BYTES: usize = 16 * 1024;

/// The main command a create asks for: `--command CMD` (a non-empty line without NUL, at most
/// [`MAIN_COMMAND_MAX_BYTES`]), `--image-command` (its argv read from the image later), or neither (`None`: the
/// snapshot's, else the keep-alive). Both at once is an error.
pub fn main_command(
    command: Option<&str>,
    image_command: bool,
) -> Result<Option<MainCommand>, ApiError> {
    let command = command.filter(|c| !c.trim().is_empty());
    match (command, image_command) {
        (Some(text), true) => Err(ApiError::invalid(
            Field::Command,
            text,
            "give either a command or --image-command (the image's own command), not both",
        )),
        (Some(text), false) => {
            if text.contains('\0') {
                return Err(ApiError::invalid(
                    Field::Command,
                    text.escape_debug().to_string(),
                    "must not contain a NUL character",
                ));
            }
            if text.len() > MAIN_COMMAND_MAX_BYTES {
                return Err(ApiError::invalid(
                    Field::Command,
                    format!("{}…", text.chars().take(40).collect::<String>()),
                    format!(
                        "is {} bytes; a main command is at most {MAIN_COMMAND_MAX_BYTES} bytes (put a longer one in a script)",
                        text.len()
                    ),
                ));
            }
            Ok(Some(MainCommand::Shell(text.trim().to_string())))
        }
        (None, true) => Ok(Some(MainCommand::Image(Vec::new()))),
        (None, false) => Ok(None),
    }
}

/// The automatic snapshot schedule a create asks for, checked against its mode (manual when absent): automatic
/// needs a five-field cron expression, manual refuses one. The schedule as kept (spaces normalized), or `None`
/// for manual.
pub fn snapshot_schedule(
    mode: Option<SnapshotScheduleMode>,
    schedule: Option<&str>,
) -> Result<Option<String>, ApiError> {
    let schedule = schedule.map(str::trim).filter(|s| !s.is_empty());
    match (mode.unwrap_or_default(), schedule) {
        (SnapshotScheduleMode::Manual, None) => Ok(None),
        (SnapshotScheduleMode::Manual, Some(cron)) => Err(ApiError::invalid(
            Field::SnapshotSchedule,
            cron,
            "a schedule is only taken when the snapshot mode is automatic; manual snapshots have none",
        )),
        (SnapshotScheduleMode::Automatic, None) => Err(ApiError::invalid(
            Field::SnapshotSchedule,
            "",
            "automatic snapshots need a five-field cron schedule, e.g. \"0 */2 * * *\" for every two hours",
        )),
        (SnapshotScheduleMode::Automatic, Some(cron)) => {
            cron_schedule(cron)?;
            Ok(Some(cron.split_whitespace().collect::<Vec<_>>().join(" ")))
        }
    }
}

/// Check the automatic snapshots kept per sandbox setting: 1–100.
pub fn automatic_snapshots_kept(value: u32) -> Result<(), ApiError> {
    in_range(
        Field::AutomaticSnapshotsKept,
        value,
        AUTOMATIC_SNAPSHOTS_KEPT,
        " snapshots per sandbox",
    )
}

/// The next time a five-field cron expression fires, strictly after `after`, reading the expression in `after`'s
/// time zone (the core passes the machine's local time). `None` if the expression is not valid or never fires
/// again.
pub fn cron_next_in<Tz: TimeZone>(value: &str, after: &DateTime<Tz>) -> Option<DateTime<Tz>> {
    let cron = super::parse_cron(value).ok()?;
    // Cron has minute resolution; drop the fraction so "one second later" never lands mid-second.
    let whole = after.clone().duration_trunc(TimeDelta::seconds(1)).ok()?;
    let next = cron.find_next_occurrence(&whole, false).ok()?;
    (next > *after).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, Utc};

    fn field_of(error: ApiError) -> String {
        match error {
            ApiError::InvalidInput { field, .. } => field.as_str().to_string(),
            other => panic!("not an invalid input: {other:?}"),
        }
    }

    #[test]
    fn a_main_command_or_the_images_never_both() {
        assert_eq!(main_command(None, false), Ok(None));
        assert_eq!(main_command(Some("  "), false), Ok(None));
        assert_eq!(
            main_command(Some(" python -m http.server "), false),
            Ok(Some(MainCommand::Shell("python -m http.server".into())))
        );
        assert_eq!(
            main_command(None, true),
            Ok(Some(MainCommand::Image(Vec::new())))
        );
        assert_eq!(
            field_of(main_command(Some("x"), true).unwrap_err()),
            "command"
        );
        assert_eq!(
            field_of(main_command(Some("a\0b"), false).unwrap_err()),
            "command"
        );
        let long = "x".repeat(MAIN_COMMAND_MAX_BYTES + 1);
        assert_eq!(
            field_of(main_command(Some(&long), false).unwrap_err()),
            "command"
        );
    }

    #[test]
    fn a_schedule_is_required_when_automatic_and_refused_otherwise() {
        use SnapshotScheduleMode::*;
        assert_eq!(snapshot_schedule(None, None), Ok(None));
        assert_eq!(snapshot_schedule(Some(Manual), Some(" ")), Ok(None));
        assert_eq!(
            snapshot_schedule(Some(Automatic), Some("0  */2 * * *")),
            Ok(Some("0 */2 * * *".into()))
        );
        for refused in [
            snapshot_schedule(None, Some("0 * * * *")),
            snapshot_schedule(Some(Manual), Some("0 * * * *")),
            snapshot_schedule(Some(Automatic), None),
            snapshot_schedule(Some(Automatic), Some("0 * * *")),
        ] {
            assert_eq!(field_of(refused.unwrap_err()), "snapshot-schedule");
        }
    }

    #[test]
    fn kept_automatic_snapshots_are_bounded() {
        assert_eq!(automatic_snapshots_kept(1), Ok(()));
        assert_eq!(automatic_snapshots_kept(100), Ok(()));
        assert_eq!(
            field_of(automatic_snapshots_kept(0).unwrap_err()),
            "automatic_snapshots_kept"
        );
        assert!(automatic_snapshots_kept(101).is_err());
    }

    #[test]
    fn cron_reads_the_time_zone_it_is_given() {
        // 03:00 every day, read at 01:00 UTC: in UTC the next is 03:00 UTC; at UTC+05:30 (06:30 local) it is
        // 03:00 local the next day, which is 21:30 UTC.
        let utc = chrono::DateTime::parse_from_rfc3339("2026-11-23T01:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let next = cron_next_in("0 3 * * *", &utc).unwrap();
        assert_eq!(next.to_rfc3339(), "2026-11-23T03:00:00+00:00");
        let india = FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
        let local = cron_next_in("0 3 * * *", &utc.with_timezone(&india)).unwrap();
        assert_eq!(
            local.with_timezone(&Utc).to_rfc3339(),
            "2026-11-23T21:30:00+00:00"
        );
        assert_eq!(cron_next_in("nonsense", &utc), None);
    }
}
