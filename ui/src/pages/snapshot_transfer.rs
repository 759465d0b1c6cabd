//! Export and Import on the Snapshots page, as `sbx snapshot export|import` do them: the system's file dialog (the
//! shell opens it natively and answers the chosen path), then the transfer with its progress as the file is written
//! or read, then the result or the error. An export may include a full snapshot's secret values, after a warning.

use leptos::html;
use leptos::prelude::*;
use sbx_api::{
    ApiError, FileChoice, JobKind, Snapshot, SnapshotFileRequest, SnapshotMode,
    requests::{ChooseFile, ExportSnapshot, ImportSnapshot},
};

use crate::dialog::{Modal, job_for, progress_bar};
use crate::ipc;
use crate::live::use_live;
use crate::pages::snapshots::format_bytes;
use crate::widgets::ErrorLine;

/// The transfer the page runs (one at a time), and how it ended.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Transfer {
    /// Writing `snapshot` to `file`.
    Exporting { snapshot: String, file: String },
    /// Reading `file`.
    Importing { file: String },
    /// It ended well: what to say.
    Done(String),
    /// It failed: why.
    Failed(ApiError),
}

impl Transfer {
    /// Whether it still runs.
    pub(crate) fn running(&self) -> bool {
        matches!(
            self,
            Transfer::Exporting { .. } | Transfer::Importing { .. }
        )
    }
}

/// What a finished export says.
pub(crate) fn exported_text(snapshot: &str, file: &str, bytes: u64, secrets: usize) -> String {
    let mut text = format!("Exported {snapshot} to {file} ({})", format_bytes(bytes));
    if secrets > 0 {
        text.push_str(&format!(
            ". It holds {secrets} secret value(s) in plain text: keep it private and delete it once imported."
        ));
    }
    text
}

/// The Import button of the page's head: asks for a file, then imports it.
#[component]
pub(crate) fn ImportButton(transfer: RwSignal<Option<Transfer>>) -> impl IntoView {
    let live = use_live();
    let import = move |_| {
        if transfer.with_untracked(|t| t.as_ref().is_some_and(Transfer::running)) {
            return;
        }
        leptos::task::spawn_local(async move {
            let file = match ipc::call::<ChooseFile>(&FileChoice::Import).await {
                Ok(Some(file)) => file,
                Ok(None) => return,
                Err(error) => {
                    transfer.try_set(Some(Transfer::Failed(error)));
                    return;
                }
            };
            transfer.try_set(Some(Transfer::Importing { file: file.clone() }));
            let request = SnapshotFileRequest {
                file: file.clone(),
                ..Default::default()
            };
            let ended = match ipc::call::<ImportSnapshot>(&request).await {
                Ok(snapshot) => Transfer::Done(format!("Imported {} from {file}", snapshot.name)),
                Err(error) => Transfer::Failed(error),
            };
            transfer.try_set(Some(ended));
            live.snapshots.try_update(|n| *n += 1);
        });
    };
    view! {
        <button class="small" aria-label="Import snapshot" title="Load a snapshot from a file an export wrote"
            disabled=move || transfer.with(|t| t.as_ref().is_some_and(Transfer::running))
            on:click=import>
            "Import…"
        </button>
    }
}

/// The state of the page's transfer: progress while it runs, then the result or the error, with Dismiss.
#[component]
pub(crate) fn TransferNotice(transfer: RwSignal<Option<Transfer>>) -> impl IntoView {
    let live = use_live();
    move || {
        transfer.get().map(|state| {
            let dismiss = move |_| transfer.set(None);
            let (text, job) = match &state {
                Transfer::Exporting { snapshot, file } => (
                    format!("Exporting {snapshot} to {file}…"),
                    live.progress.with(|jobs| job_for(jobs, &[JobKind::Export], snapshot)),
                ),
                Transfer::Importing { file } => (
                    format!("Importing {file}…"),
                    live.progress.with(|jobs| {
                        jobs.values().find(|p| p.kind == JobKind::Import).cloned()
                    }),
                ),
                Transfer::Done(text) => {
                    return view! {
                        <p class="notice transfer-notice" role="status">
                            <span class="transfer-result">{text.clone()}</span> " "
                            <button class="small" aria-label="Dismiss" on:click=dismiss>"Dismiss"</button>
                        </p>
                    }
                    .into_any();
                }
                Transfer::Failed(error) => {
                    return view! {
                        <p class="notice error transfer-notice" role="alert">
                            <span class="transfer-error">{error.to_string()}</span> " "
                            <button class="small" aria-label="Dismiss" on:click=dismiss>"Dismiss"</button>
                        </p>
                    }
                    .into_any();
                }
            };
            let detail = job.map(|job| {
                let bar = progress_bar(&job, "Transfer progress".to_string());
                view! { <span class="stage muted">{job.message.clone()}</span> {bar} }
            });
            view! {
                <p class="notice transfer-notice" role="status">
                    <span class="spinner busy-text" aria-hidden="true"></span>
                    <span class="transfer-running">{text}</span> " " {detail}
                </p>
            }
            .into_any()
        })
    }
}

