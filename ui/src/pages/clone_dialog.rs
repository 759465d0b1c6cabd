//! Clone on the sandbox detail page: the button, its dialog (new name, snapshot name, resources, image) and the
//! result under the button, naming both the new sandbox and the intermediate snapshot.

use leptos::html;
use leptos::prelude::*;
use sbx_api::{
    ApiError, CloneResult, CloneSandboxRequest, Field, JobKind, JobStage, requests::CloneSandbox,
};

use crate::checks::optional_text;
use crate::dialog::{
    DialogActions, FieldState, Modal, TextField, blocked_reason, cpus_placeholder, cpus_problem,
    cpus_value, focus_when_shown, job_for, memory_placeholder, memory_problem, memory_value,
    optional_name_problem_of, progress_bar, refocus, send, show_failure,
};
use crate::live::use_live;

/// What a finished clone produced, by name.
#[derive(Clone, Debug, PartialEq)]
struct Cloned {
    /// The new sandbox.
    sandbox: String,
    /// The intermediate snapshot.
    snapshot: String,
}

/// "Clone" for one sandbox: opens the Clone sandbox dialog; shows what the clone produced.
#[component]
pub fn CloneButton(
    /// The sandbox to clone (by name).
    #[prop(into)]
    sandbox: String,
) -> impl IntoView {
    let live = use_live();
    let open = RwSignal::new(false);
    let cloned = RwSignal::new(None::<Cloned>);
    let left_error = RwSignal::new(None::<ApiError>);
    let opener = NodeRef::<html::Button>::new();
    let close = Callback::new(move |()| {
        open.set(false);
        refocus(opener);
    });
    view! {
        <div class="snapshot-action">
            <button
                node_ref=opener
                aria-label="Clone"
                on:click=move |_| {
                    left_error.set(None);
                    open.set(true);
                }
            >
                "Clone"
            </button>
            {move || {
                cloned
                    .get()
                    .map(|Cloned { sandbox, snapshot }| {
                        let job = live
                            .progress
                            .with(|jobs| job_for(jobs, &[JobKind::Clone, JobKind::Restore, JobKind::Create], &sandbox));
                        let stage = job.as_ref().map(|job| {
                            let bar = progress_bar(job, format!("Progress of {sandbox}"));
                            view! {
                                <span class="stage muted">
                                    <span class="spinner busy-text" aria-hidden="true"></span>
                                    {job.stage.as_str()}
                                </span>
                                {bar}
                            }
                        });
                        view! {
                            <p class="action-result" role="status">
                                "Cloned into " <strong>{sandbox.clone()}</strong> " from snapshot "
                                <strong>{snapshot}</strong> {stage}
                            </p>
                        }
                    })
            }}
            {move || {
                left_error
                    .get()
                    .map(|failure| {
                        view! {
                            <p class="error" role="alert">
                                "Clone failed: "
                                {failure.to_string()}
                            </p>
                        }
                    })
            }}
            {move || {
                open.get()
                    .then(|| {
                        view! {
                            <CloneDialog
                                sandbox=sandbox.clone()
                                open=open
                                on_close=close
                                cloned=cloned
                                left_error=left_error
                            />
                        }
                    })
            }}
        </div>
    }
}

