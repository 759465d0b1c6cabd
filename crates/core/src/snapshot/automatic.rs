//! Automatic snapshots (N8, seed 003): a sandbox in automatic mode is snapshotted on its five-field cron schedule,
//! read in the machine's local time zone. A tick fires only when the sandbox is running and no snapshot of it is in
//! flight; a skipped tick is not queued. Each sandbox keeps the newest N of its automatic snapshots (the settings'
//! `automatic_snapshots_kept`, default 5) besides any retention in days: the runner deletes older ones at its
//! next pass (the newest N active ones are kept, and at most N failed ones).

use chrono::{DateTime, Local, TimeZone, Utc};
use sbx_api::{CreateSnapshotRequest, SnapshotMode, SnapshotStatus};
use std::sync::Arc;

use crate::store::{sandboxes, snapshots};
use crate::{Core, Result, settings, validate};

impl Core {
    /// Automatic snapshots: for each sandbox with a schedule, when a cron tick has come since the last one, take a
    /// snapshot if the sandbox is running and none is in flight; otherwise skip the tick (never queued). Then keep
    /// only the newest automatic snapshots of each.
    pub(crate) async fn schedule_pass(self: &Arc<Self>) -> Result<()> {
        let rows = sandboxes::created_schedules(self.store().pool()).await?;
        let now = Utc::now();
        let keep = settings::load(&self.paths().settings()).automatic_snapshots_kept;
        for sandboxes::ScheduleRow {
            name,
            last_schedule_tick,
            created_at,
        } in rows
        {
            let Ok(record) = self.sandbox_record(&name).await else {
                continue;
            };
            let Some(schedule) = record.spec.snapshot_schedule.clone() else {
                continue;
            };
            if let Err(error) = self.prune_automatic(&record.spec.id, keep).await {
                tracing::warn!("keeping the newest automatic snapshots of {name}: {error}");
            }
            let since = last_schedule_tick.unwrap_or(created_at);
            if !tick_due(&schedule, since, now) {
                continue;
            }
            sandboxes::set_schedule_tick(self.store().pool(), &record.spec.id, now).await?;
            let request = CreateSnapshotRequest {
                sandbox: name.clone(),
                name: super::capture::generated_name("auto", &name),
                mode: SnapshotMode::Full,
                quick: false,
                wait: false,
            };
            match self.take_snapshot(&request, true).await {
                Ok(snapshot) => tracing::info!("automatic snapshot {} of {name}", snapshot.name),
                Err(error) => tracing::info!("automatic snapshot of {name} skipped: {error}"),
            }
        }
        Ok(())
    }

    /// Delete the automatic snapshots of sandbox `sandbox_id` beyond the newest `keep` active ones (and beyond the
    /// newest `keep` failed ones); the names deleted.
    pub async fn prune_automatic(&self, sandbox_id: &str, keep: u32) -> Result<Vec<String>> {
        let listed = snapshots::automatic_of(self.store().pool(), sandbox_id).await?;
        let keep = keep.max(1) as usize;
        let (mut active, mut failed) = (0usize, 0usize);
        let mut deleted = Vec::new();
        for snapshot in listed {
            let seen = if snapshot.status == SnapshotStatus::Failed.as_str() {
                &mut failed
            } else {
                &mut active
            };
            *seen += 1;
            if *seen <= keep {
                continue;
            }
            let Some(record) = snapshots::by_name(self.store().pool(), &snapshot.name).await?
            else {
                continue;
            };
            self.remove_snapshot(record).await?;
            deleted.push(snapshot.name);
        }
        Ok(deleted)
    }
}

/// When `schedule` fires next, strictly after `after`, reading it in the machine's local time zone.
pub fn next_fire(schedule: &str, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    next_fire_in(schedule, after, &Local)
}

/// [`next_fire`], reading the schedule in time zone `zone`.
pub fn next_fire_in<Tz: TimeZone>(
    schedule: &str,
    after: DateTime<Utc>,
    zone: &Tz,
) -> Option<DateTime<Utc>> {
    validate::cron_next_in(schedule, &after.with_timezone(zone)).map(|t| t.with_timezone(&Utc))
}

/// Whether a cron tick of `schedule` (in the machine's local time zone) falls in `(since, now]`.
pub fn tick_due(schedule: &str, since: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    next_fire(schedule, since).is_some_and(|next| next <= now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn due_in<Tz: TimeZone>(zone: &Tz, schedule: &str, since: &str, now: &str) -> bool {
        next_fire_in(schedule, at(since), zone).is_some_and(|next| next <= at(now))
    }

    #[test]
    fn ticks_fire_once_per_period_and_are_not_queued() {
        // Every two hours: a tick at 10:00 is due at 10:00:30 since 09:30.
        let utc = &Utc;
        assert!(due_in(
            utc,
            "0 */2 * * *",
            "2026-11-23T09:30:00Z",
            "2026-11-23T10:00:30Z"
        ));
        // Not due again until 12:00 once the 10:00 tick was taken.
        assert!(!due_in(
            utc,
            "0 */2 * * *",
            "2026-11-23T10:00:30Z",
            "2026-11-23T11:59:00Z"
        ));
        // Missed ticks (asleep from 10:00 to 17:00) give one tick, not several: the caller records "now".
        assert!(due_in(
            utc,
            "0 */2 * * *",
            "2026-11-23T09:30:00Z",
            "2026-11-23T17:00:00Z"
        ));
        assert!(!due_in(
            utc,
            "0 */2 * * *",
            "2026-11-23T17:00:00Z",
            "2026-11-23T17:30:00Z"
        ));
    }

    #[test]
    fn schedules_are_read_in_the_local_time_zone() {
        // 09:00 every day at UTC+02:00 is 07:00 UTC: due at 07:00:30 UTC, not at 09:00 UTC the day before.
        let plus_two = FixedOffset::east_opt(2 * 3600).unwrap();
        assert_eq!(
            next_fire_in("0 9 * * *", at("2026-11-23T06:00:00Z"), &plus_two),
            Some(at("2026-11-23T07:00:00Z"))
        );
        assert!(due_in(
            &plus_two,
            "0 9 * * *",
            "2026-11-23T06:00:00Z",
            "2026-11-23T07:00:30Z"
        ));
        assert!(!due_in(
            &plus_two,
            "0 9 * * *",
            "2026-11-23T07:00:30Z",
            "2026-11-23T09:00:30Z"
        ));
    }
}
