//! The directory: users and groups from Microsoft Graph (Entra ID), kept in `users` and
//! `ad_groups` with history, so that requesters and D2O recipients' e-mails can be checked
//! against it. Graph is read with an app-only token (client credentials for
//! `{graph}/.default`), `$select`ing the fields used and following `@odata.nextLink` pages of
//! up to 999, retrying throttling (429 with `Retry-After`) and outages like workspace calls.
//! Off unless configured; the sandbox serves a directory of the same shape for tests.

use super::SyncError;
use crate::apply::keys;
use crate::databricks::auth::{without_url, Credentials, TokenSource};
use crate::databricks::error::{ApiError, ErrorKind};
use crate::databricks::retry::RetryPolicy;
use crate::identity::Actor;
use crate::records::SyncKind;
use crate::store::{Change, Entity, Store, StoreError};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Where Microsoft Graph is, unless configured otherwise (national clouds have their own).
pub const GRAPH: &str = "https://graph.microsoft.com";
/// The most Graph returns in one page of users or groups.
const PAGE: u32 = 999;
const USER_FIELDS: &str = "id,displayName,mail,userPrincipalName,otherMails,accountEnabled";
const GROUP_FIELDS: &str = "id,displayName,mail,securityEnabled";

/// How to reach the directory. `Debug` never shows the secret.
#[derive(Debug, Clone)]
pub struct DirectorySettings {
    /// Graph's base URL (`https://graph.microsoft.com`, or the sandbox's `.../sandbox/graph`).
    pub graph_url: String,
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// The token authority (`https://login.microsoftonline.com` unless configured).
    pub authority: Option<String>,
}

/// The directory's client.
pub struct Directory {
    url: String,
    http: reqwest::Client,
    tokens: TokenSource,
    retry: RetryPolicy,
    /// Resources asked for per page (`$top`).
    page: u32,
    calls: std::sync::atomic::AtomicU64,
}

/// A user as the directory has it, as Sharepack keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct DirectoryUser {
    pub directory_url: String,
    /// The directory's object id.
    pub id: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_mails: Vec<String>,
    /// False for an account that can no longer sign in (someone who left).
    #[serde(default = "yes")]
    pub account_enabled: bool,
}

fn yes() -> bool {
    true
}

impl DirectoryUser {
    /// The addresses the user is known by, lowercase.
    pub fn addresses(&self) -> impl Iterator<Item = String> + '_ {
        self.mail.iter().chain(&self.user_principal_name).chain(&self.other_mails).map(|address| address.trim().to_lowercase())
    }
}

/// A group as the directory has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct DirectoryGroup {
    pub directory_url: String,
    pub id: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    #[serde(default)]
    pub security_enabled: bool,
}

/// Graph's own shapes (camelCase), read and turned into the records above.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphUser {
    id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    mail: Option<String>,
    #[serde(default)]
    user_principal_name: Option<String>,
    #[serde(default)]
    other_mails: Vec<String>,
    #[serde(default)]
    account_enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphGroup {
    id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    mail: Option<String>,
    #[serde(default)]
    security_enabled: Option<bool>,
}

/// What a sync saw and wrote, kept with its job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Report {
    pub users: usize,
    pub groups: usize,
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    /// Calls made to Graph (retries and tokens left out).
    pub calls: u64,
}

impl Directory {
    pub fn new(settings: DirectorySettings, retry: RetryPolicy) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("sharepack/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| ApiError::transport(ErrorKind::Other, format!("the HTTP client cannot start: {error}")))?;
        let url = settings.graph_url.trim_end_matches('/').to_string();
        let credentials = Credentials::EntraServicePrincipal {
            tenant_id: settings.tenant_id,
            client_id: settings.client_id,
            client_secret: settings.client_secret,
            authority: settings.authority,
        };
        let tokens = TokenSource::new(credentials, &url).with_scope(format!("{url}/.default"));
        Ok(Directory { url, http, tokens, retry, page: PAGE, calls: Default::default() })
    }

    /// Smaller pages than Graph's most (tests walk the next links with them).
    pub fn with_page(mut self, page: u32) -> Self {
        self.page = page.clamp(1, PAGE);
        self
    }

