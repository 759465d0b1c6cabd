//! The collapsible Sandbox Snapshot section: Skip setup script, Start from snapshot (the active snapshots and the
//! repository's default) and automatic snapshots (mode and schedule).

use leptos::html;
use leptos::prelude::*;
use sbx_api::{
    ApiError, ListSnapshotsRequest, SnapshotChoice, SnapshotStatus, requests::ListSnapshots,
};

use super::control::Control;
use super::draft::DraftStoreFields;
use super::form::Form;
use super::rows::{CheckRow, FieldError, SourceTag};
use super::schedule::ScheduleRow;
use crate::fetched::fetched;
use crate::ipc;
use crate::live::use_live;
use crate::widgets::ErrorLine;

/// The section, closed until the user opens it or something inside it needs fixing.
#[component]
pub(super) fn SnapshotSection(form: Form) -> impl IntoView {
    let summary_note = move || match (form.draft.snapshot().get(), form.repository_default.get()) {
        (SnapshotChoice::RepoDefault, Some(default)) => {
            format!("starts from {default} (repository default)")
        }
        (SnapshotChoice::Named(name), _) => format!("starts from {name}"),
        _ => String::new(),
    };
    // Open the section when something inside it needs fixing.
    let section = NodeRef::<html::Details>::new();
    Effect::new(move |_| {
        let trouble = form.message(Control::Snapshot).is_some()
            || form.message(Control::SnapshotMode).is_some()
            || form.message(Control::Schedule).is_some();
        if trouble && let Some(details) = section.get() {
            let _ = details.set_attribute("open", "");
        }
    });
    view! {
        <details class="section" node_ref=section>
            <summary aria-label="Sandbox Snapshot">
                "Sandbox Snapshot"
                <span class="summary-note muted">{summary_note}</span>
            </summary>
            <div class="form">
                <CheckRow id="create-no-setup" label="Skip setup script" checked=form.draft.skip_setup() />
                <p class="hint field-hint">"Puts a no-op setup script in place: build a base for a snapshot, and let setup run once when sandboxes boot from it."</p>
                <StartFromSnapshot form />
                <ScheduleRow form />
            </div>
        </details>
    }
}

/// The snapshots to start from (the active ones, plus the repository default if it is not among them), and why
/// the app's list could not be read.
fn snapshot_choices(form: Form) -> (Memo<Vec<String>>, Signal<Option<ApiError>>) {
    let live = use_live();
    let snapshots = fetched(move || {
        live.snapshots.track();
        async move {
            ipc::call::<ListSnapshots>(&ListSnapshotsRequest {
                sandbox: None,
                page: 1,
                limit: 1000,
            })
            .await
        }
    });
    let load_error = Signal::derive(move || snapshots.get().and_then(Result::err));
    let names = Memo::new(move |_| {
        let mut names: Vec<String> = snapshots
            .get()
            .and_then(Result::ok)
            .map(|page| {
                page.items
                    .into_iter()
                    .filter(|s| s.status == SnapshotStatus::Active)
                    .map(|s| s.name)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(default) = form.repository_default.get()
            && !names.contains(&default)
        {
            names.insert(0, default);
        }
        names
    });
    (names, load_error)
}

/// The Start from snapshot select.
#[component]
fn StartFromSnapshot(form: Form) -> impl IntoView {
    let (names, load_error) = snapshot_choices(form);
    // The option shown selected ("" is None).
    let selected = Memo::new(move |_| match form.draft.snapshot().get() {
        SnapshotChoice::RepoDefault => form.repository_default.get().unwrap_or_default(),
        SnapshotChoice::Named(name) => name,
        SnapshotChoice::Off => String::new(),
    });
    let pick = move |value: String| {
        let choice = if value.is_empty() {
            SnapshotChoice::Off
        } else if form.repository_default.get_untracked().as_deref() == Some(value.as_str()) {
            SnapshotChoice::RepoDefault
        } else {
            SnapshotChoice::Named(value)
        };
        form.draft.snapshot().set(choice);
    };
    let field = Control::Snapshot;
    view! {
        <label for=field.id()>"Start from snapshot"</label>
        <div class="control">
            <select id=field.id() aria-label="Start from snapshot"
                aria-describedby=field.error_id()
                on:change=move |ev| pick(event_target_value(&ev))>
                <option value="" prop:selected=move || selected.get().is_empty()>"None (start from the preset)"</option>
                <For each=move || names.get() key=|n| n.clone() children=move |name| {
                    let value = name.clone();
                    let label = name.clone();
                    view! {
                        <option value=name prop:selected=move || selected.get() == value>
                            {move || {
                                let suffix = if form.repository_default.get().as_deref() == Some(label.as_str()) {
                                    " (repository default)"
                                } else {
                                    ""
                                };
                                format!("{label}{suffix}")
                            }}
                        </option>
                    }
                } />
            </select>
            <SourceTag form field />
        </div>
        <FieldError form field />
        <div class="full"><ErrorLine error=load_error /></div>
    }
}
