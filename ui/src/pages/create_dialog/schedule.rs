//! The snapshot schedule: a five-field cron expression (or none) for automatic snapshots, inside the Sandbox
//! Snapshot section.

use leptos::prelude::*;

use super::control::Control;
use super::draft::DraftStoreFields;
use super::form::Form;
use super::rows::TextRow;

/// The Snapshot schedule row and its hint.
#[component]
pub(super) fn ScheduleRow(form: Form) -> impl IntoView {
    view! {
        <TextRow form field=Control::Schedule label="Snapshot schedule" value=form.draft.schedule()
            placeholder="manual — or cron like 0 */2 * * *" />
        <p class="hint field-hint">"Five-field cron: a snapshot is taken on each tick while the sandbox runs."</p>
    }
}
