//! The REST API under `/workflow`, in the seed system's PascalCase JSON. Handlers are thin: read
//! the request, call the engine, shape the answer.

use crate::AppState;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use sharepack_engine::databricks::workspaces::Workspace;
use sharepack_engine::intake::{read_pack, IntakeError};
use sharepack_engine::{Finding, FindingCounts, SharePack};

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health)).route("/sharepack/validate", post(validate)).route("/sharepack/plan", post(plan))
}

/// An error answer: what went wrong and what to do.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError { status, code: code.into(), message: message.into(), hint: None, location: None }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self)).into_response()
    }
}

impl From<IntakeError> for ApiError {
    fn from(error: IntakeError) -> Self {
        let status = match error {
            IntakeError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            IntakeError::Unsupported { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            IntakeError::Empty | IntakeError::NotText { .. } | IntakeError::Unreadable { .. } | IntakeError::Limit { .. } => {
                StatusCode::BAD_REQUEST
            }
        };
        let location = match &error {
            IntakeError::Limit { at: Some(at), .. } => Some(at.to_string()),
            _ => None,
        };
        ApiError { status, code: error.code().into(), message: error.sentence(), hint: Some(error.hint().into()), location }
    }
}

/// The answer of `POST /workflow/sharepack/validate`.
#[derive(Debug, Serialize)]
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

/// A received upload: its name and bytes.
pub struct Upload {
    pub file_name: Option<String>,
    pub bytes: Vec<u8>,
}

/// Reads the multipart field `file`, refusing it past `limit` bytes.
pub async fn read_upload(multipart: Result<Multipart, MultipartRejection>, limit: usize) -> Result<Upload, ApiError> {
    let mut multipart = multipart.map_err(|rejection| {
        ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_multipart", format!("The request is not a multipart form: {rejection}"))
            .hint("Send the share pack as the multipart form field `file`, e.g. curl -F file=@pack.yaml")
    })?;
    let broken = |error: axum::extract::multipart::MultipartError| {
        if error.status() == StatusCode::PAYLOAD_TOO_LARGE || over_body_limit(&error) {
            let status = StatusCode::PAYLOAD_TOO_LARGE;
            ApiError::new(status, "file_too_large", format!("The upload is larger than the limit of {limit} bytes"))
                .hint("Split the pack into smaller packs, or ask an administrator to raise SHAREPACK_MAX_UPLOAD_BYTES")
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "bad_multipart", format!("The multipart body cannot be read: {}", error.body_text()))
        }
    };
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field.file_name().map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(broken)? {
            if bytes.len() + chunk.len() > limit {
                return Err(IntakeError::TooLarge { size: bytes.len() + chunk.len(), limit }.into());
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(Upload { file_name, bytes });
    }
    Err(ApiError::new(StatusCode::BAD_REQUEST, "missing_file", "The form has no field named `file`")
        .hint("Send the share pack as the multipart form field `file`"))
}

/// True when reading stopped at the request body limit (the error hides under a few wrappers).
fn over_body_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<http_body_util::LengthLimitError>() || error.to_string().contains("length limit exceeded") {
            return true;
        }
        current = error.source();
    }
    false
}

/// Reads the uploaded file and runs intake on it, off the async threads.
async fn intake(state: &AppState, multipart: Result<Multipart, MultipartRejection>) -> Result<sharepack_engine::intake::Intake, ApiError> {
    let limits = state.portal.limits;
    let upload = read_upload(multipart, limits.max_file_bytes).await?;
    let intake =
        tokio::task::spawn_blocking(move || read_pack(&upload.bytes, upload.file_name.as_deref(), &limits)).await.map_err(|error| {
            tracing::error!(error = %error, "intake task failed");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong while reading the file")
        })??;
    Ok(intake)
}

/// `POST /workflow/sharepack/validate`: parse and validate, nothing stored.
async fn validate(
    State(state): State<AppState>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<ValidateResponse>, ApiError> {
    chosen_workspace(&state, &headers)?;
    let intake = intake(&state, multipart).await?;
    tracing::info!(format = %intake.format, errors = intake.counts().errors, "validated a share pack over HTTP");
    Ok(Json(ValidateResponse {
        format: intake.format,
        valid: intake.is_valid(),
        summary: intake.counts(),
        share_pack: intake.pack,
        findings: intake.findings,
    }))
}

/// `GET /workflow/health`, in the seed's shape.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Health {
    pub message: String,
    pub database_connected: bool,
    pub queue_connected: bool,
    pub tables_count: u32,
    /// `postgres` or `sqlite`.
    pub database: &'static str,
    /// The embedded queue lives in the database until an Azure queue is configured.
    pub queue: &'static str,
    pub workspace: WorkspaceInfo,
    pub version: &'static str,
}

