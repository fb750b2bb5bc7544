//! Server functions of the history pages: a timeline and a comparison, as the engine's history
//! reads them for the signed-in person (`None` for what they may not see, or that does not exist).

use crate::error::Answer;
use leptos::prelude::*;
pub use sharepack_engine::history::access::AccessAnswer;
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

/// Who could read a table, or what a recipient could read, at a moment (now when `at` is empty).
#[server(name = AskAccess, prefix = "/api", endpoint = "ask_access")]
pub async fn ask_access(table: Option<String>, recipient: Option<String>, at: Option<String>) -> Answer<AccessAnswer> {
    crate::portal::answer(async move {
        use sharepack_engine::error::Problem;
        use sharepack_engine::history::access::{access, Question};
        let request = crate::portal::request()?;
        let text = |value: Option<String>| value.map(|value| value.trim().to_string()).filter(|value| !value.is_empty());
        let question = match (text(table), text(recipient)) {
            (Some(table), None) => Question::Table(table),
            (None, Some(recipient)) => Question::Recipient(recipient),
            _ => return Err(Problem::invalid("one_question", "Ask about one table or one recipient")),
        };
        let at = match text(at) {
            None => chrono::Utc::now(),
            Some(at) => sharepack_engine::history::moment(&at).ok_or_else(|| {
                Problem::invalid(
                    "time_invalid",
                    format!("`{}` is not a time like 2026-12-01 or 2026-12-01T14:30:00Z", at.chars().take(40).collect::<String>()),
                )
            })?,
        };
        access(&request.portal.store, &request.by, &question, at).await
    })
    .await
}

/// "Not found" is an empty answer to a page (it shows its own not-found), anything else a problem.
#[cfg(feature = "ssr")]
pub fn hidden<T>(result: Result<T, sharepack_engine::error::Problem>) -> Result<Option<T>, sharepack_engine::error::Problem> {
    match result {
        Ok(found) => Ok(Some(found)),
        Err(problem) if problem.class == sharepack_engine::Class::NotFound => Ok(None),
        Err(problem) => Err(problem),
    }
}
