//! Server functions of the run pages: a run with its steps and audit trail, cancel and retry, and one-time activation links. Plain forms post to these
//! functions, so every action works without JavaScript too. Their DTOs are the engine's views.

use crate::error::Answer;
use leptos::prelude::*;
pub use sharepack_engine::views::{EventView, RunView, StepView};

#[server(name = GetRun, prefix = "/api", endpoint = "get_run")]
pub async fn get_run(id: String) -> Answer<Option<RunView>> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        let Some(id) = crate::portal::parse_id(&id) else { return Ok(None) };
        sharepack_engine::views::run_view(&request.portal.store, &request.by, id).await
    })
    .await
}

/// Cancels a queued or running run; who (the signed-in person) and why go to the audit trail.
#[server(name = CancelRun, prefix = "/api", endpoint = "cancel_run")]
pub async fn cancel_run(id: String, reason: Option<String>) -> Answer<String> {
    use sharepack_engine::apply::control::Control;
    crate::portal::answer(super::ssr::control_run(id, reason, Control::Cancel)).await
}

/// Queues a failed run again, from its failed step.
#[server(name = RetryRun, prefix = "/api", endpoint = "retry_run")]
pub async fn retry_run(id: String, reason: Option<String>) -> Answer<String> {
    use sharepack_engine::apply::control::Control;
    crate::portal::answer(super::ssr::control_run(id, reason, Control::Retry)).await
}

/// The run's activation links, for the browser that submitted it, once.
#[server(name = ClaimLinks, prefix = "/api", endpoint = "claim_links")]
pub async fn claim_links(id: String) -> Answer<Vec<(String, String)>> {
    crate::portal::answer(super::ssr::claim_links(id)).await
}
