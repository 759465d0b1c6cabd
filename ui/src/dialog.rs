//! What the dialogs share: the modal frame (focus kept inside, Escape closes), text fields with their errors,
//! the checks of CPUs and memory (the app's ranges, through [`crate::checks`]), the row of actions under a form,
//! sending a request while the dialog shows itself busy (its errors put beside the fields they name), and job
//! progress.

use leptos::html;
use leptos::prelude::*;
use sbx_api::{ApiError, Field, JobKind, Progress, Request, rules};
use std::collections::BTreeMap;
use wasm_bindgen::JsCast;

use crate::checks::{optional_name_problem, parse_optional_number, range_text};
use crate::ipc;
use crate::widgets::ErrorLine;

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

/// Send `params` to the shell as request `R` while `busy` is on and `error` cleared; `done` gets the answer once
/// it is in (the dialog may be gone by then: `done` uses `try_` setters).
pub(crate) fn send<R: Request + 'static>(
    busy: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    params: R::Params,
    done: impl FnOnce(Result<R::Result, ApiError>) + 'static,
) where
    R::Params: 'static,
{
    busy.set(true);
    error.set(None);
    leptos::task::spawn_local(async move {
        let answer = ipc::call::<R>(&params).await;
        busy.try_set(false);
        done(answer);
    });
}

/// Show `failure` where it belongs: beside the field of `fields` (the field the shell names, the dialog's field)
/// that it names, else on the dialog's `error` line.
pub(crate) fn show_failure(
    failure: ApiError,
    fields: &[(Field, FieldState)],
    error: RwSignal<Option<ApiError>>,
) {
    let field = failure
        .invalid_field()
        .and_then(|named| fields.iter().find(|(field, _)| field == named));
    match field {
        Some((_, state)) => state.reject(&failure),
        None => {
            error.try_set(Some(failure));
        }
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
    #[prop(optional, into)]
    placeholder: String,
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

/// The running job of one of `kinds` working on `target`, if the shell reported one.
pub(crate) fn job_for(
    jobs: &BTreeMap<String, Progress>,
    kinds: &[JobKind],
    target: &str,
) -> Option<Progress> {
    jobs.values()
        .find(|job| job.target == target && kinds.contains(&job.kind))
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

/// Why the CPUs field is invalid: the shell's error for this value, else out of range or not a number.
pub(crate) fn cpus_problem(cpus: FieldState) -> Memo<Option<String>> {
    Memo::new(move |_| {
        cpus.rejected_problem()
            .or_else(|| parse_optional_number(&cpus.value.get(), &rules::CPUS).err())
    })
}

/// Why the memory field is invalid: the shell's error for this value, else out of range (MiB) or not a number.
pub(crate) fn memory_problem(memory: FieldState) -> Memo<Option<String>> {
    Memo::new(move |_| {
        memory.rejected_problem().or_else(|| {
            parse_optional_number(&memory.value.get(), &rules::MEMORY_MIB)
                .err()
                .map(|message| format!("{message} MiB"))
        })
    })
}

/// Why an optional name field is invalid: the shell's error for this value, else the app's rule for a name of
/// `field` (empty is fine: the name is generated).
pub(crate) fn optional_name_problem_of(field: Field, state: FieldState) -> Memo<Option<String>> {
    Memo::new(move |_| {
        state
            .rejected_problem()
            .or_else(|| optional_name_problem(field.clone(), &state.value.get()))
    })
}

/// The CPUs a valid field asks for (`None` when empty, or not valid: the submit button is disabled then).
pub(crate) fn cpus_value(cpus: FieldState) -> Option<u32> {
    parse_optional_number(&cpus.value.get_untracked(), &rules::CPUS)
        .ok()
        .flatten()
}

/// The memory in MiB a valid field asks for (`None` when empty, or not valid).
pub(crate) fn memory_value(memory: FieldState) -> Option<u32> {
    parse_optional_number(&memory.value.get_untracked(), &rules::MEMORY_MIB)
        .ok()
        .flatten()
}

/// The placeholder of an optional CPUs field: `{empty} (1–32)`.
pub(crate) fn cpus_placeholder(empty: &str) -> String {
    format!("{empty} ({})", range_text(&rules::CPUS))
}

/// The placeholder of an optional memory field: `{empty} (128–32768)`.
pub(crate) fn memory_placeholder(empty: &str) -> String {
    format!("{empty} ({})", range_text(&rules::MEMORY_MIB))
}

/// The foot of a dialog's form: the error of the last attempt, why the submit button is disabled, Cancel, and
/// the submit button (with a spinner while `busy`).
#[component]
pub(crate) fn DialogActions(
    /// The error the shell gave for the last attempt.
    error: RwSignal<Option<ApiError>>,
    /// Why the form cannot be submitted now; the submit button is disabled while this is set.
    blocked_reason: Memo<Option<String>>,
    /// Cancel closes the dialog.
    on_cancel: Callback<()>,
    /// The submit button's accessible label.
    submit_label: &'static str,
    /// The submit button's visible text.
    submit_text: &'static str,
    /// Work is under way (a spinner in the submit button).
    #[prop(optional, into)]
    busy: Signal<bool>,
) -> impl IntoView {
    view! {
        <ErrorLine error=error />
        <div class="actions">
            {move || {
                blocked_reason
                    .get()
                    .map(|reason| view! { <span class="muted blocked-reason">{reason}</span> })
            }}
            <button type="button" aria-label="Cancel" on:click=move |_| on_cancel.run(())>
                "Cancel"
            </button>
            <button
                type="submit"
                class="primary"
                aria-label=submit_label
                disabled=move || blocked_reason.get().is_some()
                title=move || blocked_reason.get()
            >
                {move || busy.get().then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
                {submit_text}
            </button>
        </div>
    }
}

/// Why a dialog's submit button is disabled: `busy_text` while its work runs, else the advice of the first
/// check whose field has a problem (e.g. "Fix the CPUs"), else nothing.
pub(crate) fn blocked_reason(
    busy: RwSignal<bool>,
    busy_text: &'static str,
    checks: Vec<(Signal<Option<String>>, &'static str)>,
) -> Memo<Option<String>> {
    Memo::new(move |_| {
        if busy.get() {
            return Some(busy_text.to_string());
        }
        checks
            .iter()
            .find(|(problem, _)| problem.get().is_some())
            .map(|(_, advice)| advice.to_string())
    })
}
