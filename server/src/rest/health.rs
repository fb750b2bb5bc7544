//! `GET /workflow/health`, in the seed's shape: the database, the queue and the workspace.

use super::error::ErrorBody;
use super::{chosen_workspace, ApiError, WorkspaceInfo};
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
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
    pub auth: AuthInfo,
}

/// How callers prove who they are.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct AuthInfo {
    /// `bearer` (API tokens), or `open` when `SHAREPACK_OPEN_REST` serves /workflow to anyone.
    pub rest: &'static str,
    /// Sign-in through the identity provider is configured.
    pub oidc: bool,
    /// Said loudly when the REST API needs no credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<&'static str>,
}

/// The warning health and the log give when the REST API is open.
pub const OPEN_REST_WARNING: &str =
    "SHAREPACK_OPEN_REST is on: /workflow accepts requests without credentials, recorded as anonymous. Use it only on a trusted network.";

#[utoipa::path(get, path = "/health", tag = "service", security(()),
    params(("X-Workspace-URL" = Option<String>, Header, description = "The workspace to report on; the default when absent")),
    responses((status = 200, body = Health), (status = 503, body = Health, description = "The database or the queue does not answer"),
        (status = 400, body = ErrorBody, description = "An unknown X-Workspace-URL")))]
pub async fn health(State(state): State<AppState>, headers: HeaderMap) -> Result<(StatusCode, Json<Health>), ApiError> {
    let workspace = WorkspaceInfo::from(chosen_workspace(&state, &headers)?);
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
        auth: AuthInfo {
            rest: if state.open_rest { "open" } else { "bearer" },
            oidc: state.portal.oidc_enabled,
            warning: state.open_rest.then_some(OPEN_REST_WARNING),
        },
    };
    Ok((status, Json(body)))
}
