//! The Settings page: snapshot retention, automatic snapshots kept, default preset, default auto-stop, theme; and
//! the HTTP API switch ([`super::http_api`]).

use leptos::prelude::*;
use sbx_api::{
    ApiError, Field, Settings, Theme,
    requests::{GetSettings, ListPresets, SaveSettings},
};

use super::http_api::HttpApiSwitch;
use crate::fetched::fetched;
use crate::ipc;
use crate::widgets::ErrorLine;

/// Put the theme on the document root (`data-theme`), `system` following the OS.
pub fn set_theme(theme: Theme) {
    let value = match theme {
        Theme::System => "system",
        Theme::Light => "light",
        Theme::Dark => "dark",
    };
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-theme", value);
    }
}

/// Read the saved theme once at start.
pub fn apply_saved_theme() {
    leptos::task::spawn_local(async {
        if let Ok(settings) = ipc::call::<GetSettings>(&()).await {
            set_theme(settings.theme);
        }
    });
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let retention = RwSignal::new(String::new());
    let preset = RwSignal::new(String::new());
    let auto_stop = RwSignal::new(String::new());
    let kept = RwSignal::new(String::new());
    let theme = RwSignal::new(Theme::System);
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let presets = fetched(|| ipc::call::<ListPresets>(&()));

    leptos::task::spawn_local(async move {
        match ipc::call::<GetSettings>(&()).await {
            Ok(s) => {
                retention.set(
                    s.snapshot_retention_days
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                );
                preset.set(s.default_preset);
                auto_stop.set(s.default_auto_stop_minutes.to_string());
                kept.set(s.automatic_snapshots_kept.to_string());
                theme.set(s.theme);
            }
            Err(e) => error.set(Some(e)),
        }
    });

    let save = move |_| {
        saved.set(false);
        let retention_text = retention.get();
        let days = if retention_text.trim().is_empty() {
            None
        } else {
            match retention_text.trim().parse::<u32>() {
                Ok(d) => Some(d),
                Err(_) => {
                    error.set(Some(ApiError::invalid(
                        Field::SnapshotRetentionDays,
                        retention_text,
                        "must be a whole number of days",
                    )));
                    return;
                }
            }
        };
        let Ok(minutes) = auto_stop.get().trim().parse::<u32>() else {
            error.set(Some(ApiError::invalid(
                Field::DefaultAutoStopMinutes,
                auto_stop.get(),
                "must be a whole number of minutes",
            )));
            return;
        };
        let Ok(automatic_snapshots_kept) = kept.get().trim().parse::<u32>() else {
            error.set(Some(ApiError::invalid(
                Field::AutomaticSnapshotsKept,
                kept.get(),
                "must be a whole number of snapshots",
            )));
            return;
        };
        let settings = Settings {
            snapshot_retention_days: days,
            default_preset: preset.get(),
            default_auto_stop_minutes: minutes,
            theme: theme.get(),
            automatic_snapshots_kept,
        };
        leptos::task::spawn_local(async move {
            match ipc::call::<SaveSettings>(&settings).await {
                Ok(s) => {
                    error.set(None);
                    set_theme(s.theme);
                    saved.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };

    view! {
        <header class="page-head"><h1>"Settings"</h1></header>
        <form class="form narrow" on:submit=move |ev| { ev.prevent_default(); save(()); }>
            <label for="retention">"Snapshot retention (days)"</label>
            <input id="retention" aria-label="Snapshot retention (days)" placeholder="Keep forever"
                prop:value=move || retention.get() on:input=move |ev| retention.set(event_target_value(&ev)) />
            <p class="hint">"New snapshots expire after this many days; empty keeps them forever."</p>

            <label for="automatic-kept">"Automatic snapshots kept"</label>
            <input id="automatic-kept" aria-label="Automatic snapshots kept" inputmode="numeric"
                prop:value=move || kept.get() on:input=move |ev| kept.set(event_target_value(&ev)) />
            <p class="hint">"Each sandbox with automatic snapshots keeps this many of its newest; older ones are deleted."</p>

            <label for="default-preset">"Default preset"</label>
            <select id="default-preset" aria-label="Default preset"
                on:change=move |ev| preset.set(event_target_value(&ev))>
                {move || {
                    let current = preset.get();
                    let mut names = presets.get().and_then(Result::ok).unwrap_or_default();
                    // The saved value stays pickable even if its preset is gone (saving then says why).
                    if !current.is_empty() && !names.contains(&current) {
                        names.insert(0, current.clone());
                    }
                    names
                        .into_iter()
                        .map(|name| {
                            let selected = name == current;
                            view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                        })
                        .collect_view()
                }}
            </select>

            <label for="default-auto-stop">"Default auto-stop (minutes)"</label>
            <input id="default-auto-stop" aria-label="Default auto-stop (minutes)"
                prop:value=move || auto_stop.get() on:input=move |ev| auto_stop.set(event_target_value(&ev)) />

            <label for="theme">"Theme"</label>
            <select id="theme" aria-label="Theme" on:change=move |ev| {
                theme.set(match event_target_value(&ev).as_str() { "light" => Theme::Light, "dark" => Theme::Dark, _ => Theme::System });
            }>
                <option value="system" selected=move || theme.get() == Theme::System>"Follow the system"</option>
                <option value="light" selected=move || theme.get() == Theme::Light>"Light"</option>
                <option value="dark" selected=move || theme.get() == Theme::Dark>"Dark"</option>
            </select>

            <ErrorLine error=error />
            <div class="actions">
                <button type="submit" class="primary" aria-label="Save settings">"Save"</button>
                <Show when=move || saved.get()><span class="muted" role="status">"Saved."</span></Show>
            </div>
        </form>
        <HttpApiSwitch />
    }
}
