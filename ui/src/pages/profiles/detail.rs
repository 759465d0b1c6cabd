//! A profile's page: its draft's form (the Create dialog's fields and checks) with **Save draft**, **Test draft**
//! and **Publish**; the versions table with **Refresh** and the job output viewer ([`super::versions`]); the refresh
//! schedule; **Delete** after a confirmation naming the profile. Everything updates live from the app's events.

use leptos::html;
use leptos::prelude::*;
use sbx_api::{
    ApiError, Profile, ProfileRecipe, ProfileRequest, TestProfileRequest,
    requests::{DeleteProfile, EditProfile, GetProfile, PublishProfile, TestProfile},
};

use super::versions::VersionsSection;
use crate::app::use_sandbox_nav;
use crate::dialog::{Modal, send};
use crate::fetched::fetched;
use crate::ipc;
use crate::live::use_live;
use crate::pages::create_dialog::{RecipeFields, RecipeForm};
use crate::widgets::ErrorLine;

/// The page of profile `name`; Back (or deleting it) returns to the list.
#[component]
pub(super) fn ProfileDetail(name: String, open: RwSignal<Option<String>>) -> impl IntoView {
    let live = use_live();
    let fetched = {
        let name = name.clone();
        fetched(move || {
            live.profiles.track();
            let name = name.clone();
            async move { ipc::call::<GetProfile>(&name).await }
        })
    };
    let answer = Memo::new(move |_| fetched.get());
    let profile = Memo::new(move |_| answer.get().and_then(Result::ok));
    let confirm_delete = RwSignal::new(false);
    let viewing = RwSignal::new(None::<String>);
    let body_name = name.clone();
    view! {
        <header class="page-head">
            <button class="back" aria-label="Back to Profiles" on:click=move |_| open.set(None)>"← Profiles"</button>
            <h1>{name.clone()}</h1>
            <button class="danger" aria-label="Delete this profile" on:click=move |_| confirm_delete.set(true)>"Delete"</button>
        </header>
        {move || match answer.get() {
            None => view! { <p class="muted">"Loading…"</p> }.into_any(),
            Some(Err(error)) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
            Some(Ok(_)) => view! {
                <DraftSection name=body_name.clone() profile=profile />
                <VersionsSection name=body_name.clone() profile=profile viewing=viewing />
                <ScheduleSection name=body_name.clone() profile=profile />
            }.into_any(),
        }}
        <Show when=move || confirm_delete.get()>
            <DeleteProfileDialog name=name.clone() shown=confirm_delete open=open />
        </Show>
    }
}

/// What the draft form starts from: the draft, else the newest version (saving then starts a draft).
#[derive(Clone, PartialEq)]
struct DraftSource {
    recipe: ProfileRecipe,
    has_draft: bool,
    based_on: Option<u32>,
    versions: usize,
}

fn draft_source(profile: &Profile) -> DraftSource {
    match (&profile.draft, profile.newest()) {
        (Some(draft), _) => DraftSource {
            recipe: draft.recipe.clone(),
            has_draft: true,
            based_on: draft.based_on,
            versions: profile.versions.len(),
        },
        (None, newest) => DraftSource {
            recipe: newest.map(|v| v.recipe.clone()).unwrap_or_default(),
            has_draft: false,
            based_on: newest.map(|v| v.number),
            versions: profile.versions.len(),
        },
    }
}

/// The draft's section; its form is made again only when the draft itself changed (not at each job step).
#[component]
fn DraftSection(name: String, profile: Memo<Option<Profile>>) -> impl IntoView {
    let source = Memo::new(move |_| profile.with(|p| p.as_ref().map(draft_source)));
    move || {
        source
            .get()
            .map(|source| view! { <DraftForm name=name.clone() source=source /> })
    }
}

/// What the draft's buttons are doing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Busy {
    Idle,
    Saving,
    Testing,
    Publishing,
}

