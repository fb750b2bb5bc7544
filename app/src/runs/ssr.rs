//! The bodies of the run pages' server functions: each reads the request context, makes one
//! engine call and shapes the page's answer (a redirect, a cookie).

use crate::portal::{claim_cookie, cookie_value, parse_id, request};
use sharepack_engine::apply::control::{self, Control, ControlError};
use sharepack_engine::error::Problem;
use uuid::Uuid;

/// Cancel or retry, as whoever is signed in. A run that cannot be cancelled or retried (any
/// more) opens its page, which shows why.
pub async fn control_run(id: String, reason: Option<String>, what: Control) -> Result<String, Problem> {
    let request = request()?;
    let run = parse_id(&id).ok_or_else(|| Problem::not_found("run", &id))?;
    let portal = &request.portal;
    match control::control(&portal.store, &portal.queue, what, run, &request.by, reason.as_deref().unwrap_or("")).await {
        Ok(_) | Err(ControlError::NotAllowed(_)) => {
            leptos_axum::redirect(&format!("/runs/{run}"));
            Ok(run.to_string())
        }
        Err(error) => Err(error.into()),
    }
}

/// The activation links of a run, for the signed-in browser holding its claim cookie (the one
/// that submitted it); none otherwise.
pub async fn claim_links(id: String) -> Result<Vec<(String, String)>, Problem> {
    let request = request()?;
    let portal = request.portal;
    let Some(run) = parse_id(&id) else { return Ok(Vec::new()) };
    if sharepack_engine::views::run_view(&portal.store, &request.by, run).await?.is_none() {
        return Ok(Vec::new());
    }
    let Some(claim) = cookie_value(&claim_cookie(&run)).and_then(|value| Uuid::parse_str(&value).ok()) else { return Ok(Vec::new()) };
    Ok(portal.store.take_activation_links(run, claim).await?)
}
