//! Progress of a transfer: the bytes written to an export file or read from an import file, as `Progress` events
//! (a message and a fraction), at most about a hundred per transfer. An export has no job row (nothing is left to
//! recover when it stops: the file is written beside the target and renamed once whole), so its events carry an id
//! of their own and a last event with `done`; an import's carry its job's id, whose end the job reports.

use sbx_api::{JobKind, JobStage, Progress, UiEvent};
use tokio::sync::broadcast;

/// The least bytes between two events.
const MIN_STEP: u64 = 1024 * 1024;

/// Counts the bytes of one transfer and reports them.
#[derive(Debug)]
pub(crate) struct TransferProgress {
    events: broadcast::Sender<UiEvent>,
    job_id: String,
    kind: JobKind,
    stage: JobStage,
    target: String,
    total: u64,
    moved: u64,
    next_report: u64,
}

impl TransferProgress {
    /// Progress of `kind` work on `target` (the snapshot), of about `total` bytes, under `job_id`.
    pub(crate) fn new(
        events: broadcast::Sender<UiEvent>,
        job_id: String,
        kind: JobKind,
        target: &str,
        total: u64,
    ) -> TransferProgress {
        let stage = match kind {
            JobKind::Export => JobStage::Writing,
            _ => JobStage::Loading,
        };
        TransferProgress {
            events,
            job_id,
            kind,
            stage,
            target: target.to_string(),
            total,
            moved: 0,
            next_report: 0,
        }
    }

    /// `bytes` more were moved; reports when enough did since the last report.
    pub(crate) fn add(&mut self, bytes: usize) {
        self.moved += bytes as u64;
        if self.moved >= self.next_report {
            self.next_report = self.moved + (self.total / 100).max(MIN_STEP);
            self.report(false, None);
        }
    }

    /// The last event: done, with the error when it failed.
    pub(crate) fn finish(&self, error: Option<String>) {
        self.report(true, error);
    }

    fn report(&self, done: bool, error: Option<String>) {
        let verb = match self.kind {
            JobKind::Export => "written",
            _ => "read",
        };
        let fraction = (self.total > 0).then(|| {
            (self.moved as f64 / self.total as f64).min(if done { 1.0 } else { 0.99 }) as f32
        });
        let _ = self.events.send(UiEvent::Progress(Progress {
            job_id: self.job_id.clone(),
            kind: self.kind,
            target: self.target.clone(),
            stage: if done {
                if error.is_some() {
                    JobStage::Failed
                } else {
                    JobStage::Done
                }
            } else {
                self.stage
            },
            message: format!("{} MB {verb}", self.moved / 1_000_000),
            fraction,
            done,
            error,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_about_every_hundredth_and_a_last_event() {
        let (sender, mut received) = broadcast::channel(1000);
        let mut progress =
            TransferProgress::new(sender, "x".into(), JobKind::Export, "snap", 400 * MIN_STEP);
        for _ in 0..400 {
            progress.add(MIN_STEP as usize);
        }
        progress.finish(None);
        let mut events = Vec::new();
        while let Ok(UiEvent::Progress(p)) = received.try_recv() {
            events.push(p);
        }
        assert!((90..=110).contains(&events.len()), "{}", events.len());
        let last = events.last().unwrap();
        assert!(last.done && last.error.is_none());
        assert_eq!((last.stage, last.fraction), (JobStage::Done, Some(1.0)));
        assert!(
            events[..events.len() - 1]
                .iter()
                .all(|p| p.stage == JobStage::Writing && p.fraction.is_some_and(|f| f <= 0.99))
        );
    }
}
