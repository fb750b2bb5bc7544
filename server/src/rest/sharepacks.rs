//! `POST /workflow/sharepack/upload` (validate, plan, store and queue; 202 while it runs) and
//! `GET /workflow/sharepack/{id}` (the seed's status), in the seed's shapes, and
//! `POST /workflow/sharepacks/{id}/rollback`.

use super::extract::{JsonBody, Params};
use super::intake::seed_strings;
use super::multipart::read_upload;
use super::{chosen_workspace, parse_id, ApiError};
use crate::auth::Caller;
use crate::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use sharepack_engine::apply::SubmitError;
use sharepack_engine::error::Problem;
use sharepack_engine::records::{PackStatus, RunStatus};
use sharepack_engine::views::PackProgress;
use sharepack_engine::Finding;

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct UploadResponse {
    pub message: String,
    pub share_pack_id: uuid::Uuid,
    pub share_pack_name: String,
    /// `IN_PROGRESS`, or `VALIDATION_FAILED` (with a 400).
    pub status: PackStatus,
    pub validation_errors: Vec<String>,
    pub validation_warnings: Vec<String>,
    pub strategy: Option<sharepack_engine::model::Strategy>,
    /// The queued run; the portal shows it at `/runs/{id}`.
    pub run_id: Option<uuid::Uuid>,
    /// Proof that you submitted the run: `POST /workflow/runs/{id}/activation-links` with it in
    /// `X-Claim-Token` hands over new token recipients' activation links, once.
    pub claim_token: Option<uuid::Uuid>,
    /// `AWAITING_APPROVAL` when the plan waits for approvals (see `Approval`), `SCHEDULED` when
    /// it starts later (see `StartAt`), `QUEUED` otherwise.
    pub run_status: Option<RunStatus>,
    /// When the run starts at the earliest (RFC 3339), when it was given a start time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<String>,
    /// What the plan waits for before it is queued.
    pub approval: Option<ApprovalNeeded>,
    pub findings: Vec<Finding>,
}

/// The approvals a plan waits for, and why.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ApprovalNeeded {
    pub approvals: u32,
    /// One approval must be an administrator's.
    pub admin: bool,
    pub why: Vec<String>,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// Apply the removals the plan lists (objects leaving shares, revoked grants).
    #[serde(default)]
    pub confirm_removals: bool,
    /// Remove what a failed run created (default: on for NEW).
    pub compensate: Option<bool>,
    pub strict: Option<bool>,
    /// Start no earlier than this (RFC 3339, e.g. `2026-12-24T22:00:00Z`): once approved, the
    /// run waits in `SCHEDULED` until then.
    pub start_at: Option<String>,
}

#[utoipa::path(post, path = "/sharepack/upload", tag = "sharepacks", operation_id = "upload",
    request_body(content = crate::rest::openapi::UploadForm, content_type = "multipart/form-data"),
    params(UploadQuery, ("X-Workspace-URL" = Option<String>, Header, description = "The workspace (the default when absent)")),
    responses((status = 202, body = UploadResponse, description = "Stored and queued, scheduled or waiting for approval"),
        (status = 400, body = crate::rest::openapi::UploadRefused, description = "VALIDATION_FAILED with the findings, or the request refused"),
        (status = 409, body = crate::rest::error::ErrorBody, description = "The share pack has a run in progress"),
        (status = 413, body = crate::rest::error::ErrorBody), (status = 415, body = crate::rest::error::ErrorBody), crate::rest::openapi::Refusals))]
pub async fn upload(
    State(state): State<AppState>,
    Caller(by): Caller,
    headers: HeaderMap,
    Params(query): Params<UploadQuery>,
    body: Body,
) -> Result<(StatusCode, Json<UploadResponse>), ApiError> {
    let workspace = chosen_workspace(&state, &headers)?;
    by.require(sharepack_engine::access::Act::Request, None)?;
    let upload = read_upload(&headers, body, state.portal.limits.max_file_bytes).await?;
    let (status, body) = upload_one(&state, &by, workspace, &query, upload).await?;
    Ok((status, Json(body)))
}

/// Submits one file (of a request or a batch): stored as its pack's next version and queued,
/// or waiting for approval; 400 with the findings when it does not validate.
pub async fn upload_one(
    state: &AppState,
    by: &sharepack_engine::access::Principal,
    workspace: &sharepack_engine::databricks::workspaces::Workspace,
    query: &UploadQuery,
    upload: app::portal::multipart::ReceivedFile,
) -> Result<(StatusCode, UploadResponse), ApiError> {
    let portal = &state.portal;
    by.require(sharepack_engine::access::Act::Request, None)?;
    let start_at = match query.start_at.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
        None => None,
        Some(text) => Some(sharepack_engine::history::moment(text).ok_or_else(|| {
            Problem::invalid(
                "time_invalid",
                format!("`{}` is not a time like 2026-12-24T22:00:00Z", text.chars().take(40).collect::<String>()),
            )
            .at("start_at")
        })?),
    };
    portal.throttle.admit(by)?;
    let submission = sharepack_engine::apply::Submission {
        by,
        file_name: &upload.file_name,
        bytes: upload.bytes?,
        workspace,
        confirm_removals: query.confirm_removals,
        compensate: query.compensate,
        approved: None,
        limits: portal.limits,
        options: sharepack_engine::plan::PlanOptions { strict: query.strict.unwrap_or(portal.strict_strategy) },
        compensate_new: portal.apply.compensate_new,
        policy: &portal.approvals,
        note: None,
        restate: false,
        start_at,
    };
    let submitted = sharepack_engine::apply::submit(&portal.store, &portal.queue, submission).await.map_err(submit_error)?;
    Ok(answer(submitted))
}

