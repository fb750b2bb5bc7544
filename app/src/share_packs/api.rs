//! Server functions of the share-pack pages; their DTOs are the engine's views.

use crate::error::Answer;
use leptos::prelude::*;
pub use sharepack_engine::views::{RunSummary, SharePackView, UploadSummary};

#[server(name = GetSharePack, prefix = "/api", endpoint = "get_share_pack")]
pub async fn get_share_pack(id: String) -> Answer<Option<SharePackView>> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        let Some(id) = crate::portal::parse_id(&id) else { return Ok(None) };
        sharepack_engine::views::share_pack_view(&request.portal.store, &request.by, id).await
    })
    .await
}

/// Rolls the pack back to `version`: that version's file becomes an upload planned afresh
/// against the workspace as it is now, shown on the intake page like any upload (with why),
/// then submitted, approved and run like any other.
#[server(name = RollbackPack, prefix = "/api", endpoint = "rollback_pack")]
pub async fn rollback_pack(id: String, version: i64) -> Answer<String> {
    crate::portal::answer(async move {
        use crate::portal::{parse_id, request};
        use sharepack_engine::error::Problem;
        let request = request()?;
        let portal = &request.portal;
        portal.throttle.admit(&request.by)?;
        let share_pack_id = parse_id(&id).ok_or_else(|| Problem::not_found("share pack", &id))?;
        let source = sharepack_engine::apply::rollback::source(&portal.store, &request.by, share_pack_id, version).await?;
        preview(&request, source).await
    })
    .await
}

/// A file Sharepack made for a pack (an earlier version, a restore, an adoption) as an upload,
/// previewed on the intake page with why; the browser goes there.
#[cfg(feature = "ssr")]
pub async fn preview(
    request: &crate::portal::Request,
    source: sharepack_engine::apply::rollback::Source,
) -> Result<String, sharepack_engine::error::Problem> {
    let portal = &request.portal;
    let workspace = portal.workspaces.select(Some(&source.workspace_url), None).map_err(|unknown| unknown.problem())?;
    let file = crate::portal::multipart::ReceivedFile {
        file_name: source.file_name,
        named: true,
        bytes: Ok(source.bytes),
        workspace: Some(source.workspace_url.clone()),
    };
    let uploads = crate::intake::ssr::Uploads::new(portal.store.clone());
    let upload = uploads.ingest(file, &request.by, &portal.limits, workspace, false, Some(source.note)).await?;
    leptos_axum::redirect(&format!("/uploads/{upload}"));
    Ok(upload)
}

pub use sharepack_engine::history::packs::{PackComparison, SourceFile};

/// Two uploads of a pack compared as packs; `None` for what the viewer may not see.
#[server(name = GetPackComparison, prefix = "/api", endpoint = "get_pack_comparison")]
pub async fn get_pack_comparison(id: String, from: i64, to: i64) -> Answer<Option<PackComparison>> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        let Some(id) = crate::portal::parse_id(&id) else { return Ok(None) };
        crate::history::api::hidden(
            sharepack_engine::history::packs::compare_uploads(&request.portal.store, &request.by, id, from, to).await,
        )
    })
    .await
}

/// One upload as it was written; `None` for what the viewer may not see.
#[server(name = GetSourceFile, prefix = "/api", endpoint = "get_source_file")]
pub async fn get_source_file(id: String, version: i64) -> Answer<Option<SourceFile>> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        let Some(id) = crate::portal::parse_id(&id) else { return Ok(None) };
        let portal = &request.portal;
        crate::history::api::hidden(
            sharepack_engine::history::packs::source_file(&portal.store, &request.by, id, version, &portal.limits).await,
        )
    })
    .await
}

/// Deletes a draft the signed-in person uploaded; back to the pack's page.
#[server(name = DeleteDraft, prefix = "/api", endpoint = "delete_draft")]
pub async fn delete_draft(id: String, version: i64) -> Answer<String> {
    crate::portal::answer(async move {
        use sharepack_engine::error::Problem;
        let request = crate::portal::request()?;
        let share_pack_id = crate::portal::parse_id(&id).ok_or_else(|| Problem::not_found("share pack", &id))?;
        sharepack_engine::history::packs::delete_draft(&request.portal.store, &request.by, share_pack_id, version).await?;
        leptos_axum::redirect(&format!("/sharepacks/{share_pack_id}"));
        Ok(share_pack_id.to_string())
    })
    .await
}
