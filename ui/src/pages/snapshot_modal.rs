//! Take Snapshot on the sandbox detail page: the button, its modal (name, capture mode, quick) and the live
//! progress of the capture under the button.

use leptos::html;
use leptos::prelude::*;
use sbx_api::{
    ApiError, CreateSnapshotRequest, Field, JobKind, SnapshotMode, SnapshotStatus,
    requests::{CreateSnapshot, GetSnapshot, PreviewScrub},
};
use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::checks::name_problem;
use crate::dialog::{
    DialogActions, FieldState, Modal, TextField, blocked_reason, focus_when_shown, job_for,
    progress_bar, refocus, send, show_failure,
};
use crate::fetched::fetched;
use crate::ipc;
use crate::live::use_live;

thread_local! {
    /// The latest snapshot the user started of each sandbox this session, by sandbox name, so its progress
    /// still shows after leaving the page and coming back (or after Snapshot and delete removed the sandbox).
    static STARTED_CAPTURES: RefCell<BTreeMap<String, String>> = const { RefCell::new(BTreeMap::new()) };
}

/// Remember that the user started snapshot `snapshot` of `sandbox`.
fn remember_capture(sandbox: &str, snapshot: &str) {
    STARTED_CAPTURES.with(|started| {
        started
            .borrow_mut()
            .insert(sandbox.to_string(), snapshot.to_string());
    });
}

/// The latest snapshot the user started of `sandbox` this session.
fn started_capture(sandbox: &str) -> Option<String> {
    STARTED_CAPTURES.with(|started| started.borrow().get(sandbox).cloned())
}

/// The progress, then the outcome, of the latest snapshot the user took of `sandbox` this session; nothing when
/// none was taken. For pages that no longer show the Take Snapshot button, e.g. once Snapshot and delete has
/// removed the sandbox.
#[component]
pub fn LastCaptureStatus(
    /// The source sandbox (by name).
    #[prop(into)]
    sandbox: String,
) -> impl IntoView {
    started_capture(&sandbox).map(|name| view! { <CaptureStatus name=name /> })
}

/// "Take Snapshot" for one sandbox: disabled unless it runs; opens the modal; shows the capture's progress.
#[component]
pub fn TakeSnapshotButton(
    /// The sandbox to capture (by name).
    #[prop(into)]
    sandbox: String,
    /// Whether the sandbox is running (only a running sandbox can be snapshotted).
    #[prop(into)]
    running: Signal<bool>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    // Bumped when a capture starts; the registry above says which.
    let started = RwSignal::new(0_u64);
    let status_sandbox = sandbox.clone();
    let opener = NodeRef::<html::Button>::new();
    let close = Callback::new(move |()| {
        open.set(false);
        refocus(opener);
    });
    view! {
        <div class="snapshot-action">
            <button
                node_ref=opener
                class="primary"
                aria-label="Take Snapshot"
                disabled=move || !running.get()
                title=move || (!running.get()).then_some("The sandbox must be running")
                on:click=move |_| open.set(true)
            >
                "Take Snapshot"
            </button>
            {move || {
                started.track();
                view! { <LastCaptureStatus sandbox=status_sandbox.clone() /> }
            }}
            {move || {
                open.get()
                    .then(|| {
                        view! { <TakeSnapshotDialog sandbox=sandbox.clone() on_close=close started=started /> }
                    })
            }}
        </div>
    }
}

