//! The Main command section: what the sandbox runs once its setup script has succeeded — the app's keep-alive
//! unless a command is given here, or the image's own entrypoint and command. A main command that exits ends the
//! sandbox (stopped when it exits 0, failed with its code otherwise).

use leptos::prelude::*;

use super::control::Control;
use super::draft::DraftStoreFields;
use super::form::Form;
use super::rows::{CheckRow, TextRow};

/// The Main command input, Run the image's own command, and their hint.
#[component]
pub(super) fn MainCommandRow(form: Form) -> impl IntoView {
    let image_command = form.draft.image_command();
    view! {
        <TextRow form field=Control::Command label="Main command" value=form.draft.command()
            disabled=Signal::derive(move || image_command.get())
            placeholder="none: the sandbox runs until stopped — e.g. python3 -m http.server 8000" />
        <CheckRow id="create-image-command" label="Run the image's own command instead" checked=image_command />
        <p class="hint field-hint">
            "Runs after the setup script, with /bin/sh -c in the workspace. When it exits the sandbox stops "
            "(exit 0) or fails with its exit code."
        </p>
    }
}
