//! The body of the decision forms: one engine call, then back to the run's page.

use crate::portal::{parse_id, request};
use sharepack_engine::approval::decide::{decide as engine_decide, Verdict};
use sharepack_engine::error::Problem;
use sharepack_engine::records::Decision;

pub async fn decide(id: String, digest: String, comment: Option<String>, decision: Decision) -> Result<String, Problem> {
    let request = request()?;
    let run = parse_id(&id).ok_or_else(|| Problem::not_found("run", &id))?;
    let portal = &request.portal;
    let verdict = Verdict { decision, comment: comment.as_deref().unwrap_or(""), seen: Some(digest.trim()) };
    engine_decide(&portal.store, &portal.queue, &request.by, run, verdict).await?;
    leptos_axum::redirect(&format!("/runs/{run}"));
    Ok(run.to_string())
}