    /// What sync jobs and history call this directory.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Every page of `/v1.0/{collection}`, with `fields` selected.
    async fn list<T: DeserializeOwned>(&self, collection: &str, fields: &str) -> Result<Vec<T>, ApiError> {
        let mut items = Vec::new();
        let mut next = format!("{}/v1.0/{collection}?$select={fields}&$top={}", self.url, self.page);
        let mut seen = std::collections::HashSet::new();
        loop {
            // A next link seen before would loop for ever: the directory is answering wrongly.
            if !seen.insert(next.clone()) {
                return Err(ApiError::transport(ErrorKind::Other, format!("the {collection} list's next page repeats an earlier one")));
            }
            let page = self.get(&next).await?;
            // A page without its list is not an empty directory: reading it as one would delete everyone.
            let Some(listed) = page.get("value").filter(|value| value.is_array()).cloned() else {
                return Err(ApiError::transport(ErrorKind::Other, format!("the {collection} page has no `value` list")));
            };
            items.extend(
                serde_json::from_value::<Vec<T>>(listed)
                    .map_err(|error| ApiError::transport(ErrorKind::Other, format!("unexpected {collection} page: {error}")))?,
            );
            match page.get("@odata.nextLink").and_then(Value::as_str) {
                // The token goes only where the directory is: a next page elsewhere is refused.
                Some(link) if link.starts_with(&format!("{}/", self.url)) => next = link.to_string(),
                Some(_) => {
                    return Err(ApiError::transport(ErrorKind::Other, format!("the {collection} list's next page is not on {}", self.url)))
                }
                None => return Ok(items),
            }
        }
    }

    /// One GET, retried as the policy says; a token refused once is fetched again.
    async fn get(&self, url: &str) -> Result<Value, ApiError> {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self.try_get(url).await {
                Ok(page) => return Ok(page),
                Err(error) => error,
            };
            if error.kind == ErrorKind::Unauthenticated && attempt == 1 {
                self.tokens.invalidate().await;
                continue;
            }
            let jitter = f64::from(Uuid::new_v4().as_u128() as u32) / f64::from(u32::MAX);
            match self.retry.next_delay(attempt, &error, started.elapsed(), jitter) {
                Some(delay) => tokio::time::sleep(delay).await,
                None => return Err(ApiError { attempts: attempt, ..error }),
            }
        }
    }

    async fn try_get(&self, url: &str) -> Result<Value, ApiError> {
        let token = self.tokens.token(&self.http).await?;
        self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let response = self.http.get(url).bearer_auth(token.expose_secret()).send().await.map_err(|error| {
            let kind = if error.is_timeout() || error.is_connect() { ErrorKind::Unavailable } else { ErrorKind::Other };
            ApiError::transport(kind, format!("the directory cannot be reached: {}", without_url(&error)))
        })?;
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|value| value.to_str().ok()).map(str::to_string);
        let (retry_after, request_id) = (header("retry-after"), header("request-id"));
        let body = response.bytes().await.map_err(|error| {
            ApiError::transport(ErrorKind::Unavailable, format!("reading the directory's answer failed: {}", without_url(&error)))
        })?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&body).map_err(|error| {
                ApiError::transport(ErrorKind::Other, format!("the directory answered with something else than JSON: {error}"))
            });
        }
        Err(graph_error(status, retry_after.as_deref(), request_id.as_deref(), &body))
    }
}

/// Graph's error body is `{"error": {"code": "...", "message": "..."}}`; the kind follows the
/// status as for workspace calls.
fn graph_error(status: u16, retry_after: Option<&str>, request_id: Option<&str>, body: &[u8]) -> ApiError {
    #[derive(Deserialize)]
    struct Wrapper {
        error: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        code: Option<String>,
        message: Option<String>,
    }
    let mut error = ApiError::from_response(status, retry_after, request_id, body);
    if let Ok(Wrapper { error: inner }) = serde_json::from_slice::<Wrapper>(body) {
        error.error_code = inner.code.or(error.error_code);
        if let Some(message) = inner.message.filter(|message| !message.trim().is_empty()) {
            error.message = message;
        }
    }
    error
}

