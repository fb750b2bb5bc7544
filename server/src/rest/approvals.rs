//! `GET /workflow/approvals` (plans waiting for the caller's decision) and
//! `POST /workflow/runs/{id}/approve|reject` with `{"Comment": ...}`: the engine's approval,
//! as the page uses it.

use super::extract::JsonBody;
use super::{parse_id, ApiError};
use crate::auth::Caller;
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use sharepack_engine::approval::decide::{self, Verdict};
use sharepack_engine::records::{Decision, RunStatus};
use sharepack_engine::views::ApprovalRow;

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ApprovalsResponse {
    /// Oldest first.
    pub approvals: Vec<ApprovalRow>,
}

#[utoipa::path(get, path = "/approvals", tag = "approvals", operation_id = "approvals",
    responses((status = 200, body = ApprovalsResponse), crate::rest::openapi::Refusals))]
pub async fn list(State(state): State<AppState>, Caller(by): Caller) -> Result<Json<ApprovalsResponse>, ApiError> {
    let approvals = sharepack_engine::views::approvals(&state.portal.store, &by).await?;
    Ok(Json(ApprovalsResponse { approvals: approvals.for_you }))
}

/// A decision's comment (needed to reject). `PlanDigest`, when sent, must be the digest
/// `GET /workflow/approvals` or the run page showed: the decision is refused if the plan changed.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DecisionRequest {
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub plan_digest: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DecisionResponse {
    pub run_id: uuid::Uuid,
    pub run_status: RunStatus,
    pub message: String,
    /// Approvals of the current plan so far, and how many it needs.
    pub approvals: u32,
    pub approvals_needed: u32,
}

#[utoipa::path(post, path = "/runs/{id}/approve", tag = "approvals", operation_id = "approve",
    params(("id" = String, Path, description = "The run's id")), request_body(content = Option<DecisionRequest>),
    responses((status = 200, body = DecisionResponse), (status = 404, body = crate::rest::error::ErrorBody),
        (status = 409, body = crate::rest::error::ErrorBody, description = "Not waiting, already decided, or the plan changed"), crate::rest::openapi::Refusals))]
pub async fn approve(
    state: State<AppState>,
    caller: Caller,
    id: Path<String>,
    body: JsonBody<DecisionRequest>,
) -> Result<Json<DecisionResponse>, ApiError> {
    decide_as(state, caller, id, body, Decision::Approved).await
}

#[utoipa::path(post, path = "/runs/{id}/reject", tag = "approvals", operation_id = "reject",
    params(("id" = String, Path, description = "The run's id")), request_body = DecisionRequest,
    responses((status = 200, body = DecisionResponse), (status = 400, body = crate::rest::error::ErrorBody, description = "A comment is needed"),
        (status = 404, body = crate::rest::error::ErrorBody), (status = 409, body = crate::rest::error::ErrorBody), crate::rest::openapi::Refusals))]
pub async fn reject(
    state: State<AppState>,
    caller: Caller,
    id: Path<String>,
    body: JsonBody<DecisionRequest>,
) -> Result<Json<DecisionResponse>, ApiError> {
    decide_as(state, caller, id, body, Decision::Rejected).await
}

async fn decide_as(
    State(state): State<AppState>,
    Caller(by): Caller,
    Path(id): Path<String>,
    body: JsonBody<DecisionRequest>,
    decision: Decision,
) -> Result<Json<DecisionResponse>, ApiError> {
    let id = parse_id(&id, "run")?;
    let JsonBody(request) = body;
    let portal = &state.portal;
    let verdict = Verdict { decision, comment: request.comment.as_deref().unwrap_or(""), seen: request.plan_digest.as_deref() };
    let decided = decide::decide(&portal.store, &portal.queue, &by, id, verdict).await?;
    Ok(Json(DecisionResponse {
        run_id: id,
        run_status: decided.status,
        message: decided.message,
        approvals: decided.approvals,
        approvals_needed: decided.needed,
    }))
}