/// The workspace named by `X-Workspace-URL` (the default when absent); 400 naming the
/// configured ones when it is unknown.
pub fn chosen_workspace<'a>(state: &'a AppState, headers: &HeaderMap) -> Result<&'a Workspace, ApiError> {
    let asked = headers.get("x-workspace-url").and_then(|value| value.to_str().ok());
    state.portal.workspaces.select(asked, None).map_err(|unknown| {
        ApiError::new(StatusCode::BAD_REQUEST, "unknown_workspace", unknown.to_string())
            .hint("Send one of the configured workspace URLs in X-Workspace-URL, or leave the header out")
    })
}

/// The workspace a health answer is about.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WorkspaceInfo {
    pub name: String,
    pub url: String,
    /// True for Sharepack's built-in sandbox, which is not a real Databricks workspace.
    pub sandbox: bool,
}

async fn health(State(state): State<AppState>, headers: HeaderMap) -> Result<(StatusCode, Json<Health>), ApiError> {
    let workspace = chosen_workspace(&state, &headers)?;
    let workspace = WorkspaceInfo { name: workspace.name.clone(), url: workspace.url.clone(), sandbox: workspace.is_sandbox };
    let store = &state.portal.store;
    let tables = match store.health().await {
        Ok(count) => Some(count),
        Err(error) => {
            tracing::warn!(error = %sharepack_engine::store::redact(&error.to_string()), "health: the database does not answer");
            None
        }
    };
    let (status, message) = match tables {
        Some(_) => (StatusCode::OK, "Workflow system healthy"),
        None => (StatusCode::SERVICE_UNAVAILABLE, "Workflow system unhealthy"),
    };
    let body = Health {
        message: message.into(),
        database_connected: tables.is_some(),
        queue_connected: tables.is_some(),
        tables_count: tables.unwrap_or(0),
        database: store.backend(),
        queue: "embedded",
        workspace,
        version: env!("CARGO_PKG_VERSION"),
    };
    Ok((status, Json(body)))
}

/// `POST /workflow/sharepack/plan`: a dry run. Reads the pack, reads what it names from the
/// workspace, and answers with the plan, nothing changed.
#[derive(Debug, Serialize)]
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

#[derive(Debug, serde::Deserialize)]
pub struct PlanQuery {
    /// Refuse NEW when named resources exist (`SHAREPACK_STRICT_STRATEGY` sets the default).
    strict: Option<bool>,
}

async fn plan(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<PlanQuery>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<PlanResponse>, ApiError> {
    let workspace = chosen_workspace(&state, &headers)?;
    let intake = intake(&state, multipart).await?;
    let options = sharepack_engine::plan::PlanOptions { strict: query.strict.unwrap_or(state.portal.strict_strategy) };
    let outcome = sharepack_engine::plan::dry_run(intake, &workspace.client, options).await;
    let info = WorkspaceInfo { name: workspace.name.clone(), url: workspace.url.clone(), sandbox: workspace.is_sandbox };
    let (validation_errors, validation_warnings) = seed_strings(&outcome.findings);
    Ok(Json(PlanResponse {
        strategy: outcome.strategy,
        declared_strategy: outcome.declared,
        validation_errors,
        validation_warnings,
        findings: outcome.findings,
        summary: outcome.plan.as_ref().map(|plan| plan.summary).unwrap_or_default(),
        story: outcome.plan.as_ref().map(|plan| plan.story.clone()).unwrap_or_default(),
        plan: outcome.plan.map(|plan| plan.actions).unwrap_or_default(),
        workspace: info,
    }))
}

/// Findings as the seed's plain strings: strategy and conflict messages as they are (the seed's
/// wording), everything else prefixed with where it is.
fn seed_strings(findings: &[Finding]) -> (Vec<String>, Vec<String>) {
    let plain = |finding: &Finding| match finding.code.as_str() {
        "already_exists" | "strategy_switched" | "nothing_to_update" | "workspace_unreachable" => finding.message.clone(),
        _ if finding.location == "file" => finding.message.clone(),
        _ => format!("{}: {}", finding.location, finding.message),
    };
    let pick = |severity| findings.iter().filter(|finding| finding.severity == severity).map(plain).collect();
    (pick(sharepack_engine::Severity::Error), pick(sharepack_engine::Severity::Warning))
}
