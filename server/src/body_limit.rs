//! Requests larger than the portal accepts, answered like any other problem: JSON with `Code`,
//! `Message` and `Hint` on REST; for server functions the error Leptos' client decodes, or, for
//! a form posted without JavaScript, a redirect back to the page with the error in the address
//! (as Leptos itself does for a failing server function), so the page says what went wrong.
//! Bodies without a declared length are cut off by the limit layer while they are read, and the
//! multipart reader reports that the same way.

use crate::rest::ApiError;
use app::error::PortalError;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::prelude::FromServerFnError;
use leptos::server_fn::error::ServerFnUrlError;
use sharepack_engine::error::Problem;

/// The largest body (`body`) and the largest file it may carry (`file`, what users are told).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    pub body: usize,
    pub file: usize,
}

pub async fn refuse_oversized(State(limit): State<BodyLimit>, request: Request, next: Next) -> Response {
    use axum::body::HttpBody;
    let header = request.headers().get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    let declared = header.or_else(|| request.body().size_hint().exact());
    match declared {
        Some(length) if length > limit.body as u64 => refusal(&request, Problem::body_too_large(limit.file)),
        _ => next.run(request).await,
    }
}

fn refusal(request: &Request, problem: Problem) -> Response {
    let path = request.uri().path();
    if path.starts_with("/workflow/") {
        return ApiError(problem).into_response();
    }
    let headers = request.headers();
    let accepts_html = headers.get(header::ACCEPT).and_then(|value| value.to_str().ok()).is_some_and(|accept| accept.contains("text/html"));
    let referer = headers.get(header::REFERER).and_then(|value| value.to_str().ok());
    if let (true, Some(referer)) = (accepts_html, referer) {
        if let Ok(url) = ServerFnUrlError::new(path, PortalError(problem.clone())).to_url(referer) {
            if let Ok(location) = HeaderValue::from_str(url.as_str()) {
                return (StatusCode::FOUND, [(header::LOCATION, location)]).into_response();
            }
        }
    }
    let status = StatusCode::from_u16(problem.class.status()).unwrap_or(StatusCode::PAYLOAD_TOO_LARGE);
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], PortalError(problem).ser()).into_response()
}
