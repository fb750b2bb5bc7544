//! The drift page's server functions: one engine call each.

use crate::error::Answer;
use leptos::prelude::*;
pub use sharepack_engine::drift::{CheckSummary, DriftFilter, DriftFinding, DriftOverview};

/// Open findings under the filter, unmanaged resources, the latest checks.
#[server(name = GetDrift, prefix = "/api", endpoint = "get_drift")]
pub async fn get_drift(
    workspace: Option<String>,
    share_pack: Option<String>,
    business_line: Option<String>,
    kind: Option<String>,
    name: Option<String>,
) -> Answer<DriftOverview> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        let filter = DriftFilter { workspace, share_pack, business_line, kind, name };
        let workspaces = request.portal.workspaces.urls();
        sharepack_engine::drift::views::overview(&request.portal.store, &request.by, &filter, workspaces).await
    })
    .await
}

/// Queues a check of the workspace (the default when empty), then back to the drift page.
#[server(name = CheckDrift, prefix = "/api", endpoint = "check_drift")]
pub async fn check_drift(workspace: Option<String>) -> Answer<String> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        let portal = &request.portal;
        let asked = workspace.as_deref().map(str::trim).filter(|url| !url.is_empty());
        let chosen = portal.workspaces.select(asked, None).map_err(|unknown| unknown.problem())?;
        let kind = sharepack_engine::records::SyncKind::Drift;
        let (job, _) = sharepack_engine::sync::jobs::request(&portal.store, &portal.queue, kind, &chosen.url, &request.by).await?;
        leptos_axum::redirect("/drift");
        Ok(job.id.to_string())
    })
    .await
}

/// Restores the pack's applied state: its file as an upload, previewed with the plan that puts
/// the workspace back.
#[server(name = RestorePack, prefix = "/api", endpoint = "restore_pack")]
pub async fn restore_pack(id: String) -> Answer<String> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        request.portal.throttle.admit(&request.by)?;
        let id = crate::portal::parse_id(&id).ok_or_else(|| sharepack_engine::error::Problem::not_found("share pack", &id))?;
        let source = sharepack_engine::drift::resolve::restore_source(&request.portal.store, &request.by, id).await?;
        crate::share_packs::api::preview(&request, source).await
    })
    .await
}

/// Adopts the workspace's state as the pack's next version: a generated upload, previewed.
#[server(name = AdoptWorkspace, prefix = "/api", endpoint = "adopt_workspace")]
pub async fn adopt_workspace(id: String) -> Answer<String> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        request.portal.throttle.admit(&request.by)?;
        let id = crate::portal::parse_id(&id).ok_or_else(|| sharepack_engine::error::Problem::not_found("share pack", &id))?;
        let portal = &request.portal;
        let source = sharepack_engine::drift::resolve::adopt_source(&portal.store, &portal.workspaces, &request.by, id).await?;
        crate::share_packs::api::preview(&request, source).await
    })
    .await
}
