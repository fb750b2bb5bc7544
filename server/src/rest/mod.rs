//! The REST API under `/workflow`, in the seed system's PascalCase JSON: one file per resource.
//! Handlers are thin: read the request, call the engine, shape the answer. Every error is an
//! engine [`Problem`](sharepack_engine::error::Problem), rendered in one place ([`error`]).

pub mod approvals;
mod audit;
pub mod batch;
mod drift;
pub mod error;
mod extract;
mod health;
mod history;
pub mod intake;
mod multipart;
mod notifications;
pub mod openapi;
mod runs;
pub mod sharepacks;
mod sync;

pub use error::ApiError;
pub use health::OPEN_REST_WARNING;

use crate::AppState;
use axum::http::{HeaderMap, Method};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use sharepack_engine::databricks::workspaces::Workspace;
use sharepack_engine::error::Problem;

/// The REST API's endpoints (paths under `/workflow`). The router is built from this list and
/// the authorization matrix test walks it, so no endpoint escapes the test.
pub fn endpoints() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    let history =
        sharepack_engine::history::Kind::ALL.into_iter().flat_map(history::routes).map(|(path, route)| (Method::GET, path, route));
    let mut endpoints = vec![
        (Method::GET, "/health", get(health::health)),
        (Method::POST, "/sharepack/validate", post(intake::validate)),
        (Method::POST, "/sharepack/plan", post(intake::plan)),
        (Method::POST, "/sharepack/upload", post(sharepacks::upload)),
        (Method::POST, "/sharepack/batch/validate", post(batch::validate)),
        (Method::POST, "/sharepack/batch/plan", post(batch::plan)),
        (Method::POST, "/sharepack/batch/upload", post(batch::upload)),
        (Method::GET, "/sharepack/{id}", get(sharepacks::status)),
        (Method::POST, "/runs/{id}/cancel", post(runs::cancel)),
        (Method::POST, "/runs/{id}/retry", post(runs::retry)),
        (Method::POST, "/runs/{id}/activation-links", post(runs::activation_links)),
        (Method::GET, "/approvals", get(approvals::list)),
        (Method::GET, "/audit", get(audit::list)),
        (Method::GET, "/sharepacks/{id}/export", get(history::export)),
        (Method::GET, "/access", get(history::access)),
        (Method::GET, "/sharepacks", get(history::share_packs)),
        (Method::GET, "/sharepacks/{id}/uploads/{version}", get(history::upload_file)),
        (Method::DELETE, "/sharepacks/{id}/uploads/{version}", axum::routing::delete(history::delete_draft)),
        (Method::POST, "/sharepacks/{id}/rollback", post(sharepacks::rollback)),
        (Method::GET, "/sharepacks/{id}/compare", get(history::compare_uploads)),
        (Method::POST, "/runs/{id}/approve", post(approvals::approve)),
        (Method::POST, "/runs/{id}/reject", post(approvals::reject)),
        (Method::POST, "/sharepacks/{id}/restore", post(sharepacks::restore)),
        (Method::POST, "/sharepacks/{id}/adopt", post(sharepacks::adopt)),
        (Method::POST, "/drift", post(drift::check)),
        (Method::GET, "/drift", get(drift::list)),
        (Method::GET, "/drift/unmanaged", get(drift::unmanaged)),
        (Method::POST, "/sync-jobs", post(sync::start)),
        (Method::GET, "/sync-jobs", get(sync::jobs)),
        (Method::GET, "/sync-jobs/{id}", get(sync::job)),
        (Method::GET, "/objects", get(sync::objects)),
        (Method::GET, "/notifications", get(notifications::log)),
        (Method::GET, "/notifications/preferences", get(notifications::preferences)),
        (Method::PUT, "/notifications/preferences", axum::routing::put(notifications::choose)),
    ];
    endpoints.extend(history);
    endpoints
}

pub fn router() -> Router<AppState> {
    endpoints().into_iter().fold(Router::new(), |router, (_, path, route)| router.route(path, route))
}

/// The workspace named by `X-Workspace-URL` (the default when absent); 400 naming the
/// configured ones when it is unknown.
pub fn chosen_workspace<'a>(state: &'a AppState, headers: &HeaderMap) -> Result<&'a Workspace, ApiError> {
    let asked = headers.get("x-workspace-url").and_then(|value| value.to_str().ok());
    state.portal.workspaces.select(asked, None).map_err(|unknown| {
        ApiError(unknown.problem().hint("Send one of the configured workspace URLs in X-Workspace-URL, or leave the header out"))
    })
}

/// An id in a path.
fn parse_id(text: &str, what: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(text).map_err(|_| ApiError(Problem::malformed_id(what, text)))
}

/// The workspace an answer is about.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct WorkspaceInfo {
    pub name: String,
    pub url: String,
    /// True for Sharepack's built-in sandbox, which is not a real Databricks workspace.
    pub sandbox: bool,
}

impl From<&Workspace> for WorkspaceInfo {
    fn from(workspace: &Workspace) -> Self {
        WorkspaceInfo { name: workspace.name.clone(), url: workspace.url.clone(), sandbox: workspace.is_sandbox }
    }
}
