//! Authentication at the edge: every request's credentials (an `Authorization: Bearer` API
//! token, or the session cookie) become a [`Principal`] on the request, which server
//! functions, REST handlers and event streams hand to the engine; the engine decides what it
//! may do. Browsers asking for a page without a session are sent to the sign-in page.
//!
//! - [`cross_origin`]: state-changing requests from other origins are refused.
//! - [`oidc`]: sign-in through the identity provider (authorization code with PKCE).

pub mod cross_origin;
pub mod oidc;

use crate::rest::ApiError;
use crate::AppState;
use app::portal::session_cookie;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use sharepack_engine::access::{sessions, tokens, Principal};
use sharepack_engine::error::{Class, Problem};

/// Paths anyone may reach: sign-in and its links, the identity provider's callback, static
/// files, templates and samples, health, the API's contract and its explorer, and what answers
/// 401 itself (server functions, the REST API, event streams, the sandbox with its own token).
const PUBLIC: [&str; 12] = [
    "/signin",
    "/setup/",
    "/invite/",
    "/auth/",
    "/pkg/",
    "/api/",
    "/workflow/",
    "/sandbox/",
    "/templates/",
    "/samples/",
    "/runs/",
    "/api-docs/",
];

/// What the request's credentials say, before any handler runs.
pub async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    // The sandbox stands in for a Databricks workspace and checks its own bearer token; the
    // browser bundle and static files are the same for everyone (no session lookup per asset).
    let path = request.uri().path();
    if path.starts_with("/sandbox/") || path.starts_with("/pkg/") || path == "/favicon.svg" {
        return next.run(request).await;
    }
    let portal = &state.portal;
    let now = chrono::Utc::now();
    let bearer = bearer(request.headers());
    let cookie = cookie(request.headers(), session_cookie(portal.secure_cookies));
    let resolved = match (&bearer, &cookie) {
        (Some(token), _) => tokens::resolve(&portal.store, token, now).await.map(|found| (found, true)),
        (None, Some(id)) => sessions::resolve(&portal.store, &portal.sessions, id, now).await.map(|found| (found, false)),
        (None, None) => Ok((None, false)),
    };
    let principal = match resolved {
        Ok((Some(principal), _)) => Some(principal),
        // A token that does not work is refused outright: the caller meant to be someone.
        Ok((None, true)) => return ApiError(bad_token()).into_response(),
        Ok((None, false)) => None,
        Err(error) => {
            tracing::warn!(error = %sharepack_engine::store::redact(&error.to_string()), "the session or token could not be checked");
            return ApiError(Problem::from(error)).into_response();
        }
    };
    let page = is_page_request(request.method(), request.uri().path(), request.headers());
    match principal {
        Some(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        None if page => {
            let target = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let expired = if cookie.is_some() { "expired=1&" } else { "" };
            let mut response = Redirect::to(&format!("/signin?{expired}next={}", encode(target))).into_response();
            if cookie.is_some() {
                let clear = app::portal::cookie(portal, session_cookie(portal.secure_cookies), "", 0);
                if let Ok(value) = clear.parse() {
                    response.headers_mut().append(header::SET_COOKIE, value);
                }
            }
            response
        }
        None => next.run(request).await,
    }
}

fn bad_token() -> Problem {
    Problem::new(Class::Unauthenticated, "token_invalid", "The API token is unknown, revoked or expired")
        .hint("Create a new token on the Tokens page or with `sharepack tokens create`")
}

/// A browser navigating to a page that needs a signed-in person.
fn is_page_request(method: &Method, path: &str, headers: &HeaderMap) -> bool {
    let navigating = headers.get(header::ACCEPT).and_then(|value| value.to_str().ok()).is_some_and(|accept| accept.contains("text/html"));
    let public = PUBLIC.iter().any(|prefix| path == prefix.trim_end_matches('/') || path.starts_with(prefix));
    // Run pages are pages; only their event streams answer for themselves.
    let run_page = path.starts_with("/runs/") && !path.ends_with("/events");
    (method == Method::GET || method == Method::HEAD) && navigating && (!public || run_page) && !path.contains('.')
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    app::portal::cookie_in(headers, name)
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The principal of a REST or event-stream request: 401 without credentials, unless the
/// operator opened the REST API to a trusted network.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Principal>() {
            Some(principal) => Ok(Caller(principal.clone())),
            None if state.open_rest && is_rest(parts) => Ok(Caller(Principal::open_rest())),
            None => Err(ApiError(Problem::unauthenticated())),
        }
    }
}

/// Under `/workflow` (nested routers see their path without the prefix, so the original is asked).
fn is_rest(parts: &Parts) -> bool {
    let original = parts.extensions.get::<axum::extract::OriginalUri>().map(|uri| uri.0.path()).unwrap_or(parts.uri.path());
    original.starts_with("/workflow/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, "text/html,application/xhtml+xml".parse().unwrap());
        headers
    }

    #[test]
    fn pages_need_sign_in_and_the_rest_answers_for_itself() {
        assert!(is_page_request(&Method::GET, "/", &html()));
        assert!(is_page_request(&Method::GET, "/sharepacks/1", &html()));
        assert!(is_page_request(&Method::GET, "/runs/1", &html()));
        assert!(!is_page_request(&Method::GET, "/runs/1/events", &html()));
        assert!(!is_page_request(&Method::GET, "/signin", &html()));
        assert!(!is_page_request(&Method::GET, "/invite/abc", &html()));
        assert!(!is_page_request(&Method::GET, "/favicon.svg", &html()));
        assert!(!is_page_request(&Method::GET, "/", &HeaderMap::new()));
        assert!(!is_page_request(&Method::POST, "/", &html()));
    }

    #[test]
    fn credentials_are_read_from_their_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer spk_abc".parse().unwrap());
        headers.insert(header::COOKIE, "a=1; sharepack_session=xyz; b=2".parse().unwrap());
        assert_eq!(bearer(&headers).as_deref(), Some("spk_abc"));
        assert_eq!(cookie(&headers, "sharepack_session").as_deref(), Some("xyz"));
        assert_eq!(cookie(&headers, "missing"), None);
    }
}
