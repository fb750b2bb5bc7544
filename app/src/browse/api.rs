//! The Browse pages' server function: one engine read (`history::list`), as the signed-in person
//! may see it.

use crate::error::Answer;
use leptos::prelude::*;
pub use sharepack_engine::history::{Filter, Kind, ListPage, ListRow};

/// Flat optional fields, so a plain GET form (or none) can call it.
#[allow(clippy::too_many_arguments)]
#[server(name = ListEntities, prefix = "/api", endpoint = "list_entities")]
pub async fn list_entities(
    kind: String,
    q: Option<String>,
    business_line: Option<String>,
    status: Option<String>,
    created_by: Option<String>,
    changed_since: Option<String>,
    as_of: Option<String>,
    cursor: Option<String>,
) -> Answer<Option<ListPage>> {
    let filter = Filter { q, business_line, status, created_by, changed_since, as_of, cursor, limit: None };
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        let Some(kind) = Kind::parse(&kind) else { return Ok(None) };
        sharepack_engine::history::list(&request.portal.store, &request.by, kind, &filter).await.map(Some)
    })
    .await
}