/// The Take Snapshot modal.
#[component]
fn TakeSnapshotDialog(
    sandbox: String,
    on_close: Callback<()>,
    started: RwSignal<u64>,
) -> impl IntoView {
    let name = FieldState::new();
    let mode = RwSignal::new(SnapshotMode::Scrub);
    let quick = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let name_input = NodeRef::<html::Input>::new();
    focus_when_shown(name_input);

    let name_shown_problem = Memo::new(move |_| {
        name.rejected_problem().or_else(|| {
            let value = name.value.get();
            (!value.is_empty())
                .then(|| name_problem(Field::Name, &value))
                .flatten()
        })
    });
    let name_missing =
        Signal::derive(move || name.value.get().is_empty().then(|| "no name".to_string()));
    let blocked_reason = blocked_reason(
        busy,
        "Taking the snapshot…",
        vec![
            (name_missing, "Enter a snapshot name"),
            (name_shown_problem.into(), "Fix the snapshot name"),
        ],
    );

    let submit_sandbox = sandbox.clone();
    let submit = move || {
        if blocked_reason.get_untracked().is_some() {
            return;
        }
        let request = CreateSnapshotRequest {
            sandbox: submit_sandbox.clone(),
            name: name.value.get_untracked(),
            mode: mode.get_untracked(),
            quick: quick.get_untracked(),
            wait: false,
        };
        let sandbox = request.sandbox.clone();
        send::<CreateSnapshot>(busy, error, request, move |answer| match answer {
            Ok(snapshot) => {
                remember_capture(&sandbox, &snapshot.name);
                started.try_update(|count| *count += 1);
                on_close.try_run(());
            }
            Err(failure) => show_failure(failure, &[(Field::Name, name)], error),
        });
    };

    let confirm_sandbox = sandbox.clone();
    let preview_sandbox = sandbox.clone();
    view! {
        <Modal label="Take Snapshot".to_string() on_close=on_close>
            <h2>"Take Snapshot"</h2>
            <p class="muted dialog-lead">"Of sandbox " <strong>{sandbox}</strong> "."</p>
            <form
                class="form"
                novalidate=true
                on:submit=move |ev| {
                    ev.prevent_default();
                    submit();
                }
            >
                <TextField
                    label="Name"
                    aria="Snapshot name"
                    id="take-snapshot-name"
                    field=name
                    problem=name_shown_problem
                    placeholder="e.g. example-repo-base"
                    input_ref=name_input
                />
                <CaptureModes mode />
                <div class="full checkbox-row">
                    <input
                        type="checkbox"
                        id="take-snapshot-quick"
                        aria-label="Quick"
                        prop:checked=move || quick.get()
                        on:change=move |ev| quick.set(event_target_checked(&ev))
                    />
                    <label for="take-snapshot-quick">"Quick (crash-consistent, not paused)"</label>
                </div>
                <p class="hint">
                    "By default the sandbox is paused while it is captured (application-consistent)."
                </p>
                {move || {
                    (mode.get() == SnapshotMode::Scrub)
                        .then(|| view! { <ScrubPreviewList sandbox=preview_sandbox.clone() /> })
                }}
                {move || {
                    (mode.get() == SnapshotMode::Scrub)
                        .then(|| {
                            let sandbox = confirm_sandbox.clone();
                            view! {
                                <p class="full confirm-text">
                                    "This deletes sandbox " <strong>{sandbox}</strong> " after capturing."
                                </p>
                            }
                        })
                }}
                <DialogActions
                    error=error
                    blocked_reason=blocked_reason
                    on_cancel=on_close
                    submit_label="Create snapshot"
                    submit_text="Create snapshot"
                    busy=busy
                />
            </form>
        </Modal>
    }
}

/// The two capture modes as radio buttons, and the warning a Full snapshot gets.
#[component]
fn CaptureModes(mode: RwSignal<SnapshotMode>) -> impl IntoView {
    view! {
                <fieldset class="full capture-modes">
                    <legend>"Capture mode"</legend>
                    <div class="radio">
                        <input
                            type="radio"
                            id="capture-mode-scrub"
                            name="capture-mode"
                            aria-label="Snapshot and delete"
                            aria-describedby="capture-mode-scrub-description"
                            prop:checked=move || mode.get() == SnapshotMode::Scrub
                            on:change=move |_| mode.set(SnapshotMode::Scrub)
                        />
                        <label for="capture-mode-scrub">
                            <strong>"Snapshot and delete"</strong>
                            <span class="tag">"Recommended"</span>
                            <span class="radio-description muted" id="capture-mode-scrub-description">
                                "Removes injected secrets — credential files and injected environment variables — then captures the snapshot and deletes the source sandbox."
                            </span>
                        </label>
                    </div>
                    <div class="radio">
                        <input
                            type="radio"
                            id="capture-mode-full"
                            name="capture-mode"
                            aria-label="Full snapshot"
                            aria-describedby="capture-mode-full-description"
                            prop:checked=move || mode.get() == SnapshotMode::Full
                            on:change=move |_| mode.set(SnapshotMode::Full)
                        />
                        <label for="capture-mode-full">
                            <strong>"Full snapshot"</strong>
                            <span class="radio-description muted" id="capture-mode-full-description">
                                "Captures everything as-is, including any secrets, and leaves the sandbox running."
                            </span>
                        </label>
                    </div>
                </fieldset>
                {move || {
                    (mode.get() == SnapshotMode::Full)
                        .then(|| {
                            view! {
                                <p class="warning full" role="note">
                                    "A Full snapshot captures the filesystem as-is, so any secrets present in the sandbox are baked into the image. Prefer Snapshot and delete for shared base images."
                                </p>
                            }
                        })
                }}
    }
}

