//! `GET /v1/events`: the events the window gets ([`sbx_api::UiEvent`], from [`sbx_core::Core::subscribe`]) as
//! server-sent events, each under its `type` (`sandboxes_changed`, `snapshots_changed`, `progress`, …) with the event
//! as JSON data. A client too slow to keep up gets a `lagged` event with the number it missed. The stream ends when
//! the server stops.

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use sbx_api::UiEvent;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;

use crate::AppState;
use crate::error::ErrorBody;

/// Follow the app's events.
#[utoipa::path(get, path = "/v1/events", tag = "events",
    responses(
        (status = 200, description = "Server-sent events: `event: <type>`, `data: <the event as JSON>`",
            content_type = "text/event-stream", body = String),
        (status = 401, description = "Missing or wrong key", body = ErrorBody),
    ))]
pub async fn stream(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = state.core.subscribe();
    let stopping = state.stopping.clone();
    let events = futures_util::stream::unfold(
        (receiver, stopping),
        |(mut receiver, mut stopping)| async move {
            if *stopping.borrow() {
                return None;
            }
            let event = tokio::select! {
                received = receiver.recv() => match received {
                    Ok(event) => sse_event(&event),
                    Err(RecvError::Lagged(missed)) => Event::default().event("lagged").data(missed.to_string()),
                    Err(RecvError::Closed) => return None,
                },
                _ = stopping.changed() => return None,
            };
            Some((Ok(event), (receiver, stopping)))
        },
    );
    Sse::new(events).keep_alive(KeepAlive::default())
}

/// One event: its `type` as the SSE event name, itself as the data.
fn sse_event(event: &UiEvent) -> Event {
    let json = serde_json::to_value(event).unwrap_or_default();
    let kind = json
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("event")
        .to_string();
    Event::default().event(kind).data(json.to_string())
}
