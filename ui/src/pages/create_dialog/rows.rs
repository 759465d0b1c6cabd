//! The rows of the dialog's form grid: a labelled text input or textarea bound to a field of the draft (with the
//! tag saying where its effective value came from and its error beside it), and a checkbox.

use leptos::html;
use leptos::prelude::*;
use reactive_stores::Field as StoreField;

use super::control::Control;
use super::form::Form;

/// The field's error line, beside it.
#[component]
pub(super) fn FieldError(form: Form, field: Control) -> impl IntoView {
    view! {
        <Show when=move || form.message(field).is_some()>
            <p class="field-error" id=field.error_id()>{move || form.message(field).unwrap_or_default()}</p>
        </Show>
    }
}

/// The tag saying where the field's effective value came from, when it came from the repository or the app.
#[component]
pub(super) fn SourceTag(form: Form, field: Control) -> impl IntoView {
    move || {
        form.tag(field)
            .map(|(text, tooltip)| view! { <span class="source" title=tooltip>{text}</span> })
    }
}

/// A labelled text input with its source tag and error.
#[component]
pub(super) fn TextRow(
    form: Form,
    field: Control,
    label: &'static str,
    #[prop(into)] value: StoreField<String>,
    #[prop(optional, into)] placeholder: String,
    #[prop(optional, into)] disabled: Signal<bool>,
    #[prop(optional)] numeric: bool,
    #[prop(optional)] node_ref: NodeRef<html::Input>,
) -> impl IntoView {
    view! {
        <label for=field.id()>{label}</label>
        <div class="control">
            <input id=field.id() aria-label=label placeholder=placeholder
                inputmode=numeric.then_some("numeric")
                autocomplete="off" spellcheck="false"
                node_ref=node_ref
                disabled=move || disabled.get()
                aria-invalid=move || form.message(field).is_some().to_string()
                aria-describedby=field.error_id()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                // WebDriver's clear and some autofill only fire change.
                on:change=move |ev| value.set(event_target_value(&ev)) />
            <SourceTag form field />
        </div>
        <FieldError form field />
    }
}

/// A labelled textarea with its source tag and error.
#[component]
pub(super) fn TextAreaRow(
    form: Form,
    field: Control,
    label: &'static str,
    #[prop(into)] value: StoreField<String>,
    #[prop(into)] placeholder: Signal<String>,
) -> impl IntoView {
    view! {
        <label for=field.id()>{label}</label>
        <div class="control">
            <textarea id=field.id() aria-label=label placeholder=move || placeholder.get()
                spellcheck="false" rows="4"
                aria-invalid=move || form.message(field).is_some().to_string()
                aria-describedby=field.error_id()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                // WebDriver's clear and some autofill only fire change.
                on:change=move |ev| value.set(event_target_value(&ev))></textarea>
            <SourceTag form field />
        </div>
        <FieldError form field />
    }
}

/// A checkbox in the field column, labelled by the words after it.
#[component]
pub(super) fn CheckRow(
    id: &'static str,
    label: &'static str,
    #[prop(into)] checked: StoreField<bool>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <span class="form-label" aria-hidden="true"></span>
        <div class="check">
            <input type="checkbox" id=id aria-label=label
                disabled=move || disabled.get()
                prop:checked=move || checked.get()
                on:change=move |ev| checked.set(event_target_checked(&ev)) />
            <label for=id>{label}</label>
        </div>
    }
}
