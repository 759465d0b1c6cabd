//! On a sandbox's page: the snapshots taken of it and the snapshot it came from, each with Restore (into a new
//! sandbox, through the Snapshots page's dialog), live as snapshots change; and the words for its main command's
//! end and its snapshot mode (manual, or automatic with the next time it fires).

use leptos::prelude::*;
use sbx_api::{
    ListSnapshotsRequest, Sandbox, SandboxState, Snapshot, SnapshotStatus,
    requests::{GetSnapshot, ListSnapshots},
};

use crate::fetched::fetched;
use crate::ipc;
use crate::live::use_live;
use crate::pages::snapshots::{RestoreDialog, RestoringNotice, format_bytes};
use crate::widgets::ErrorLine;
use crate::widgets::format_time;

/// The most snapshots of one sandbox the page lists.
const LISTED: u32 = 100;

/// Whether the sandbox ended because its main command exited non-zero (shown like a setup failure).
pub(crate) fn main_command_failed(sandbox: &Sandbox) -> bool {
    sandbox.state == SandboxState::Failed && !sandbox.main_command.is_keep_alive()
}

/// The sandbox's snapshot mode in words: `manual`, or `automatic (CRON, local time) — next …`.
pub(crate) fn snapshot_mode_text(sandbox: &Sandbox) -> String {
    match (&sandbox.snapshot_schedule, sandbox.next_snapshot_at) {
        (Some(cron), Some(next)) => {
            format!(
                "automatic ({cron}, local time) — next {}",
                format_time(next)
            )
        }
        (Some(cron), None) => format!("automatic ({cron}, local time)"),
        (None, _) => "manual".to_string(),
    }
}

/// What a row says of where the snapshot stands to this sandbox.
fn relation(snapshot: &Snapshot, sandbox: &Sandbox) -> &'static str {
    if sandbox.from_snapshot.as_deref() == Some(snapshot.name.as_str()) {
        "came from"
    } else if snapshot.automatic {
        "automatic"
    } else {
        "taken"
    }
}

/// The Snapshots section of a sandbox's page.
#[component]
pub(crate) fn SandboxSnapshots(sandbox: Memo<Option<Sandbox>>) -> impl IntoView {
    let live = use_live();
    let key = Memo::new(move |_| {
        sandbox.with(|s| s.as_ref().map(|s| (s.id.clone(), s.from_snapshot.clone())))
    });
    let listed = fetched(move || {
        live.snapshots.track();
        let key = key.get();
        async move {
            let Some((id, from)) = key else {
                return Ok(Vec::new());
            };
            let request = ListSnapshotsRequest {
                sandbox: Some(id),
                page: 1,
                limit: LISTED,
            };
            let mut items = ipc::call::<ListSnapshots>(&request).await?.items;
            // The snapshot it came from, first (gone: expired or deleted, it is not listed).
            if let Some(from) = from
                && let Ok(origin) = ipc::call::<GetSnapshot>(&from).await
            {
                items.insert(0, origin);
            }
            Ok(items)
        }
    });
    let error = Signal::derive(move || listed.get().and_then(Result::err));
    let restore_target = RwSignal::new(None::<String>);
    let restoring_into = RwSignal::new(None::<String>);
    view! {
        <section class="panel sandbox-snapshots" aria-label="Snapshots of this sandbox">
            <h2>"Snapshots"</h2>
            <RestoringNotice restoring_into />
            <ErrorLine error=error />
            {move || {
                let items = listed.get().and_then(Result::ok).unwrap_or_default();
                let Some(current) = sandbox.get() else {
                    return ().into_any();
                };
                if items.is_empty() {
                    return view! {
                        <p class="muted">"No snapshots of this sandbox yet — Take Snapshot captures it."</p>
                    }
                    .into_any();
                }
                view! { <SnapshotList items current restore_target /> }.into_any()
            }}
            {move || {
                restore_target.get().map(|snapshot| {
                    view! { <RestoreDialog snapshot imported=false restore_target restoring_into /> }
                })
            }}
        </section>
    }
}

/// The table of the sandbox's snapshots.
#[component]
fn SnapshotList(
    items: Vec<Snapshot>,
    current: Sandbox,
    restore_target: RwSignal<Option<String>>,
) -> impl IntoView {
    let rows = items
        .into_iter()
        .map(|snapshot| {
            let name = snapshot.name.clone();
            let active = snapshot.status == SnapshotStatus::Active;
            let restore_name = name.clone();
            let badge = match snapshot.status {
                SnapshotStatus::Active => "badge badge-ok",
                SnapshotStatus::Failed => "badge badge-bad",
                _ => "badge badge-busy",
            };
            view! {
                <tr data-snapshot=name.clone()>
                    <td>{name.clone()}</td>
                    <td class="muted snapshot-relation">{relation(&snapshot, &current)}</td>
                    <td>
                        <span class=badge title=snapshot.failure_reason.clone().unwrap_or_default()>
                            {snapshot.status.as_str()}
                        </span>
                    </td>
                    <td>{format_time(snapshot.created_at)}</td>
                    <td class="numeric">{snapshot.size_bytes.map(format_bytes).unwrap_or_else(|| "—".into())}</td>
                    <td class="row-actions">
                        <button class="small" aria-label=format!("Restore {name}") disabled=!active
                            title=(!active).then_some("Only an active snapshot can be restored")
                            on:click=move |_| restore_target.set(Some(restore_name.clone()))>
                            "Restore"
                        </button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table" aria-label="Snapshots of this sandbox">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col"><span class="visually-hidden">"Relation"</span></th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col" class="numeric">"Size"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox(json: serde_json::Value) -> Sandbox {
        let mut base = serde_json::json!({
            "id": "1", "name": "box", "state": "running", "state_reason": null, "preset": null,
            "image": "busybox", "from_snapshot": null, "repo": null, "ports": [], "env": [], "cpus": null,
            "memory_mib": null, "setup_skipped": false, "credentials": [], "auto_stop_minutes": 30,
            "auto_delete_minutes": null, "snapshot_schedule": null, "container_id": null,
            "created_at": "2026-11-23T10:00:00Z"
        });
        for (key, value) in json.as_object().unwrap() {
            base[key] = value.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn a_failed_main_command_and_the_snapshot_mode_in_words() {
        let failed = sandbox(serde_json::json!({
            "state": "failed", "main_command": {"kind": "shell", "value": "exit 3"}
        }));
        assert!(main_command_failed(&failed));
        assert!(!main_command_failed(&sandbox(
            serde_json::json!({"state": "failed"})
        )));
        assert_eq!(
            snapshot_mode_text(&sandbox(serde_json::json!({}))),
            "manual"
        );
        let automatic = sandbox(serde_json::json!({"snapshot_schedule": "0 3 * * *"}));
        assert_eq!(
            snapshot_mode_text(&automatic),
            "automatic (0 3 * * *, local time)"
        );
        assert_eq!(automatic.main_command, sbx_api::MainCommand::KeepAlive);
    }
}
