//! Sign-in through an OpenID Connect identity provider (Microsoft Entra ID or any other):
//! authorization code with PKCE. `GET /auth/oidc/start` keeps a state (its digest), the PKCE
//! verifier and a nonce in the database for ten minutes, so that the callback may reach any
//! portal instance, and sends the browser to the provider; `GET /auth/oidc/callback` takes the
//! state (once), exchanges the code, verifies the ID token (signature, issuer, audience,
//! expiry, nonce), maps its groups (or app roles) to grants and opens a session. The
//! provider's metadata and keys are discovered on first use and again hourly or after a
//! failed verification; a provider that does not answer is a 503 that says so.
//!
//! HTTP goes through reqwest without redirects (openidconnect's advice against SSRF).

use crate::config::OidcSettings;
use crate::AppState;
use app::portal::session_cookie;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse,
};
use secrecy::ExposeSecret;
use sharepack_engine::access::{people, secret};
use sharepack_engine::error::{Class, Problem};
use sharepack_engine::store::SignInState;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// The cookie binding a sign-in in flight to the browser that started it (the state's digest).
const STATE_COOKIE: &str = "sharepack_oidc_state";
/// How long a sign-in may take between leaving for the provider and coming back.
const STATE_MINUTES: i64 = 10;
/// How long discovered metadata (and keys) are trusted before they are read again.
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// The configured identity provider.
pub struct Oidc {
    settings: OidcSettings,
    redirect: RedirectUrl,
    http: reqwest::Client,
    metadata: RwLock<Option<(Instant, CoreProviderMetadata)>>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpFailure(String);

impl Oidc {
    pub fn new(settings: &OidcSettings, public_url: &str) -> Result<Arc<Oidc>, String> {
        let redirect = RedirectUrl::new(format!("{public_url}/auth/oidc/callback")).map_err(|error| error.to_string())?;
        IssuerUrl::new(settings.issuer.clone()).map_err(|error| format!("SHAREPACK_OIDC_ISSUER: {error}"))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| error.to_string())?;
        Ok(Arc::new(Oidc { settings: settings.clone(), redirect, http, metadata: RwLock::new(None) }))
    }
}

/// openidconnect's HTTP client: our reqwest, owned futures (so handlers stay `Send`).
struct Http(reqwest::Client);

impl<'c> openidconnect::AsyncHttpClient<'c> for Http {
    type Error = HttpFailure;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<openidconnect::HttpResponse, HttpFailure>> + Send + 'c>>;

    fn call(&'c self, request: openidconnect::HttpRequest) -> Self::Future {
        Box::pin(send(self.0.clone(), request))
    }
}

async fn send(http: reqwest::Client, request: openidconnect::HttpRequest) -> Result<openidconnect::HttpResponse, HttpFailure> {
    {
        let (parts, body) = request.into_parts();
        let response = http
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(|error| HttpFailure(error.without_url().to_string()))?;
        let mut answer = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            answer = answer.header(name, value);
        }
        let body = response.bytes().await.map_err(|error| HttpFailure(error.to_string()))?;
        answer.body(body.to_vec()).map_err(|error| HttpFailure(error.to_string()))
    }
}

impl Oidc {
    /// The provider's metadata, discovered (again) when missing, stale or `refresh`ed.
    async fn metadata(&self, refresh: bool) -> Result<CoreProviderMetadata, Problem> {
        if !refresh {
            if let Some((at, metadata)) = self.metadata.read().await.as_ref() {
                if at.elapsed() < METADATA_TTL {
                    return Ok(metadata.clone());
                }
            }
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone()).map_err(|_| unavailable())?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &Http(self.http.clone())).await.map_err(|error| {
            tracing::warn!(error = %error, issuer = %self.settings.issuer, "the identity provider's metadata could not be read");
            unavailable()
        })?;
        *self.metadata.write().await = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    fn client(&self, metadata: CoreProviderMetadata) -> CoreClientConfigured {
        let secret = self.settings.client_secret.as_ref().map(|secret| ClientSecret::new(secret.expose_secret().to_string()));
        CoreClient::from_provider_metadata(metadata, ClientId::new(self.settings.client_id.clone()), secret)
            .set_redirect_uri(self.redirect.clone())
    }

