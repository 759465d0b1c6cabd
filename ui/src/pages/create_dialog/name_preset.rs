//! The Name & preset section: the sandbox's name, the preset (from the app's list), a custom image that replaces
//! it, and a profile to launch from instead (its usable versions). Preset and Image are also the recipe form's.

use leptos::prelude::*;
use sbx_api::Profile;
use sbx_api::requests::{ListPresets, ListProfiles};

use super::control::Control;
use super::draft::DraftStoreFields;
use super::explain::effective_value;
use super::form::Form;
use super::rows::{FieldError, SourceTag, TextRow};
use crate::fetched::fetched;
use crate::ipc;
use crate::live::use_live;
use crate::widgets::ErrorLine;

/// Preset shown selected when neither the user nor the configuration chose one.
const DEFAULT_PRESET: &str = "coder";

/// Name, Preset, Image and Profile.
#[component]
pub(super) fn NameAndPreset(form: Form) -> impl IntoView {
    view! {
        <TextRow form field=Control::Name label="Name" value=form.draft.name() placeholder="generated, like teal-tokyo" />
        <PresetAndImage form />
        <ProfileRow form />
    }
}

/// Preset and Image (disabled while a profile is chosen: the profile's snapshot is the image).
#[component]
pub(super) fn PresetAndImage(form: Form) -> impl IntoView {
    let profile_chosen = Signal::derive(move || !form.draft.profile().get().is_empty());
    view! {
        <PresetRow form />
        <TextRow form field=Control::Image label="Image" value=form.draft.image() placeholder="custom image, like ubuntu:24.04"
            disabled=profile_chosen />
        <p class="hint field-hint">"A custom image replaces the preset."</p>
    }
}

/// The values of the Profile select: each profile with a usable version (`NAME`: its newest usable one), then each
/// usable version (`NAME@N`); with the text shown for each.
pub(super) fn profile_choices(profiles: &[Profile]) -> Vec<(String, String)> {
    let mut choices = Vec::new();
    for profile in profiles {
        let usable: Vec<u32> = profile
            .versions
            .iter()
            .filter(|v| v.usable)
            .map(|v| v.number)
            .collect();
        let Some(newest) = usable.first() else {
            continue;
        };
        choices.push((
            profile.name.clone(),
            format!("{} (newest usable: version {newest})", profile.name),
        ));
        for number in &usable {
            choices.push((
                format!("{}@{number}", profile.name),
                format!("{}@{number}", profile.name),
            ));
        }
    }
    choices
}

/// The Profile select: launch from a profile version's snapshot (usable versions only).
#[component]
fn ProfileRow(form: Form) -> impl IntoView {
    let live = use_live();
    let profiles = fetched(move || {
        live.profiles.track();
        async move { ipc::call::<ListProfiles>(&()).await }
    });
    let load_error = Signal::derive(move || profiles.get().and_then(Result::err));
    let choices = Memo::new(move |_| {
        profiles
            .get()
            .and_then(Result::ok)
            .map(|list| profile_choices(&list))
            .unwrap_or_default()
    });
    let field = Control::Profile;
    let selected = move || form.draft.profile().get();
    view! {
        <label for=field.id()>"Profile"</label>
        <div class="control">
            <select id=field.id() aria-label="Profile" aria-describedby=field.error_id()
                on:change=move |ev| form.draft.profile().set(event_target_value(&ev))>
                <option value="" prop:selected=move || selected().is_empty()>"None (the preset or image)"</option>
                <For each=move || choices.get() key=|c| c.0.clone() children=move |(value, text)| {
                    let shown = value.clone();
                    view! { <option value=value prop:selected=move || selected() == shown>{text}</option> }
                } />
            </select>
        </div>
        <FieldError form field />
        <p class="hint field-hint">"Launches from the profile version's snapshot: its setup script already ran there."</p>
        <div class="full"><ErrorLine error=load_error /></div>
    }
}

/// The Preset select: presets from the app; disabled while a custom image is typed.
#[component]
fn PresetRow(form: Form) -> impl IntoView {
    let presets = fetched(|| ipc::call::<ListPresets>(&()));
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
    let image_given = move || {
        !form.draft.image().get().trim().is_empty() || !form.draft.profile().get().is_empty()
    };
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
                <span class="muted">"(the custom image or the profile replaces it)"</span>
            </Show>
        </div>
        <FieldError form field />
        <div class="full"><ErrorLine error=load_error /></div>
    }
}