/// The draft's form and its buttons.
#[component]
fn DraftForm(name: String, source: DraftSource) -> impl IntoView {
    let form = RecipeForm::new(&source.recipe);
    let busy = RwSignal::new(Busy::Idle);
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let tested = RwSignal::new(None::<String>);
    let nav = use_sandbox_nav();
    let has_draft = source.has_draft;
    let heading = match (source.has_draft, source.based_on) {
        (true, Some(n)) => format!("Draft (from version {n}, not published)"),
        (true, None) => "Draft (not published)".to_string(),
        (false, Some(n)) => format!("No draft: changes here start one from version {n}"),
        (false, None) => "No draft".to_string(),
    };
    let blocked = Memo::new(move |_| {
        if busy.get() != Busy::Idle {
            return Some("Working…".to_string());
        }
        form.blocker()
    });
    let nothing_to_publish =
        Signal::derive(move || !has_draft && !form.changed() && source.versions > 0);
    let act = move |what: Busy| {
        if blocked.get_untracked().is_some() {
            return;
        }
        busy.set(what);
        error.set(None);
        notice.set(None);
        form.clear_error();
        let name = name.clone();
        let save = form.changed() || !has_draft;
        leptos::task::spawn_local(async move {
            let outcome = run_draft_action(&name, form, what, save).await;
            busy.try_set(Busy::Idle);
            match outcome {
                Ok(Done::Saved) => {
                    notice.try_set(Some("Draft saved.".to_string()));
                }
                Ok(Done::Tested(sandbox)) => {
                    tested.try_set(Some(sandbox));
                }
                Ok(Done::Published(number)) => {
                    notice.try_set(Some(format!(
                        "Published version {number}; its snapshot job is queued."
                    )));
                }
                Err(failure) => {
                    if !form.refuse(&failure) {
                        error.try_set(Some(failure));
                    }
                }
            }
        });
    };
    let act_test = act.clone();
    let act_publish = act.clone();
    view! {
        <section class="section-block" aria-label="Draft">
            <h2>{heading}</h2>
            <form class="form" novalidate on:submit=move |ev| { ev.prevent_default(); act(Busy::Saving); }>
                <RecipeFields form=form />
                <div class="full"><ErrorLine error=error /></div>
                <div class="actions">
                    {move || blocked.get().map(|why| view! { <span class="fix" role="status">{why}</span> })}
                    {move || notice.get().map(|text| view! { <span class="muted" role="status">{text}</span> })}
                    <button type="submit" aria-label="Save draft"
                        disabled=move || blocked.get().is_some() || !form.changed()>"Save draft"</button>
                    <button type="button" aria-label="Test draft"
                        disabled=move || blocked.get().is_some() || nothing_to_publish.get()
                        on:click=move |_| act_test(Busy::Testing)>"Test draft"</button>
                    <button type="button" class="primary" aria-label="Publish"
                        disabled=move || blocked.get().is_some() || nothing_to_publish.get()
                        title=move || nothing_to_publish.get().then_some("Change the recipe first: it is the published version's")
                        on:click=move |_| act_publish(Busy::Publishing)>"Publish"</button>
                </div>
            </form>
            {move || tested.get().map(|sandbox| {
                let open = sandbox.clone();
                view! {
                    <p class="notice" role="status">
                        "Test sandbox " <strong>{sandbox.clone()}</strong> " is being created and runs the setup script. "
                        <button class="link" aria-label="Open test sandbox" on:click=move |_| nav.open(open.clone())>"Open it"</button>
                    </p>
                }
            })}
        </section>
    }
}

/// How a draft action ended.
enum Done {
    Saved,
    Tested(String),
    Published(u32),
}

/// Save the form as the draft (when `save`), then test or publish it.
async fn run_draft_action(
    name: &str,
    form: RecipeForm,
    what: Busy,
    save: bool,
) -> Result<Done, ApiError> {
    if save || what == Busy::Saving {
        let request: ProfileRequest = form.request(name);
        ipc::call::<EditProfile>(&request).await?;
        form.saved();
    }
    match what {
        Busy::Testing => {
            let sandbox = ipc::call::<TestProfile>(&TestProfileRequest {
                profile: name.to_string(),
                name: None,
            })
            .await?;
            Ok(Done::Tested(sandbox.name))
        }
        Busy::Publishing => {
            let job = ipc::call::<PublishProfile>(&name.to_string()).await?;
            Ok(Done::Published(job.version))
        }
        Busy::Saving | Busy::Idle => Ok(Done::Saved),
    }
}