/// The Export dialog: the snapshot, whether to include its secret values (with the warning), then the file dialog.
#[component]
pub(crate) fn ExportDialog(
    snapshot: Snapshot,
    export_target: RwSignal<Option<Snapshot>>,
    transfer: RwSignal<Option<Transfer>>,
) -> impl IntoView {
    let include_secrets = RwSignal::new(false);
    let choosing = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let close = Callback::new(move |()| export_target.set(None));
    let first = NodeRef::<html::Button>::new();
    first.on_load(|button| {
        request_animation_frame(move || {
            let _ = button.focus();
        });
    });
    let full = snapshot.mode == SnapshotMode::Full;
    let name = snapshot.name.clone();
    let choose = move |_| {
        if choosing.get_untracked() {
            return;
        }
        choosing.set(true);
        error.set(None);
        let name = name.clone();
        let include = include_secrets.get_untracked();
        leptos::task::spawn_local(async move {
            let chosen = ipc::call::<ChooseFile>(&FileChoice::Export {
                suggested_name: format!("{name}.tar"),
            })
            .await;
            choosing.try_set(false);
            let file = match chosen {
                Ok(Some(file)) => file,
                Ok(None) => return,
                Err(failure) => {
                    error.try_set(Some(failure));
                    return;
                }
            };
            export_target.try_set(None);
            run_export(transfer, name, file, include).await;
        });
    };
    view! {
        <Modal label="Export snapshot".to_string() on_close=close class="modal-small">
            <h2>"Export snapshot"</h2>
            <p class="muted dialog-lead">
                "Write " <strong>{snapshot.name.clone()}</strong>
                " (its image, workspace and configuration) to one file, to import on another machine."
            </p>
            <div class="full checkbox-row">
                <input type="checkbox" id="export-include-secrets" aria-label="Include secret values"
                    aria-describedby="export-secrets-warning" disabled=!full
                    prop:checked=move || include_secrets.get()
                    on:change=move |ev| include_secrets.set(event_target_checked(&ev)) />
                <label for="export-include-secrets">"Include secret values"</label>
            </div>
            <p class="hint" class:warning=move || include_secrets.get() id="export-secrets-warning">
                {move || secrets_hint(full, include_secrets.get())}
            </p>
            <ErrorLine error=error />
            <div class="actions">
                <button type="button" aria-label="Cancel" on:click=move |_| close.run(())>"Cancel"</button>
                <button type="button" class="primary" node_ref=first aria-label="Choose file and export"
                    disabled=move || choosing.get() on:click=choose>
                    "Choose file…"
                </button>
            </div>
        </Modal>
    }
}

/// What the dialog says about secret values.
fn secrets_hint(full: bool, include: bool) -> &'static str {
    match (full, include) {
        (false, _) => {
            "A Snapshot and delete snapshot keeps no secret values: the file holds their names only."
        }
        (true, false) => {
            "Secret variables are written with empty values; the importer sets them again."
        }
        (true, true) => {
            "Warning: the file will hold this snapshot's secret values in plain text. Keep it private and \
             delete it once it is imported."
        }
    }
}

/// Export `snapshot` to `file`, the page's transfer showing it.
async fn run_export(
    transfer: RwSignal<Option<Transfer>>,
    snapshot: String,
    file: String,
    include_secrets: bool,
) {
    transfer.try_set(Some(Transfer::Exporting {
        snapshot: snapshot.clone(),
        file: file.clone(),
    }));
    let request = SnapshotFileRequest {
        name: snapshot.clone(),
        file,
        include_secrets,
    };
    let ended = match ipc::call::<ExportSnapshot>(&request).await {
        Ok(done) => Transfer::Done(exported_text(
            &snapshot,
            &done.file,
            done.size_bytes,
            done.secret_values,
        )),
        Err(error) => Transfer::Failed(error),
    };
    transfer.try_set(Some(ended));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_result_says_where_how_big_and_warns_of_secrets() {
        assert_eq!(
            exported_text("base", "/tmp/base.tar", 12_300_000, 0),
            "Exported base to /tmp/base.tar (12 MB)"
        );
        assert!(exported_text("base", "/f.tar", 1, 2).contains("2 secret value(s) in plain text"));
        assert!(secrets_hint(true, true).starts_with("Warning"));
        assert!(!secrets_hint(false, true).starts_with("Warning"));
        assert!(Transfer::Importing { file: "x".into() }.running());
        assert!(!Transfer::Done("x".into()).running());
    }
}
