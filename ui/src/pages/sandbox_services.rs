//! The services of a sandbox's repository (`[services.NAME]` of `.amika/config.toml`) on its detail page: each
//! `name → URL` (as text to copy), on the host port the sandbox actually got; a port without a URL scheme shows its
//! address, one not published now says so.

use leptos::prelude::*;
use sbx_api::{Sandbox, SandboxService, ServicePort};

/// The "Services" fact of the detail page.
#[component]
pub fn ServiceList(sandbox: Memo<Option<Sandbox>>) -> impl IntoView {
    let services =
        move || sandbox.with(|s| s.as_ref().map(|s| s.services.clone()).unwrap_or_default());
    move || {
        let services = services();
        if services.is_empty() {
            return view! { <span class="muted">"none"</span> }.into_any();
        }
        view! {
            <ul class="env-list service-list" aria-label="Services">
                {services.into_iter().map(service_item).collect_view()}
            </ul>
        }
        .into_any()
    }
}

/// One service: its name, then each port's link or address.
fn service_item(service: SandboxService) -> impl IntoView {
    let ports = if service.ports.is_empty() {
        view! { <span class="muted">"no ports"</span> }.into_any()
    } else {
        let last = service.ports.len() - 1;
        service
            .ports
            .into_iter()
            .enumerate()
            .map(|(i, port)| view! { {port_view(port)}{(i < last).then_some(", ")} })
            .collect_view()
            .into_any()
    };
    view! {
        <li class="service" data-service=service.name.clone()>
            <span class="service-name">{service.name.clone()}</span>
            " → "
            {ports}
        </li>
    }
}

/// A port: its URL, else its address, as text to copy. (Not a link: the window opens no other page, and the app
/// has no opener for the system's browser.)
fn port_view(port: ServicePort) -> impl IntoView {
    match port.url.clone() {
        Some(url) => view! {
            <code class="service-url" title="Open this address in your browser">{url}</code>
        }
        .into_any(),
        None => view! { <code class="service-address">{port.shown()}</code> }.into_any(),
    }
}
