//! Take Snapshot on the sandbox detail page: the button, its modal (name, capture mode, quick) and the live
//! progress of the capture under the button. Also the dialog frame, field and validation helpers the other
//! snapshot dialogs (clone, restore, delete) share.

use leptos::html;
use leptos::prelude::*;
use sbx_api::{
    ApiError, CreateSnapshotRequest, Progress, SnapshotMode, SnapshotStatus,
    requests::{CreateSnapshot, GetSnapshot},
};
use std::cell::RefCell;
use std::collections::BTreeMap;
use wasm_bindgen::JsCast;

use crate::ipc;
use crate::live::use_live;

/// Longest sandbox or snapshot name.
const NAME_MAX_LEN: usize = 40;

/// Why `value` is not a valid sandbox or snapshot name (1–40 of `a-z`, `0-9`, `-`), or `None` when it is.
pub(crate) fn name_problem(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("Enter a name".to_string());
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        let shown = if bad == ' ' {
            "a space".to_string()
        } else {
            format!("'{bad}'")
        };
        return Some(format!(
            "'{value}' has {shown}: use only lowercase letters, digits and hyphens"
        ));
    }
    let length = value.chars().count();
    if length > NAME_MAX_LEN {
        return Some(format!(
            "'{value}' is {length} characters long: at most {NAME_MAX_LEN}"
        ));
    }
    None
}

/// Why an optional name field is invalid; an empty field is fine (the name is generated).
pub(crate) fn optional_name_problem(value: &str) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        None
    } else {
        name_problem(trimmed)
    }
}

/// Parse an optional whole number within `min..=max`: empty is `Ok(None)`, anything else invalid is the reason.
pub(crate) fn parse_optional_number(
    value: &str,
    min: u32,
    max: u32,
) -> Result<Option<u32>, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    match trimmed.parse::<u32>() {
        Ok(number) if (min..=max).contains(&number) => Ok(Some(number)),
        Ok(number) => Err(format!("{number} is out of range: use {min}–{max}")),
        Err(_) => Err(format!("'{trimmed}' is not a whole number ({min}–{max})")),
    }
}

/// The trimmed text of an optional field, `None` when empty.
pub(crate) fn optional_text(value: &str) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// The state of one text field of a dialog: what is typed, and the error the shell gave for that value.
#[derive(Clone, Copy)]
pub(crate) struct FieldState {
    /// The text as typed.
    pub value: RwSignal<String>,
    /// The shell's error and the value it was about; shown only while the field still holds that value.
    rejected: RwSignal<Option<(String, String)>>,
}

impl FieldState {
    /// An empty field.
    pub fn new() -> FieldState {
        FieldState {
            value: RwSignal::new(String::new()),
            rejected: RwSignal::new(None),
        }
    }

    /// Show the shell's error beside this field until the user edits it.
    /// Does nothing once the dialog is gone.
    pub fn reject(self, error: &ApiError) {
        if let Some(value) = self.value.try_get_untracked() {
            self.rejected.try_set(Some((value, error.to_string())));
        }
    }

    /// The shell's error for the current value, if any (tracked).
    pub fn rejected_problem(self) -> Option<String> {
        let current = self.value.get();
        self.rejected
            .get()
            .and_then(|(value, message)| (value == current).then_some(message))
    }
}

/// A labelled text input in a `.form` grid, with its error beside it.
#[component]
pub(crate) fn TextField(
    /// The visible label.
    label: &'static str,
    /// The accessible label.
    aria: &'static str,
    /// Element id (unique in the document while the dialog is open).
    id: &'static str,
    /// The field's state.
    field: FieldState,
    /// Why the current value is invalid.
    #[prop(into)]
    problem: Signal<Option<String>>,
    /// Placeholder text.
    #[prop(optional)]
    placeholder: &'static str,
    /// Numbers only (numeric keyboard; still a text input so the error can name what was typed).
    #[prop(optional)]
    numeric: bool,
    /// A reference to the input, e.g. to focus it.
    #[prop(optional)]
    input_ref: NodeRef<html::Input>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described_by = error_id.clone();
    view! {
        <label for=id>{label}</label>
        <input
            id=id
            node_ref=input_ref
            type="text"
            aria-label=aria
            inputmode=if numeric { "numeric" } else { "text" }
            autocomplete="off"
            spellcheck="false"
            placeholder=placeholder
            aria-invalid=move || if problem.get().is_some() { "true" } else { "false" }
            aria-describedby=move || problem.get().is_some().then(|| described_by.clone())
            prop:value=move || field.value.get()
            on:input=move |ev| field.value.set(event_target_value(&ev))
        />
        {move || {
            problem
                .get()
                .map(|message| {
                    view! {
                        <p class="field-error" id=error_id.clone() aria-live="polite">
                            {message}
                        </p>
                    }
                })
        }}
    }
}

/// Controls that can take the focus inside a dialog, in document order.
const FOCUSABLE: &str = "input:not([disabled]), select:not([disabled]), textarea:not([disabled]), button:not([disabled])";

/// Focus the first element inside `dialog` matching one of `selectors` (tried in turn).
fn focus_inside(dialog: NodeRef<html::Div>, selectors: &[&str]) {
    let Some(dialog) = dialog.get_untracked() else {
        return;
    };
    let target = selectors
        .iter()
        .find_map(|selector| dialog.query_selector(selector).ok().flatten());
    if let Some(element) =
        target.and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}

