//! The sandbox routes: create, list, get, delete, execute, clone. Each resolves `{id}` (id or name) to the sandbox's
//! name and calls the core method the CLI and the window call, with the same request type and the same checks.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sbx_api::{
    ApiError, CloneSandboxRequest, CreateSandboxRequest, ExecRequest, GitChoice, SnapshotChoice,
    rules,
};
use std::time::Duration;

use crate::dto::{
    CloneBody, CloneResultDto, CreateSandboxBody, ExecuteBody, ExecuteResult, SandboxDto,
    SandboxListDto,
};
use crate::error::{ErrorBody, HttpError};
use crate::extract::{JsonBody, Key};
use crate::{AppState, detached};

/// The longest `timeout` of a command, in seconds (a day).
const MAX_TIMEOUT_SECS: u32 = 86_400;

/// Create a sandbox.
#[utoipa::path(post, path = "/v1/sandboxes", tag = "sandboxes", request_body = CreateSandboxBody,
    responses(
        (status = 201, description = "Created (running with `wait_for_ready`, else creating)", body = SandboxDto),
        (status = 400, description = "A value breaks the app's rules", body = ErrorBody),
        (status = 422, description = "The body has the wrong shape", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateSandboxBody>,
) -> Result<(StatusCode, Json<SandboxDto>), HttpError> {
    let mut env = Vec::with_capacity(body.env.len());
    for (name, value) in &body.env {
        rules::env_name(sbx_api::Field::Env, name)?;
        env.push(format!("{name}={value}"));
    }
    let snapshot = match body.snapshot.as_deref().filter(|s| !s.is_empty()) {
        // The core takes the snapshot's name (and checks it is ready); a reference to none is a bad value here.
        Some(key) => match state.core.find_snapshot(key).await {
            Ok(record) => SnapshotChoice::Named(record.name),
            Err(sbx_core::Error::Api(ApiError::NotFound { .. })) => {
                return Err(HttpError::from(ApiError::invalid(
                    sbx_api::Field::Snapshot,
                    key,
                    "no snapshot has this id or name",
                )));
            }
            Err(other) => return Err(other.into()),
        },
        None => SnapshotChoice::Off,
    };
    let resources = body.resources.unwrap_or_default();
    let request = CreateSandboxRequest {
        name: body.name,
        preset: body.preset,
        image: body.image,
        env,
        secret_env: body.secret_env,
        cpus: resources.cpus,
        memory_mib: resources.memory,
        auto_stop_minutes: body.auto_stop_interval,
        auto_delete_minutes: body.auto_delete_interval,
        snapshot,
        git: GitChoice::Off,
        wait_for_ready: body.wait_for_ready,
        ..CreateSandboxRequest::default()
    };
    let core = state.core.clone();
    let sandbox = detached(async move { core.create_sandbox(&request).await }).await?;
    Ok((StatusCode::CREATED, Json(sandbox.into())))
}

/// Every sandbox.
#[utoipa::path(get, path = "/v1/sandboxes", tag = "sandboxes",
    responses((status = 200, description = "Every sandbox, oldest first", body = SandboxListDto)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<SandboxListDto>, HttpError> {
    let items: Vec<SandboxDto> = state
        .core
        .list_sandboxes()
        .await?
        .into_iter()
        .map(SandboxDto::from)
        .collect();
    Ok(Json(SandboxListDto {
        total: items.len() as u64,
        items,
    }))
}

/// One sandbox.
#[utoipa::path(get, path = "/v1/sandboxes/{id}", tag = "sandboxes",
    params(("id" = String, Path, description = "The sandbox's id or name")),
    responses(
        (status = 200, description = "The sandbox", body = SandboxDto),
        (status = 404, description = "No such sandbox", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    Key(key): Key,
) -> Result<Json<SandboxDto>, HttpError> {
    let record = state.core.find_sandbox(&key).await?;
    Ok(Json(state.core.sandbox_view(&record).await?.into()))
}

/// Delete a sandbox, running or not (its git volume is kept; snapshots of it stay).
#[utoipa::path(delete, path = "/v1/sandboxes/{id}", tag = "sandboxes",
    params(("id" = String, Path, description = "The sandbox's id or name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such sandbox", body = ErrorBody),
        (status = 409, description = "It cannot be deleted now", body = ErrorBody),
    ))]
pub async fn delete(State(state): State<AppState>, Key(key): Key) -> Result<StatusCode, HttpError> {
    let name = state.core.find_sandbox(&key).await?.spec.name;
    let core = state.core.clone();
    detached(async move { core.delete_sandbox(&name, true).await }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Run a command in a running sandbox and answer what it printed.
#[utoipa::path(post, path = "/v1/sandboxes/{id}/execute", tag = "sandboxes", request_body = ExecuteBody,
    params(("id" = String, Path, description = "The sandbox's id or name")),
    responses(
        (status = 200, description = "The command ended", body = ExecuteResult),
        (status = 404, description = "No such sandbox", body = ErrorBody),
        (status = 408, description = "The command ran past `timeout`", body = ErrorBody),
        (status = 409, description = "The sandbox is not running", body = ErrorBody),
    ))]
pub async fn execute(
    State(state): State<AppState>,
    Key(key): Key,
    JsonBody(body): JsonBody<ExecuteBody>,
) -> Result<Json<ExecuteResult>, HttpError> {
    let timeout = match body.timeout {
        Some(secs) if !(1..=MAX_TIMEOUT_SECS).contains(&secs) => {
            return Err(HttpError::bad_value(
                "timeout",
                format!(
                    "invalid timeout '{secs}': must be between 1 and {MAX_TIMEOUT_SECS} seconds"
                ),
            ));
        }
        other => other,
    };
    let name = state.core.find_sandbox(&key).await?.spec.name;
    // A blank command reaches the core as no command, which refuses it with its own words.
    let argv = if body.command.trim().is_empty() {
        Vec::new()
    } else {
        vec!["/bin/sh".into(), "-c".into(), body.command]
    };
    let request = ExecRequest { name, argv };
    let core = state.core.clone();
    let run = detached(async move { core.exec_collect(&request).await });
    let output = match timeout {
        None => run.await?,
        Some(secs) => tokio::time::timeout(Duration::from_secs(u64::from(secs)), run)
            .await
            .map_err(|_| {
                HttpError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "timeout",
                    format!(
                        "the command did not finish within {secs} s; it may still be running in the sandbox"
                    ),
                    Some("timeout".into()),
                )
            })??,
    };
    Ok(Json(ExecuteResult {
        stdout: output.stdout,
        stderr: output.stderr,
        exit_code: output.exit_code,
    }))
}

