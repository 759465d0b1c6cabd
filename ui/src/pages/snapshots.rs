//! The Snapshots page: every snapshot in a dense, paginated, live table with its status, size and expiry, and
//! per row Restore (into a new sandbox), Export (to a file) and Delete (after a confirmation naming the snapshot);
//! Import (from a file) in the page's head. Export and import are in [`super::snapshot_transfer`]; each row's
//! Lineage tree and the engine's free space in the head are in [`super::lineage`].

use leptos::html;
use leptos::prelude::*;
use sbx_api::{
    ApiError, Field, JobKind, ListSnapshotsRequest, RestoreSnapshotRequest, Snapshot, SnapshotPage,
    SnapshotStatus,
    requests::{DeleteSnapshot, ListSnapshots, RestoreSnapshot},
};

use crate::app::use_sandbox_nav;
use crate::checks::optional_text;
use crate::dialog::{
    DialogActions, FieldState, Modal, TextField, blocked_reason, cpus_placeholder, cpus_problem,
    cpus_value, focus_when_shown, job_for, memory_placeholder, memory_problem, memory_value,
    optional_name_problem_of, progress_bar, send, show_failure,
};
use crate::fetched::fetched;
use crate::ipc;
use crate::live::use_live;
use crate::pages::lineage::{FreeSpace, LineageTree};
use crate::pages::snapshot_transfer::{ExportDialog, ImportButton, Transfer, TransferNotice};
use crate::widgets::{ErrorLine, Pager, format_time};

/// Snapshots per page.
const PAGE_SIZE: u32 = 50;

/// Bytes as people read them, in powers of 1000: `512 B`, `1.2 GB`, `45 MB`.
pub(crate) fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if value < 9.95 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// Class of the status badge: active green, capturing/finalizing blue, failed red.
fn status_tone(status: SnapshotStatus) -> &'static str {
    match status {
        SnapshotStatus::Active => "badge badge-ok",
        SnapshotStatus::Capturing | SnapshotStatus::Finalizing => "badge badge-busy",
        SnapshotStatus::Failed => "badge badge-bad",
    }
}

