//! `GET /v1/openapi.json`: the OpenAPI document of every route, generated from the handlers' `#[utoipa::path]`
//! attributes and the DTOs' `ToSchema` derives, with the `x-api-key` header as the security scheme.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorBody, ErrorDetail};
use crate::{dto, events, sandboxes, snapshots};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sandbox Desktop local API",
        description = "The routes and shapes of seed 002 on this machine's sandboxes. Every request needs the \
                       header x-api-key with the token `sbx api token` prints. Errors are \
                       {\"error\": {\"code\", \"message\", \"field\"}}."
    ),
    paths(
        sandboxes::create, sandboxes::list, sandboxes::get, sandboxes::delete, sandboxes::execute,
        sandboxes::clone, snapshots::create, snapshots::list, snapshots::list_all, snapshots::get,
        snapshots::delete, snapshots::restore, events::stream, document,
    ),
    components(schemas(
        dto::SandboxDto, dto::SandboxStatus, dto::SandboxListDto, dto::SnapshotDto, dto::SnapshotStatusDto,
        dto::SnapshotPageDto, dto::CloneResultDto, dto::Resources, dto::CreateSandboxBody, dto::ExecuteBody,
        dto::ExecuteResult, dto::ModeDto, dto::SnapshotBody, dto::RestoreBody, dto::CloneBody, ErrorBody,
        ErrorDetail,
    )),
    modifiers(&KeyHeader),
    security(("api_key" = [])),
)]
pub struct ApiDoc;

/// The `x-api-key` header as the `api_key` security scheme.
struct KeyHeader;

impl Modify for KeyHeader {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new(crate::token::HEADER))),
        );
    }
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
