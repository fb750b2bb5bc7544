//! The REST API under `/workflow`, in the seed system's PascalCase JSON. Handlers are thin: read
//! the request, call the engine, shape the answer.

use crate::AppState;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use sharepack_engine::databricks::workspaces::Workspace;
use sharepack_engine::intake::{read_pack, IntakeError};
use sharepack_engine::{Finding, FindingCounts, SharePack};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/sharepack/validate", post(validate))
        .route("/sharepack/plan", post(plan))
        .route("/sharepack/upload", post(upload))
        .route("/sharepack/{id}", get(status))
        .route("/runs/{id}/cancel", post(cancel))
        .route("/runs/{id}/retry", post(retry))
        .route("/runs/{id}/activation-links", post(activation_links))
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
    /// `embedded` (a table in the database) or `azure` (Azure Storage Queue).
    pub queue: &'static str,
    pub queue_name: String,
    /// Messages waiting or being worked on, and messages in the poison queue.
    pub queue_depth: Option<u64>,
    pub poison_depth: Option<u64>,
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
    let depth = match state.portal.queue.depth().await {
        Ok(depth) => Some(depth),
        Err(error) => {
            tracing::warn!(%error, "health: the queue does not answer");
            None
        }
    };
    let (status, message) = match (tables, depth) {
        (Some(_), Some(_)) => (StatusCode::OK, "Workflow system healthy"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "Workflow system unhealthy"),
    };
    let body = Health {
        message: message.into(),
        database_connected: tables.is_some(),
        queue_connected: depth.is_some(),
        tables_count: tables.unwrap_or(0),
        database: store.backend(),
        queue: state.portal.queue.backend(),
        queue_name: state.portal.queue.name().to_string(),
        queue_depth: depth.map(|(waiting, _)| waiting),
        poison_depth: depth.map(|(_, poisoned)| poisoned),
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

/// `POST /workflow/sharepack/upload`'s answer (202), in the seed's shape.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UploadResponse {
    pub message: String,
    pub share_pack_id: uuid::Uuid,
    pub share_pack_name: String,
    /// `IN_PROGRESS`, or `VALIDATION_FAILED` (with a 400).
    pub status: &'static str,
    pub validation_errors: Vec<String>,
    pub validation_warnings: Vec<String>,
    pub strategy: Option<sharepack_engine::model::Strategy>,
    /// The queued run; the portal shows it at `/runs/{id}`.
    pub run_id: Option<uuid::Uuid>,
    /// Proof that you submitted the run: `POST /workflow/runs/{id}/activation-links` with it in
    /// `X-Claim-Token` hands over new token recipients' activation links, once.
    pub claim_token: Option<uuid::Uuid>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, serde::Deserialize)]
pub struct UploadQuery {
    /// Apply the removals the plan lists (objects leaving shares, revoked grants).
    #[serde(default)]
    confirm_removals: bool,
    /// Remove what a failed run created (default: on for NEW).
    compensate: Option<bool>,
    strict: Option<bool>,
}

/// `POST /workflow/sharepack/upload`: validate, plan, store and queue; 202 while it runs.
async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<UploadQuery>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<UploadResponse>), ApiError> {
    let workspace = chosen_workspace(&state, &headers)?;
    let portal = &state.portal;
    let upload = read_upload(multipart, portal.limits.max_file_bytes).await?;
    let file_name = upload.file_name.clone().unwrap_or_else(|| "upload".into());
    let submission = sharepack_engine::apply::Submission {
        file_name: &file_name,
        bytes: upload.bytes,
        workspace,
        confirm_removals: query.confirm_removals,
        compensate: query.compensate,
        approved: None,
        limits: portal.limits,
        options: sharepack_engine::plan::PlanOptions { strict: query.strict.unwrap_or(portal.strict_strategy) },
        compensate_new: portal.apply.compensate_new,
    };
    let submitted = sharepack_engine::apply::submit(&portal.store, &portal.queue, submission).await.map_err(submit_error)?;
    let (validation_errors, validation_warnings) = seed_strings(&submitted.findings);
    let accepted = submitted.accepted();
    let message = match (accepted, submitted.switched()) {
        (true, true) => "Share pack uploaded and queued. Strategy auto-corrected from NEW to UPDATE based on existing resources.",
        (true, false) => "Share pack uploaded successfully and queued for provisioning",
        (false, _) => "Share pack validation failed; nothing was queued",
    };
    let body = UploadResponse {
        message: message.into(),
        share_pack_id: submitted.share_pack_id,
        share_pack_name: submitted.share_pack_name,
        status: if accepted { "IN_PROGRESS" } else { "VALIDATION_FAILED" },
        validation_errors,
        validation_warnings,
        strategy: submitted.strategy,
        run_id: submitted.run_id,
        claim_token: submitted.claim,
        findings: submitted.findings,
    };
    Ok((if accepted { StatusCode::ACCEPTED } else { StatusCode::BAD_REQUEST }, Json(body)))
}