    /// Verifies an ID token as this portal's, with the nonce it sent; the person it names.
    pub async fn verify(&self, token: &CoreIdToken, nonce: &Nonce) -> Result<Person, Problem> {
        let mut refreshed = false;
        loop {
            let client = self.client(self.metadata(refreshed).await?);
            let verifier = client.id_token_verifier();
            let verified = token.claims(&verifier, nonce).map(|claims| {
                let email = claims
                    .email()
                    .map(|email| email.as_str().to_string())
                    .or_else(|| claims.preferred_username().map(|name| name.as_str().to_string()));
                let name = claims.name().and_then(|name| name.get(None)).map(|name| name.as_str().to_string()).unwrap_or_default();
                let subject = format!("{} {}", claims.issuer().as_str(), claims.subject().as_str());
                (email, name, subject, claims.email_verified())
            });
            match verified {
                Ok((email, display_name, subject, email_verified)) => {
                    let email =
                        email.ok_or_else(|| refused("The identity provider did not say who you are (no e-mail in the ID token)"))?;
                    let vouched = people::Vouched { subject, email, email_verified, display_name };
                    return Ok(Person { vouched, groups: groups(&token.to_string(), &self.settings.groups_claim) });
                }
                // The provider may have rotated its keys: read them once more before refusing.
                Err(error) if !refreshed => {
                    tracing::info!(%error, "an ID token did not verify; reading the provider's keys again");
                    refreshed = true;
                }
                Err(error) => {
                    tracing::warn!(%error, "an ID token was refused");
                    return Err(refused("The identity provider's answer could not be verified"));
                }
            }
        }
    }
}

type CoreClientConfigured = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// Who an ID token names, and their groups.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub vouched: people::Vouched,
    pub groups: Vec<String>,
}

