//! Ports & environment: the port bindings (with the app's reserved range in the hint), the environment variables
//! and which of them are secret.

use leptos::prelude::*;
use sbx_api::rules;

use super::control::Control;
use super::draft::DraftStoreFields;
use super::form::Form;
use super::rows::{TextAreaRow, TextRow};

/// Ports, Environment and Secret variables, with their hints.
#[component]
pub(super) fn PortsAndEnv(form: Form) -> impl IntoView {
    view! {
        <TextRow form field=Control::Ports label="Ports" value=form.draft.ports() placeholder="8080:80 53:53/udp" />
        <p class="hint field-hint">{ports_hint()}</p>

        <TextAreaRow form field=Control::Env label="Environment" value=form.draft.env()
            placeholder="KEY=VALUE, one per line" />
        <TextRow form field=Control::Secrets label="Secret variables" value=form.draft.secrets()
            placeholder="names among Environment, like API_TOKEN" />
        <p class="hint field-hint">"Secret values are masked in the app and removed by Snapshot and delete."</p>
    }
}

/// The hint under Ports, with the app's reserved range.
fn ports_hint() -> String {
    format!(
        "Bound to {} unless you give an address (0.0.0.0:8080:80). Ports {}–{} are reserved.",
        rules::DEFAULT_HOST_IP,
        rules::RESERVED_PORTS.start(),
        rules::RESERVED_PORTS.end()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_ports_hint_names_the_reserved_range() {
        assert_eq!(
            super::ports_hint(),
            "Bound to 127.0.0.1 unless you give an address (0.0.0.0:8080:80). Ports 60899–60999 are reserved."
        );
    }
}
