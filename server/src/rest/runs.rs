//! `POST /workflow/runs/{id}/cancel|retry` (recorded with who and why) and
//! `POST /workflow/runs/{id}/activation-links` (the submitter takes the links, once).

use super::extract::JsonBody;
use super::{parse_id, ApiError};
use crate::auth::Caller;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Serialize;
use sharepack_engine::apply::control::{self, Control};
use sharepack_engine::error::{Class, Problem};
use sharepack_engine::records::RunStatus;

/// Why, for cancel and retry. Who is the caller's token; a `By` field, which the API took
/// before sign-in existed, is ignored.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ActionRequest {
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RunActionResponse {
    pub run_id: uuid::Uuid,
    pub run_status: RunStatus,
    pub message: String,
}

#[utoipa::path(post, path = "/runs/{id}/cancel", tag = "runs", operation_id = "cancel",
    params(("id" = String, Path, description = "The run's id")), request_body(content = Option<ActionRequest>),
    responses((status = 200, body = RunActionResponse), (status = 404, body = crate::rest::error::ErrorBody),
        (status = 409, body = crate::rest::error::ErrorBody, description = "The run's status does not allow it"), crate::rest::openapi::Refusals))]
pub async fn cancel(
    state: State<AppState>,
    caller: Caller,
    id: Path<String>,
    body: JsonBody<ActionRequest>,
) -> Result<Json<RunActionResponse>, ApiError> {
    act(state, caller, id, body, Control::Cancel).await
}

#[utoipa::path(post, path = "/runs/{id}/retry", tag = "runs", operation_id = "retry",
    params(("id" = String, Path, description = "The run's id")), request_body(content = Option<ActionRequest>),
    responses((status = 200, body = RunActionResponse), (status = 404, body = crate::rest::error::ErrorBody),
        (status = 409, body = crate::rest::error::ErrorBody), crate::rest::openapi::Refusals))]
pub async fn retry(
    state: State<AppState>,
    caller: Caller,
    id: Path<String>,
    body: JsonBody<ActionRequest>,
) -> Result<Json<RunActionResponse>, ApiError> {
    act(state, caller, id, body, Control::Retry).await
}

/// Cancel or retry, recorded with who (the caller) and why.
async fn act(
    State(state): State<AppState>,
    Caller(by): Caller,
    Path(id): Path<String>,
    body: JsonBody<ActionRequest>,
    what: Control,
) -> Result<Json<RunActionResponse>, ApiError> {
    let id = parse_id(&id, "run")?;
    let JsonBody(request) = body;
    let portal = &state.portal;
    let answer = control::control(&portal.store, &portal.queue, what, id, &by, request.reason.as_deref().unwrap_or("")).await?;
    Ok(Json(RunActionResponse { run_id: id, run_status: answer.status, message: answer.message }))
}

/// One new token recipient's activation link.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ActivationLink {
    pub recipient: String,
    pub url: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ActivationLinksResponse {
    pub run_id: uuid::Uuid,
    pub run_status: RunStatus,
    /// Handed over once: a second call gets the links created since, if any.
    pub activation_links: Vec<ActivationLink>,
}

/// Header `X-Claim-Token`: the submitter takes the run's activation links; Sharepack deletes
/// them as it hands them over.
#[utoipa::path(post, path = "/runs/{id}/activation-links", tag = "runs", operation_id = "activation_links",
    params(("id" = String, Path, description = "The run's id"), ("X-Claim-Token" = String, Header, description = "The upload's ClaimToken")),
    responses((status = 200, body = ActivationLinksResponse, description = "Handed over once, then deleted"),
        (status = 404, body = crate::rest::error::ErrorBody), crate::rest::openapi::Refusals))]
pub async fn activation_links(
    State(state): State<AppState>,
    Caller(by): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<ActivationLinksResponse>, ApiError> {
    let id = parse_id(&id, "run")?;
    let store = &state.portal.store;
    if sharepack_engine::views::run_view(store, &by, id).await?.is_none() {
        return Err(ApiError(Problem::not_found("run", &id.to_string())));
    }
    let run = store.load_run(id).await?.ok_or_else(|| Problem::not_found("run", &id.to_string()))?;
    let claim = headers.get("x-claim-token").and_then(|value| value.to_str().ok()).and_then(|text| uuid::Uuid::parse_str(text.trim()).ok());
    let Some(claim) = claim.filter(|claim| Some(*claim) == run.claim) else {
        return Err(ApiError(
            Problem::new(Class::Forbidden, "not_the_submitter", "Only the submitter can take this run's activation links")
                .hint("Send the ClaimToken from the upload's answer in the X-Claim-Token header"),
        ));
    };
    let links = store.take_activation_links(id, claim).await?;
    Ok(Json(ActivationLinksResponse {
        run_id: id,
        run_status: run.status,
        activation_links: links.into_iter().map(|(recipient, url)| ActivationLink { recipient, url }).collect(),
    }))
}
