//! The Engine page: the connected engine's address, versions and counts, and every container it runs, live.

use leptos::prelude::*;
use sbx_api::{EngineStatus, requests::ListContainers};

use crate::fetched::fetched;
use crate::ipc;
use crate::live::use_live;
use crate::widgets::{Badge, Tone};

#[component]
pub fn EnginePage() -> impl IntoView {
    let live = use_live();
    let containers = fetched(move || {
        live.containers.track();
        async move { ipc::call::<ListContainers>(&()).await }
    });
    view! {
        <header class="page-head"><h1>"Engine"</h1></header>
        {move || match live.engine.get() {
            Some(EngineStatus::Connected(info)) => view! {
                <dl class="facts" aria-label="Engine facts">
                    <dt>"Address"</dt><dd class="engine-address">{info.address.clone()}</dd>
                    <dt>"Server version"</dt><dd class="engine-server-version">{info.server_version.clone()}</dd>
                    <dt>"API version"</dt><dd class="engine-api-version">{info.api_version.clone()}</dd>
                    <dt>"Operating system"</dt><dd>{info.os.clone()}</dd>
                    <dt>"Containers"</dt><dd class="engine-containers">{info.containers}" ("{info.containers_running}" running)"</dd>
                    <dt>"Images"</dt><dd class="engine-images">{info.images}</dd>
                </dl>
            }.into_any(),
            Some(EngineStatus::Unreachable { address, reason }) => view! {
                <div class="empty">
                    <p><strong>"engine unreachable"</strong>" at "<code>{address}</code></p>
                    <p class="muted">{reason}</p>
                    <button aria-label="Retry" on:click=move |_| live.refresh_engine()>"Retry"</button>
                </div>
            }.into_any(),
            None => view! { <p class="muted">"Connecting to Docker…"</p> }.into_any(),
        }}
        <h2>"Containers"</h2>
        {move || match containers.get() {
            None => view! { <p class="muted">"Loading…"</p> }.into_any(),
            Some(result) => match result {
                Ok(list) if list.is_empty() => view! { <p class="empty">"No containers on this engine."</p> }.into_any(),
                Ok(list) => view! {
                    <table class="table" aria-label="Containers">
                        <thead><tr><th>"Name"</th><th>"Image"</th><th>"State"</th><th>"Status"</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|c| view! {
                                <tr data-container=c.name.clone()>
                                    <td>{c.name.clone()}{c.managed.then_some(" (sandbox)")}</td>
                                    <td>{c.image}</td>
                                    <td><Badge state=c.state.clone() tone=Tone::of_container(&c.state) /></td>
                                    <td class="muted">{c.status}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
                Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
            },
        }}
    }
}