/// Clone a running sandbox: a full snapshot of it, then a new sandbox from that snapshot. Clones of one sandbox
/// wait for each other's snapshots, so any number of them may be asked for at once.
#[utoipa::path(post, path = "/v1/sandboxes/{id}/clone", tag = "sandboxes", request_body = CloneBody,
    params(("id" = String, Path, description = "The id or name of the running sandbox to clone")),
    responses(
        (status = 201, description = "The new sandbox and the intermediate snapshot", body = CloneResultDto),
        (status = 400, description = "A value breaks the app's rules", body = ErrorBody),
        (status = 404, description = "No such sandbox", body = ErrorBody),
        (status = 409, description = "The sandbox is not running, or the snapshot failed", body = ErrorBody),
    ))]
pub async fn clone(
    State(state): State<AppState>,
    Key(key): Key,
    JsonBody(body): JsonBody<CloneBody>,
) -> Result<(StatusCode, Json<CloneResultDto>), HttpError> {
    let sandbox = state.core.find_sandbox(&key).await?.spec.name;
    let resources = body.resources.unwrap_or_default();
    let request = CloneSandboxRequest {
        sandbox,
        name: body.name,
        snapshot_name: body.snapshot_name,
        cpus: resources.cpus,
        memory_mib: resources.memory,
        image: body.image,
        wait_for_ready: body.wait_for_ready,
    };
    let core = state.core.clone();
    let result = detached(async move { core.clone_sandbox(&request).await }).await?;
    Ok((
        StatusCode::CREATED,
        Json(CloneResultDto {
            sandbox: result.sandbox.into(),
            snapshot: result.snapshot.into(),
        }),
    ))
}
