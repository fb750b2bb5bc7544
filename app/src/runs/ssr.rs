//! The bodies of the run pages' server functions: each reads the request context, makes one
//! engine call and shapes the page's answer (a redirect, a cookie).

use crate::portal::{parse_id, request};
use sharepack_engine::apply::control::{self, Control, ControlError};
use sharepack_engine::apply::{self, SubmitError};
use sharepack_engine::error::Problem;
use sharepack_engine::plan::PlanOptions;
use uuid::Uuid;

/// The cookie that holds a submitter's claim on a run's activation links.
fn claim_cookie(run: &Uuid) -> String {
    format!("sharepack_claim_{}", run.simple())
}

fn no_such_upload() -> Problem {
    Problem::new(sharepack_engine::Class::NotFound, "not_found", "No such upload, or it could not be read")
        .hint("Drop the file again on the intake page")
}

pub async fn submit_upload(id: String, confirm_removals: bool) -> Result<String, Problem> {
    let portal = request()?.portal;
    let upload_id = parse_id(&id).ok_or_else(no_such_upload)?;
    let view = portal.uploads.load(upload_id).await?;
    let bytes = portal.store.load_upload_content(upload_id).await?;
    let (Some(view), Some(bytes)) = (view, bytes) else { return Err(no_such_upload()) };
    let workspace_url = view.preview.as_ref().map(|preview| preview.workspace_url.clone());
    // The plan the user saw is the one they approved; workers record how the workspace has
    // moved on from it.
    let approved = view.preview.as_ref().and_then(super::super::intake::api::Preview::plan);
    let workspace = portal.workspaces.select(workspace_url.as_deref(), None).map_err(|unknown| unknown.problem())?;
    let submission = apply::Submission {
        file_name: &view.file_name,
        bytes,
        workspace,
        confirm_removals,
        compensate: None,
        approved,
        limits: portal.limits,
        options: PlanOptions { strict: portal.strict_strategy },
        compensate_new: portal.apply.compensate_new,
    };
    match apply::submit(&portal.store, &portal.queue, submission).await {
        Ok(submitted) => match (submitted.run_id, submitted.claim) {
            (Some(run), Some(claim)) => {
                if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                    let cookie = format!("{}={claim}; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax", claim_cookie(&run));
                    if let Ok(value) = http::HeaderValue::from_str(&cookie) {
                        response.append_header(http::header::SET_COOKIE, value);
                    }
                }
                leptos_axum::redirect(&format!("/runs/{run}"));
                Ok(run.to_string())
            }
            // The workspace changed since the preview and the pack no longer passes: the share
            // pack's page says why.
            _ => {
                leptos_axum::redirect(&format!("/sharepacks/{}", submitted.share_pack_id));
                Ok(submitted.share_pack_id.to_string())
            }
        },
        Err(SubmitError::Busy { run_id, .. }) => {
            leptos_axum::redirect(&format!("/runs/{run_id}?busy=1"));
            Ok(run_id.to_string())
        }
        Err(error) => Err(error.into()),
    }
}

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
