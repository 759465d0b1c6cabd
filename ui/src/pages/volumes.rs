//! The Volumes page: the git volumes holding repository checkouts, which outlive their sandboxes (`sbx volume
//! list|delete`): each one's size, the sandbox that made it (or "orphaned" once it is gone), the sandboxes that
//! mount it now, and Delete after a confirmation naming the volume (refused while a sandbox mounts it).

use leptos::html;
use leptos::prelude::*;
use sbx_api::{
    ApiError, Volume,
    requests::{DeleteVolume, ListVolumes},
};

use crate::dialog::{Modal, send};
use crate::fetched::fetched;
use crate::ipc;
use crate::live::use_live;
use crate::pages::snapshots::format_bytes;
use crate::widgets::ErrorLine;

/// Who made a volume, as the table says it: the sandbox's name, or that it is gone.
pub(crate) fn made_by(volume: &Volume) -> String {
    if volume.orphaned {
        format!("orphaned (was {})", volume.sandbox)
    } else {
        volume.sandbox.clone()
    }
}

/// A volume's size as the table says it.
pub(crate) fn size_text(volume: &Volume) -> String {
    volume
        .size_bytes
        .map(format_bytes)
        .unwrap_or_else(|| "—".to_string())
}

/// The Volumes tab of the sidebar.
#[component]
pub fn VolumesPage() -> impl IntoView {
    let live = use_live();
    let reload = RwSignal::new(0_u64);
    let volumes = fetched(move || {
        live.sandboxes.track();
        reload.track();
        async move { ipc::call::<ListVolumes>(&()).await }
    });
    let delete_target = RwSignal::new(None::<String>);
    view! {
        <header class="page-head">
            <h1>"Volumes"</h1>
            {move || {
                volumes.get().and_then(Result::ok).map(|list| {
                    let total: u64 = list.iter().filter_map(|v| v.size_bytes).sum();
                    view! { <span class="total-size muted">"Total size: " {format_bytes(total)}</span> }
                })
            }}
        </header>
        <p class="muted page-lead">
            "A sandbox made from a repository keeps its checkout on a git volume; deleting the sandbox keeps the volume."
        </p>
        {move || match volumes.get() {
            None => view! { <p class="muted">"Loading volumes…"</p> }.into_any(),
            Some(Err(error)) => {
                view! { <p class="error" role="alert">"Could not list volumes: " {error.to_string()}</p> }
                    .into_any()
            }
            Some(Ok(list)) if list.is_empty() => {
                view! {
                    <div class="empty">
                        <p>"No git volumes — they are made when a sandbox is created from a repository."</p>
                    </div>
                }
                    .into_any()
            }
            Some(Ok(list)) => view! { <VolumeTable list delete_target /> }.into_any(),
        }}
        {move || {
            delete_target
                .get()
                .map(|volume| view! { <DeleteVolumeDialog volume delete_target reload /> })
        }}
    }
}

/// The table of volumes.
#[component]
fn VolumeTable(list: Vec<Volume>, delete_target: RwSignal<Option<String>>) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|volume| {
            let name = volume.name.clone();
            let in_use = !volume.used_by.is_empty();
            let delete_name = name.clone();
            let created = volume
                .created_at
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| crate::widgets::format_time(t.with_timezone(&chrono::Utc)))
                .unwrap_or_else(|| "—".to_string());
            view! {
                <tr data-volume=name.clone()>
                    <td class="volume-name">{name.clone()}</td>
                    <td class="numeric volume-size" title=volume.size_bytes.map(|b| format!("{b} bytes")).unwrap_or_default()>
                        {size_text(&volume)}
                    </td>
                    <td class="volume-sandbox">
                        {if volume.orphaned {
                            view! { <span class="badge badge-idle" title="The sandbox that made it is gone">{made_by(&volume)}</span> }.into_any()
                        } else {
                            view! { <span>{made_by(&volume)}</span> }.into_any()
                        }}
                    </td>
                    <td>{volume.repo.clone()}</td>
                    <td>{if in_use { volume.used_by.join(", ") } else { "—".to_string() }}</td>
                    <td>{created}</td>
                    <td class="row-actions">
                        <button class="small danger" aria-label=format!("Delete {name}")
                            disabled=in_use
                            title=in_use.then(|| format!("Mounted by {}; delete the sandbox first", volume.used_by.join(", ")))
                            on:click=move |_| delete_target.set(Some(delete_name.clone()))>
                            "Delete"
                        </button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table volumes-table" aria-label="Volumes">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col" class="numeric">"Size"</th>
                    <th scope="col">"Sandbox"</th>
                    <th scope="col">"Repository"</th>
                    <th scope="col">"Used by"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// The confirmation before deleting a volume, naming it.
#[component]
fn DeleteVolumeDialog(
    volume: String,
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
    let name = volume.clone();
    let confirm = move |_| {
        if busy.get_untracked() {
            return;
        }
        send::<DeleteVolume>(busy, error, name.clone(), move |answer| match answer {
            Ok(()) => {
                reload.try_update(|n| *n += 1);
                delete_target.try_set(None);
            }
            Err(failure) => {
                error.try_set(Some(failure));
            }
        });
    };
    view! {
        <Modal label="Confirm volume deletion".to_string() on_close=close class="modal-small">
            <h2>"Delete volume"</h2>
            <p class="confirm-text">
                "Delete volume " <strong>{volume}</strong>
                "? The repository checkout on it, with any uncommitted work, is gone for good."
            </p>
            <ErrorLine error=error />
            <div class="actions">
                <button type="button" node_ref=cancel_button aria-label="Cancel" on:click=move |_| close.run(())>
                    "Cancel"
                </button>
                <button type="button" class="primary danger-fill" aria-label="Delete volume"
                    disabled=move || busy.get() on:click=confirm>
                    {move || busy.get().then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
                    "Delete volume"
                </button>
            </div>
        </Modal>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(orphaned: bool, size: Option<u64>) -> Volume {
        Volume {
            name: "amika-git-box-app-1".into(),
            sandbox: "box".into(),
            repo: "app".into(),
            created_at: None,
            used_by: Vec::new(),
            size_bytes: size,
            orphaned,
        }
    }

    #[test]
    fn the_maker_or_orphaned_and_the_size() {
        assert_eq!(made_by(&volume(false, None)), "box");
        assert_eq!(made_by(&volume(true, None)), "orphaned (was box)");
        assert_eq!(size_text(&volume(false, Some(2_500_000))), "2.5 MB");
        assert_eq!(size_text(&volume(false, None)), "—");
    }
}
