//! HTTP for the sandbox workspace: `/api/2.1/unity-catalog/...` under `/sandbox` in the portal, or
//! at the root when `sharepack sandbox --addr HOST:PORT` runs it alone, and its directory
//! (`/graph/v1.0/...`, Microsoft Graph's shapes, with a client-credentials token endpoint at
//! `/graph/login/{tenant}/oauth2/v2.0/token`). Checks the bearer token, applies configured
//! faults, and hands the call to `engine::sandbox`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::{Json, Router};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sharepack_engine::sandbox::directory::Graph;
use sharepack_engine::sandbox::faults::{Fault, Faults};
use sharepack_engine::sandbox::{Reply, Request, Sandbox};
use std::sync::Arc;

/// Who Sharepack's own token acts as in the sandbox: a service principal, as in production.
pub const SERVICE_PRINCIPAL: &str = "sharepack-service-principal";

/// The sandbox with its access token, the people who may change it by hand, and faults.
#[derive(Clone)]
pub struct SandboxState {
    pub sandbox: Sandbox,
    /// The sandbox's directory.
    pub graph: Graph,
    pub token: Arc<SecretString>,
    /// Each person's e-mail and token.
    pub people: Arc<Vec<(String, SecretString)>>,
    pub faults: Arc<Faults>,
}

/// Reads `email=token,email=token` (the settings refuse other entries).
pub fn people(text: &str) -> Vec<(String, SecretString)> {
    text.split(',')
        .filter_map(|entry| entry.split_once('='))
        .map(|(email, token)| (email.trim().to_string(), token.trim()))
        .filter(|(email, token)| !email.is_empty() && !token.is_empty())
        .map(|(email, token)| (email, SecretString::from(token.to_string())))
        .collect()
}

/// The request's bearer token, if it has one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).and_then(|value| value.strip_prefix("Bearer "))
}

/// Who a bearer token is: Sharepack's service principal or one of the people.
fn caller<'a>(state: &'a SandboxState, bearer: Option<&str>) -> Option<&'a str> {
    let bearer = bearer?;
    if bearer == state.token.expose_secret() {
        return Some(SERVICE_PRINCIPAL);
    }
    state.people.iter().find(|(_, token)| token.expose_secret() == bearer).map(|(email, _)| email.as_str())
}

/// The sandbox's API routes (mount under `/sandbox`, or at the root when it runs alone).
pub fn router(state: SandboxState) -> Router {
    Router::new()
        .route("/api/2.1/unity-catalog/{*path}", any(handle))
        .route("/api/2.0/sql/statements", post(statement))
        .route("/graph/login/{tenant}/oauth2/v2.0/token", post(graph_token))
        .route("/graph/v1.0/{*path}", any(graph))
        .with_state(state)
}

/// The Statement Execution API, for Sharepack's audit query only.
async fn statement(State(state): State<SandboxState>, headers: HeaderMap, body: Bytes) -> Response {
    let bearer = bearer(&headers);
    if caller(&state, bearer).is_none() {
        return reply(Reply::error(401, "UNAUTHENTICATED", "Invalid access token."));
    }
    if let Some(response) = injected(&state, &Method::POST, "/sql/statements").await {
        return response;
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(body) => reply(state.sandbox.statement(&body).await),
        Err(error) => reply(Reply::error(400, "MALFORMED_REQUEST", format!("Could not parse request object: {error}"))),
    }
}

/// Entra ID's client-credentials grant, as far as the directory sync uses it: the client's
/// secret is the sandbox's token, and so is the access token.
async fn graph_token(State(state): State<SandboxState>, body: Bytes) -> Response {
    let form = url_pairs(&String::from_utf8_lossy(&body));
    let field = |name: &str| form.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    if field("grant_type") != Some("client_credentials") {
        let body = serde_json::json!({"error": "unsupported_grant_type", "error_description": "AADSTS70003: The app requested an unsupported grant type."});
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    }
    if field("client_secret") != Some(state.token.expose_secret()) {
        let body = serde_json::json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."});
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    }
    let token = state.token.expose_secret().to_string();
    Json(serde_json::json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})).into_response()
}

/// A call to the sandbox's directory: the same callers and faults as the workspace's.
async fn graph(
    State(state): State<SandboxState>,
    method: Method,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bearer = bearer(&headers);
    if caller(&state, bearer).is_none() {
        let error = sharepack_engine::sandbox::directory::error(401, "InvalidAuthenticationToken", "Access token validation failure.");
        return reply(error);
    }
    if let Some(response) = injected(&state, &method, &format!("/graph/v1.0/{path}")).await {
        return response;
    }
    let body = if body.is_empty() {
        None
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(value) => Some(value),
            Err(_) => return reply(sharepack_engine::sandbox::directory::error(400, "BadRequest", "Unable to read JSON request payload.")),
        }
    };
    let query = url_pairs(query.as_deref().unwrap_or(""));
    reply(state.graph.handle(method.as_str(), &path, &query, body).await)
}

/// The configured fault for this call, answered; `None` to go on.
async fn injected(state: &SandboxState, method: &Method, path: &str) -> Option<Response> {
    if !state.faults.latency.is_zero() {
        tokio::time::sleep(state.faults.latency).await;
    }
    let random = f64::from(uuid::Uuid::new_v4().as_u128() as u32) / f64::from(u32::MAX);
    match state.faults.decide(method.as_str(), path, random) {
        Some(Fault::TooManyRequests) => {
            let mut response =
                reply(Reply::error(429, "REQUEST_LIMIT_EXCEEDED", "The sandbox is rate limiting this call (injected fault)"));
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            Some(response)
        }
        Some(Fault::Unavailable) => {
            Some(reply(Reply::error(503, "TEMPORARILY_UNAVAILABLE", "The sandbox is unavailable (injected fault)")))
        }
        Some(Fault::Fail) => Some(reply(Reply::error(500, "INTERNAL_ERROR", format!("{method} {path} fails (injected fault)")))),
        Some(Fault::Hang(duration)) => {
            tokio::time::sleep(duration).await;
            None
        }
        None => None,
    }
}

async fn handle(
    State(state): State<SandboxState>,
    method: Method,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bearer = bearer(&headers);
    let Some(caller) = caller(&state, bearer) else {
        return reply(Reply::error(401, "UNAUTHENTICATED", "Invalid access token."));
    };
    if let Some(response) = injected(&state, &method, &format!("/{path}")).await {
        return response;
    }
    let body = if body.is_empty() {
        None
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(value) => Some(value),
            Err(error) => return reply(Reply::error(400, "MALFORMED_REQUEST", format!("Could not parse request object: {error}"))),
        }
    };
    let query = url_pairs(query.as_deref().unwrap_or(""));
    reply(state.sandbox.handle(Request { method: method.as_str(), path: &path, query, body, caller }).await)
}

fn reply(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match reply.body {
        Value::Null => status.into_response(),
        body => (status, Json(body)).into_response(),
    }
}

/// `a=1&b=x%20y` into pairs.
fn url_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes()).map(|(key, value)| (key.into_owned(), value.into_owned())).collect()
}