fn submit_error(error: SubmitError) -> ApiError {
    match error {
        busy @ SubmitError::Busy { .. } => {
            ApiError(Problem::from(busy).hint("Follow the current run with GET /workflow/sharepack/{id}, or cancel it first"))
        }
        other => ApiError::from(other),
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RollbackBody {
    /// The version (upload) to go back to.
    version: Option<i64>,
    /// Delete what later versions added (listed in the plan); without it they are kept.
    #[serde(default)]
    confirm_removals: bool,
}

/// `POST /workflow/sharepacks/{id}/rollback` with `{"Version": 1, "ConfirmRemovals": true}`:
/// that version's file as the pack's next version, planned from the workspace as it is now,
/// approved and run like any upload (the answer is the upload's).
#[utoipa::path(post, path = "/sharepacks/{id}/rollback", tag = "sharepacks", operation_id = "rollback",
    params(("id" = String, Path, description = "The share pack's id")), request_body = RollbackBody,
    responses((status = 202, body = UploadResponse), (status = 400, body = crate::rest::openapi::UploadRefused),
        (status = 404, body = crate::rest::error::ErrorBody), (status = 409, body = crate::rest::error::ErrorBody), crate::rest::openapi::Refusals))]
pub async fn rollback(
    State(state): State<AppState>,
    Caller(by): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RollbackBody>,
) -> Result<(StatusCode, Json<UploadResponse>), ApiError> {
    let id = parse_id(&id, "share pack")?;
    let to = body.version.ok_or_else(|| {
        ApiError(Problem::invalid("version_missing", "Say which version to roll back to, e.g. {\"Version\": 1}").at("Version"))
    })?;
    let portal = &state.portal;
    portal.throttle.admit(&by)?;
    let rollback = sharepack_engine::apply::rollback::Rollback { share_pack_id: id, to, how: resubmit(&state, &by, body.confirm_removals) };
    let submitted = sharepack_engine::apply::rollback::rollback(&portal.store, &portal.queue, rollback).await.map_err(submit_error)?;
    let (status, body) = answer(submitted);
    Ok((status, Json(body)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RestoreBody {
    /// Remove what was added in the workspace by hand (listed in the plan; the default when
    /// absent, as putting the workspace back is what a restore is for).
    #[serde(default)]
    confirm_removals: Option<bool>,
}

/// `POST /workflow/sharepacks/{id}/restore`: the applied version again, planned from the
/// workspace as it is now, so that its plan puts back what changed behind Sharepack's back;
/// approved and run like any upload.
#[utoipa::path(post, path = "/sharepacks/{id}/restore", tag = "drift", operation_id = "restore",
    params(("id" = String, Path, description = "The share pack's id")), request_body(content = Option<RestoreBody>),
    responses((status = 202, body = UploadResponse), (status = 404, body = crate::rest::error::ErrorBody),
        (status = 409, body = crate::rest::error::ErrorBody, description = "The current version was not applied"), crate::rest::openapi::Refusals))]
pub async fn restore(
    State(state): State<AppState>,
    Caller(by): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RestoreBody>,
) -> Result<(StatusCode, Json<UploadResponse>), ApiError> {
    let id = parse_id(&id, "share pack")?;
    let portal = &state.portal;
    portal.throttle.admit(&by)?;
    let source = sharepack_engine::drift::resolve::restore_source(&portal.store, &by, id).await?;
    let how = resubmit(&state, &by, body.confirm_removals.unwrap_or(true));
    let submitted =
        sharepack_engine::apply::rollback::submit_source(&portal.store, &portal.queue, source, &how).await.map_err(submit_error)?;
    let (status, body) = answer(submitted);
    Ok((status, Json(body)))
}

/// `POST /workflow/sharepacks/{id}/adopt`: the workspace's state for what the applied version
/// manages, written as the pack's next version (its plan changes nothing in the workspace); the
/// optional body (`{"Recipients": [...], "Shares": [...]}`) takes unmanaged resources into it.
#[utoipa::path(post, path = "/sharepacks/{id}/adopt", tag = "drift", operation_id = "adopt",
    params(("id" = String, Path, description = "The share pack's id")),
    request_body(content = Option<sharepack_engine::drift::resolve::Include>, description = "Unmanaged recipients and shares to take into the pack"),
    responses((status = 202, body = UploadResponse), (status = 400, body = crate::rest::openapi::UploadRefused, description = "The workspace's state does not make a valid pack (a recipient granted by hand without its details)"),
        (status = 404, body = crate::rest::error::ErrorBody), (status = 409, body = crate::rest::error::ErrorBody, description = "The current version was not applied"),
        (status = 503, body = crate::rest::error::ErrorBody, description = "The workspace could not be read"), crate::rest::openapi::Refusals))]
