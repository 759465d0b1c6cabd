//! The setup script: text that replaces the repository's script, with the repository's script (or a skipped
//! setup) named in the placeholder.

use leptos::prelude::*;

use super::control::Control;
use super::draft::DraftStoreFields;
use super::explain::repository_script;
use super::form::Form;
use super::rows::TextAreaRow;

/// The Setup script textarea and its hint.
#[component]
pub(super) fn SetupScriptRow(form: Form) -> impl IntoView {
    view! {
        <TextAreaRow form field=Control::SetupScript label="Setup script" value=form.draft.setup_script()
            placeholder=Signal::derive(move || setup_placeholder(form)) />
        <p class="hint field-hint">"Runs once before the sandbox starts, at /usr/local/etc/amikad/setup/setup.sh"</p>
    }
}

/// The Setup script's placeholder: the script the repository configures, when it does.
fn setup_placeholder(form: Form) -> String {
    if form.draft.skip_setup().get() {
        return "Skip setup script is checked: a no-op script runs".to_string();
    }
    let from_repository = form
        .explanation
        .with(|e| e.as_ref().and_then(repository_script));
    match from_repository {
        Some(script) => format!("Uses {script} from the repository; text here replaces it"),
        None => "#!/bin/sh\nset -e\n# install dependencies…".to_string(),
    }
}
