//! Server functions of the history pages: a timeline and a comparison, as the engine's history
//! reads them for the signed-in person (`None` for what they may not see, or that does not exist).

use crate::error::Answer;
use leptos::prelude::*;
pub use sharepack_engine::history::{Comparison, Timeline};

#[server(name = GetTimeline, prefix = "/api", endpoint = "get_timeline")]
pub async fn get_timeline(kind: String, id: String) -> Answer<Option<Timeline>> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        let Some(kind) = sharepack_engine::history::Kind::parse(&kind) else { return Ok(None) };
        hidden(sharepack_engine::history::timeline(&request.portal.store, &request.by, kind, &id).await)
    })
    .await
}

#[server(name = GetComparison, prefix = "/api", endpoint = "get_comparison")]
pub async fn get_comparison(kind: String, id: String, from: i64, to: i64) -> Answer<Option<Comparison>> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        let Some(kind) = sharepack_engine::history::Kind::parse(&kind) else { return Ok(None) };
        hidden(sharepack_engine::history::compare(&request.portal.store, &request.by, kind, &id, from, to).await)
    })
    .await
}

/// "Not found" is an empty answer to a page (it shows its own not-found), anything else a problem.
#[cfg(feature = "ssr")]
fn hidden<T>(result: Result<T, sharepack_engine::error::Problem>) -> Result<Option<T>, sharepack_engine::error::Problem> {
    match result {
        Ok(found) => Ok(Some(found)),
        Err(problem) if problem.class == sharepack_engine::Class::NotFound => Ok(None),
        Err(problem) => Err(problem),
    }
}
