//! `POST /workflow/drift` (check a workspace now: 202 with the check's job),
//! `GET /workflow/drift` (open drift findings the caller may see, filtered),
//! `GET /workflow/drift/unmanaged` (what no share pack manages). Checks are sync jobs
//! (`super::sync`).

use super::extract::Params;
use super::sync::{accepted, SyncJobView};
use super::{chosen_workspace, ApiError};
use crate::auth::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use serde::Serialize;
use sharepack_engine::drift::views::{open_findings, Listed};
use sharepack_engine::drift::{DriftFilter, DriftFinding};
use sharepack_engine::records::SyncKind;
use sharepack_engine::sync::jobs::request;

#[utoipa::path(post, path = "/drift", tag = "drift", operation_id = "check_drift",
    params(("X-Workspace-URL" = Option<String>, Header, description = "The workspace (the default when absent)")),
    responses((status = 202, body = SyncJobView, description = "Queued (or the check already queued or running for the workspace)"),
        (status = 400, body = crate::rest::error::ErrorBody, description = "Unknown workspace"),
        (status = 503, body = crate::rest::error::ErrorBody, description = "The work queue is unavailable"), crate::rest::openapi::Refusals))]
pub async fn check(State(state): State<AppState>, Caller(by): Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    let workspace = chosen_workspace(&state, &headers)?;
    let (job, _) = request(&state.portal.store, &state.portal.queue, SyncKind::Drift, &workspace.url, &by).await?;
    Ok(accepted(job))
}

/// Open findings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DriftList {
    pub count: usize,
    pub findings: Vec<DriftFinding>,
}

#[utoipa::path(get, path = "/drift", tag = "drift", operation_id = "drift", params(DriftFilter),
    responses((status = 200, body = DriftList), (status = 400, body = crate::rest::error::ErrorBody, description = "A filter cannot be read"),
        crate::rest::openapi::Refusals))]
pub async fn list(
    State(state): State<AppState>,
    Caller(by): Caller,
    Params(filter): Params<DriftFilter>,
) -> Result<Json<DriftList>, ApiError> {
    let findings = open_findings(&state.portal.store, &by, &filter, Listed::Drift).await?;
    Ok(Json(DriftList { count: findings.len(), findings }))
}

#[utoipa::path(get, path = "/drift/unmanaged", tag = "drift", operation_id = "unmanaged", params(DriftFilter),
    responses((status = 200, body = DriftList), (status = 403, body = crate::rest::error::ErrorBody, description = "Only for those who see every business line"),
        crate::rest::openapi::Refusals))]
pub async fn unmanaged(
    State(state): State<AppState>,
    Caller(by): Caller,
    Params(filter): Params<DriftFilter>,
) -> Result<Json<DriftList>, ApiError> {
    let findings = open_findings(&state.portal.store, &by, &filter, Listed::Unmanaged).await?;
    Ok(Json(DriftList { count: findings.len(), findings }))
}
