//! Lifecycle: auto-stop after idle minutes (the app's default shown until the user types) and auto-delete after
//! stopping.

use leptos::prelude::*;
use sbx_api::rules;

use super::control::Control;
use super::draft::DraftStoreFields;
use super::explain::effective_value;
use super::form::Form;
use super::rows::{FieldError, SourceTag, TextRow};

/// Auto-stop shown when the configuration does not say otherwise.
const DEFAULT_AUTO_STOP: &str = "30";

/// Auto-stop and Auto-delete, with their hints.
#[component]
pub(super) fn Lifecycle(form: Form) -> impl IntoView {
    view! {
        <AutoStopRow form />
        <TextRow form field=Control::AutoDelete label="Auto-delete (minutes)" value=form.draft.auto_delete() placeholder="keep" numeric=true />
        <p class="hint field-hint">"Minutes after stopping before the sandbox is deleted; empty keeps it."</p>
    }
}

/// The hint under Auto-stop, with the app's longest auto-stop.
fn auto_stop_hint() -> String {
    format!(
        "Minutes of idleness before the sandbox stops; 0 disables; at most {} (7 days).",
        rules::LIFETIME_MINUTES.end()
    )
}

/// The Auto-stop input: shows the effective default until the user types.
#[component]
fn AutoStopRow(form: Form) -> impl IntoView {
    let field = Control::AutoStop;
    let auto_stop = form.draft.auto_stop();
    let shown = move || {
        auto_stop.get().unwrap_or_else(|| {
            form.explanation
                .with(|e| effective_value(e, Control::AutoStop))
                .unwrap_or_else(|| DEFAULT_AUTO_STOP.to_string())
        })
    };
    view! {
        <label for=field.id()>"Auto-stop (minutes)"</label>
        <div class="control">
            <input id=field.id() aria-label="Auto-stop (minutes)" inputmode="numeric" autocomplete="off"
                aria-invalid=move || form.message(field).is_some().to_string()
                aria-describedby=field.error_id()
                prop:value=shown
                on:input=move |ev| auto_stop.set(Some(event_target_value(&ev)))
                on:change=move |ev| auto_stop.set(Some(event_target_value(&ev))) />
            <SourceTag form field />
        </div>
        <FieldError form field />
        <p class="hint field-hint">{auto_stop_hint()}</p>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_auto_stop_hint_names_the_longest() {
        assert_eq!(
            super::auto_stop_hint(),
            "Minutes of idleness before the sandbox stops; 0 disables; at most 10080 (7 days)."
        );
    }
}