fn submit_error(error: sharepack_engine::apply::SubmitError) -> ApiError {
    use sharepack_engine::apply::SubmitError;
    match error {
        SubmitError::Intake(error) => error.into(),
        SubmitError::Busy { .. } => ApiError::new(StatusCode::CONFLICT, "run_in_progress", error.to_string())
            .hint("Follow the current run with GET /workflow/sharepack/{id}, or cancel it first"),
        SubmitError::Store(error) => store_error(&error),
        SubmitError::WorkspaceUnavailable(message) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "workspace_unavailable", message)
            .hint("Nothing was stored or queued; try again in a moment, and check the workspace's URL and credentials if it persists"),
        SubmitError::Queue(error) => {
            tracing::error!(%error, "the queue refused a submission");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "queue_unavailable",
                "The work queue is unavailable right now; nothing was queued",
            )
            .hint("Try again in a moment")
        }
    }
}

fn store_error(error: &sharepack_engine::store::StoreError) -> ApiError {
    tracing::error!(error = %sharepack_engine::store::redact(&error.to_string()), "store failure");
    match error {
        sharepack_engine::store::StoreError::Unavailable(_) => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable", "The database is unavailable right now")
                .hint("Try again in a moment")
        }
        _ => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Something went wrong while reading or writing the database"),
    }
}

/// `GET /workflow/sharepack/{id}`'s answer, in the seed's shape.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StatusResponse {
    pub share_pack_id: uuid::Uuid,
    pub share_pack_name: String,
    /// `IN_PROGRESS`, `COMPLETED`, `FAILED` (cancelled runs too) or `VALIDATION_FAILED`.
    pub status: String,
    pub strategy: String,
    /// The current step in words.
    pub provisioning_status: String,
    pub error_message: String,
    pub requested_by: String,
    pub created_at: String,
    pub last_updated: String,
    /// The latest run and its own status (`QUEUED`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`).
    pub run_id: Option<uuid::Uuid>,
    pub run_status: Option<String>,
}

fn timestamp(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn parse_id(text: &str, what: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(text).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_id",
            format!("`{}` is not a {what} id", text.chars().take(80).collect::<String>()),
        )
        .hint("Ids are UUIDs, as returned by POST /workflow/sharepack/upload")
    })
}

/// `GET /workflow/sharepack/{id}`: the share pack's status and its latest run's progress.
async fn status(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<StatusResponse>, ApiError> {
    let id = parse_id(&id, "share pack")?;
    let store = &state.portal.store;
    let pack = store.current(sharepack_engine::store::Entity::SharePack, id).await.map_err(|error| store_error(&error))?;
    let Some(pack) = pack else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("No share pack has the id {id}")));
    };
    let history = store.history(sharepack_engine::store::Entity::SharePack, id).await.map_err(|error| store_error(&error))?;
    let created = history.first().map(|first| first.effective_from).unwrap_or(pack.effective_from);
    let run = match pack.data["run_id"].as_str().and_then(|text| uuid::Uuid::parse_str(text).ok()) {
        Some(run) => store.load_run(run).await.map_err(|error| store_error(&error))?,
        None => None,
    };
    let text = |field: &str| pack.data[field].as_str().unwrap_or_default().to_string();
    let mut body = StatusResponse {
        share_pack_id: id,
        share_pack_name: pack.name.clone(),
        status: text("status"),
        strategy: text("strategy"),
        provisioning_status: String::new(),
        error_message: text("error"),
        requested_by: text("requested_by"),
        created_at: timestamp(created),
        last_updated: timestamp(pack.effective_from),
        run_id: None,
        run_status: None,
    };
    if let Some(run) = run {
        use sharepack_engine::apply::RunStatus;
        body.status = match run.status {
            RunStatus::Queued | RunStatus::Running => "IN_PROGRESS",
            RunStatus::Completed => "COMPLETED",
            RunStatus::Failed | RunStatus::Cancelled => "FAILED",
        }
        .into();
        body.strategy = run.strategy.clone();
        body.provisioning_status = run.progress.clone();
        body.error_message = match run.status {
            RunStatus::Cancelled => "Cancelled".into(),
            _ => run.error.clone().unwrap_or_default(),
        };
        body.last_updated = timestamp(run.updated_at.max(pack.effective_from));
        body.run_id = Some(run.id);
        body.run_status = Some(run.status.as_str().into());
    } else if body.status == "VALIDATION_FAILED" {
        body.provisioning_status = "Not provisioned: the pack did not pass validation".into();
    }
    Ok(Json(body))
}