/// What Snapshot and delete would remove from the sandbox now (B1): each finding's kind and path, never a value.
#[component]
fn ScrubPreviewList(sandbox: String) -> impl IntoView {
    let preview = fetched(move || {
        let sandbox = sandbox.clone();
        async move { ipc::call::<PreviewScrub>(&sandbox).await }
    });
    view! {
        <section class="full scrub-preview" aria-label="What the scrub removes" aria-live="polite">
            <h3>"What the scrub removes"</h3>
            {move || match preview.get() {
                None => view! { <p class="muted">"Looking for secrets…"</p> }.into_any(),
                Some(Err(failure)) => {
                    view! { <p class="error">{format!("Could not look for secrets: {failure}")}</p> }.into_any()
                }
                Some(Ok(found)) => {
                    let notes = found.notes.clone();
                    let list = if found.findings.is_empty() {
                        view! { <p class="muted scrub-nothing">"Nothing to remove was found."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="scrub-findings">
                                {found
                                    .findings
                                    .into_iter()
                                    .map(|finding| {
                                        view! {
                                            <li>
                                                <span class="scrub-kind">{finding.kind.describe()}</span>
                                                " "
                                                <code class="scrub-path">{finding.path.escape_debug().to_string()}</code>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    };
                    view! {
                        {list}
                        {notes.into_iter().map(|note| view! { <p class="hint">{note}</p> }).collect_view()}
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// The live state of a capture the user started: progress while it runs, then active or the failure.
#[component]
fn CaptureStatus(name: String) -> impl IntoView {
    let live = use_live();
    let fetched_name = name.clone();
    let snapshot = fetched(move || {
        live.snapshots.track();
        let name = fetched_name.clone();
        async move { ipc::call::<GetSnapshot>(&name).await }
    });
    view! {
        <div class="capture-status" role="status" aria-live="polite">
            {move || {
                let name = name.clone();
                let answer = snapshot.get();
                match answer {
                    Some(Ok(found)) if found.name == name && found.status == SnapshotStatus::Active => {
                        view! {
                            <p class="ok-text">"Snapshot " {name} " is active"</p>
                        }
                            .into_any()
                    }
                    Some(Ok(found)) if found.name == name && found.status == SnapshotStatus::Failed => {
                        let reason = found
                            .failure_reason
                            .unwrap_or_else(|| "no reason was recorded".to_string());
                        view! {
                            <p class="error">"Snapshot " {name} " failed: " {reason}</p>
                        }
                            .into_any()
                    }
                    Some(Err(failure)) => {
                        view! {
                            <p class="error">{failure.to_string()}</p>
                        }
                            .into_any()
                    }
                    other => {
                        let status = match other {
                            Some(Ok(found)) if found.name == name => found.status,
                            _ => SnapshotStatus::Capturing,
                        };
                        let job = live
                            .progress
                            .with(|jobs| job_for(jobs, &[JobKind::Snapshot], &name));
                        let stage = job
                            .as_ref()
                            .map_or(status.as_str(), |job| job.stage.as_str());
                        let message = job
                            .as_ref()
                            .map(|job| job.message.clone())
                            .unwrap_or_default();
                        let bar = job
                            .as_ref()
                            .map(|job| progress_bar(job, format!("Capture progress of {name}")));
                        view! {
                            <p class="capture-progress">
                                <span class="spinner busy-text" aria-hidden="true"></span>
                                "Capturing " {name.clone()} "…"
                                <span class="stage muted">{stage}</span>
                                {bar}
                            </p>
                            {(!message.is_empty())
                                .then(|| view! { <p class="stage-message muted">{message}</p> })}
                        }
                            .into_any()
                    }
                }
            }}
        </div>
    }
}
