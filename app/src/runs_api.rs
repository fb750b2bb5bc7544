//! Server functions and DTOs of the run pages: submitting a previewed upload, a run with its
//! steps and audit trail, cancel and retry, one-time activation links, and share packs with
//! their uploads and runs. Plain forms post to these functions, so every action works without
//! JavaScript too.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One step as the run page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepView {
    pub no: i32,
    pub phase: i32,
    pub description: String,
    /// `PENDING`, `RUNNING`, `DONE`, `FAILED`, `UNDONE`.
    pub status: String,
    pub attempts: i32,
    pub duration_ms: Option<i64>,
    pub error: Option<String>,
}

/// One audit entry of a run (submission, recomputed plan, cancel, retry, result, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub reason: String,
}

/// A run, as the run page shows it and the live stream sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub id: String,
    pub share_pack_id: String,
    pub share_pack_name: String,
    pub upload: i64,
    /// `QUEUED`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`.
    pub status: String,
    pub strategy: String,
    pub workspace_url: String,
    pub requested_by: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// RFC 3339 with milliseconds: when the run or a step last changed.
    pub updated_at: String,
    pub progress: String,
    pub error: Option<String>,
    pub cancel_requested: bool,
    pub confirm_removals: bool,
    pub compensate: bool,
    pub steps: Vec<StepView>,
    pub events: Vec<EventView>,
    /// Changes whenever the run or a step does.
    pub revision: i64,
    /// Activation links waiting for the submitter.
    pub links_waiting: i64,
}

impl RunView {
    pub fn is_terminal(&self) -> bool {
        matches!(self.status.as_str(), "COMPLETED" | "FAILED" | "CANCELLED")
    }
}

/// A share pack with its uploads and runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharePackView {
    pub id: String,
    pub name: String,
    pub status: String,
    pub strategy: String,
    pub requested_by: String,
    pub project: String,
    pub business_line: String,
    pub workspace_url: String,
    pub error: String,
    pub updated_at: String,
    /// Upload number, file name, format, when.
    pub uploads: Vec<(i64, String, String, String)>,
    pub runs: Vec<RunSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: String,
    pub upload: i64,
    pub status: String,
    pub strategy: String,
    pub created_at: String,
    pub progress: String,
}

/// A row of the share-pack list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharePackRow {
    pub id: String,
    pub name: String,
    pub project: String,
    pub status: String,
    pub strategy: String,
    pub requested_by: String,
    pub updated_at: String,
}

/// Submits a previewed upload for provisioning and opens its run page. Removals in the plan
/// are applied only when `confirm_removals` is sent (the form's checkbox).
#[server(name = SubmitUpload, prefix = "/api", endpoint = "submit_upload")]
pub async fn submit_upload(id: String, confirm_removals: Option<String>) -> Result<String, ServerFnError> {
    crate::ssr::submit_upload(&id, confirm_removals.is_some_and(|value| value != "false")).await
}

#[server(name = GetRun, prefix = "/api", endpoint = "get_run")]
pub async fn get_run(id: String) -> Result<Option<RunView>, ServerFnError> {
    let portal = crate::ssr::portal()?;
    crate::ssr::run_view(&portal.store, &id).await.map_err(|error| crate::ssr::store_failure("Reading the run", &error))
}

/// Cancels a queued or running run; who and why go to the audit trail.
#[server(name = CancelRun, prefix = "/api", endpoint = "cancel_run")]
pub async fn cancel_run(id: String, by: String, reason: Option<String>) -> Result<String, ServerFnError> {
    crate::ssr::control_run(&id, &by, reason.as_deref().unwrap_or(""), false).await
}

/// Queues a failed run again, from its failed step.
#[server(name = RetryRun, prefix = "/api", endpoint = "retry_run")]
pub async fn retry_run(id: String, by: String, reason: Option<String>) -> Result<String, ServerFnError> {
    crate::ssr::control_run(&id, &by, reason.as_deref().unwrap_or(""), true).await
}

/// The run's activation links, for the browser that submitted it, once.
#[server(name = ClaimLinks, prefix = "/api", endpoint = "claim_links")]
pub async fn claim_links(id: String) -> Result<Vec<(String, String)>, ServerFnError> {
    crate::ssr::claim_links(&id).await
}

#[server(name = GetSharePack, prefix = "/api", endpoint = "get_share_pack")]
pub async fn get_share_pack(id: String) -> Result<Option<SharePackView>, ServerFnError> {
    let portal = crate::ssr::portal()?;
    crate::ssr::share_pack_view(&portal.store, &id).await.map_err(|error| crate::ssr::store_failure("Reading the share pack", &error))
}

#[server(name = ListSharePacks, prefix = "/api", endpoint = "list_share_packs")]
pub async fn list_share_packs() -> Result<Vec<SharePackRow>, ServerFnError> {
    let portal = crate::ssr::portal()?;
    crate::ssr::share_pack_rows(&portal.store).await.map_err(|error| crate::ssr::store_failure("Listing share packs", &error))
}
