//! The effective configuration: each value the sandbox will get, where it came from, and the explanation's
//! warnings.

use leptos::prelude::*;

use super::form::Form;

/// The table of effective values and the warnings under it.
#[component]
pub(super) fn EffectiveConfiguration(form: Form) -> impl IntoView {
    let values = move || {
        form.explanation
            .with(|e| e.as_ref().map(|e| e.values.clone()).unwrap_or_default())
    };
    let warnings = move || {
        form.explanation
            .with(|e| e.as_ref().map(|e| e.warnings.clone()).unwrap_or_default())
    };
    view! {
        <section class="effective full" aria-label="Effective configuration">
            <h3>"Effective configuration"</h3>
            <Show
                when=move || !values().is_empty()
                fallback=|| view! { <p class="muted">"The values this sandbox will get show here once the app has read them."</p> }
            >
                <table class="table compact">
                    <thead><tr><th scope="col">"Field"</th><th scope="col">"Value"</th><th scope="col">"Source"</th></tr></thead>
                    <tbody>
                        {move || values().into_iter().map(|v| view! {
                            <tr data-field=v.field.to_string()>
                                <td>{v.field.to_string()}</td>
                                <td class="value">{v.value.clone()}</td>
                                <td class="muted">{v.source.as_str()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </Show>
            <ul class="warnings">
                {move || warnings().into_iter().map(|w| view! { <li class="warning">{w}</li> }).collect_view()}
            </ul>
        </section>
    }
}
