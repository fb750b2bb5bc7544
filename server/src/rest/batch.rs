//! `POST /workflow/sharepack/batch/{validate,plan,upload}`: several share packs (repeated
//! multipart `file` fields) in one request, each validated, planned or submitted on its own,
//! exactly as the one-file endpoint would (the same functions), with one summary. The answer is
//! 200 when the request could be read; each item carries the status the one-file endpoint would
//! have answered and its answer or its error body.

use super::error::ErrorBody;
use super::extract::Params;
use super::intake::{plan_one, validate_one, PlanQuery, PlanResponse, ValidateResponse};
use super::multipart::read_uploads;
use super::sharepacks::{upload_one, UploadQuery, UploadResponse};
use super::{chosen_workspace, ApiError};
use crate::auth::Caller;
use crate::AppState;
use app::portal::multipart::ReceivedFile;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use sharepack_engine::access::Act;

/// The most files one request takes (their total size is bounded by the body limit).
pub const MOST_FILES: usize = 50;

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct BatchResponse<T> {
    /// One per file, in the order they were sent.
    pub results: Vec<BatchItem<T>>,
    pub summary: BatchSummary,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct BatchItem<T> {
    /// The file's name as sent.
    pub file: String,
    /// What the one-file endpoint would have answered.
    pub status: u16,
    /// Its answer, when it had one (also for `VALIDATION_FAILED`, which is a 400 with findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<T>,
    /// Its error, when it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// How the files fared.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct BatchSummary {
    pub files: usize,
    /// Valid, planned without errors, or submitted (queued or waiting for approval).
    pub succeeded: usize,
    /// Read, but with errors in the pack: nothing was planned or submitted for them.
    pub failed: usize,
    /// Refused before or while reading them (too large, unreadable, a role missing, busy...).
    pub refused: usize,
    /// Plans that change something (plan only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_changes: Option<usize>,
}

/// What a one-file answer means for the summary.
pub trait Tally {
    fn succeeded(&self) -> bool;
    /// Whether the plan changes anything, for answers that have a plan.
    fn changes(&self) -> Option<bool> {
        None
    }
}

impl Tally for ValidateResponse {
    fn succeeded(&self) -> bool {
        self.valid
    }
}

impl Tally for PlanResponse {
    fn succeeded(&self) -> bool {
        self.validation_errors.is_empty()
    }
    fn changes(&self) -> Option<bool> {
        Some(self.plan.iter().any(|action| action.action != sharepack_engine::plan::ActionKind::Unchanged))
    }
}

impl Tally for UploadResponse {
    fn succeeded(&self) -> bool {
        self.run_id.is_some()
    }
}

impl<T: Tally> BatchResponse<T> {
    fn of(results: Vec<BatchItem<T>>) -> Self {
        let mut summary = BatchSummary { files: results.len(), ..Default::default() };
        for item in &results {
            match &item.answer {
                Some(answer) if answer.succeeded() => summary.succeeded += 1,
                Some(_) => summary.failed += 1,
                None => summary.refused += 1,
            }
            if let Some(changes) = item.answer.as_ref().and_then(Tally::changes) {
                *summary.with_changes.get_or_insert(0) += usize::from(changes);
            }
        }
        BatchResponse { results, summary }
    }
}

/// Answers every file of the batch with `one` (the one-file endpoint's function), in order.
async fn each<T: Tally, Answered>(files: Vec<ReceivedFile>, mut one: impl FnMut(ReceivedFile) -> Answered) -> Json<BatchResponse<T>>
where
    Answered: std::future::Future<Output = Result<(StatusCode, T), ApiError>>,
{
    let mut results = Vec::with_capacity(files.len());
    for upload in files {
        let file = upload.file_name.clone();
        results.push(match one(upload).await {
            Ok((status, answer)) => BatchItem { file, status: status.as_u16(), answer: Some(answer), error: None },
            Err(error) => BatchItem { file, status: error.status().as_u16(), answer: None, error: Some(ErrorBody::from(&error.0)) },
        });
    }
    Json(BatchResponse::of(results))
}

#[utoipa::path(post, path = "/sharepack/batch/validate", tag = "batch", operation_id = "batch_validate",
    request_body(content = crate::rest::openapi::BatchForm, content_type = "multipart/form-data"),
    params(("X-Workspace-URL" = Option<String>, Header, description = "The workspace (the default when absent)")),
    responses((status = 200, body = BatchResponse<ValidateResponse>), (status = 400, body = ErrorBody, description = "More than 50 files, or none"),
        (status = 415, body = ErrorBody), crate::rest::openapi::Refusals))]
pub async fn validate(
    State(state): State<AppState>,
    Caller(by): Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<BatchResponse<ValidateResponse>>, ApiError> {
    let workspace = chosen_workspace(&state, &headers)?;
    by.require(Act::Request, None)?;
    let files = read_uploads(&headers, body, state.portal.limits.max_file_bytes, MOST_FILES).await?;
    let (state, by) = (&state, &by);
    Ok(each(files, move |upload| async move { Ok((StatusCode::OK, validate_one(state, by, workspace, upload).await?)) }).await)
}

#[utoipa::path(post, path = "/sharepack/batch/plan", tag = "batch", operation_id = "batch_plan",
    request_body(content = crate::rest::openapi::BatchForm, content_type = "multipart/form-data"),
    params(PlanQuery, ("X-Workspace-URL" = Option<String>, Header, description = "The workspace (the default when absent)")),
    responses((status = 200, body = BatchResponse<PlanResponse>), (status = 400, body = ErrorBody), (status = 415, body = ErrorBody),
        crate::rest::openapi::Refusals))]
pub async fn plan(
    State(state): State<AppState>,
    Caller(by): Caller,
    headers: HeaderMap,
    Params(query): Params<PlanQuery>,
    body: Body,
) -> Result<Json<BatchResponse<PlanResponse>>, ApiError> {
    let workspace = chosen_workspace(&state, &headers)?;
    by.require(Act::Request, None)?;
    let files = read_uploads(&headers, body, state.portal.limits.max_file_bytes, MOST_FILES).await?;
    let (state, by, query) = (&state, &by, &query);
    Ok(each(files, move |upload| async move { Ok((StatusCode::OK, plan_one(state, by, workspace, query, upload).await?)) }).await)
}

#[utoipa::path(post, path = "/sharepack/batch/upload", tag = "batch", operation_id = "batch_upload",
    request_body(content = crate::rest::openapi::BatchForm, content_type = "multipart/form-data"),
    params(UploadQuery, ("X-Workspace-URL" = Option<String>, Header, description = "The workspace (the default when absent)")),
    responses((status = 200, body = BatchResponse<UploadResponse>), (status = 400, body = ErrorBody), (status = 415, body = ErrorBody),
        crate::rest::openapi::Refusals))]
pub async fn upload(
    State(state): State<AppState>,
    Caller(by): Caller,
    headers: HeaderMap,
    Params(query): Params<UploadQuery>,
    body: Body,
) -> Result<Json<BatchResponse<UploadResponse>>, ApiError> {
    let workspace = chosen_workspace(&state, &headers)?;
    by.require(Act::Request, None)?;
    let files = read_uploads(&headers, body, state.portal.limits.max_file_bytes, MOST_FILES).await?;
    let (state, by, query) = (&state, &by, &query);
    Ok(each(files, move |upload| upload_one(state, by, workspace, query, upload)).await)
}