/// Reads the directory and records what changed, as job `job`.
pub async fn sync(store: &Store, directory: &Directory, job: Uuid) -> Result<Report, SyncError> {
    let calls_before = directory.calls();
    let url = directory.url().to_string();
    let (users, groups) =
        futures::try_join!(directory.list::<GraphUser>("users", USER_FIELDS), directory.list::<GraphGroup>("groups", GROUP_FIELDS))
            .map_err(SyncError::Directory)?;
    let mut report = Report { users: users.len(), groups: groups.len(), ..Report::default() };
    let users: BTreeMap<Uuid, (String, Value)> = users
        .into_iter()
        .map(|user| {
            let record = DirectoryUser {
                directory_url: url.clone(),
                display_name: user.display_name.unwrap_or_default(),
                mail: user.mail.filter(|mail| !mail.is_empty()),
                user_principal_name: user.user_principal_name,
                other_mails: user.other_mails,
                account_enabled: user.account_enabled.unwrap_or(true),
                id: user.id,
            };
            let name = record.addresses().next().unwrap_or_else(|| record.id.clone());
            (keys::directory_object("user", &record.id), (name, serde_json::to_value(&record).unwrap_or_default()))
        })
        .collect();
    let groups: BTreeMap<Uuid, (String, Value)> = groups
        .into_iter()
        .map(|group| {
            let record = DirectoryGroup {
                directory_url: url.clone(),
                display_name: group.display_name.unwrap_or_default(),
                mail: group.mail.filter(|mail| !mail.is_empty()),
                security_enabled: group.security_enabled.unwrap_or(false),
                id: group.id,
            };
            let name = record.display_name.clone();
            (keys::directory_object("group", &record.id), (name, serde_json::to_value(&record).unwrap_or_default()))
        })
        .collect();
    record(store, Entity::User, &url, users, job, &mut report).await?;
    record(store, Entity::AdGroup, &url, groups, job, &mut report).await?;
    report.calls = directory.calls().saturating_sub(calls_before);
    tracing::info!(users = report.users, groups = report.groups, added = report.added, removed = report.removed, "directory synced");
    Ok(report)
}

/// Writes what changed since the directory's current versions of `entity`.
async fn record(
    store: &Store,
    entity: Entity,
    url: &str,
    mut listed: BTreeMap<Uuid, (String, Value)>,
    job: Uuid,
    report: &mut Report,
) -> Result<(), StoreError> {
    let reason = super::change_reason(SyncKind::Directory, job);
    let change = Change { by: &Actor::Worker, reason: &reason };
    for version in store.current_with(entity, "DirectoryUrl", url).await? {
        match listed.remove(&version.key) {
            Some((name, data)) if name == version.name && data == version.data => {}
            Some((name, data)) => {
                store.write(entity, version.key, &name, &data, &change).await?;
                report.changed += 1;
            }
            None => {
                let gone = format!("no longer in the directory at directory sync {job}");
                store.delete(entity, version.key, &Change { by: &Actor::Worker, reason: &gone }).await?;
                report.removed += 1;
            }
        }
    }
    for (key, (name, data)) in listed {
        store.write(entity, key, &name, &data, &change).await?;
        report.added += 1;
    }
    Ok(())
}

/// The directory's users known by `address` (any of their addresses), as last synced.
pub async fn users_known_as(store: &Store, address: &str) -> Result<Vec<DirectoryUser>, StoreError> {
    let address = address.trim().to_lowercase();
    let mut versions = store.keys_named(Entity::User, &address).await?;
    let mut found = Vec::new();
    for key in versions.drain(..) {
        if let Some(version) = store.current(Entity::User, key).await? {
            found.extend(serde_json::from_value::<DirectoryUser>(version.data).ok());
        }
    }
    if found.is_empty() {
        // Known by their principal name or another address rather than their mail.
        for version in store.current_mentioning(Entity::User, &address).await? {
            found.extend(serde_json::from_value::<DirectoryUser>(version.data).ok());
        }
    }
    found.retain(|user| user.addresses().any(|known| known == address));
    Ok(found)
}