/// Who asks and why, for cancel and retry.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActionRequest {
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /workflow/runs/{id}/cancel` and `/retry`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunActionResponse {
    pub run_id: uuid::Uuid,
    pub run_status: String,
    pub message: String,
}

async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Option<Json<ActionRequest>>,
) -> Result<Json<RunActionResponse>, ApiError> {
    control(&state, &id, body, false).await
}

async fn retry(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Option<Json<ActionRequest>>,
) -> Result<Json<RunActionResponse>, ApiError> {
    control(&state, &id, body, true).await
}

/// Cancel or retry, recorded with who (`By`, default `api`) and why.
async fn control(state: &AppState, id: &str, body: Option<Json<ActionRequest>>, retry: bool) -> Result<Json<RunActionResponse>, ApiError> {
    use sharepack_engine::apply::control;
    let id = parse_id(id, "run")?;
    let request = body.map(|Json(body)| body).unwrap_or_default();
    let by = request.by.unwrap_or_else(|| "api".into());
    let reason = request.reason.unwrap_or_default();
    let store = &state.portal.store;
    let result = if retry {
        control::retry(store, &state.portal.queue, id, &by, &reason).await
    } else {
        control::cancel(store, id, &by, &reason).await
    };
    run_action(id, result)
}

fn run_action(
    id: uuid::Uuid,
    result: Result<sharepack_engine::apply::control::Answer, sharepack_engine::apply::control::ControlError>,
) -> Result<Json<RunActionResponse>, ApiError> {
    use sharepack_engine::apply::control::ControlError;
    match result {
        Ok(answer) => Ok(Json(RunActionResponse { run_id: id, run_status: answer.status.as_str().into(), message: answer.message })),
        Err(ControlError::NotFound) => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("No run has the id {id}"))),
        Err(error @ ControlError::NotAllowed(_)) => Err(ApiError::new(StatusCode::CONFLICT, "not_allowed", error.to_string())),
        Err(ControlError::Store(error)) => Err(store_error(&error)),
        Err(ControlError::Queue(error)) => {
            Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "queue_unavailable", format!("The work queue is unavailable: {error}")))
        }
    }
}

/// One new token recipient's activation link.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActivationLink {
    pub recipient: String,
    pub url: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActivationLinksResponse {
    pub run_id: uuid::Uuid,
    pub run_status: String,
    /// Handed over once: a second call gets the links created since, if any.
    pub activation_links: Vec<ActivationLink>,
}

/// `POST /workflow/runs/{id}/activation-links` (header `X-Claim-Token`): the submitter takes the
/// run's activation links; Sharepack deletes them as it hands them over.
async fn activation_links(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<ActivationLinksResponse>, ApiError> {
    let id = parse_id(&id, "run")?;
    let store = &state.portal.store;
    let run = store.load_run(id).await.map_err(|error| store_error(&error))?;
    let Some(run) = run else { return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("No run has the id {id}"))) };
    let claim = headers.get("x-claim-token").and_then(|value| value.to_str().ok()).and_then(|text| uuid::Uuid::parse_str(text.trim()).ok());
    if claim.is_none() || claim != run.claim {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "not_the_submitter", "Only the submitter can take this run's activation links")
            .hint("Send the ClaimToken from the upload's answer in the X-Claim-Token header"));
    }
    let links = store.take_activation_links(id, run.claim.unwrap_or_default()).await.map_err(|error| store_error(&error))?;
    Ok(Json(ActivationLinksResponse {
        run_id: id,
        run_status: run.status.as_str().into(),
        activation_links: links.into_iter().map(|(recipient, url)| ActivationLink { recipient, url }).collect(),
    }))
}
