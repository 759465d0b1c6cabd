//! Automatic snapshots, inside the Sandbox Snapshot section: the snapshot mode (manual, the default, or automatic)
//! and, for automatic, its five-field cron schedule in this machine's local time (required then; a manual sandbox
//! has none, so choosing Manual clears it).

use leptos::prelude::*;
use sbx_api::SnapshotScheduleMode;

use super::control::Control;
use super::draft::DraftStoreFields;
use super::form::Form;
use super::rows::{FieldError, TextRow};

/// The Snapshots select, the Snapshot schedule row and its hint.
#[component]
pub(super) fn ScheduleRow(form: Form) -> impl IntoView {
    let mode = form.draft.snapshot_mode();
    let field = Control::SnapshotMode;
    let pick = move |value: String| {
        let picked = SnapshotScheduleMode::parse(&value).unwrap_or_default();
        if picked == SnapshotScheduleMode::Manual {
            form.draft.schedule().set(String::new());
        }
        mode.set(picked);
    };
    let manual = Signal::derive(move || mode.get() == SnapshotScheduleMode::Manual);
    view! {
        <label for=field.id()>"Snapshots"</label>
        <div class="control">
            <select id=field.id() aria-label="Snapshots" aria-describedby=field.error_id()
                on:change=move |ev| pick(event_target_value(&ev))>
                <option value="manual" prop:selected=move || manual.get()>"Manual (when asked)"</option>
                <option value="automatic" prop:selected=move || !manual.get()>"Automatic (on a schedule)"</option>
            </select>
        </div>
        <FieldError form field />
        <TextRow form field=Control::Schedule label="Snapshot schedule" value=form.draft.schedule()
            disabled=manual placeholder="cron, like 0 */2 * * * (every two hours)" />
        <p class="hint field-hint">
            "Five-field cron in this machine's local time: a snapshot is taken on each tick while the sandbox runs; "
            "each sandbox keeps its newest automatic snapshots (Settings)."
        </p>
    }
}
