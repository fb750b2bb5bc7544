//! Cross-site request forgery: a state-changing request (anything but GET, HEAD and OPTIONS)
//! that a browser says comes from another origin is refused, before any handler runs. Browsers
//! send `Sec-Fetch-Site` (and `Origin`) on every such request; scripts and the CLI send
//! neither and prove themselves with a token instead. This is the check of Go's
//! `http.CrossOriginProtection` (Filippo Valsorda's design): no token in every form, nothing
//! to forget on a new form. Hand-written because it is a dozen lines and the axum CSRF crates
//! use per-form tokens instead. `SameSite=Lax` cookies are a second line: sites on other ports
//! of the same host count as the same *site*, which is why the origin is checked too.

use crate::rest::ApiError;
use axum::extract::Request;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sharepack_engine::error::{Class, Problem};

pub async fn refuse_cross_origin(request: Request, next: Next) -> Response {
    if is_cross_origin(request.method(), request.headers()) {
        tracing::warn!(path = %request.uri().path(), "a cross-origin request was refused");
        let problem = Problem::new(Class::Forbidden, "cross_origin", "This request came from another site and was refused")
            .hint("Use the portal's own pages, or call the REST API with an API token");
        return ApiError(problem).into_response();
    }
    next.run(request).await
}

fn is_cross_origin(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    match text("sec-fetch-site") {
        Some("same-origin" | "none") => false,
        Some(_) => true,
        None => match (text(header::ORIGIN.as_str()), text(header::HOST.as_str())) {
            (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest) != Some(host),
            (Some(_), None) => true,
            (None, _) => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs.iter().map(|(name, value)| (name.parse().unwrap(), value.parse().unwrap())).collect()
    }

    #[test]
    fn other_origins_may_not_change_anything() {
        let post = Method::POST;
        assert!(!is_cross_origin(&post, &headers(&[("sec-fetch-site", "same-origin")])));
        assert!(is_cross_origin(&post, &headers(&[("sec-fetch-site", "same-site")])));
        assert!(is_cross_origin(&post, &headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!is_cross_origin(&Method::GET, &headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!is_cross_origin(&post, &headers(&[("origin", "http://127.0.0.1:3000"), ("host", "127.0.0.1:3000")])));
        assert!(is_cross_origin(&post, &headers(&[("origin", "http://127.0.0.1:4000"), ("host", "127.0.0.1:3000")])));
        assert!(is_cross_origin(&post, &headers(&[("origin", "null"), ("host", "127.0.0.1:3000")])));
        // Scripts send neither header.
        assert!(!is_cross_origin(&post, &headers(&[("host", "127.0.0.1:3000")])));
    }
}
