//! The bodies of the run pages' server functions: each reads the request context, makes one
//! engine call and shapes the page's answer (a redirect, a cookie).

use crate::portal::{claim_cookie, parse_id, request};
use sharepack_engine::apply::control::{self, Control, ControlError};
use sharepack_engine::error::Problem;
use uuid::Uuid;

/// Cancel or retry, as the person the form names. A run that cannot be cancelled or retried
/// (any more) opens its page, which shows why.
pub async fn control_run(id: String, by: Option<String>, reason: Option<String>, what: Control) -> Result<String, Problem> {
    let mut request = request()?;
    let run = parse_id(&id).ok_or_else(|| Problem::not_found("run", &id))?;
    let actor = request.acting(by.as_deref())?.clone();
    let portal = &request.portal;
    match control::control(&portal.store, &portal.queue, what, run, &actor, reason.as_deref().unwrap_or("")).await {
        Ok(_) | Err(ControlError::NotAllowed(_)) => {
            leptos_axum::redirect(&format!("/runs/{run}"));
            Ok(run.to_string())
        }
        Err(error) => Err(error.into()),
    }
}

/// The activation links of a run, for the browser holding its claim cookie; none otherwise.
pub async fn claim_links(id: String) -> Result<Vec<(String, String)>, Problem> {
    let portal = request()?.portal;
    let Some(run) = parse_id(&id) else { return Ok(Vec::new()) };
    let Some(parts) = leptos::prelude::use_context::<http::request::Parts>() else { return Ok(Vec::new()) };
    let wanted = claim_cookie(&run);
    let claim = parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .and_then(|(_, value)| Uuid::parse_str(value).ok());
    let Some(claim) = claim else { return Ok(Vec::new()) };
    Ok(portal.store.take_activation_links(run, claim).await?)
}
