//! The Profiles page: a live table of sandbox profiles (name, newest usable version, the snapshot status of the
//! newest version, last refreshed, schedule), **New Profile** (a name and the recipe, with the Create dialog's
//! fields and checks), and a profile's own page ([`detail`]) when one is opened.

mod detail;
mod versions;

use leptos::html;
use leptos::prelude::*;
use sbx_api::requests::ListProfiles;
use sbx_api::{ApiError, Field, Profile, ProfileRecipe, ProfileRequest, requests::CreateProfile};

use crate::dialog::{FieldState, Modal, TextField, focus_when_shown, refocus, send};
use crate::fetched::fetched;
use crate::ipc;
use crate::live::use_live;
use crate::pages::create_dialog::{RecipeFields, RecipeForm};
use crate::widgets::{ErrorLine, ProfileBadge, format_time};

#[component]
pub fn ProfilesPage() -> impl IntoView {
    let open = RwSignal::new(None::<String>);
    move || match open.get() {
        Some(name) => view! { <detail::ProfileDetail name=name open=open /> }.into_any(),
        None => view! { <ProfileList open=open /> }.into_any(),
    }
}

/// The table of profiles and New Profile.
#[component]
fn ProfileList(open: RwSignal<Option<String>>) -> impl IntoView {
    let live = use_live();
    let dialog_open = RwSignal::new(false);
    let profiles = fetched(move || {
        live.profiles.track();
        async move { ipc::call::<ListProfiles>(&()).await }
    });
    let answer = Memo::new(move |_| profiles.get());
    let opener = NodeRef::<html::Button>::new();
    let close_dialog = Callback::new(move |created: Option<String>| {
        dialog_open.set(false);
        match created {
            Some(name) => open.set(Some(name)),
            None => refocus(opener),
        }
    });
    view! {
        <header class="page-head">
            <h1>"Profiles"</h1>
            <button class="primary" aria-label="New Profile" node_ref=opener on:click=move |_| dialog_open.set(true)>
                "New Profile"
            </button>
        </header>
        <p class="muted page-intro">
            "A profile is a recipe for sandboxes. Each published version is baked into a snapshot image by a job; "
            "new sandboxes launch from its snapshot without running the setup script again."
        </p>
        {move || match answer.get() {
            None => view! { <p class="muted">"Loading…"</p> }.into_any(),
            Some(Err(error)) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
            Some(Ok(list)) if list.is_empty() => view! {
                <div class="empty">
                    <p>
                        "No profiles yet — "
                        <button class="primary" aria-label="New Profile" on:click=move |_| dialog_open.set(true)>"New Profile"</button>
                    </p>
                </div>
            }.into_any(),
            Some(Ok(list)) => view! { <ProfileTable profiles=list open=open /> }.into_any(),
        }}
        <Show when=move || dialog_open.get()>
            <NewProfileDialog on_close=close_dialog />
        </Show>
    }
}

/// One row per profile; click or Enter opens its page.
#[component]
fn ProfileTable(profiles: Vec<Profile>, open: RwSignal<Option<String>>) -> impl IntoView {
    let rows = profiles
        .into_iter()
        .map(|profile| {
            let name = profile.name.clone();
            let newest = profile.newest();
            let status = newest.map(|v| v.status);
            let title = newest
                .and_then(|v| v.unusable_reason.clone())
                .unwrap_or_default();
            let usable = profile
                .newest_usable()
                .map(|v| format!("version {}", v.number))
                .unwrap_or_else(|| "—".to_string());
            let refreshed = profile
                .last_refreshed
                .map(format_time)
                .unwrap_or_else(|| "—".to_string());
            let go = name.clone();
            let go_key = name.clone();
            view! {
                <tr class="clickable" role="row" tabindex="0" data-profile=name.clone()
                    title=format!("Open {name}")
                    on:click=move |_| open.set(Some(go.clone()))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" {
                            ev.prevent_default();
                            open.set(Some(go_key.clone()));
                        }
                    }>
                    <td role="cell" class="name">{name.clone()}</td>
                    <td role="cell" class="usable">{usable}</td>
                    <td role="cell" class="status"><ProfileBadge status=status title=title /></td>
                    <td role="cell">{refreshed}</td>
                    <td role="cell">{profile.refresh_schedule.describe()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table row-table" role="table" aria-label="Profiles">
            <thead role="rowgroup">
                <tr role="row">
                    <th role="columnheader" scope="col">"Name"</th>
                    <th role="columnheader" scope="col">"Newest usable"</th>
                    <th role="columnheader" scope="col">"Snapshot"</th>
                    <th role="columnheader" scope="col">"Last refreshed"</th>
                    <th role="columnheader" scope="col">"Schedule"</th>
                </tr>
            </thead>
            <tbody role="rowgroup">{rows}</tbody>
        </table>
    }
}

/// New Profile: its name and its recipe (the first draft); on success the profile's page opens.
#[component]
fn NewProfileDialog(on_close: Callback<Option<String>>) -> impl IntoView {
    let name = FieldState::new();
    let recipe = RecipeForm::new(&ProfileRecipe::default());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let name_input = NodeRef::<html::Input>::new();
    focus_when_shown(name_input);
    let name_problem = Signal::derive(move || {
        let text = name.value.get();
        if text.trim().is_empty() {
            return None;
        }
        sbx_api::rules::name(Field::Name, text.trim())
            .err()
            .map(|e| e.to_string())
            .or_else(|| name.rejected_problem())
    });
    let blocker = Memo::new(move |_| {
        if busy.get() {
            return Some("Creating…".to_string());
        }
        if name.value.get().trim().is_empty() {
            return Some("Give the profile a name".to_string());
        }
        name_problem.get().or_else(|| recipe.blocker())
    });
    let submit = move || {
        if blocker.get_untracked().is_some() {
            return;
        }
        let profile = name.value.get_untracked().trim().to_string();
        let request = ProfileRequest {
            refresh_schedule: None,
            ..recipe.request(&profile)
        };
        recipe.clear_error();
        send::<CreateProfile>(busy, error, request, move |answer| match answer {
            Ok(created) => on_close.run(Some(created.name)),
            Err(failure) => {
                if failure.invalid_field() == Some(&Field::Name) {
                    name.reject(&failure);
                } else if !recipe.refuse(&failure) {
                    error.try_set(Some(failure));
                }
            }
        });
    };
    view! {
        <Modal label="New Profile".to_string() on_close=Callback::new(move |()| on_close.run(None)) class="create-dialog">
            <h2>"New Profile"</h2>
            <form class="form" novalidate on:submit=move |ev| { ev.prevent_default(); submit(); }>
                <TextField label="Name" aria="Profile name" id="profile-name" field=name
                    problem=name_problem placeholder="like web-tools" input_ref=name_input />
                <RecipeFields form=recipe />
                <div class="full"><ErrorLine error=error /></div>
                <div class="actions">
                    <Show when=move || blocker.get().is_some()>
                        <span class="fix" role="status">{move || blocker.get().unwrap_or_default()}</span>
                    </Show>
                    <button type="button" aria-label="Cancel" on:click=move |_| on_close.run(None)>"Cancel"</button>
                    <button type="submit" class="primary" aria-label="Create profile"
                        disabled=move || blocker.get().is_some()>"Create profile"</button>
                </div>
            </form>
        </Modal>
    }
}