pub async fn adopt(
    State(state): State<AppState>,
    Caller(by): Caller,
    Path(id): Path<String>,
    JsonBody(include): JsonBody<sharepack_engine::drift::resolve::Include>,
) -> Result<(StatusCode, Json<UploadResponse>), ApiError> {
    let id = parse_id(&id, "share pack")?;
    let portal = &state.portal;
    portal.throttle.admit(&by)?;
    let source = sharepack_engine::drift::resolve::adopt_source(&portal.store, &portal.workspaces, &by, id, &include).await?;
    let how = resubmit(&state, &by, false);
    let submitted =
        sharepack_engine::apply::rollback::submit_source(&portal.store, &portal.queue, source, &how).await.map_err(submit_error)?;
    let (status, body) = answer(submitted);
    Ok((status, Json(body)))
}

/// How a file Sharepack made for a pack (an earlier version, a restore, an adoption) is
/// submitted: as the caller, on the portal's limits and approval policy.
pub fn resubmit<'a>(
    state: &'a AppState,
    by: &'a sharepack_engine::access::Principal,
    confirm_removals: bool,
) -> sharepack_engine::apply::rollback::Resubmit<'a> {
    let portal = &state.portal;
    sharepack_engine::apply::rollback::Resubmit {
        by,
        confirm_removals,
        workspaces: &portal.workspaces,
        limits: portal.limits,
        options: sharepack_engine::plan::PlanOptions { strict: false },
        policy: &portal.approvals,
    }
}

/// The seed's upload answer, for uploads and rollbacks alike.
fn answer(submitted: sharepack_engine::apply::Submitted) -> (StatusCode, UploadResponse) {
    let (validation_errors, validation_warnings) = seed_strings(&submitted.findings);
    let accepted = submitted.accepted();
    let waits = submitted.awaiting.is_some();
    let message = match (accepted, waits, submitted.switched()) {
        (true, true, true) => {
            "Share pack uploaded; the plan waits for approval. Strategy auto-corrected from NEW to UPDATE based on existing resources."
        }
        (true, true, false) => "Share pack uploaded; the plan waits for approval before it is queued",
        (true, false, true) => "Share pack uploaded and queued. Strategy auto-corrected from NEW to UPDATE based on existing resources.",
        (true, false, false) => "Share pack uploaded successfully and queued for provisioning",
        (false, _, _) => "Share pack validation failed; nothing was queued",
    };
    let run_status = submitted.run_status;
    let message = match (run_status, submitted.start_at) {
        (Some(RunStatus::Scheduled), Some(at)) => {
            format!("Share pack uploaded; the run is scheduled to start at {}", sharepack_engine::apply::schedule::words(at))
        }
        (Some(RunStatus::AwaitingApproval), Some(at)) => {
            format!("{message}; once approved it starts at {}", sharepack_engine::apply::schedule::words(at))
        }
        _ => message.to_string(),
    };
    let body = UploadResponse {
        message,
        share_pack_id: submitted.share_pack_id,
        share_pack_name: submitted.share_pack_name,
        status: if accepted { PackStatus::InProgress } else { PackStatus::ValidationFailed },
        validation_errors,
        validation_warnings,
        strategy: submitted.strategy,
        run_id: submitted.run_id,
        claim_token: submitted.claim,
        run_status,
        start_at: submitted.start_at.filter(|_| accepted).map(|at| at.to_rfc3339()),
        approval: submitted.awaiting.map(|needed| ApprovalNeeded { approvals: needed.approvals, admin: needed.admin, why: needed.why }),
        findings: submitted.findings,
    };
    (if accepted { StatusCode::ACCEPTED } else { StatusCode::BAD_REQUEST }, body)
}

#[utoipa::path(get, path = "/sharepack/{id}", tag = "sharepacks", operation_id = "status",
    params(("id" = String, Path, description = "The share pack's id")),
    responses((status = 200, body = sharepack_engine::views::PackProgress),
        (status = 400, body = crate::rest::error::ErrorBody, description = "Not an id"),
        (status = 404, body = crate::rest::error::ErrorBody), crate::rest::openapi::Refusals))]
pub async fn status(State(state): State<AppState>, Caller(by): Caller, Path(id): Path<String>) -> Result<Json<PackProgress>, ApiError> {
    let id = parse_id(&id, "share pack")?;
    let progress = sharepack_engine::views::share_pack_progress(&state.portal.store, &by, id).await?;
    Ok(Json(progress.ok_or_else(|| Problem::not_found("share pack", &id.to_string()))?))
}
