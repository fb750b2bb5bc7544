//! Server functions of the share-pack pages; their DTOs are the engine's views.

use crate::error::Answer;
use leptos::prelude::*;
pub use sharepack_engine::views::{RunSummary, SharePackRow, SharePackView, UploadSummary};

#[server(name = GetSharePack, prefix = "/api", endpoint = "get_share_pack")]
pub async fn get_share_pack(id: String) -> Answer<Option<SharePackView>> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        let Some(id) = crate::portal::parse_id(&id) else { return Ok(None) };
        sharepack_engine::views::share_pack_view(&request.portal.store, &request.by, id).await
    })
    .await
}

#[server(name = ListSharePacks, prefix = "/api", endpoint = "list_share_packs")]
pub async fn list_share_packs() -> Answer<Vec<SharePackRow>> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        sharepack_engine::views::share_pack_rows(&request.portal.store, &request.by).await
    })
    .await
}
