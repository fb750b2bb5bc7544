//! The portal's one axum router: pages and server functions (Leptos), the REST API, live
//! events, downloads and the sandbox, behind the body limit, cross-origin refusal,
//! authentication and the trace layer.

use crate::body_limit::{refuse_oversized, BodyLimit};
use crate::config::Settings;
use crate::services::{queue, sandbox_state};
use crate::{auth, downloads, live, metrics, rest, sandbox, AppState};
use app::error::PortalError;
use app::portal::Portal;
use app::{shell, App};
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::routing::{get, MethodRouter};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sharepack_engine::databricks::workspaces::Workspaces;
use sharepack_engine::queue::{EmbeddedQueue, Queue};
use sharepack_engine::store::Store;
use std::sync::Arc;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// Where the sandbox workspace is served (its own API, with its own token).
pub const SANDBOX: &str = "/sandbox";

/// The routes beside the pages, the server functions (Leptos lists both), the REST API
/// ([`rest::endpoints`]) and the sandbox. The router is built from this list and the
/// authorization matrix test walks it.
pub fn endpoints() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/runs/{id}/events", get(live::run_events)),
        (Method::GET, "/templates/{file}", get(downloads::template)),
        (Method::GET, "/samples/{*path}", get(downloads::sample)),
        (Method::GET, "/auth/oidc/start", get(auth::oidc::start)),
        (Method::GET, "/auth/oidc/callback", get(auth::oidc::callback)),
        (Method::GET, "/metrics", get(metrics::scrape)),
        (Method::GET, "/openapi.json", get(rest::openapi::serve)),
    ]
}

/// Builds the whole application on an open store, with the queue the settings name.
pub fn build(settings: &Settings, store: Store, workspaces: Workspaces) -> Router {
    let queue = queue(settings, &store).unwrap_or_else(|error| {
        tracing::error!(%error, "the Azure queue setting cannot be used; falling back to the embedded queue");
        Queue::Embedded(EmbeddedQueue::new(store.clone(), &settings.azure_queue_name))
    });
    build_with(settings, store, Arc::new(workspaces), queue)
}

/// Builds the whole application on an open store and queue.
pub fn build_with(settings: &Settings, store: Store, workspaces: Arc<Workspaces>, queue: Queue) -> Router {
    metrics::handle();
    let leptos_options = LeptosOptions::builder()
        .output_name("sharepack")
        .site_root(settings.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(settings.site_addr)
        .build();
    let portal = Portal {
        limits: settings.limits(),
        store: store.clone(),
        workspaces,
        strict_strategy: settings.strict_strategy,
        queue,
        apply: settings.apply,
        sessions: settings.sessions,
        secure_cookies: settings.secure_cookies(),
        oidc_enabled: settings.oidc.is_some(),
        public_url: settings.public_url.clone(),
        throttle: Arc::new(sharepack_engine::access::throttle::Throttle::per_minute(settings.rate_per_minute)),
        approvals: settings.approvals.clone(),
        directory_url: settings.directory.as_ref().map(|directory| directory.graph_url.trim_end_matches('/').to_string()),
    };
    let oidc = settings.oidc.as_ref().and_then(|oidc| {
        auth::oidc::Oidc::new(oidc, &settings.public_url)
            .map_err(|error| tracing::error!(%error, "sign-in through the identity provider cannot be set up; only passwords work"))
            .ok()
    });
    let state = AppState { leptos_options: leptos_options.clone(), portal: portal.clone(), open_rest: settings.open_rest, oidc };
    let routes = generate_route_list(App);
    // Room for the multipart envelope around the largest accepted file; handlers refuse the file
    // itself past the configured limit with a readable message.
    let body_limit = settings.max_upload_bytes.saturating_add(1024 * 1024);

    let mut router = endpoints().into_iter().fold(Router::new(), |router, (_, path, route)| router.route(path, route));
    router = router.nest_service(SANDBOX, sandbox::router(sandbox_state(settings, &store)));
    if settings.enable_workflow {
        router = router.nest("/workflow", rest::router()).merge(rest::openapi::explorer());
    }
    router
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let portal = portal.clone();
                move || provide_context(portal.clone())
            },
            {
                let options = leptos_options.clone();
                move || shell(options.clone())
            },
        )
        // The not-found page renders the header too, which reads the portal.
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(move || provide_context(portal.clone()), shell))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(axum::middleware::from_fn(auth::cross_origin::refuse_cross_origin))
        .layer(axum::middleware::from_fn_with_state(BodyLimit { body: body_limit, file: settings.max_upload_bytes }, refuse_oversized))
        .layer(axum::middleware::map_response(server_fn_errors_by_class))
        .layer(TraceLayer::new_for_http().make_span_with(request_span).on_response(record_status))
        .layer(axum::middleware::from_fn(metrics::track))
        .with_state(state)
}

/// The span of a request, without what may be secret: no query (OIDC codes and states) and no
/// one-time link in the path. It continues the caller's trace when a `traceparent` came, and
/// is named by the route's template, as metrics are.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    use tracing::field::Empty;
    let route = request.extensions().get::<axum::extract::MatchedPath>().map(|matched| matched.as_str().to_string());
    let named = route.clone().unwrap_or_else(|| metrics::unrouted(request.uri().path()).to_string());
    let span = tracing::info_span!(
        "request",
        otel.name = %format!("{} {named}", request.method()),
        otel.kind = "server",
        otel.status_code = Empty,
        method = %request.method(),
        path = %loggable_path(request.uri().path()),
        http.route = route,
        http.response.status_code = Empty,
        trace_id = Empty,
    );
    sharepack_engine::trace::continue_from_headers(&span, request.headers());
    span
}

/// The response's status on the request's span; a 5xx marks the span failed.
fn record_status(response: &axum::response::Response, _latency: std::time::Duration, span: &tracing::Span) {
    span.record("http.response.status_code", response.status().as_u16());
    if response.status().is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
}

fn loggable_path(path: &str) -> String {
    match ["/setup/", "/invite/"].iter().find(|prefix| path.starts_with(*prefix)) {
        Some(prefix) => format!("{prefix}***"),
        None => path.chars().take(200).collect(),
    }
}

/// Leptos answers every failing server function 500; the problem inside knows its class (a
/// form missing a field is the caller's mistake, 400). Only 500s with a JSON body are looked
/// at, and their bodies are small.
async fn server_fn_errors_by_class(response: axum::response::Response) -> axum::response::Response {
    use axum::http::{header, StatusCode};
    let json = response.headers().get(header::CONTENT_TYPE).is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR || !json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match http_body_util::BodyExt::collect(body).await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    };
    if let Ok(PortalError(problem)) = serde_json::from_slice::<PortalError>(&bytes) {
        parts.status = StatusCode::from_u16(problem.class.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_time_links_are_not_logged() {
        assert_eq!(super::loggable_path("/invite/abcdef"), "/invite/***");
        assert_eq!(super::loggable_path("/setup/abcdef"), "/setup/***");
        assert_eq!(super::loggable_path("/runs/1"), "/runs/1");
    }
}
