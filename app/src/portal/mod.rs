//! The server side of every page (feature `ssr`): the portal's state that server functions find
//! in their request context, who is acting, and the one place where a [`Problem`] becomes the
//! page's answer (its HTTP status and the error the browser shows).

pub mod multipart;

use crate::error::PortalError;
use leptos::prelude::*;
use sharepack_engine::databricks::workspaces::Workspaces;
use sharepack_engine::error::Problem;
use sharepack_engine::identity::Actor;
use sharepack_engine::intake::Limits;
use sharepack_engine::store::Store;
use std::sync::Arc;
use uuid::Uuid;

/// Everything the server functions need, provided as context by the server for every request.
#[derive(Clone)]
pub struct Portal {
    pub limits: Limits,
    pub store: Store,
    pub workspaces: Arc<Workspaces>,
    /// Refuse NEW when named resources exist, unless a request says otherwise.
    pub strict_strategy: bool,
    /// Where submitted runs go for the workers.
    pub queue: sharepack_engine::queue::Queue,
    /// How runs are applied (compensation default, concurrency).
    pub apply: sharepack_engine::apply::ApplySettings,
}

/// One request: the portal, and who acts.
pub struct Request {
    pub portal: Portal,
    /// Who the request acts for. Until sign-in exists this is who a form says it is
    /// ([`Request::acting`]); every record of who did what takes it from here.
    pub actor: Actor,
}

impl Request {
    /// The actor a form names (`by`); forms that change something must name one.
    pub fn acting(&mut self, by: Option<&str>) -> Result<&Actor, Problem> {
        self.actor = Actor::claimed(by);
        if !self.actor.is_person() {
            return Err(
                Problem::invalid("who_missing", "Say who you are (name or e-mail)").hint("Cancel and retry are recorded with who and why")
            );
        }
        Ok(&self.actor)
    }
}

/// The request's context.
pub fn request() -> Result<Request, Problem> {
    let portal = use_context::<Portal>().ok_or_else(|| {
        tracing::error!("the portal state is missing from the request context");
        Problem::internal("preparing the page")
    })?;
    Ok(Request { portal, actor: Actor::Anonymous })
}

/// Runs a server function's body and makes its problem the answer: the status (from the
/// problem's class) is set here, for every server function alike.
pub async fn answer<T>(body: impl std::future::Future<Output = Result<T, Problem>>) -> Result<T, PortalError> {
    body.await.map_err(|problem| {
        set_status(problem.class.status());
        PortalError(problem)
    })
}

fn set_status(status: u16) {
    if let (Some(response), Ok(status)) = (use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(status)) {
        response.set_status(status);
    }
}

/// The cookie that holds a submitter's claim on a run's activation links.
pub fn claim_cookie(run: &Uuid) -> String {
    format!("sharepack_claim_{}", run.simple())
}

/// An id from a page address or form: `None` when it is not a UUID (the page says not found).
pub fn parse_id(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text.trim()).ok()
}
