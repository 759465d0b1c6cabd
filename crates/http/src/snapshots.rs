//! The snapshot routes: take (of a sandbox), list (paginated, per sandbox), get, delete, restore. `{id}` is resolved
//! (id or name) to the name the core's methods take; everything else is the core's, as for the CLI and the window.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sbx_api::{CreateSnapshotRequest, ListSnapshotsRequest, RestoreSnapshotRequest};

use crate::dto::{RestoreBody, SandboxDto, SnapshotBody, SnapshotDto, SnapshotPageDto};
use crate::error::{ErrorBody, HttpError};
use crate::extract::{JsonBody, Key, QueryMap};
use crate::{AppState, detached};

/// Take a snapshot of a running sandbox (`full` unless `mode` says `scrub`). A second one while one is in flight
/// for the sandbox is refused (409).
#[utoipa::path(post, path = "/v1/sandboxes/{id}/snapshot", tag = "snapshots", request_body = SnapshotBody,
    params(("id" = String, Path, description = "The id or name of the running sandbox")),
    responses(
        (status = 201, description = "Taken (creating, or ready/failed with `wait_for_ready`)", body = SnapshotDto),
        (status = 400, description = "A value breaks the app's rules", body = ErrorBody),
        (status = 404, description = "No such sandbox", body = ErrorBody),
        (status = 409, description = "Not running, or a snapshot of it is in flight", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    Key(key): Key,
    JsonBody(body): JsonBody<SnapshotBody>,
) -> Result<(StatusCode, Json<SnapshotDto>), HttpError> {
    let sandbox = state.core.find_sandbox(&key).await?.spec.name;
    let name = match body.name {
        Some(name) => name,
        None => sbx_core::snapshot::capture::generated_name("snapshot", &sandbox),
    };
    let request = CreateSnapshotRequest {
        sandbox,
        name,
        mode: body.mode.into(),
        quick: body.quick,
        wait: body.wait_for_ready,
    };
    let core = state.core.clone();
    let snapshot = detached(async move { core.create_snapshot(&request).await }).await?;
    Ok((StatusCode::CREATED, Json(snapshot.into())))
}

/// One page of snapshots, newest first, with the total: all of them, or those of one sandbox.
#[utoipa::path(get, path = "/v1/snapshots/list", tag = "snapshots",
    params(
        ("page" = Option<u32>, Query, description = "Page number, from 1 (default 1)"),
        ("limit" = Option<u32>, Query, description = "Page size, 1–1000 (default 50)"),
        ("sandbox_id" = Option<String>, Query, description = "Only the snapshots of this sandbox (id or name)"),
    ),
    responses(
        (status = 200, description = "A page", body = SnapshotPageDto),
        (status = 400, description = "A bad page, limit or parameter", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    query: QueryMap,
) -> Result<Json<SnapshotPageDto>, HttpError> {
    query.only(&["page", "limit", "sandbox_id"])?;
    let defaults = ListSnapshotsRequest::default();
    let request = ListSnapshotsRequest {
        sandbox: query.text("sandbox_id").map(str::to_string),
        page: query.number("page")?.unwrap_or(defaults.page),
        limit: query.number("limit")?.unwrap_or(defaults.limit),
    };
    Ok(Json(state.core.list_snapshots(&request).await?.into()))
}

/// The same as `GET /v1/snapshots/list`.
#[utoipa::path(get, path = "/v1/snapshots", tag = "snapshots",
    params(
        ("page" = Option<u32>, Query, description = "Page number, from 1 (default 1)"),
        ("limit" = Option<u32>, Query, description = "Page size, 1–1000 (default 50)"),
        ("sandbox_id" = Option<String>, Query, description = "Only the snapshots of this sandbox (id or name)"),
    ),
    responses(
        (status = 200, description = "A page", body = SnapshotPageDto),
        (status = 400, description = "A bad page, limit or parameter", body = ErrorBody),
    ))]
pub async fn list_all(
    state: State<AppState>,
    query: QueryMap,
) -> Result<Json<SnapshotPageDto>, HttpError> {
    list(state, query).await
}

/// One snapshot.
#[utoipa::path(get, path = "/v1/snapshots/{id}", tag = "snapshots",
    params(("id" = String, Path, description = "The snapshot's id or name")),
    responses(
        (status = 200, description = "The snapshot", body = SnapshotDto),
        (status = 404, description = "No such snapshot", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    Key(key): Key,
) -> Result<Json<SnapshotDto>, HttpError> {
    Ok(Json(state.core.find_snapshot(&key).await?.to_api().into()))
}

/// Delete a snapshot for good (after its restores in flight end). Sandboxes restored from it keep running.
#[utoipa::path(delete, path = "/v1/snapshots/{id}", tag = "snapshots",
    params(("id" = String, Path, description = "The snapshot's id or name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such snapshot", body = ErrorBody),
        (status = 409, description = "It is still being captured or restored", body = ErrorBody),
    ))]
pub async fn delete(State(state): State<AppState>, Key(key): Key) -> Result<StatusCode, HttpError> {
    let name = state.core.find_snapshot(&key).await?.name;
    let core = state.core.clone();
    detached(async move { core.delete_snapshot(&name).await }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new sandbox from a ready snapshot.
#[utoipa::path(post, path = "/v1/snapshots/{id}/restore", tag = "snapshots", request_body = RestoreBody,
    params(("id" = String, Path, description = "The snapshot's id or name")),
    responses(
        (status = 201, description = "The new sandbox", body = SandboxDto),
        (status = 400, description = "A value breaks the app's rules, or the snapshot is not ready", body = ErrorBody),
        (status = 404, description = "No such snapshot", body = ErrorBody),
    ))]
pub async fn restore(
    State(state): State<AppState>,
    Key(key): Key,
    JsonBody(body): JsonBody<RestoreBody>,
) -> Result<(StatusCode, Json<SandboxDto>), HttpError> {
    let snapshot = state.core.find_snapshot(&key).await?.name;
    let resources = body.resources.unwrap_or_default();
    let request = RestoreSnapshotRequest {
        snapshot,
        name: body.name,
        cpus: resources.cpus,
        memory_mib: resources.memory,
        no_setup: false,
        credentials: false,
        wait_for_ready: body.wait_for_ready,
    };
    let core = state.core.clone();
    let sandbox = detached(async move { core.restore_snapshot(&request).await }).await?;
    Ok((StatusCode::CREATED, Json(sandbox.into())))
}
