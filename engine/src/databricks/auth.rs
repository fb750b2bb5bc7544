//! How Sharepack authenticates to a workspace: a personal access token, a Microsoft Entra ID
//! service principal (client credentials for the Azure Databricks resource), or Databricks OAuth
//! machine-to-machine (`/oidc/v1/token`). OAuth tokens are cached and fetched again shortly
//! before they expire (Azure Databricks refuses tokens with 30 seconds or less to live).

use super::error::{ApiError, ErrorKind};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The Azure Databricks resource (application) id that Entra tokens are requested for.
pub const AZURE_DATABRICKS_RESOURCE: &str = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";
/// Tokens are replaced this long before they expire.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Credentials for one workspace. `Debug` never shows a secret.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// A personal access token (`dapi...`).
    Pat(SecretString),
    /// An Entra ID service principal; `authority` defaults to `https://login.microsoftonline.com`.
    EntraServicePrincipal { tenant_id: String, client_id: String, client_secret: SecretString, authority: Option<String> },
    /// A Databricks-managed service principal's OAuth secret.
    DatabricksOAuth { client_id: String, client_secret: SecretString },
}

struct Cached {
    token: SecretString,
    expires: Instant,
}

/// Hands out bearer tokens for one workspace, fetching and caching OAuth tokens as needed.
pub struct TokenSource {
    credentials: Credentials,
    /// The workspace, for Databricks OAuth (`<host>/oidc/v1/token`).
    host: String,
    /// What Entra tokens are asked for (the Azure Databricks resource unless another API's).
    scope: Option<String>,
    cached: Mutex<Option<Cached>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

impl TokenSource {
    pub fn new(credentials: Credentials, host: impl Into<String>) -> Self {
        TokenSource { credentials, host: host.into().trim_end_matches('/').to_string(), scope: None, cached: Mutex::new(None) }
    }

    /// Tokens for another API than Azure Databricks (`https://graph.microsoft.com/.default`).
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// True for OAuth credentials, whose tokens can be fetched again.
    pub fn is_oauth(&self) -> bool {
        !matches!(self.credentials, Credentials::Pat(_))
    }

    /// A token good for at least [`REFRESH_MARGIN`].
    pub async fn token(&self, http: &reqwest::Client) -> Result<SecretString, ApiError> {
        if let Credentials::Pat(token) = &self.credentials {
            return Ok(token.clone());
        }
        let mut cached = self.cached.lock().await;
        if let Some(current) = cached.as_ref().filter(|current| current.expires > Instant::now() + REFRESH_MARGIN) {
            return Ok(current.token.clone());
        }
        let fresh = self.fetch(http).await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Forgets the cached token (after the workspace said it is no longer valid).
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<Cached, ApiError> {
        let request = match &self.credentials {
            Credentials::Pat(_) => unreachable!("personal access tokens are not fetched"),
            Credentials::EntraServicePrincipal { tenant_id, client_id, client_secret, authority } => {
                let authority = authority.as_deref().unwrap_or("https://login.microsoftonline.com").trim_end_matches('/');
                http.post(format!("{authority}/{tenant_id}/oauth2/v2.0/token")).form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", client_secret.expose_secret()),
                    ("scope", &self.scope.clone().unwrap_or_else(|| format!("{AZURE_DATABRICKS_RESOURCE}/.default"))),
                ])
            }
            Credentials::DatabricksOAuth { client_id, client_secret } => http
                .post(format!("{}/oidc/v1/token", self.host))
                .basic_auth(client_id, Some(client_secret.expose_secret()))
                .form(&[("grant_type", "client_credentials"), ("scope", "all-apis")]),
        };
        let response = request.send().await.map_err(|error| {
            ApiError::transport(ErrorKind::Unavailable, format!("the token endpoint cannot be reached: {}", without_url(&error)))
        })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|error| ApiError::transport(ErrorKind::Unavailable, format!("reading the token failed: {}", without_url(&error))))?;
        if !status.is_success() {
            let mut error = ApiError::from_response(status.as_u16(), None, None, &body);
            // The token endpoint refusing us is an authentication failure, whatever its status.
            if matches!(status.as_u16(), 400 | 401 | 403) {
                error.kind = ErrorKind::Unauthenticated;
            }
            // OAuth's own error shape (`AADSTS7000215: Invalid client secret provided...` from Entra).
            #[derive(Deserialize)]
            struct OAuthError {
                error: String,
                error_description: Option<String>,
            }
            if let Ok(oauth) = serde_json::from_slice::<OAuthError>(&body) {
                let detail = oauth.error_description.unwrap_or_default();
                error.message =
                    format!("{}: {}", oauth.error, detail.lines().next().unwrap_or_default()).trim_end_matches([':', ' ']).to_string();
                error.error_code = Some(oauth.error);
            }
            error.message = format!("getting an OAuth token failed: {}", error.message);
            return Err(error);
        }
        let token: TokenResponse = serde_json::from_slice(&body)
            .map_err(|_| ApiError::transport(ErrorKind::Unauthenticated, "the token endpoint answered without an access_token"))?;
        let lifetime =
            token.expires_in.and_then(|value| value.as_u64().or_else(|| value.as_str().and_then(|text| text.parse().ok()))).unwrap_or(3600);
        Ok(Cached { token: SecretString::from(token.access_token), expires: Instant::now() + Duration::from_secs(lifetime) })
    }
}

/// A reqwest error without the URL (which could carry a query string worth keeping private).
pub fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    text
}