/// A snapshot's status as a badge; busy states spin, a failure's reason is the tooltip.
fn status_badge(snapshot: &Snapshot) -> impl IntoView + use<> {
    let busy = matches!(
        snapshot.status,
        SnapshotStatus::Capturing | SnapshotStatus::Finalizing
    );
    let title = match snapshot.status {
        SnapshotStatus::Failed => snapshot
            .failure_reason
            .clone()
            .unwrap_or_else(|| "failed; no reason was recorded".to_string()),
        _ => format!(
            "{} snapshot, {} consistent",
            match snapshot.mode {
                sbx_api::SnapshotMode::Scrub => "Snapshot and delete",
                sbx_api::SnapshotMode::Full => "Full",
            },
            snapshot.consistency.as_str()
        ),
    };
    view! {
        <span class=status_tone(snapshot.status) title=title>
            {busy.then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
            {snapshot.status.as_str()}
        </span>
    }
}

/// What the page body shows; changes only when the shape of the listing changes, so rows stay put.
#[derive(Clone, Debug, PartialEq)]
enum ListingState {
    /// The first answer has not come yet.
    Loading,
    /// Listing failed, with the error text.
    Failed(String),
    /// There are no snapshots at all.
    Empty,
    /// The table.
    Listed,
}

/// The Snapshots tab of the sidebar.
#[component]
pub fn SnapshotsPage() -> impl IntoView {
    let live = use_live();
    let page = RwSignal::new(1_u32);
    let reload = RwSignal::new(0_u64);
    let snapshots = fetched(move || {
        live.snapshots.track();
        reload.track();
        let request = ListSnapshotsRequest {
            sandbox: None,
            page: page.get(),
            limit: PAGE_SIZE,
        };
        async move { ipc::call::<ListSnapshots>(&request).await }
    });
    let restore_target = RwSignal::new(None::<String>);
    let delete_target = RwSignal::new(None::<String>);
    let restoring_into = RwSignal::new(None::<String>);
    let export_target = RwSignal::new(None::<Snapshot>);
    let transfer = RwSignal::new(None::<Transfer>);
    let targets = RowTargets {
        restore: restore_target,
        export: export_target,
        delete: delete_target,
        lineage: RwSignal::new(None),
    };

    let page_count = Memo::new(move |_| {
        snapshots.get().and_then(Result::ok).map(|listing| {
            let limit = u64::from(listing.limit.max(1));
            u32::try_from(listing.total.div_ceil(limit).max(1)).unwrap_or(u32::MAX)
        })
    });
    let view_state = Memo::new(move |_| match snapshots.get() {
        None => ListingState::Loading,
        Some(Err(failure)) => ListingState::Failed(failure.to_string()),
        Some(Ok(listing)) if listing.total == 0 => ListingState::Empty,
        Some(Ok(_)) => ListingState::Listed,
    });
    // A page emptied by deletions: go back to the last page that has snapshots.
    Effect::new(move |_| {
        if let Some(pages) = page_count.get()
            && page.get_untracked() > pages
        {
            page.set(pages);
        }
    });

    view! {
        <header class="page-head">
            <h1>"Snapshots"</h1>
            {move || {
                snapshots
                    .get()
                    .and_then(Result::ok)
                    .map(|listing| {
                        view! {
                            <span class="total-size muted">
                                "Total size: " {format_bytes(listing.total_size_bytes)}
                            </span>
                        }
                    })
            }}
            <FreeSpace />
            <ImportButton transfer />
        </header>
        <RestoringNotice restoring_into />
        <TransferNotice transfer />
        {move || match view_state.get() {
            ListingState::Loading => view! { <p class="muted">"Loading snapshots…"</p> }.into_any(),
            ListingState::Failed(message) => {
                view! {
                    <p class="error" role="alert">
                        "Could not list snapshots: "
                        {message}
                    </p>
                }
                    .into_any()
            }
            ListingState::Empty => {
                view! {
                    <div class="empty">
                        <p>"No snapshots yet — open a running sandbox and click Take Snapshot, or Import one from a file."</p>
                    </div>
                }
                    .into_any()
            }
            ListingState::Listed => {
                view! { <SnapshotTable snapshots page page_count targets /> }.into_any()
            }
        }}
        {move || {
            restore_target
                .get()
                .map(|snapshot| {
                    let imported = snapshots
                        .get_untracked()
                        .and_then(Result::ok)
                        .and_then(|listing| {
                            listing.items.into_iter().find(|s| s.name == snapshot).map(|s| s.imported)
                        })
                        .unwrap_or(false);
                    view! {
                        <RestoreDialog
                            snapshot=snapshot
                            imported=imported
                            restore_target=restore_target
                            restoring_into=restoring_into
                        />
                    }
                })
        }}
        {move || {
            delete_target
                .get()
                .map(|snapshot| {
                    view! { <DeleteDialog snapshot=snapshot delete_target=delete_target reload=reload /> }
                })
        }}
        {move || {
            export_target
                .get()
                .map(|snapshot| view! { <ExportDialog snapshot export_target transfer /> })
        }}
    }
}

/// The dialogs a row's buttons open.
#[derive(Clone, Copy)]
struct RowTargets {
    restore: RwSignal<Option<String>>,
    export: RwSignal<Option<Snapshot>>,
    delete: RwSignal<Option<String>>,
    /// The snapshot whose lineage tree is open under its row.
    lineage: RwSignal<Option<String>>,
}

/// What became of the last restore started from this page: its progress, its failure, or the sandbox to open.
#[component]
pub(crate) fn RestoringNotice(restoring_into: RwSignal<Option<String>>) -> impl IntoView {
    let live = use_live();
    let nav = use_sandbox_nav();
    move || {
        restoring_into.get().map(|sandbox| {
                    let job = live
                        .progress
                        .with(|jobs| job_for(jobs, &[JobKind::Restore, JobKind::Create], &sandbox));
                    let stage = job
                        .as_ref()
                        .map(|job| {
                            let bar = progress_bar(job, format!("Progress of {sandbox}"));
                            view! {
                                <span class="stage muted">
                                    <span class="spinner busy-text" aria-hidden="true"></span>
                                    {job.stage.as_str()}
                                </span>
                                {bar}
                            }
                        });
                    let failed = live.failed.with(|failed| {
                        failed
                            .iter()
                            .rev()
                            .find(|p| p.kind == JobKind::Restore && p.target == sandbox)
                            .cloned()
                    });
                    if let Some(failed) = failed {
                        // The restore's work failed and its sandbox was undone: say why, offer nothing to open.
                        let job_id = failed.job_id.clone();
                        let dismiss = move |_| {
                            restoring_into.set(None);
                            live.dismiss_failure(&job_id);
                        };
                        return view! {
                            <p class="notice error" role="alert">
                                "Restoring into " <strong>{sandbox.clone()}</strong> " failed: "
                                <span class="failure-reason">{failed.error.clone().unwrap_or_default()}</span>
                                " "
                                <button class="small" aria-label="Dismiss" on:click=dismiss>"Dismiss"</button>
                            </p>
                        }
                            .into_any();
                    }
                    match stage {
                        Some(stage) => {
                            view! {
                                <p class="notice" role="status">
                                    "Restoring into " <strong>{sandbox.clone()}</strong>
                                    <span class="muted">" — it appears on the Sandboxes page."</span> {stage}
                                </p>
                            }
                                .into_any()
                        }
                        None => {
                            // The restore's work is over: say so, and offer the sandbox.
                            let target = sandbox.clone();
                            view! {
                                <p class="notice" role="status">
                                    "Restored into " <strong>{sandbox.clone()}</strong> " "
                                    <button
                                        class="small"
                                        aria-label=format!("Open {sandbox}")
                                        on:click=move |_| nav.open(target.clone())
                                    >
                                        "Open"
                                    </button>
                                    " "
                                    <button
                                        class="small"
                                        aria-label="Dismiss"
                                        on:click=move |_| restoring_into.set(None)
                                    >
                                        "Dismiss"
                                    </button>
                                </p>
                            }
                                .into_any()
                        }
                    }
        })
    }
}

/// The table of snapshots and the pager under it.
#[component]
fn SnapshotTable(
    snapshots: ReadSignal<Option<Result<SnapshotPage, ApiError>>>,
    page: RwSignal<u32>,
    page_count: Memo<Option<u32>>,
    targets: RowTargets,
) -> impl IntoView {
    view! {
                    <table class="table snapshots-table" aria-label="Snapshots">
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Source sandbox"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Created"</th>
                                <th scope="col">"Expires"</th>
                                <th scope="col" class="numeric">"Size"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            <For
                                each=move || {
                                    snapshots
                                        .get()
                                        .and_then(Result::ok)
                                        .map(|listing| listing.items)
                                        .unwrap_or_default()
                                }
                                key=|snapshot| {
                                    format!(
                                        "{}|{:?}|{:?}|{:?}|{:?}",
                                        snapshot.id,
                                        snapshot.status,
                                        snapshot.size_bytes,
                                        snapshot.failure_reason,
                                        snapshot.expires_at,
                                    )
                                }
                                children=move |snapshot| {
                                    view! { <SnapshotRow snapshot=snapshot targets=targets /> }
                                }
                            />
                        </tbody>
                    </table>
                    <Pager
                        page=page
                        page_count=Signal::derive(move || page_count.get().unwrap_or(1))
                        label="Snapshot pages"
                    />
    }
}

/// One row of the Snapshots table.
#[component]
fn SnapshotRow(snapshot: Snapshot, targets: RowTargets) -> impl IntoView {
    let live = use_live();
    let name = snapshot.name.clone();
    let active = snapshot.status == SnapshotStatus::Active;
    let failure = (snapshot.status == SnapshotStatus::Failed).then(|| {
        snapshot
            .failure_reason
            .clone()
            .unwrap_or_else(|| "failed; no reason was recorded".to_string())
    });
    let busy = matches!(
        snapshot.status,
        SnapshotStatus::Capturing | SnapshotStatus::Finalizing
    );
    // Only a capture in flight follows the jobs' progress (most rows never do).
    let progress_name = name.clone();
    let live_stage = busy.then_some(move || {
        live.progress
            .with(|jobs| job_for(jobs, &[JobKind::Snapshot], &progress_name))
            .map(|job| {
                let bar = progress_bar(&job, format!("Capture progress of {}", job.target));
                view! {
                    <span class="stage muted">{job.stage.as_str()}</span>
                    {bar}
                }
            })
    });
    let name_title = format!(
        "template {}, {} consistent{}",
        snapshot.source_template,
        snapshot.consistency.as_str(),
        snapshot
            .repository
            .as_ref()
            .map(|repository| format!(", repository {repository}"))
            .unwrap_or_default()
    );
    let created_title = snapshot.created_at.to_rfc3339();
    let expires = snapshot
        .expires_at
        .map(format_time)
        .unwrap_or_else(|| "never".to_string());
    let size = snapshot
        .size_bytes
        .map(format_bytes)
        .unwrap_or_else(|| "—".to_string());
    let size_title = snapshot
        .size_bytes
        .map(|bytes| format!("{bytes} bytes"))
        .unwrap_or_default();
    let restore_name = name.clone();
    let delete_name = name.clone();
    let exported = snapshot.clone();
    let lineage_name = name.clone();
    let tree_name = name.clone();
    let tree_open =
        Memo::new(move |_| targets.lineage.get().as_deref() == Some(tree_name.as_str()));
    view! {
        <tr data-snapshot=name.clone()>
            <td>
                <span class="snapshot-name" title=name_title>
                    {name.clone()}
                </span>
                {snapshot
                    .automatic
                    .then(|| view! { <span class="tag muted" title="Taken by the sandbox's schedule">"automatic"</span> })}
                {failure
                    .clone()
                    .map(|reason| view! { <div class="failure-reason">{reason}</div> })}
            </td>
            <td>{snapshot.source_sandbox_name.clone()}</td>
            <td class="status-cell">{status_badge(&snapshot)} {live_stage}</td>
            <td title=created_title>{format_time(snapshot.created_at)}</td>
            <td>{expires}</td>
            <td class="numeric" title=size_title>
                {size}
            </td>
            <td class="row-actions">
                <button
                    class="small"
                    aria-label=format!("Restore {name}")
                    disabled=!active
                    title=(!active).then_some("Only an active snapshot can be restored")
                    on:click=move |_| targets.restore.set(Some(restore_name.clone()))
                >
                    "Restore"
                </button>
                <button
                    class="small"
                    aria-label=format!("Export {name}")
                    disabled=!active
                    title=(!active).then_some("Only an active snapshot can be exported")
                    on:click=move |_| targets.export.set(Some(exported.clone()))
                >
                    "Export"
                </button>
                <button
                    class="small"
                    aria-label=format!("Lineage of {name}")
                    aria-expanded=move || tree_open.get().to_string()
                    on:click=move |_| {
                        targets
                            .lineage
                            .update(|open| {
                                *open = if open.as_deref() == Some(lineage_name.as_str()) {
                                    None
                                } else {
                                    Some(lineage_name.clone())
                                };
                            })
                    }
                >
                    "Lineage"
                </button>
                <button
                    class="small danger"
                    aria-label=format!("Delete {name}")
                    on:click=move |_| targets.delete.set(Some(delete_name.clone()))
                >
                    "Delete"
                </button>
            </td>
        </tr>
        {move || {
            tree_open
                .get()
                .then(|| {
                    view! {
                        <tr class="lineage-row" data-lineage-of=name.clone()>
                            <td colspan="7">
                                <LineageTree snapshot=name.clone() />
                            </td>
                        </tr>
                    }
                })
        }}
    }
}

/// The Restore snapshot dialog: optional new name and resources, skip setup, mount the agent credentials. Also
/// opened from a sandbox's page, for its snapshots.
#[component]
pub(crate) fn RestoreDialog(
    snapshot: String,
    /// The snapshot came from a file: its restores mount no credentials unless asked.
    imported: bool,
    restore_target: RwSignal<Option<String>>,
    restoring_into: RwSignal<Option<String>>,
) -> impl IntoView {
    let new_name = FieldState::new();
    let cpus = FieldState::new();
    let memory = FieldState::new();
    let no_setup = RwSignal::new(false);
    let credentials = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let first_input = NodeRef::<html::Input>::new();
    focus_when_shown(first_input);
    let close = Callback::new(move |()| restore_target.set(None));

    let new_name_problem = optional_name_problem_of(Field::Name, new_name);
    let cpus_problem = cpus_problem(cpus);
    let memory_problem = memory_problem(memory);
    let blocked_reason = blocked_reason(
        busy,
        "Restoring…",
        vec![
            (new_name_problem.into(), "Fix the new sandbox name"),
            (cpus_problem.into(), "Fix the CPUs"),
            (memory_problem.into(), "Fix the memory"),
        ],
    );

    let submit_snapshot = snapshot.clone();
    let submit = move || {
        if blocked_reason.get_untracked().is_some() {
            return;
        }
        let request = RestoreSnapshotRequest {
            snapshot: submit_snapshot.clone(),
            name: optional_text(&new_name.value.get_untracked()),
            cpus: cpus_value(cpus),
            memory_mib: memory_value(memory),
            no_setup: no_setup.get_untracked(),
            credentials: credentials.get_untracked(),
            wait_for_ready: false,
        };
        send::<RestoreSnapshot>(busy, error, request, move |answer| match answer {
            Ok(sandbox) => {
                restoring_into.try_set(Some(sandbox.name));
                restore_target.try_set(None);
            }
            Err(failure) => show_failure(
                failure,
                &[
                    (Field::Name, new_name),
                    (Field::Cpus, cpus),
                    (Field::Memory, memory),
                ],
                error,
            ),
        });
    };

    view! {
        <Modal label="Restore snapshot".to_string() on_close=close class="modal-small">
            <h2>"Restore snapshot"</h2>
            <p class="muted dialog-lead">
                "A new sandbox from " <strong>{snapshot}</strong> "."
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
                    id="restore-new-name"
                    field=new_name
                    problem=new_name_problem
                    placeholder="generated when empty"
                    input_ref=first_input
                />
                <TextField
                    label="CPUs"
                    aria="CPUs"
                    id="restore-cpus"
                    field=cpus
                    problem=cpus_problem
                    placeholder=cpus_placeholder("as captured")
                    numeric=true
                />
                <TextField
                    label="Memory (MiB)"
                    aria="Memory (MiB)"
                    id="restore-memory"
                    field=memory
                    problem=memory_problem
                    placeholder=memory_placeholder("as captured")
                    numeric=true
                />
                <div class="full checkbox-row">
                    <input
                        type="checkbox"
                        id="restore-no-setup"
                        aria-label="Skip setup script"
                        prop:checked=move || no_setup.get()
                        on:change=move |ev| no_setup.set(event_target_checked(&ev))
                    />
                    <label for="restore-no-setup">"Skip setup script"</label>
                </div>
                <p class="hint">"Otherwise the repository's setup script runs once when the sandbox boots."</p>
                <div class="full checkbox-row">
                    <input
                        type="checkbox"
                        id="restore-credentials"
                        aria-label="Mount my agent credentials"
                        aria-describedby="restore-credentials-hint"
                        prop:checked=move || credentials.get()
                        on:change=move |ev| credentials.set(event_target_checked(&ev))
                    />
                    <label for="restore-credentials">"Mount my agent credentials"</label>
                </div>
                <p class="hint" id="restore-credentials-hint">
                    {if imported {
                        "This snapshot was imported from a file: your agent credential files are not mounted in \
                         the new sandbox unless you check this."
                    } else {
                        "Unchecked, they are mounted only if the sandbox this snapshot was taken from had them."
                    }}
                </p>
                <DialogActions
                    error=error
                    blocked_reason=blocked_reason
                    on_cancel=close
                    submit_label="Restore now"
                    submit_text="Restore"
                    busy=busy
                />
            </form>
        </Modal>
    }
}

/// The confirmation before deleting a snapshot, naming it.
#[component]
fn DeleteDialog(
    snapshot: String,
    delete_target: RwSignal<Option<String>>,
    reload: RwSignal<u64>,
) -> impl IntoView {
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let cancel_button = NodeRef::<html::Button>::new();
    cancel_button.on_load(|button| {
        request_animation_frame(move || {
            let _ = button.focus();
        });
    });
    let close = Callback::new(move |()| delete_target.set(None));
    let delete_name = snapshot.clone();
    let confirm = move |_| {
        if busy.get_untracked() {
            return;
        }
        send::<DeleteSnapshot>(
            busy,
            error,
            delete_name.clone(),
            move |answer| match answer {
                Ok(()) => {
                    reload.try_update(|count| *count += 1);
                    delete_target.try_set(None);
                }
                Err(failure) => {
                    error.try_set(Some(failure));
                }
            },
        );
    };
    view! {
        <Modal label="Confirm snapshot deletion".to_string() on_close=close class="modal-small">
            <h2>"Delete snapshot"</h2>
            <p class="confirm-text">
                "Delete snapshot " <strong>{snapshot}</strong>
                "? This cannot be undone. Sandboxes restored from it keep running."
            </p>
            <ErrorLine error=error />
            <div class="actions">
                <button type="button" node_ref=cancel_button aria-label="Cancel" on:click=move |_| close.run(())>
                    "Cancel"
                </button>
                <button
                    type="button"
                    class="primary danger-fill"
                    aria-label="Delete snapshot"
                    disabled=move || busy.get()
                    on:click=confirm
                >
                    {move || busy.get().then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
                    "Delete snapshot"
                </button>
            </div>
        </Modal>
    }
}
