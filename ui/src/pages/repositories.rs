//! The Repositories page: repositories sandboxes were created from, and each one's default snapshot — set or
//! cleared in the app, or taken from `.amika/config.toml` — with where the effective default comes from.

use leptos::prelude::*;
use sbx_api::{
    ApiError, DefaultSource, ListSnapshotsRequest, RepoDefaultRequest, Repository, SnapshotStatus,
    requests::{ListRepositories, ListSnapshots, SetRepoDefault},
};

use crate::dialog::send;
use crate::fetched::fetched;
use crate::ipc;
use crate::live::use_live;
use crate::widgets::ErrorLine;

/// How many snapshots the default-snapshot choices list (the shell's largest page).
const CHOICES_LIMIT: u32 = 1000;

/// Value of the "None" choice in the default-snapshot select.
const NO_SNAPSHOT: &str = "";

/// What the Source column says for where the effective default comes from.
fn source_words(source: Option<DefaultSource>) -> &'static str {
    match source {
        Some(DefaultSource::App) => "set in the app",
        Some(DefaultSource::RepoConfig) => ".amika/config.toml",
        None => "—",
    }
}

/// What the Default snapshot column says: the effective default, or both values when both exist.
fn default_words(repository: &Repository) -> String {
    match (&repository.app_snapshot, &repository.config_snapshot) {
        (Some(app), Some(config)) => format!("app: {app} (wins), config: {config}"),
        (Some(app), None) => app.clone(),
        (None, Some(config)) => config.clone(),
        (None, None) => repository
            .default_snapshot
            .clone()
            .unwrap_or_else(|| "—".to_string()),
    }
}

/// The Repositories tab of the sidebar.
#[component]
pub fn RepositoriesPage() -> impl IntoView {
    let live = use_live();
    let reload = RwSignal::new(0_u64);
    let repositories = fetched(move || {
        live.sandboxes.track();
        live.snapshots.track();
        reload.track();
        async move { ipc::call::<ListRepositories>(&()).await }
    });
    let active_snapshots = fetched(move || {
        live.snapshots.track();
        reload.track();
        let request = ListSnapshotsRequest {
            sandbox: None,
            page: 1,
            limit: CHOICES_LIMIT,
        };
        async move {
            ipc::call::<ListSnapshots>(&request).await.map(|listing| {
                listing
                    .items
                    .into_iter()
                    .filter(|snapshot| snapshot.status == SnapshotStatus::Active)
                    .map(|snapshot| snapshot.name)
                    .collect::<Vec<_>>()
            })
        }
    });
    let choices = Signal::derive(move || {
        active_snapshots
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
    });
    let choices_error = move || {
        active_snapshots.get().and_then(Result::err).map(|failure| {
            view! {
                <p class="error" role="alert">
                    "Could not list snapshots to choose from: "
                    {failure.to_string()}
                </p>
            }
        })
    };
    let view_state = Memo::new(move |_| match repositories.get() {
        None => ListingState::Loading,
        Some(Err(failure)) => ListingState::Failed(failure.to_string()),
        Some(Ok(list)) if list.is_empty() => ListingState::Empty,
        Some(Ok(_)) => ListingState::Listed,
    });

    view! {
        <header class="page-head">
            <h1>"Repositories"</h1>
        </header>
        <p class="muted page-lead">
            "New sandboxes for a repository boot from its default snapshot. A default set here wins over "
            <code>"[sandbox] snapshot"</code> " in the repository's " <code>".amika/config.toml"</code> "."
        </p>
        {choices_error}
        {move || match view_state.get() {
            ListingState::Loading => view! { <p class="muted">"Loading repositories…"</p> }.into_any(),
            ListingState::Failed(message) => {
                view! {
                    <p class="error" role="alert">
                        "Could not list repositories: "
                        {message}
                    </p>
                }
                    .into_any()
            }
            ListingState::Empty => {
                view! {
                    <div class="empty">
                        <p>"No repositories yet — create a sandbox from a repository."</p>
                    </div>
                }
                    .into_any()
            }
            ListingState::Listed => {
                view! {
                    <table class="table repositories-table" aria-label="Repositories">
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Root"</th>
                                <th scope="col">"Default snapshot"</th>
                                <th scope="col">"Source"</th>
                                <th scope="col" class="numeric">"Sandboxes created"</th>
                                <th scope="col">"Change default"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For
                                each=move || repositories.get().and_then(Result::ok).unwrap_or_default()
                                key=|repository| {
                                    format!(
                                        "{}|{}|{:?}|{:?}|{:?}|{:?}|{}",
                                        repository.root,
                                        repository.name,
                                        repository.default_snapshot,
                                        repository.default_source,
                                        repository.app_snapshot,
                                        repository.config_snapshot,
                                        repository.sandboxes_created,
                                    )
                                }
                                children=move |repository| {
                                    view! { <RepositoryRow repository=repository choices=choices reload=reload /> }
                                }
                            />
                        </tbody>
                    </table>
                }
                    .into_any()
            }
        }}
    }
}

