//! The **HTTP API** switch of the Settings page: starts or stops the local HTTP API inside the app (the same one
//! `sbx serve --api` serves) while the window is open, and shows where it listens.

use leptos::prelude::*;
use sbx_api::{
    ApiError, HttpApiStatus,
    requests::{GetHttpApi, SetHttpApi},
};

use crate::ipc;
use crate::widgets::ErrorLine;

/// The switch, its address line and its error.
#[component]
pub fn HttpApiSwitch() -> impl IntoView {
    let status = RwSignal::new(HttpApiStatus::default());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    leptos::task::spawn_local(async move {
        match ipc::call::<GetHttpApi>(&()).await {
            Ok(now) => status.set(now),
            Err(e) => error.set(Some(e)),
        }
    });
    let toggle = move |on: bool| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            match ipc::call::<SetHttpApi>(&on).await {
                Ok(now) => {
                    error.set(None);
                    status.set(now);
                }
                Err(e) => {
                    error.set(Some(e));
                    // Put the switch back where the server is.
                    status.set(status.get_untracked());
                }
            }
            busy.set(false);
        });
    };
    let address = move || {
        match status.get().address {
        Some(address) => format!(
            "Listening on {address} (this machine only). Every request needs the header x-api-key with the \
             token `sbx api token` prints."
        ),
        None => "Off. When on, scripts and agents drive sandboxes and snapshots over HTTP (the routes of the \
                 hosted API); `sbx serve --api` serves the same without the window."
            .to_string(),
    }
    };
    view! {
        <section class="form narrow" aria-labelledby="http-api-title">
            <h2 class="full" id="http-api-title">"HTTP API"</h2>
            <div class="full checkbox-row">
                <input type="checkbox" id="http-api" role="switch" aria-label="HTTP API"
                    aria-describedby="http-api-address"
                    disabled=move || busy.get()
                    prop:checked=move || status.get().running
                    on:change=move |ev| toggle(event_target_checked(&ev)) />
                <label for="http-api">"Serve the local HTTP API while the app is open"</label>
            </div>
            <p class="hint" id="http-api-address" role="status">{address}</p>
            <ErrorLine error=error />
        </section>
    }
}