/// The Clone sandbox dialog.
#[component]
fn CloneDialog(
    sandbox: String,
    open: RwSignal<bool>,
    on_close: Callback<()>,
    cloned: RwSignal<Option<Cloned>>,
    left_error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let new_name = FieldState::new();
    let snapshot_name = FieldState::new();
    let cpus = FieldState::new();
    let memory = FieldState::new();
    let image = FieldState::new();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let first_input = NodeRef::<html::Input>::new();
    focus_when_shown(first_input);

    let new_name_problem = optional_name_problem_of(Field::Name, new_name);
    let snapshot_name_problem = optional_name_problem_of(Field::SnapshotName, snapshot_name);
    let cpus_problem = cpus_problem(cpus);
    let memory_problem = memory_problem(memory);
    let image_problem = image_problem(image);
    let blocked_reason = blocked_reason(
        busy,
        "Cloning…",
        vec![
            (new_name_problem.into(), "Fix the new sandbox name"),
            (snapshot_name_problem.into(), "Fix the snapshot name"),
            (cpus_problem.into(), "Fix the CPUs"),
            (memory_problem.into(), "Fix the memory"),
            (image_problem.into(), "Fix the image"),
        ],
    );

    let submit_sandbox = sandbox.clone();
    let submit = move || {
        if blocked_reason.get_untracked().is_some() {
            return;
        }
        let request = CloneSandboxRequest {
            sandbox: submit_sandbox.clone(),
            name: optional_text(&new_name.value.get_untracked()),
            snapshot_name: optional_text(&snapshot_name.value.get_untracked()),
            cpus: cpus_value(cpus),
            memory_mib: memory_value(memory),
            image: optional_text(&image.value.get_untracked()),
            wait_for_ready: false,
        };
        let fields = [
            (Field::Name, new_name),
            (Field::SnapshotName, snapshot_name),
            (Field::Cpus, cpus),
            (Field::Memory, memory),
            (Field::Image, image),
        ];
        send::<CloneSandbox>(busy, error, request, move |answer| {
            clone_answered(
                answer,
                Outcome {
                    open,
                    on_close,
                    cloned,
                    left_error,
                    error,
                },
                &fields,
            )
        });
    };

    let progress_sandbox = sandbox.clone();
    view! {
        <Modal label="Clone sandbox".to_string() on_close=on_close>
            <h2>"Clone sandbox"</h2>
            <p class="muted dialog-lead">
                "Takes an intermediate snapshot of " <strong>{sandbox}</strong>
                ", then restores it into a new sandbox."
            </p>
            <form
                class="form"
                novalidate=true
                on:submit=move |ev| {
                    ev.prevent_default();
                    submit();
                }
            >
                <TextField
                    label="New sandbox name"
                    aria="New sandbox name"
                    id="clone-new-name"
                    field=new_name
                    problem=new_name_problem
                    placeholder="generated when empty"
                    input_ref=first_input
                />
                <TextField
                    label="Snapshot name"
                    aria="Snapshot name"
                    id="clone-snapshot-name"
                    field=snapshot_name
                    problem=snapshot_name_problem
                    placeholder="generated when empty"
                />
                <TextField
                    label="CPUs"
                    aria="CPUs"
                    id="clone-cpus"
                    field=cpus
                    problem=cpus_problem
                    placeholder=cpus_placeholder("same as the source")
                    numeric=true
                />
                <TextField
                    label="Memory (MiB)"
                    aria="Memory (MiB)"
                    id="clone-memory"
                    field=memory
                    problem=memory_problem
                    placeholder=memory_placeholder("same as the source")
                    numeric=true
                />
                <TextField
                    label="Image"
                    aria="Image"
                    id="clone-image"
                    field=image
                    problem=image_problem
                    placeholder="the snapshot's image"
                />
                <CloneProgress busy sandbox=progress_sandbox />
                <DialogActions
                    error=error
                    blocked_reason=blocked_reason
                    on_cancel=on_close
                    submit_label="Clone sandbox now"
                    submit_text="Clone"
                    busy=busy
                />
            </form>
        </Modal>
    }
}

/// Why the image field is invalid: the shell's error for this value, else a space in it.
fn image_problem(image: FieldState) -> Memo<Option<String>> {
    Memo::new(move |_| {
        image.rejected_problem().or_else(|| {
            let value = image.value.get();
            value.trim().contains(char::is_whitespace).then(|| {
                format!(
                    "'{}' is not an image reference: it has a space",
                    value.trim()
                )
            })
        })
    })
}

/// While the clone runs: its stage and progress, and that the dialog may be closed.
#[component]
fn CloneProgress(busy: RwSignal<bool>, sandbox: String) -> impl IntoView {
    let live = use_live();
    move || {
        busy.get()
                        .then(|| {
                            let job = live
                                .progress
                                .with(|jobs| {
                                    job_for(jobs, &[JobKind::Clone, JobKind::Snapshot], &sandbox)
                                        .or_else(|| {
                                            jobs.values()
                                                .find(|job| job.kind == JobKind::Clone)
                                                .cloned()
                                        })
                                });
                            let stage = job
                                .as_ref()
                                .map_or(JobStage::Capturing, |job| job.stage)
                                .as_str();
                            let bar = job
                                .as_ref()
                                .map(|job| progress_bar(job, "Clone progress".to_string()));
                            view! {
                                <p class="full capture-progress" role="status">
                                    <span class="spinner busy-text" aria-hidden="true"></span>
                                    "Cloning… "
                                    <span class="stage muted">{stage}</span>
                                    {bar}
                                </p>
                                <p class="hint">
                                    "You can close this dialog: the clone continues and its result shows under the Clone button."
                                </p>
                            }
                        })
    }
}

/// Where the answer to a clone goes.
struct Outcome {
    open: RwSignal<bool>,
    on_close: Callback<()>,
    cloned: RwSignal<Option<Cloned>>,
    left_error: RwSignal<Option<ApiError>>,
    error: RwSignal<Option<ApiError>>,
}

/// The clone is done: name the result under the button and close the dialog, or show why it failed (beside the
/// field it names, or under the button when the dialog was left meanwhile).
fn clone_answered(
    answer: Result<CloneResult, ApiError>,
    outcome: Outcome,
    fields: &[(Field, FieldState)],
) {
    let still_open = outcome.open.try_get_untracked().unwrap_or(false);
    match answer {
        Ok(result) => {
            outcome.cloned.try_set(Some(Cloned {
                sandbox: result.sandbox.name,
                snapshot: result.snapshot.name,
            }));
            if still_open {
                outcome.on_close.try_run(());
            }
        }
        // The dialog was left while the clone ran: report under the button.
        Err(failure) if !still_open => {
            outcome.left_error.try_set(Some(failure));
        }
        Err(failure) => show_failure(failure, fields, outcome.error),
    }
}