/// What the page body shows; changes only when the shape of the listing changes, so rows stay put.
#[derive(Clone, Debug, PartialEq)]
enum ListingState {
    /// The first answer has not come yet.
    Loading,
    /// Listing failed, with the error text.
    Failed(String),
    /// No repository yet.
    Empty,
    /// The table.
    Listed,
}

/// One repository: its defaults, and the controls that set or clear the app's default.
#[component]
fn RepositoryRow(
    repository: Repository,
    choices: Signal<Vec<String>>,
    reload: RwSignal<u64>,
) -> impl IntoView {
    let name = repository.name.clone();
    let root = repository.root.clone();
    let app_value = repository.app_snapshot.clone();
    let selected = RwSignal::new(app_value.clone().unwrap_or_default());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);

    let save = move |snapshot: Option<String>| {
        if busy.get_untracked() {
            return;
        }
        let request = RepoDefaultRequest {
            path: root.clone(),
            snapshot,
        };
        send::<SetRepoDefault>(busy, error, request, move |answer| match answer {
            Ok(_) => {
                reload.try_update(|count| *count += 1);
            }
            Err(failure) => {
                error.try_set(Some(failure));
            }
        });
    };
    let save_for_clear = save.clone();

    // The app's value stays selectable even when it is not an active snapshot (deleted, or not captured yet).
    let listed_app_value = app_value.clone();
    let options = move || {
        let mut names = choices.get();
        if let Some(current) = &listed_app_value
            && !names.contains(current)
        {
            names.push(current.clone());
        }
        names
            .into_iter()
            .map(|snapshot| {
                let label = if choices.with(|active| active.contains(&snapshot)) {
                    snapshot.clone()
                } else {
                    format!("{snapshot} (not active)")
                };
                let value = snapshot.clone();
                view! {
                    <option value=value selected=move || selected.get() == snapshot>
                        {label}
                    </option>
                }
            })
            .collect_view()
    };

    let effective = default_words(&repository);
    let has_app_value = app_value.is_some();
    view! {
        <tr data-repository=name.clone()>
            <td class="name">{name.clone()}</td>
            <td class="path" title=repository.root.clone()>
                {repository.root.clone()}
            </td>
            <td class="default-snapshot">{effective}</td>
            <td class="default-source">{source_words(repository.default_source)}</td>
            <td class="numeric">{repository.sandboxes_created}</td>
            <td class="row-actions">
                <select
                    aria-label=format!("Default snapshot for {name}")
                    on:change=move |ev| selected.set(event_target_value(&ev))
                >
                    <option value=NO_SNAPSHOT selected=move || selected.get().is_empty()>
                        "None"
                    </option>
                    {options}
                </select>
                <button
                    class="small"
                    aria-label=format!("Set default for {name}")
                    disabled=move || busy.get()
                    on:click=move |_| {
                        let choice = selected.get_untracked();
                        save((!choice.is_empty()).then_some(choice));
                    }
                >
                    "Set default"
                </button>
                <button
                    class="small"
                    aria-label=format!("Clear default for {name}")
                    disabled=move || busy.get()
                    title=if has_app_value {
                        "Clear the default set in the app"
                    } else {
                        "No default is set in the app"
                    }
                    on:click=move |_| save_for_clear(None)
                >
                    "Clear"
                </button>
                <ErrorLine error=error />
            </td>
        </tr>
    }
}
