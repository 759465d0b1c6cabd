//! The Create Sandbox dialog: every option of `sbx sandbox create`, validated as the user types, with the
//! effective configuration (and where each value comes from) read from the repository as it is chosen.
//!
//! The form's state is one store, [`draft::Draft`]; the pure part (reading it into a request and the errors that
//! block Create, through the app's rules) is [`draft::check_draft`], and what the app's explanation says about each
//! field is [`explain`]. The sections are components that bind the store's fields and show those results.

mod control;
mod credentials;
mod draft;
mod effective;
mod explain;
mod form;
mod lifecycle;
mod main_command;
mod name_preset;
mod ports_env;
mod recipe;
mod repository;
mod resources;
mod rows;
mod schedule;
mod setup_script;
mod snapshot;

use leptos::html;
use leptos::prelude::*;
use sbx_api::{CreateSandboxRequest, requests::CreateSandbox};

use control::Control;
use credentials::Credentials;
use effective::EffectiveConfiguration;
use form::{Form, explain_as_typed, refused_control};
use lifecycle::Lifecycle;
use main_command::MainCommandRow;
use name_preset::NameAndPreset;
use ports_env::PortsAndEnv;
use repository::RepositorySection;
use resources::Resources;
use setup_script::SetupScriptRow;
use snapshot::SnapshotSection;

pub(crate) use recipe::{RecipeFields, RecipeForm};

use crate::ipc;
use crate::live::use_live;
use crate::widgets::ErrorLine;

/// The Create Sandbox dialog; `on_close` runs on Cancel, Escape, and after a sandbox was created.
#[component]
pub fn CreateSandboxDialog(on_close: Callback<()>) -> impl IntoView {
    let form = Form::new();
    let submitting = RwSignal::new(false);
    explain_as_typed(form);
    // A Create error is about the values it was given: editing any field clears it.
    Effect::new(move |_| {
        form.checked.track();
        form.create_error.set(None);
    });

    let repository_input = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = repository_input.get() {
            let _ = input.focus();
        }
    });

    let submit = submit_action(form, submitting, on_close);
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            on_close.run(());
        }
    };
    let other_error = Signal::derive(move || {
        form.create_error
            .get()
            .filter(|e| refused_control(e).is_none())
    });

    view! {
        <div class="modal-backdrop" on:keydown=on_key>
            <div class="modal create-dialog" role="dialog" aria-modal="true" aria-label="Create Sandbox">
                <h2>"Create Sandbox"</h2>
                <form class="form" novalidate on:submit=move |ev| { ev.prevent_default(); submit(); }>
                    <RepositorySection form input_ref=repository_input />
                    <NameAndPreset form />
                    <SnapshotSection form />
                    <SetupScriptRow form />
                    <MainCommandRow form />
                    <PortsAndEnv form />
                    <Resources form />
                    <Lifecycle form />
                    <Credentials form />
                    <EffectiveConfiguration form />

                    <div class="full"><ErrorLine error=other_error /></div>
                    <CreateActions form submitting on_close />
                </form>
            </div>
        </div>
    }
}

/// Send the checked request (unless something blocks it or it is on its way); on success the dialog closes,
/// on a refusal the refused field gets the error and the focus.
fn submit_action(
    form: Form,
    submitting: RwSignal<bool>,
    on_close: Callback<()>,
) -> impl Fn() + Copy + 'static {
    let live = use_live();
    move || {
        if submitting.get_untracked() || form.checked.with_untracked(|c| !c.errors.is_empty()) {
            return;
        }
        let request = form.checked.with_untracked(|c| CreateSandboxRequest {
            wait_for_ready: false,
            ..c.request.clone()
        });
        submitting.set(true);
        form.create_error.set(None);
        leptos::task::spawn_local(async move {
            let result = ipc::call::<CreateSandbox>(&request).await;
            submitting.try_set(false);
            match result {
                Ok(_) => {
                    live.sandboxes.try_update(|n| *n += 1);
                    on_close.try_run(());
                }
                Err(error) => {
                    let field = refused_control(&error);
                    form.create_error.try_set(Some(error));
                    // The field the app refused gets the focus, so its error (beside it) is in view.
                    if let Some(field) = field {
                        request_animation_frame(move || focus_field(field));
                    }
                }
            }
        });
    }
}

/// The foot of the form: what blocks Create, "Creating…", Cancel and Create.
#[component]
fn CreateActions(form: Form, submitting: RwSignal<bool>, on_close: Callback<()>) -> impl IntoView {
    view! {
        <div class="actions">
            <Show when=move || form.blocker().is_some()>
                <span class="fix" id="create-fix" role="status">"Fix: "{move || form.blocker().unwrap_or_default()}</span>
            </Show>
            <Show when=move || submitting.get()>
                <span class="muted" role="status">"Creating…"</span>
            </Show>
            <button type="button" aria-label="Cancel" on:click=move |_| on_close.run(())>"Cancel"</button>
            <button type="submit" class="primary" aria-label="Create"
                disabled=move || submitting.get() || form.blocker().is_some()
                aria-describedby="create-fix"
                title=move || form.blocker().map(|m| format!("Fix: {m}")).unwrap_or_default()>
                "Create"
            </button>
        </div>
    }
}

/// Focus the control of `field` (opening the Sandbox Snapshot section first when it is inside it).
fn focus_field(field: Control) {
    use wasm_bindgen::JsCast;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(element) = document.get_element_by_id(field.id()) else {
        return;
    };
    if let Ok(Some(section)) = element.closest("details") {
        let _ = section.set_attribute("open", "");
    }
    if let Ok(control) = element.dyn_into::<web_sys::HtmlElement>() {
        let _ = control.focus();
    }
}