/// A modal dialog: `role="dialog"`, `aria-modal`, the given accessible label; Escape calls `on_close`, and Tab
/// cycles through the dialog's controls without leaving it.
#[component]
pub(crate) fn Modal(
    /// The dialog's accessible label.
    label: String,
    /// Called when the user dismisses the dialog (Escape).
    on_close: Callback<()>,
    /// Extra class for the dialog box, e.g. `modal-small`.
    #[prop(optional)]
    class: &'static str,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<html::Div>::new();
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            ev.stop_propagation();
            on_close.run(());
        }
    };
    // Focus guards at both ends: tabbing past the last control comes back to the first, and the reverse.
    let wrap_to_first = move |_| focus_inside(dialog, &[FOCUSABLE]);
    let wrap_to_last = move |_| {
        focus_inside(
            dialog,
            &[
                ".actions button:not([disabled]):last-of-type",
                ".actions button:not([disabled])",
                FOCUSABLE,
            ],
        )
    };
    view! {
        <div class="modal-backdrop">
            <div
                node_ref=dialog
                class=format!("modal {class}")
                role="dialog"
                aria-modal="true"
                aria-label=label
                tabindex="-1"
                on:keydown=on_keydown
            >
                <span class="focus-guard" tabindex="0" on:focus=wrap_to_last></span>
                {children()}
                <span class="focus-guard" tabindex="0" on:focus=wrap_to_first></span>
            </div>
        </div>
    }
}

/// Focus `input` once it is in the document.
pub(crate) fn focus_when_shown(input: NodeRef<html::Input>) {
    input.on_load(|element| {
        request_animation_frame(move || {
            let _ = element.focus();
        });
    });
}

/// Give the focus back to the button that opened a dialog.
pub(crate) fn refocus(opener: NodeRef<html::Button>) {
    if let Some(button) = opener.get_untracked() {
        request_animation_frame(move || {
            let _ = button.focus();
        });
    }
}

/// The running job of `kind` working on `target`, if the shell reported one.
pub(crate) fn job_for(
    jobs: &BTreeMap<String, Progress>,
    kinds: &[&str],
    target: &str,
) -> Option<Progress> {
    jobs.values()
        .find(|job| job.target == target && kinds.contains(&job.kind.as_str()))
        .cloned()
}

/// A thin progress bar for a job that measures itself.
pub(crate) fn progress_bar(job: &Progress, label: String) -> impl IntoView + use<> {
    job.fraction.map(|fraction| {
        let percent = (fraction.clamp(0.0, 1.0) * 100.0).round();
        view! {
            <span
                class="progress"
                role="progressbar"
                aria-label=label
                aria-valuemin="0"
                aria-valuemax="100"
                aria-valuenow=percent.to_string()
            >
                <span style=format!("width: {percent}%")></span>
            </span>
        }
    })
}

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
            (!value.is_empty()).then(|| name_problem(&value)).flatten()
        })
    });
    let blocked_reason = Memo::new(move |_| {
        if busy.get() {
            Some("Taking the snapshot…".to_string())
        } else if name.value.get().is_empty() {
            Some("Enter a snapshot name".to_string())
        } else if name_shown_problem.get().is_some() {
            Some("Fix the snapshot name".to_string())
        } else {
            None
        }
    });

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
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let answer = ipc::call::<CreateSnapshot>(&request).await;
            busy.try_set(false);
            match answer {
                Ok(snapshot) => {
                    remember_capture(&request.sandbox, &snapshot.name);
                    started.try_update(|count| *count += 1);
                    on_close.try_run(());
                }
                Err(failure) => match failure.field() {
                    Some("name" | "snapshot-name" | "snapshot_name") => name.reject(&failure),
                    _ => {
                        error.try_set(Some(failure));
                    }
                },
            }
        });
    };

    let confirm_sandbox = sandbox.clone();
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
                        .then(|| {
                            let sandbox = confirm_sandbox.clone();
                            view! {
                                <p class="full confirm-text">
                                    "This deletes sandbox " <strong>{sandbox}</strong> " after capturing."
                                </p>
                            }
                        })
                }}
                {move || {
                    error
                        .get()
                        .map(|failure| {
                            view! {
                                <p class="error" role="alert">
                                    {failure.to_string()}
                                </p>
                            }
                        })
                }}
                <div class="actions">
                    {move || {
                        blocked_reason
                            .get()
                            .map(|reason| view! { <span class="muted blocked-reason">{reason}</span> })
                    }}
                    <button type="button" aria-label="Cancel" on:click=move |_| on_close.run(())>
                        "Cancel"
                    </button>
                    <button
                        type="submit"
                        class="primary"
                        aria-label="Create snapshot"
                        disabled=move || blocked_reason.get().is_some()
                        title=move || blocked_reason.get()
                    >
                        {move || busy.get().then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
                        "Take Snapshot"
                    </button>
                </div>
            </form>
        </Modal>
    }
}

/// The live state of a capture the user started: progress while it runs, then active or the failure.
#[component]
fn CaptureStatus(name: String) -> impl IntoView {
    let live = use_live();
    let fetched_name = name.clone();
    let snapshot = LocalResource::new(move || {
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
                        let status_word = match other {
                            Some(Ok(found)) if found.name == name => found.status.as_str(),
                            _ => SnapshotStatus::Capturing.as_str(),
                        };
                        let job = live
                            .progress
                            .with(|jobs| job_for(jobs, &["snapshot"], &name));
                        let stage = job
                            .as_ref()
                            .map(|job| job.stage.clone())
                            .filter(|stage| !stage.is_empty())
                            .unwrap_or_else(|| status_word.to_string());
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
