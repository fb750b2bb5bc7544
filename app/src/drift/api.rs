//! The drift page's server functions: one engine call each.

use crate::error::Answer;
use leptos::prelude::*;
pub use sharepack_engine::drift::{AdoptablePack, CheckSummary, DriftFilter, DriftFinding, DriftOverview};
pub use sharepack_engine::sync::{SyncOverview, SyncSummary};

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

/// Adopts the workspace's state as the pack's next version (taking in an unmanaged recipient
/// or share when named): a generated upload, previewed.
#[server(name = AdoptWorkspace, prefix = "/api", endpoint = "adopt_workspace")]
pub async fn adopt_workspace(id: String, recipient: Option<String>, share: Option<String>) -> Answer<String> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        request.portal.throttle.admit(&request.by)?;
        let id = crate::portal::parse_id(&id).ok_or_else(|| sharepack_engine::error::Problem::not_found("share pack", &id))?;
        let portal = &request.portal;
        let named = |name: Option<String>| name.map(|name| name.trim().to_string()).filter(|name| !name.is_empty()).into_iter().collect();
        let include = sharepack_engine::drift::resolve::Include { recipients: named(recipient), shares: named(share) };
        let source = sharepack_engine::drift::resolve::adopt_source(&portal.store, &portal.workspaces, &request.by, id, &include).await?;
        crate::share_packs::api::preview(&request, source).await
    })
    .await
}

/// The latest objects and directory syncs; `None` for those who do not see every business line.
#[server(name = GetSyncs, prefix = "/api", endpoint = "get_syncs")]
pub async fn get_syncs() -> Answer<Option<SyncOverview>> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        if request.by.visibility() != sharepack_engine::access::Visibility::All {
            return Ok(None);
        }
        let portal = &request.portal;
        let directory = portal.directory_url.is_some();
        sharepack_engine::sync::views::overview(&portal.store, &request.by, portal.workspaces.urls(), directory).await.map(Some)
    })
    .await
}

/// Queues a sync of a workspace's objects (`OBJECTS`, the default workspace when empty) or of
/// the directory (`DIRECTORY`), then back to the drift page.
#[server(name = StartSync, prefix = "/api", endpoint = "start_sync")]
pub async fn start_sync(kind: String, workspace: Option<String>) -> Answer<String> {
    use sharepack_engine::error::{Class, Problem};
    use sharepack_engine::records::SyncKind;
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        let portal = &request.portal;
        let kind: SyncKind =
            kind.parse().map_err(|_| Problem::invalid("sync_kind_unknown", format!("`{kind}` is not a sync: OBJECTS or DIRECTORY")))?;
        let target = match kind {
            SyncKind::Directory => portal.directory_url.clone().ok_or_else(|| {
                Problem::new(Class::Conflict, "directory_not_configured", "No directory is configured, so there is nothing to sync")
            })?,
            SyncKind::Objects | SyncKind::Drift => {
                let asked = workspace.as_deref().map(str::trim).filter(|url| !url.is_empty());
                portal.workspaces.select(asked, None).map_err(|unknown| unknown.problem())?.url.clone()
            }
        };
        let (job, _) = sharepack_engine::sync::jobs::request(&portal.store, &portal.queue, kind, &target, &request.by).await?;
        leptos_axum::redirect("/drift#syncs");
        Ok(job.id.to_string())
    })
    .await
}
