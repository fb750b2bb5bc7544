//! Sync jobs: `POST /workflow/sync-jobs` (sync a workspace's objects, the directory, or check
//! drift now: 202 with the job), `GET /workflow/sync-jobs` and `GET /workflow/sync-jobs/{id}`
//! (what ran, with counts and errors), and `GET /workflow/objects` (a workspace's catalogs,
//! schemas and tables as last synced, for suggestions).

use super::extract::{JsonBody, Params};
use super::{chosen_workspace, parse_id, ApiError};
use crate::auth::Caller;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sharepack_engine::access::{Act, Owner, Visibility};
use sharepack_engine::error::{Class, Problem};
use sharepack_engine::records::{SyncKind, SyncStatus};
use sharepack_engine::store::SyncJob;
use sharepack_engine::sync::objects::{synced, DatabricksObject, ObjectType};

/// A sync or reconciliation job.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SyncJobView {
    pub job_id: uuid::Uuid,
    pub kind: SyncKind,
    pub status: SyncStatus,
    /// The workspace's URL, or the directory's.
    pub workspace_url: String,
    pub requested_by: String,
    pub queued_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// Resources compared (drift), objects listed (objects), users and groups (directory).
    pub items: i64,
    pub attempts: i32,
    pub error: Option<String>,
    /// What the job found and did (by kind: findings, versions written, calls made).
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

/// 202 with the job and where to follow it.
pub fn accepted(job: SyncJob) -> Response {
    let location = format!("/workflow/sync-jobs/{}", job.id);
    (StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(SyncJobView::from(job))).into_response()
}

/// Which sync to run now.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SyncRequest {
    /// `OBJECTS` (the workspace's catalogs, schemas and tables), `DIRECTORY` or `DRIFT`.
    pub kind: Option<SyncKind>,
}

#[utoipa::path(post, path = "/sync-jobs", tag = "sync", operation_id = "start_sync", request_body = SyncRequest,
    params(("X-Workspace-URL" = Option<String>, Header, description = "The workspace (the default when absent; not for DIRECTORY)")),
    responses((status = 202, body = SyncJobView, description = "Queued (or the job of that kind already queued or running)"),
        (status = 400, body = crate::rest::error::ErrorBody, description = "No kind, or an unknown workspace"),
        (status = 409, body = crate::rest::error::ErrorBody, description = "No directory is configured"),
        (status = 503, body = crate::rest::error::ErrorBody, description = "The work queue is unavailable"), crate::rest::openapi::Refusals))]
pub async fn start(
    State(state): State<AppState>,
    Caller(by): Caller,
    headers: HeaderMap,
    JsonBody(asked): JsonBody<SyncRequest>,
) -> Result<Response, ApiError> {
    let kind = asked.kind.ok_or_else(|| {
        Problem::invalid("kind_missing", "Say which sync to run: `Kind` is one of OBJECTS, DIRECTORY or DRIFT").at("Kind")
    })?;
    let target = match kind {
        SyncKind::Objects | SyncKind::Drift => chosen_workspace(&state, &headers)?.url.clone(),
        SyncKind::Directory => state.portal.directory_url.clone().ok_or_else(|| {
            Problem::new(Class::Conflict, "directory_not_configured", "No directory is configured, so there is nothing to sync")
                .hint("Set azure_tenant_id, graph_client_id and graph_client_secret (or SHAREPACK_GRAPH_URL=sandbox)")
        })?,
    };
    let (job, _) = sharepack_engine::sync::jobs::request(&state.portal.store, &state.portal.queue, kind, &target, &by).await?;
    Ok(accepted(job))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SyncJobQuery {
    /// A workspace's (or the directory's) URL.
    pub workspace: Option<String>,
    /// `DRIFT`, `OBJECTS` or `DIRECTORY`.
    pub kind: Option<SyncKind>,
}

#[utoipa::path(get, path = "/sync-jobs", tag = "sync", operation_id = "sync_jobs", params(SyncJobQuery),
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
    let jobs = state.portal.store.sync_jobs(query.kind, workspace, 100).await.map_err(Problem::from)?;
    Ok(Json(jobs.into_iter().map(SyncJobView::from).collect()))
}

#[utoipa::path(get, path = "/sync-jobs/{id}", tag = "sync", operation_id = "sync_job", params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, body = SyncJobView), (status = 404, body = crate::rest::error::ErrorBody), crate::rest::openapi::Refusals))]
pub async fn job(State(state): State<AppState>, Caller(by): Caller, Path(id): Path<String>) -> Result<Json<SyncJobView>, ApiError> {
    let id = parse_id(&id, "sync job")?;
    let job =
        state.portal.store.sync_job(id).await.map_err(Problem::from)?.ok_or_else(|| Problem::not_found("sync job", &id.to_string()))?;
    // Those who see every business line see every job; a person sees the jobs they asked for.
    by.reveal(&Owner { business_line: None, requested_by: &job.requested_by }, "sync job", &id.to_string())?;
    Ok(Json(SyncJobView::from(job)))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObjectQuery {
    /// The start of the full names wanted (`sales.gold.`); all when absent.
    pub prefix: Option<String>,
    /// `CATALOG`, `SCHEMA` or `TABLE`.
    #[serde(rename = "type")]
    pub object_type: Option<ObjectType>,
}

/// Objects as last synced (for those who see every business line).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectList {
    pub workspace_url: String,
    /// When the workspace's objects were last synced; none when they never were.
    pub synced_at: Option<String>,
    pub count: usize,
    /// More match than the 1,000 listed: narrow the prefix.
    pub more: bool,
    /// At most 1,000, by name.
    pub objects: Vec<DatabricksObject>,
}

/// The most objects one answer lists.
const MOST_OBJECTS: usize = 1000;

#[utoipa::path(get, path = "/objects", tag = "sync", operation_id = "objects", params(ObjectQuery,
        ("X-Workspace-URL" = Option<String>, Header, description = "The workspace (the default when absent)")),
    responses((status = 200, body = ObjectList), (status = 400, body = crate::rest::error::ErrorBody, description = "An unknown workspace or type"),
        crate::rest::openapi::Refusals))]
pub async fn objects(
    State(state): State<AppState>,
    Caller(by): Caller,
    headers: HeaderMap,
    Params(query): Params<ObjectQuery>,
) -> Result<Json<ObjectList>, ApiError> {
    by.require(Act::Read, None)?;
    // A workspace's catalog (owners, comments) spans every business line.
    if by.visibility() != Visibility::All {
        return Err(ApiError(Problem::new(
            Class::Forbidden,
            "role_missing",
            "A workspace's objects span every business line: administrators and auditors of every business line see them",
        )));
    }
    let workspace = chosen_workspace(&state, &headers)?;
    let store = &state.portal.store;
    let prefix = query.prefix.as_deref().unwrap_or_default().trim();
    let mut objects = synced(store, &workspace.url, prefix, query.object_type, MOST_OBJECTS as u32 + 1).await.map_err(Problem::from)?;
    let more = objects.len() > MOST_OBJECTS;
    objects.truncate(MOST_OBJECTS);
    let count = objects.len();
    let last = store.last_success(SyncKind::Objects, Some(&workspace.url)).await.map_err(Problem::from)?;
    let synced_at = last.map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    Ok(Json(ObjectList { workspace_url: workspace.url.clone(), synced_at, count, more, objects }))
}
