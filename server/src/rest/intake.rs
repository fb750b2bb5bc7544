//! `POST /workflow/sharepack/validate` (parse and validate, nothing stored) and
//! `POST /workflow/sharepack/plan` (a dry run against the workspace, nothing changed).

use super::error::ErrorBody;
use super::extract::Params;
use super::multipart::read_upload;
use super::openapi::{Refusals, UploadForm};
use super::{chosen_workspace, ApiError, WorkspaceInfo};
use crate::auth::Caller;
use crate::AppState;
use app::portal::multipart::ReceivedFile;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use sharepack_engine::access::{claim, Act, Principal};
use sharepack_engine::databricks::workspaces::Workspace;
use sharepack_engine::error::Problem;
use sharepack_engine::intake::{read_pack, Intake};
use sharepack_engine::{Finding, FindingCounts, SharePack};

/// The answer of `POST /workflow/sharepack/validate`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ValidateResponse {
    /// `YAML` or `EXCEL`.
    pub format: sharepack_engine::model::SourceFormat,
    /// True when no finding is an error.
    pub valid: bool,
    pub summary: FindingCounts,
    pub share_pack: Option<SharePack>,
    pub findings: Vec<Finding>,
}

/// Runs intake on a received file, off the async threads, for a requester: the pack's
/// requestor is checked against them (a finding when it is someone else) and a business line
/// they do not hold is refused (403). Each file counts against the caller's rate.
async fn intake(state: &AppState, by: &Principal, workspace_url: &str, upload: ReceivedFile) -> Result<Intake, ApiError> {
    by.require(Act::Request, None)?;
    state.portal.throttle.admit(by)?;
    let limits = state.portal.limits;
    let bytes = upload.bytes?;
    let name = upload.named.then_some(upload.file_name);
    let intake = tokio::task::spawn_blocking(move || read_pack(&bytes, name.as_deref(), &limits)).await.map_err(|error| {
        tracing::error!(%error, "intake task failed");
        Problem::internal("reading the file")
    })??;
    let mut intake = intake;
    claim::claim(&mut intake, by);
    sharepack_engine::access::resources::check_owners(&state.portal.store, by, workspace_url, &mut intake).await?;
    match claim::refusal(&intake) {
        Some(refused) if refused.class == sharepack_engine::Class::Forbidden => Err(ApiError(refused)),
        _ => Ok(intake),
    }
}

#[utoipa::path(post, path = "/sharepack/validate", tag = "intake", operation_id = "validate",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    params(("X-Workspace-URL" = Option<String>, Header, description = "The workspace (the default when absent)")),
    responses((status = 200, body = ValidateResponse, description = "Read and validated; `Valid` says whether it has errors"),
        (status = 400, body = ErrorBody, description = "Empty, unreadable or hostile file"), (status = 413, body = ErrorBody, description = "Past the size limit"),
        (status = 415, body = ErrorBody, description = "Neither YAML nor Excel, or not a multipart form"), Refusals))]
pub async fn validate(
    State(state): State<AppState>,
    Caller(by): Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ValidateResponse>, ApiError> {
    let workspace = chosen_workspace(&state, &headers)?;
    by.require(Act::Request, None)?;
    let upload = read_upload(&headers, body, state.portal.limits.max_file_bytes).await?;
    Ok(Json(validate_one(&state, &by, workspace, upload).await?))
}

/// Validates one file (of a request or a batch).
pub async fn validate_one(
    state: &AppState,
    by: &Principal,
    workspace: &Workspace,
    upload: ReceivedFile,
) -> Result<ValidateResponse, ApiError> {
    let intake = intake(state, by, &workspace.url, upload).await?;
    tracing::info!(format = %intake.format, errors = intake.counts().errors, "validated a share pack over HTTP");
    Ok(ValidateResponse {
        format: intake.format,
        valid: intake.is_valid(),
        summary: intake.counts(),
        share_pack: intake.pack,
        findings: intake.findings,
    })
}

/// The dry run's answer: the plan, nothing changed.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PlanResponse {
    /// The strategy that applies (after detection or an automatic switch).
    pub strategy: Option<sharepack_engine::model::Strategy>,
    pub declared_strategy: Option<sharepack_engine::model::Strategy>,
    /// The seed's plain strings: errors block submission, warnings do not.
    pub validation_errors: Vec<String>,
    pub validation_warnings: Vec<String>,
    pub findings: Vec<Finding>,
    pub summary: sharepack_engine::plan::Summary,
    pub plan: Vec<sharepack_engine::plan::Action>,
    /// The plan in plain words.
    pub story: Vec<String>,
    pub workspace: WorkspaceInfo,
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// Refuse NEW when named resources exist (`SHAREPACK_STRICT_STRATEGY` sets the default).
    pub strict: Option<bool>,
}

#[utoipa::path(post, path = "/sharepack/plan", tag = "intake", operation_id = "plan",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    params(PlanQuery, ("X-Workspace-URL" = Option<String>, Header, description = "The workspace (the default when absent)")),
    responses((status = 200, body = PlanResponse, description = "The dry run: nothing was changed"),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), Refusals))]
pub async fn plan(
    State(state): State<AppState>,
    Caller(by): Caller,
    headers: HeaderMap,
    Params(query): Params<PlanQuery>,
    body: Body,
) -> Result<Json<PlanResponse>, ApiError> {
    let workspace = chosen_workspace(&state, &headers)?;
    by.require(Act::Request, None)?;
    let upload = read_upload(&headers, body, state.portal.limits.max_file_bytes).await?;
    Ok(Json(plan_one(&state, &by, workspace, &query, upload).await?))
}

/// Plans one file (of a request or a batch) against the workspace as it is now.
pub async fn plan_one(
    state: &AppState,
    by: &Principal,
    workspace: &Workspace,
    query: &PlanQuery,
    upload: ReceivedFile,
) -> Result<PlanResponse, ApiError> {
    let intake = intake(state, by, &workspace.url, upload).await?;
    let options = sharepack_engine::plan::PlanOptions { strict: query.strict.unwrap_or(state.portal.strict_strategy) };
    let outcome =
        sharepack_engine::apply::preview::dry_run(&state.portal.store, &workspace.url, &workspace.client, intake, options).await?;
    let (validation_errors, validation_warnings) = seed_strings(&outcome.findings);
    Ok(PlanResponse {
        strategy: outcome.strategy,
        declared_strategy: outcome.declared,
        validation_errors,
        validation_warnings,
        findings: outcome.findings,
        summary: outcome.plan.as_ref().map(|plan| plan.summary).unwrap_or_default(),
        story: outcome.plan.as_ref().map(|plan| plan.story.clone()).unwrap_or_default(),
        plan: outcome.plan.map(|plan| plan.actions).unwrap_or_default(),
        workspace: WorkspaceInfo::from(workspace),
    })
}

/// Findings as the seed's plain strings: strategy and conflict messages as they are (the seed's
/// wording), everything else prefixed with where it is.
pub fn seed_strings(findings: &[Finding]) -> (Vec<String>, Vec<String>) {
    let plain = |finding: &Finding| match finding.code.as_str() {
        "already_exists" | "strategy_switched" | "nothing_to_update" | "workspace_unreachable" => finding.message.clone(),
        _ if finding.location == "file" => finding.message.clone(),
        _ => format!("{}: {}", finding.location, finding.message),
    };
    let pick = |severity| findings.iter().filter(|finding| finding.severity == severity).map(plain).collect();
    (pick(sharepack_engine::Severity::Error), pick(sharepack_engine::Severity::Warning))
}