/// The refresh schedule: manual, when the base image changes, or a cron expression.
#[component]
fn ScheduleSection(name: String, profile: Memo<Option<Profile>>) -> impl IntoView {
    let current = Memo::new(move |_| {
        profile.with(|p| p.as_ref().map(|p| p.refresh_schedule.as_text().to_string()))
    });
    move || {
        current
            .get()
            .map(|text| view! { <ScheduleForm name=name.clone() current=text /> })
    }
}

#[component]
fn ScheduleForm(name: String, current: String) -> impl IntoView {
    let text = RwSignal::new(current.clone());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let problem = Signal::derive(move || {
        sbx_api::rules::refresh_schedule(&text.get())
            .err()
            .map(|e| e.to_string())
    });
    let save = move || {
        if problem.get_untracked().is_some() || busy.get_untracked() {
            return;
        }
        let request = ProfileRequest {
            name: name.clone(),
            refresh_schedule: Some(text.get_untracked()),
            ..Default::default()
        };
        send::<EditProfile>(busy, error, request, move |answer| {
            if let Err(failure) = answer {
                error.try_set(Some(failure));
            }
        });
    };
    let unchanged = move || text.get().trim() == current.trim();
    view! {
        <section class="section-block" aria-label="Refresh schedule">
            <h2>"Refresh schedule"</h2>
            <form class="form" novalidate on:submit=move |ev| { ev.prevent_default(); save(); }>
                <label for="profile-schedule">"Schedule"</label>
                <div class="control">
                    <input id="profile-schedule" aria-label="Refresh schedule" autocomplete="off" spellcheck="false"
                        placeholder="manual, base-image or 0 3 * * *"
                        aria-invalid=move || problem.get().is_some().to_string()
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                        on:change=move |ev| text.set(event_target_value(&ev)) />
                    <button type="submit" aria-label="Save schedule"
                        disabled=move || problem.get().is_some() || busy.get() || unchanged()>"Save"</button>
                </div>
                {move || problem.get().map(|p| view! { <p class="field-error">{p}</p> })}
                <p class="hint field-hint">
                    "The newest version is refreshed on this five-field cron schedule, or with base-image whenever the "
                    "image its recipe starts from changes. A refresh whose recipe and base image did not change is "
                    "skipped as unchanged; a failed one keeps the last usable snapshot."
                </p>
                <div class="full"><ErrorLine error=error /></div>
            </form>
        </section>
    }
}

/// The confirmation before deleting a profile, naming it.
#[component]
fn DeleteProfileDialog(
    name: String,
    shown: RwSignal<bool>,
    open: RwSignal<Option<String>>,
) -> impl IntoView {
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let cancel_button = NodeRef::<html::Button>::new();
    cancel_button.on_load(|button| {
        request_animation_frame(move || {
            let _ = button.focus();
        });
    });
    let close = Callback::new(move |()| shown.set(false));
    let target = name.clone();
    let confirm = move |_| {
        if busy.get_untracked() {
            return;
        }
        send::<DeleteProfile>(busy, error, target.clone(), move |answer| match answer {
            Ok(()) => {
                shown.try_set(false);
                open.try_set(None);
            }
            Err(failure) => {
                error.try_set(Some(failure));
            }
        });
    };
    view! {
        <Modal label="Confirm profile deletion".to_string() on_close=close class="modal-small">
            <h2>"Delete profile"</h2>
            <p class="confirm-text">
                "Delete profile " <strong>{name}</strong>
                " with its draft, versions, snapshot jobs and images? This cannot be undone. Sandboxes launched from it keep running."
            </p>
            <ErrorLine error=error />
            <div class="actions">
                <button type="button" node_ref=cancel_button aria-label="Cancel" on:click=move |_| close.run(())>"Cancel"</button>
                <button type="button" class="primary danger-fill" aria-label="Delete profile" disabled=move || busy.get()
                    on:click=confirm>
                    {move || busy.get().then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
                    "Delete profile"
                </button>
            </div>
        </Modal>
    }
}
