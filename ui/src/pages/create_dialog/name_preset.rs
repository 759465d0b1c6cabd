//! The Name & preset section: the sandbox's name, the preset (from the app's list) and a custom image that
//! replaces it.

use leptos::prelude::*;
use sbx_api::requests::ListPresets;

use super::control::Control;
use super::draft::DraftStoreFields;
use super::explain::effective_value;
use super::form::Form;
use super::rows::{FieldError, SourceTag, TextRow};
use crate::ipc;
use crate::widgets::ErrorLine;

/// Preset shown selected when neither the user nor the configuration chose one.
const DEFAULT_PRESET: &str = "coder";

/// Name, Preset and Image.
#[component]
pub(super) fn NameAndPreset(form: Form) -> impl IntoView {
    view! {
        <TextRow form field=Control::Name label="Name" value=form.draft.name() placeholder="generated, like teal-tokyo" />
        <PresetRow form />
        <TextRow form field=Control::Image label="Image" value=form.draft.image() placeholder="custom image, like ubuntu:24.04" />
        <p class="hint field-hint">"A custom image replaces the preset."</p>
    }
}

/// The Preset select: presets from the app; disabled while a custom image is typed.
#[component]
fn PresetRow(form: Form) -> impl IntoView {
    let presets = LocalResource::new(|| ipc::call::<ListPresets>(&()));
    let load_error = Signal::derive(move || presets.get().and_then(Result::err));
    // Shown selected: the user's pick, else the effective preset, else `coder` or the first preset.
    let shown = Memo::new(move |_| {
        form.draft
            .preset()
            .get()
            .or_else(|| {
                form.explanation
                    .with(|e| effective_value(e, Control::Preset))
            })
            .or_else(|| {
                presets.get().and_then(Result::ok).and_then(|list| {
                    if list.iter().any(|p| p == DEFAULT_PRESET) {
                        Some(DEFAULT_PRESET.to_string())
                    } else {
                        list.first().cloned()
                    }
                })
            })
            .unwrap_or_else(|| DEFAULT_PRESET.to_string())
    });
    let options = Memo::new(move |_| {
        let mut list = presets.get().and_then(Result::ok).unwrap_or_default();
        let current = shown.get();
        if !list.contains(&current) {
            list.insert(0, current);
        }
        list
    });
    let image_given = move || !form.draft.image().get().trim().is_empty();
    let field = Control::Preset;
    view! {
        <label for=field.id()>"Preset"</label>
        <div class="control">
            <select id=field.id() aria-label="Preset" disabled=image_given
                aria-describedby=field.error_id()
                on:change=move |ev| form.draft.preset().set(Some(event_target_value(&ev)))>
                <For each=move || options.get() key=|p| p.clone() children=move |p| {
                    let value = p.clone();
                    let attribute = p.clone();
                    view! { <option value=attribute prop:selected=move || shown.get() == value>{p}</option> }
                } />
            </select>
            <SourceTag form field />
            <Show when=image_given>
                <span class="muted">"(the custom image replaces it)"</span>
            </Show>
        </div>
        <FieldError form field />
        <div class="full"><ErrorLine error=load_error /></div>
    }
}
