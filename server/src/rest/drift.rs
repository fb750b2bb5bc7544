//! `POST /workflow/drift` (check a workspace now: 202 with the check's job),
//! `GET /workflow/drift` (open drift findings the caller may see, filtered),
//! `GET /workflow/drift/unmanaged` (what no share pack manages), and the sync jobs behind them
//! (`GET /workflow/sync-jobs`, `GET /workflow/sync-jobs/{id}`).

use super::extract::Params;
use super::{chosen_workspace, parse_id, ApiError};
use crate::auth::Caller;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sharepack_engine::access::{Act, Owner, Visibility};
use sharepack_engine::drift::views::{open_findings, Listed};
use sharepack_engine::drift::{DriftFilter, DriftFinding};
use sharepack_engine::error::{Class, Problem};
use sharepack_engine::records::{SyncKind, SyncStatus};
use sharepack_engine::store::SyncJob;

/// A sync or reconciliation job.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SyncJobView {
    pub job_id: uuid::Uuid,
    pub kind: SyncKind,
    pub status: SyncStatus,
    pub workspace_url: String,
    pub requested_by: String,
    pub queued_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// Resources compared.
    pub items: i64,
    pub attempts: i32,
    pub error: Option<String>,
    /// What the check found and did (findings by kind, new, changed, resolved, calls).
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
}

impl From<SyncJob> for SyncJobView {
    fn from(job: SyncJob) -> Self {
        let time = |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        SyncJobView {
            job_id: job.id,
            kind: job.kind,
            status: job.status,
            workspace_url: job.workspace_url,
            requested_by: job.requested_by,
            queued_at: time(job.queued_at),
            started_at: (job.attempts > 0).then(|| time(job.started_at)),
            finished_at: job.finished_at.map(time),
            items: job.items,
            attempts: job.attempts,
            error: job.error,
            report: job.data,
        }
    }
}

#[utoipa::path(post, path = "/drift", tag = "drift", operation_id = "check_drift",
    params(("X-Workspace-URL" = Option<String>, Header, description = "The workspace (the default when absent)")),
    responses((status = 202, body = SyncJobView, description = "Queued (or the check already queued or running for the workspace)"),
        (status = 400, body = crate::rest::error::ErrorBody, description = "Unknown workspace"),
        (status = 503, body = crate::rest::error::ErrorBody, description = "The work queue is unavailable"), crate::rest::openapi::Refusals))]
pub async fn check(State(state): State<AppState>, Caller(by): Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    let workspace = chosen_workspace(&state, &headers)?;
    let (job, _) = sharepack_engine::drift::jobs::request(&state.portal.store, &state.portal.queue, workspace, &by).await?;
    let location = format!("/workflow/sync-jobs/{}", job.id);
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(SyncJobView::from(job))).into_response())
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

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SyncJobQuery {
    /// A workspace URL.
    pub workspace: Option<String>,
}

#[utoipa::path(get, path = "/sync-jobs", tag = "drift", operation_id = "sync_jobs", params(SyncJobQuery),
    responses((status = 200, body = Vec<SyncJobView>, description = "The latest 100, newest first"), crate::rest::openapi::Refusals))]
pub async fn jobs(
    State(state): State<AppState>,
    Caller(by): Caller,
    Params(query): Params<SyncJobQuery>,
) -> Result<Json<Vec<SyncJobView>>, ApiError> {
    by.require(Act::Read, None)?;
    if by.visibility() != Visibility::All {
        return Err(ApiError(Problem::new(
            Class::Forbidden,
            "role_missing",
            "Sync jobs cover every business line: administrators and auditors of every business line see them",
        )));
    }
    let workspace = query.workspace.as_deref().map(str::trim).filter(|text| !text.is_empty()).map(|url| url.trim_end_matches('/'));
    let jobs = state.portal.store.sync_jobs(None, workspace, 100).await.map_err(Problem::from)?;
    Ok(Json(jobs.into_iter().map(SyncJobView::from).collect()))
}

#[utoipa::path(get, path = "/sync-jobs/{id}", tag = "drift", operation_id = "sync_job", params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, body = SyncJobView), (status = 404, body = crate::rest::error::ErrorBody), crate::rest::openapi::Refusals))]
pub async fn job(State(state): State<AppState>, Caller(by): Caller, Path(id): Path<String>) -> Result<Json<SyncJobView>, ApiError> {
    let id = parse_id(&id, "sync job")?;
    let job =
        state.portal.store.sync_job(id).await.map_err(Problem::from)?.ok_or_else(|| Problem::not_found("sync job", &id.to_string()))?;
    // Those who see every business line see every job; a person sees the checks they asked for.
    by.reveal(&Owner { business_line: None, requested_by: &job.requested_by }, "sync job", &id.to_string())?;
    Ok(Json(SyncJobView::from(job)))
}
