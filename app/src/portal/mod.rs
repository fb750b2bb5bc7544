//! The server side of every page (feature `ssr`): the portal's state that server functions find
//! in their request context, who is signed in (the [`Principal`] the server's authentication
//! layer put on the request), and the one place where a [`Problem`] becomes the page's answer
//! (its HTTP status and the error the browser shows).

pub mod multipart;

use crate::error::PortalError;
use leptos::prelude::*;
use sharepack_engine::access::sessions::SessionPolicy;
use sharepack_engine::access::Principal;
use sharepack_engine::databricks::workspaces::Workspaces;
use sharepack_engine::error::Problem;
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
    /// How long browser sessions last.
    pub sessions: SessionPolicy,
    /// Cookies get `Secure` (and the `__Host-` prefix) when the portal is served over HTTPS.
    pub secure_cookies: bool,
    /// Sign-in through the identity provider is configured (the sign-in page offers it).
    pub oidc_enabled: bool,
    /// The portal's address as people reach it (invitation links start with it).
    pub public_url: String,
    /// Rate limits per identity on uploads and plans.
    pub throttle: Arc<sharepack_engine::access::throttle::Throttle>,
    /// Which plans wait for approval.
    pub approvals: Arc<sharepack_engine::approval::Policy>,
    /// The directory synced into `users` and `ad_groups` (its Graph URL), when one is configured.
    pub directory_url: Option<String>,
}

/// The session cookie's name: `__Host-` when served over HTTPS, so no other site or path can
/// set it.
pub fn session_cookie(secure: bool) -> &'static str {
    if secure {
        "__Host-sharepack_session"
    } else {
        "sharepack_session"
    }
}

/// One request of someone signed in: the portal, and who they are.
pub struct Request {
    pub portal: Portal,
    /// Every record of who did what takes it from here.
    pub by: Principal,
}

/// The portal, for the few server functions anyone may call (sign-in, the header's badge).
pub fn portal() -> Result<Portal, Problem> {
    use_context::<Portal>().ok_or_else(|| {
        tracing::error!("the portal state is missing from the request context");
        Problem::internal("preparing the page")
    })
}

/// Who is signed in, as the server's authentication layer found it on the request.
pub fn principal() -> Option<Principal> {
    use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get::<Principal>().cloned())
}

/// The request's context, for someone signed in (401 otherwise).
pub fn request() -> Result<Request, Problem> {
    let portal = portal()?;
    let by = principal().ok_or_else(Problem::unauthenticated)?;
    Ok(Request { portal, by })
}

/// Runs a server function's body and makes its problem the answer: the status (from the
/// problem's class) is set here, for every server function alike.
pub async fn answer<T>(body: impl std::future::Future<Output = Result<T, Problem>>) -> Result<T, PortalError> {
    body.await.map_err(|problem| {
        set_status(problem.class.status());
        PortalError(problem)
    })
}

/// Sets a cookie on the answer.
pub fn set_cookie(cookie: &str) {
    if let (Some(response), Ok(value)) = (use_context::<leptos_axum::ResponseOptions>(), http::HeaderValue::from_str(cookie)) {
        response.append_header(http::header::SET_COOKIE, value);
    }
}

/// A cookie only this portal's pages send back: `HttpOnly`, `SameSite=Lax`, `Secure` over HTTPS.
pub fn cookie(portal: &Portal, name: &str, value: &str, max_age_secs: i64) -> String {
    let secure = if portal.secure_cookies { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}")
}

/// A cookie's value from the request.
pub fn cookie_value(name: &str) -> Option<String> {
    cookie_in(&use_context::<http::request::Parts>()?.headers, name)
}

/// A cookie's value in request headers (empty values count as absent); the one cookie reader,
/// used by the pages and by the server's authentication layer.
pub fn cookie_in(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value.to_string())
}

fn set_status(status: u16) {
    // A form posted without JavaScript is answered with a redirect back to its page, carrying
    // the problem (Leptos does that); a 4xx status would stop the browser from following it.
    let form_post = use_context::<http::request::Parts>().is_some_and(|parts| {
        parts.method == http::Method::POST
            && parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
    });
    if form_post {
        return;
    }
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
