//! Credentials: whether the agents' credential files on this computer are mounted into the sandbox.

use leptos::prelude::*;

use super::draft::DraftStoreFields;
use super::form::Form;

/// The Mount agent credentials checkbox and its hint.
#[component]
pub(super) fn Credentials(form: Form) -> impl IntoView {
    let mount = form.draft.mount_credentials();
    view! {
        <span class="form-label">"Credentials"</span>
        <div class="check">
            <input type="checkbox" id="create-credentials" aria-label="Mount agent credentials"
                prop:checked=move || mount.get()
                on:change=move |ev| mount.set(event_target_checked(&ev)) />
            <label for="create-credentials">"Mount agent credentials"</label>
        </div>
        <p class="hint field-hint">"Claude, Codex and OpenCode credential files on this computer are mounted read-only, when present."</p>
    }
}
