//! The audit page's server function: one engine read, as the signed-in person may see it.

use crate::error::Answer;
use leptos::prelude::*;
pub use sharepack_engine::views::{AuditFilter, AuditPage};

/// Flat optional fields, so a plain form (or none) can call it.
#[server(name = ListAudit, prefix = "/api", endpoint = "list_audit")]
pub async fn list_audit(
    actor: Option<String>,
    action: Option<String>,
    business_line: Option<String>,
    correlation_id: Option<String>,
    since: Option<String>,
    until: Option<String>,
    cursor: Option<String>,
) -> Answer<AuditPage> {
    let filter = AuditFilter { actor, action, business_line, correlation_id, since, until, cursor, limit: None };
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        sharepack_engine::views::audit(&request.portal.store, &request.by, &filter, 50).await
    })
    .await
}