/// The groups (or roles) claim of a verified token. openidconnect's typed claims would need a
/// claim name fixed at compile time; the name is a setting (`groups`, or `roles` for Entra app
/// roles), so the verified token's payload is read for it.
fn groups(token: &str, claim: &str) -> Vec<String> {
    let payload = token.split('.').nth(1).and_then(|part| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).ok());
    let value: Option<serde_json::Value> = payload.and_then(|bytes| serde_json::from_slice(&bytes).ok());
    match value.as_ref().and_then(|value| value.get(claim)) {
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(|item| item.as_str().map(str::to_string)).collect(),
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

fn unavailable() -> Problem {
    Problem::new(Class::Unavailable, "identity_provider_unavailable", "The identity provider does not answer right now")
        .hint("Try again in a moment, or sign in with a Sharepack password")
}

fn refused(message: &str) -> Problem {
    Problem::new(Class::Unauthenticated, "sign_in_failed", message).hint("Sign in again; if it keeps failing, tell an administrator")
}

/// Back to the sign-in page with the problem, which shows it (as for a form posted without JavaScript).
fn back_to_sign_in(problem: &Problem) -> Response {
    let json = serde_json::to_vec(problem).unwrap_or_default();
    let encoded: String = form_urlencoded::byte_serialize(base64::engine::general_purpose::STANDARD.encode(json).as_bytes()).collect();
    Redirect::to(&format!("/signin?__err={encoded}")).into_response()
}

#[derive(serde::Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

pub async fn start(State(state): State<AppState>, Query(query): Query<StartQuery>) -> Response {
    let Some(oidc) = state.oidc.clone() else { return not_configured() };
    let store = &state.portal.store;
    let metadata = match oidc.metadata(false).await {
        Ok(metadata) => metadata,
        Err(problem) => return back_to_sign_in(&problem),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let client = oidc.client(metadata);
    let mut request = client.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random);
    for scope in &oidc.settings.scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, csrf, nonce) = request.set_pkce_challenge(challenge).url();
    let kept = SignInState {
        pkce_verifier: verifier.secret().clone(),
        nonce: nonce.secret().clone(),
        return_to: app::account::ssr::safe_next(query.next.as_deref()),
        created_at: chrono::Utc::now(),
    };
    if let Err(error) = store.insert_sign_in_state(&secret::digest(csrf.secret()), &kept).await {
        return back_to_sign_in(&Problem::from(error));
    }
    // The browser that started the sign-in must be the one that finishes it (no login CSRF):
    // the callback compares the state with this cookie.
    let mut response = Redirect::to(url.as_str()).into_response();
    let cookie = app::portal::cookie(&state.portal, STATE_COOKIE, &secret::digest(csrf.secret()), STATE_MINUTES * 60);
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[derive(serde::Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

pub async fn callback(State(state): State<AppState>, headers: axum::http::HeaderMap, Query(query): Query<CallbackQuery>) -> Response {
    let Some(oidc) = state.oidc.clone() else { return not_configured() };
    let started_here = super::cookie(&headers, STATE_COOKIE);
    let same_browser = match (&started_here, &query.state) {
        (Some(kept), Some(state)) => *kept == secret::digest(state),
        _ => false,
    };
    let mut response = match same_browser {
        false if query.error.is_none() => back_to_sign_in(&refused("This sign-in was started in another browser; start again here")),
        _ => finish_response(&state, &oidc, query).await,
    };
    let clear = app::portal::cookie(&state.portal, STATE_COOKIE, "", 0);
    if let Ok(value) = clear.parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

async fn finish_response(state: &AppState, oidc: &Oidc, query: CallbackQuery) -> Response {
    match finish(state, oidc, query).await {
        Ok((session, return_to)) => {
            let portal = &state.portal;
            let cookie = app::portal::cookie(
                portal,
                session_cookie(portal.secure_cookies),
                session.expose(),
                portal.sessions.absolute.num_seconds(),
            );
            let mut response = Redirect::to(&return_to).into_response();
            if let Ok(value) = cookie.parse() {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Err(problem) => back_to_sign_in(&problem),
    }
}

async fn finish(state: &AppState, oidc: &Oidc, query: CallbackQuery) -> Result<(secret::Fresh, String), Problem> {
    if let Some(error) = query.error {
        let said: String = query.error_description.unwrap_or(error).chars().take(200).collect();
        return Err(refused(&format!("The identity provider did not sign you in: {said}")));
    }
    let (Some(code), Some(csrf)) = (query.code, query.state) else { return Err(refused("The identity provider's answer is incomplete")) };
    let store = &state.portal.store;
    let expired = || refused("This sign-in took too long or was already used; start again");
    let kept = store.take_sign_in_state(&secret::digest(&csrf)).await?.ok_or_else(expired)?;
    if chrono::Utc::now() - kept.created_at > chrono::TimeDelta::minutes(STATE_MINUTES) {
        return Err(expired());
    }
    let client = oidc.client(oidc.metadata(false).await?);
    let http = Http(oidc.http.clone());
    let exchange = client.exchange_code(AuthorizationCode::new(code)).map_err(|_| unavailable())?;
    let tokens = exchange.set_pkce_verifier(PkceCodeVerifier::new(kept.pkce_verifier)).request_async(&http).await.map_err(|error| {
        tracing::warn!(error = %error, "the identity provider refused the code");
        refused("The identity provider did not accept this sign-in")
    })?;
    let _ = tokens.access_token();
    let id_token = tokens.id_token().ok_or_else(|| refused("The identity provider sent no ID token"))?;
    let person = oidc.verify(id_token, &Nonce::new(kept.nonce)).await?;
    let grants = people::provider_grants(&person.groups, &oidc.settings.roles);
    tracing::info!(groups = person.groups.len(), grants = grants.len(), "signed in through the identity provider");
    let (session, _) = people::sign_in_from_provider(store, &state.portal.sessions, &person.vouched, &grants).await?;
    Ok((session, kept.return_to))
}

fn not_configured() -> Response {
    crate::rest::ApiError(Problem::new(
        Class::NotFound,
        "oidc_not_configured",
        "Sign-in through an identity provider is not configured here",
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_are_read_by_the_configured_claim() {
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"groups":["a","b"],"roles":"admins"}"#);
        let token = format!("h.{payload}.s");
        assert_eq!(super::groups(&token, "groups"), vec!["a", "b"]);
        assert_eq!(super::groups(&token, "roles"), vec!["admins"]);
        assert!(super::groups(&token, "missing").is_empty());
        assert!(super::groups("garbage", "groups").is_empty());
    }
}
