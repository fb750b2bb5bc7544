//! Server functions of approvals: the queue, the header's count, and the decision forms (plain
//! forms post here, so approving works without JavaScript). Each makes one engine call.

use crate::error::Answer;
use leptos::prelude::*;
pub use sharepack_engine::views::{ApprovalRow, Approvals};

/// Plans waiting for the signed-in person's decision, and their own plans waiting for others.
#[server(name = ListApprovals, prefix = "/api", endpoint = "list_approvals")]
pub async fn list_approvals() -> Answer<Approvals> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        sharepack_engine::views::approvals(&request.portal.store, &request.by).await
    })
    .await
}

/// Approves the plan the page showed (`digest`), with an optional comment.
#[server(name = ApproveRun, prefix = "/api", endpoint = "approve_run")]
pub async fn approve_run(id: String, digest: String, comment: Option<String>) -> Answer<String> {
    use sharepack_engine::records::Decision;
    crate::portal::answer(super::ssr::decide(id, digest, comment, Decision::Approved)).await
}

/// Rejects the plan the page showed, saying why.
#[server(name = RejectRun, prefix = "/api", endpoint = "reject_run")]
pub async fn reject_run(id: String, digest: String, comment: Option<String>) -> Answer<String> {
    use sharepack_engine::records::Decision;
    crate::portal::answer(super::ssr::decide(id, digest, comment, Decision::Rejected)).await
}
