//! The workspace client: the Unity Catalog sharing API over reqwest, with retries, pagination,
//! batches of at most 100 object updates, and idempotent creates.

use super::auth::{without_url, Credentials, TokenSource};
use super::error::{ApiError, ErrorKind};
use super::retry::RetryPolicy;
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// `PATCH /shares/:name/permissions`: the method and path with names left out (every second
/// segment is one), so the metrics label takes a closed set of values.
fn operation(method: &reqwest::Method, path: &str) -> String {
    if path.starts_with("/api/") {
        return format!("{method} {path}");
    }
    let segments: Vec<&str> =
        path.trim_matches('/').split('/').enumerate().map(|(index, segment)| if index % 2 == 1 { ":name" } else { segment }).collect();
    format!("{method} /{}", segments.join("/"))
}

/// Most object updates Databricks takes in one share PATCH.
pub const MAX_UPDATES_PER_PATCH: usize = 100;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IpAccessList {
    #[serde(default)]
    pub allowed_ip_addresses: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Properties {
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecipientToken {
    pub id: Option<String>,
    pub activation_url: Option<String>,
    pub expiration_time: Option<i64>,
}

/// Something the workspace reports about a resource (who changed it last, when), not part of
/// its state: two states never differ by it, and Sharepack never sends it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Reported<T>(pub Option<T>);

impl<T> PartialEq for Reported<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T: Clone> Reported<T> {
    pub fn get(&self) -> Option<T> {
        self.0.clone()
    }
}

/// A recipient as the workspace has it (the fields Sharepack uses).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecipientInfo {
    pub name: String,
    pub authentication_type: Option<String>,
    pub comment: Option<String>,
    pub owner: Option<String>,
    pub data_recipient_global_metastore_id: Option<String>,
    pub ip_access_list: Option<IpAccessList>,
    pub properties_kvpairs: Option<Properties>,
    #[serde(default)]
    pub tokens: Vec<RecipientToken>,
    #[serde(default)]
    pub activated: bool,
    /// Who changed it last (an e-mail, or a service principal's application id), and when
    /// (epoch milliseconds).
    #[serde(default, skip_serializing)]
    pub updated_by: Reported<String>,
    #[serde(default, skip_serializing)]
    pub updated_at: Reported<i64>,
}

/// What creating a recipient sends.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NewRecipient {
    pub name: String,
    pub authentication_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_recipient_global_metastore_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_access_list: Option<IpAccessList>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties_kvpairs: Option<Properties>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<i64>,
}

/// An object in a share.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SharedObject {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_object_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_as: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cdf_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_data_sharing_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partitions: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Output only.
    #[serde(skip_serializing)]
    pub status: Option<String>,
    /// Who added it to the share, and when (epoch milliseconds); output only.
    #[serde(default, skip_serializing)]
    pub added_by: Reported<String>,
    #[serde(default, skip_serializing)]
    pub added_at: Reported<i64>,
}

/// A share as the workspace has it; `objects` only when read with shared data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShareInfo {
    pub name: String,
    pub comment: Option<String>,
    pub owner: Option<String>,
    /// Who changed it last (its comment or objects), and when; output only.
    #[serde(default, skip_serializing)]
    pub updated_by: Reported<String>,
    #[serde(default, skip_serializing)]
    pub updated_at: Reported<i64>,
    #[serde(default)]
    pub objects: Vec<SharedObject>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum UpdateAction {
    Add,
    Remove,
    Update,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectUpdate {
    pub action: UpdateAction,
    pub data_object: SharedObject,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrivilegeAssignment {
    pub principal: String,
    #[serde(default)]
    pub privileges: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PermissionChange {
    pub principal: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
}

/// A workspace: where it is and how to reach it.
pub struct WorkspaceClient {
    http: reqwest::Client,
    host: String,
    tokens: TokenSource,
    retry: RetryPolicy,
    /// HTTP requests sent to the workspace (retries included), for figures.
    calls: std::sync::atomic::AtomicU64,
    /// The workspace's name in metrics (configured, so a closed set).
    label: String,
    /// Shared by every caller of this workspace in the process.
    limiter: std::sync::Arc<super::limiter::Limiter>,
    /// The SQL warehouse that reads the workspace's audit log (`system.access.audit`), if any.
    audit_warehouse: Option<String>,
}

impl WorkspaceClient {
    /// `host` is the workspace URL (`https://adb-1.2.azuredatabricks.net`, or the sandbox's
    /// `http://127.0.0.1:3000/sandbox`).
    pub fn new(host: &str, credentials: Credentials, retry: RetryPolicy) -> Result<Self, ApiError> {
        Self::with_timeout(host, credentials, retry, Duration::from_secs(30))
    }

    /// Like [`WorkspaceClient::new`], with the time one try may take.
    pub fn with_timeout(host: &str, credentials: Credentials, retry: RetryPolicy, timeout: Duration) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("sharepack/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| ApiError::transport(ErrorKind::Other, format!("the HTTP client cannot start: {error}")))?;
        let host = host.trim_end_matches('/').to_string();
        let label = host.split_once("://").map_or(host.as_str(), |(_, rest)| rest).to_string();
        Ok(WorkspaceClient {
            tokens: TokenSource::new(credentials, host.clone()),
            http,
            host,
            retry,
            calls: Default::default(),
            label,
            limiter: Default::default(),
            audit_warehouse: None,
        })
    }

    /// At most `concurrency` requests to the workspace in flight at once, whoever sends them.
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.limiter = std::sync::Arc::new(super::limiter::Limiter::new(concurrency));
        self
    }

    /// Whether the workspace asked everyone to wait (a 429) and the wait is not over.
    pub fn throttled(&self) -> bool {
        self.limiter.paused()
    }

    /// How many requests may be in flight at once: what readers may usefully start together.
    pub fn concurrency(&self) -> usize {
        self.limiter.concurrency()
    }

    /// Reads who changed what from the audit log through this SQL warehouse.
    pub fn with_audit_warehouse(mut self, warehouse_id: Option<String>) -> Self {
        self.audit_warehouse = warehouse_id.filter(|id| !id.trim().is_empty());
        self
    }

    pub fn audit_warehouse(&self) -> Option<&str> {
        self.audit_warehouse.as_deref()
    }

    /// Names the workspace in metrics (its host and path otherwise).
    pub fn labelled(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// How many HTTP requests this client has sent, retries included.
    pub fn calls(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// One API call with retries, in a client span named by its operation (the trace's
    /// `traceparent` goes with each request). `attempts` reports how many tries it took.
    async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<(T, u32), ApiError> {
        use tracing::field::Empty;
        let operation = operation(&method, path);
        let span = tracing::info_span!(
            "databricks",
            otel.name = %operation,
            otel.kind = "client",
            otel.status_code = Empty,
            http.request.method = %method,
            url.path = path,
            workspace = %self.label,
            http.response.status_code = Empty,
            attempts = Empty,
        );
        let outcome = tracing::Instrument::instrument(self.call_retrying(method, path, &operation, query, body), span.clone()).await;
        match &outcome {
            Ok((_, attempts)) => span.record("attempts", attempts),
            Err(error) => span.record("attempts", error.attempts).record("otel.status_code", "ERROR"),
        };
        outcome
    }

    async fn call_retrying<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        operation: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<(T, u32), ApiError> {
        // Unity Catalog paths are relative to its API; others (SQL statements) are whole.
        let url = match path.starts_with("/api/") {
            true => format!("{}{path}", self.host),
            false => format!("{}/api/2.1/unity-catalog{path}", self.host),
        };
        let started = Instant::now();
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            attempt += 1;
            let sent = Instant::now();
            let outcome = self.try_call(&method, &url, query, body).await;
            self.record(operation, &outcome, sent.elapsed());
            let error = match outcome {
                Ok((_, bytes)) => {
                    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}".to_vec() } else { bytes };
                    let value = serde_json::from_slice(&bytes).map_err(|error| {
                        ApiError::transport(
                            ErrorKind::Other,
                            format!("the workspace answered {method} {path} with unexpected JSON: {error}"),
                        )
                    })?;
                    return Ok((value, attempt));
                }
                Err(error) => error,
            };
            // An expired OAuth token: fetch a new one once, then try again at once.
            if error.kind == ErrorKind::Unauthenticated && !refreshed && self.tokens.is_oauth() {
                refreshed = true;
                self.tokens.invalidate().await;
                continue;
            }
            let jitter = f64::from(uuid::Uuid::new_v4().as_u128() as u16) / f64::from(u16::MAX);
            match self.retry.next_delay(attempt, &error, started.elapsed(), jitter) {
                Some(delay) => {
                    use crate::telemetry::WORKSPACE_RETRIES;
                    if error.status == 429 {
                        // Told to slow down: every caller of this workspace waits as long (the
                        // policy's delay honours `Retry-After`), not only this one.
                        self.limiter.pause(delay);
                    }
                    let labels =
                        [("workspace", self.label.clone()), ("operation", operation.to_string()), ("reason", error.kind.as_str().into())];
                    metrics::counter!(WORKSPACE_RETRIES, &labels).increment(1);
                    tracing::debug!(%method, path, attempt, delay_ms = delay.as_millis() as u64, error = %error, "retrying a Databricks call");
                    tokio::time::sleep(delay).await;
                }
                None => return Err(ApiError { attempts: attempt, ..error }),
            }
        }
    }

    /// One request's metrics: its status (`transport` when no answer came) and time.
    fn record(&self, operation: &str, outcome: &Result<(u16, Vec<u8>), ApiError>, took: Duration) {
        use crate::telemetry::{WORKSPACE_DURATION, WORKSPACE_RATE_LIMITED, WORKSPACE_REQUESTS};
        let code = match outcome {
            Ok((status, _)) => *status,
            Err(error) => error.status,
        };
        if code != 0 {
            tracing::Span::current().record("http.response.status_code", code);
        }
        let status = if code == 0 { "transport".to_string() } else { code.to_string() };
        let (workspace, operation) = (self.label.clone(), operation.to_string());
        if code == 429 {
            metrics::counter!(WORKSPACE_RATE_LIMITED, "workspace" => workspace.clone(), "operation" => operation.clone()).increment(1);
        }
        metrics::histogram!(WORKSPACE_DURATION, "workspace" => workspace.clone(), "operation" => operation.clone())
            .record(took.as_secs_f64());
        metrics::counter!(WORKSPACE_REQUESTS, "workspace" => workspace, "operation" => operation, "status" => status).increment(1);
    }

    async fn try_call(
        &self,
        method: &reqwest::Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        let token = self.tokens.token(&self.http).await?;
        let _slot = self.limiter.admit().await;
        self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut headers = reqwest::header::HeaderMap::new();
        crate::trace::inject_headers(&mut headers);
        let mut request = self.http.request(method.clone(), url).bearer_auth(token.expose_secret()).headers(headers).query(query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|error| {
            let kind =
                if error.is_timeout() || error.is_connect() || error.is_request() { ErrorKind::Unavailable } else { ErrorKind::Other };
            ApiError::transport(kind, format!("{method} {}: {}", url_path(url), without_url(&error)))
        })?;
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|value| value.to_str().ok()).map(str::to_string);
        let (retry_after, request_id) = (header("retry-after"), header("x-request-id").or_else(|| header("x-databricks-request-id")));
        let bytes = response
            .bytes()
            .await
            .map_err(|error| ApiError::transport(ErrorKind::Unavailable, format!("reading the answer failed: {}", without_url(&error))))?;
        if (200..300).contains(&status) {
            Ok((status, bytes.to_vec()))
        } else {
            Err(ApiError::from_response(status, retry_after.as_deref(), request_id.as_deref(), &bytes))
        }
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Result<T, ApiError> {
        Ok(self.call(reqwest::Method::GET, path, query, None).await?.0)
    }

    /// Every page of a list.
    async fn list_all<T: DeserializeOwned>(&self, path: &str, field: &str) -> Result<Vec<T>, ApiError> {
        self.list_all_with(path, field, &[]).await
    }

    async fn list_all_with<T: DeserializeOwned>(&self, path: &str, field: &str, filters: &[(&str, String)]) -> Result<Vec<T>, ApiError> {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![("max_results", "0".to_string())];
            query.extend(filters.iter().cloned());
            if let Some(token) = &token {
                query.push(("page_token", token.clone()));
            }
            let page: Value = self.get(path, &query).await?;
            if let Some(list) = page.get(field) {
                items.extend(
                    serde_json::from_value::<Vec<T>>(list.clone())
                        .map_err(|error| ApiError::transport(ErrorKind::Other, format!("unexpected {field} list: {error}")))?,
                );
            }
            match page.get("next_page_token").and_then(Value::as_str).filter(|next| !next.is_empty()) {
                Some(next) => token = Some(next.to_string()),
                None => return Ok(items),
            }
        }
    }

    /// Creates a recipient. A retried create that finds it existing reads it back instead.
    pub async fn create_recipient(&self, recipient: &NewRecipient) -> Result<RecipientInfo, ApiError> {
        let body = serde_json::to_value(recipient).unwrap_or_default();
        match self.call(reqwest::Method::POST, "/recipients", &[], Some(&body)).await {
            Ok((created, _)) => Ok(created),
            Err(error) if error.kind == ErrorKind::AlreadyExists => {
                let existing = self.get_recipient(&recipient.name).await?;
                let same = existing.authentication_type.as_deref() == Some(recipient.authentication_type.as_str());
                if same && retried(&error) {
                    Ok(existing)
                } else {
                    Err(error)
                }
            }
            Err(error) => Err(error),
        }
    }

    pub async fn get_recipient(&self, name: &str) -> Result<RecipientInfo, ApiError> {
        self.get(&format!("/recipients/{}", segment(name)), &[]).await
    }

    pub async fn list_recipients(&self) -> Result<Vec<RecipientInfo>, ApiError> {
        self.list_all("/recipients", "recipients").await
    }

    /// Changes a recipient; `changes` holds the fields to PATCH (`comment`, `ip_access_list`, ...).
    pub async fn update_recipient(&self, name: &str, changes: &Value) -> Result<(), ApiError> {
        self.call::<Value>(reqwest::Method::PATCH, &format!("/recipients/{}", segment(name)), &[], Some(changes)).await.map(|_| ())
    }

    pub async fn delete_recipient(&self, name: &str) -> Result<(), ApiError> {
        self.call::<Value>(reqwest::Method::DELETE, &format!("/recipients/{}", segment(name)), &[], None).await.map(|_| ())
    }

    /// A new token; the old one expires after `existing_expire_in_seconds` (0: now).
    pub async fn rotate_token(&self, name: &str, existing_expire_in_seconds: u64) -> Result<RecipientInfo, ApiError> {
        let body = json!({"existing_token_expire_in_seconds": existing_expire_in_seconds});
        Ok(self.call(reqwest::Method::POST, &format!("/recipients/{}/rotate-token", segment(name)), &[], Some(&body)).await?.0)
    }

    /// Creates an empty share. A retried create that finds it existing reads it back instead.
    pub async fn create_share(&self, name: &str, comment: Option<&str>) -> Result<ShareInfo, ApiError> {
        let body = json!({"name": name, "comment": comment});
        match self.call(reqwest::Method::POST, "/shares", &[], Some(&body)).await {
            Ok((created, _)) => Ok(created),
            Err(error) if error.kind == ErrorKind::AlreadyExists && retried(&error) => self.get_share(name, false).await,
            Err(error) => Err(error),
        }
    }

    pub async fn get_share(&self, name: &str, include_shared_data: bool) -> Result<ShareInfo, ApiError> {
        self.get(&format!("/shares/{}", segment(name)), &[("include_shared_data", include_shared_data.to_string())]).await
    }

    pub async fn list_shares(&self) -> Result<Vec<ShareInfo>, ApiError> {
        self.list_all("/shares", "shares").await
    }

    /// Applies object updates in PATCHes of at most 100, the comment with the first; sends
    /// nothing when there is nothing to change. Returns the number of PATCHes sent.
    pub async fn update_share(&self, name: &str, updates: &[ObjectUpdate], comment: Option<&str>) -> Result<usize, ApiError> {
        let path = format!("/shares/{}", segment(name));
        let mut sent = 0;
        if updates.is_empty() {
            if let Some(comment) = comment {
                self.call::<Value>(reqwest::Method::PATCH, &path, &[], Some(&json!({"comment": comment}))).await?;
                sent += 1;
            }
            return Ok(sent);
        }
        for (index, batch) in updates.chunks(MAX_UPDATES_PER_PATCH).enumerate() {
            let mut body = json!({"updates": batch});
            if let (0, Some(comment)) = (index, comment) {
                body["comment"] = json!(comment);
            }
            self.call::<Value>(reqwest::Method::PATCH, &path, &[], Some(&body)).await?;
            sent += 1;
        }
        Ok(sent)
    }

    pub async fn delete_share(&self, name: &str) -> Result<(), ApiError> {
        self.call::<Value>(reqwest::Method::DELETE, &format!("/shares/{}", segment(name)), &[], None).await.map(|_| ())
    }

    pub async fn share_permissions(&self, name: &str) -> Result<Vec<PrivilegeAssignment>, ApiError> {
        self.list_all(&format!("/shares/{}/permissions", segment(name)), "privilege_assignments").await
    }

    pub async fn update_share_permissions(&self, name: &str, changes: &[PermissionChange]) -> Result<Vec<PrivilegeAssignment>, ApiError> {
        if changes.is_empty() {
            return self.share_permissions(name).await;
        }
        let (reply, _): (Value, _) = self
            .call(reqwest::Method::PATCH, &format!("/shares/{}/permissions", segment(name)), &[], Some(&json!({"changes": changes})))
            .await?;
        serde_json::from_value(reply.get("privilege_assignments").cloned().unwrap_or(json!([])))
            .map_err(|error| ApiError::transport(ErrorKind::Other, error.to_string()))
    }

    pub async fn table_exists(&self, full_name: &str) -> Result<bool, ApiError> {
        let reply: Value = self.get(&format!("/tables/{}/exists", segment(full_name)), &[]).await?;
        Ok(reply.get("table_exists").and_then(Value::as_bool).unwrap_or(false))
    }

    /// Every table of a schema (one call per page instead of one per table).
    pub async fn list_tables(&self, catalog: &str, schema: &str) -> Result<Vec<Value>, ApiError> {
        self.list_all_with("/tables", "tables", &[("catalog_name", catalog.to_string()), ("schema_name", schema.to_string())]).await
    }

    /// Every catalog of the metastore the caller may see.
    pub async fn list_catalogs(&self) -> Result<Vec<Value>, ApiError> {
        self.list_all("/catalogs", "catalogs").await
    }

    /// Every schema of a catalog.
    pub async fn list_schemas(&self, catalog: &str) -> Result<Vec<Value>, ApiError> {
        self.list_all_with("/schemas", "schemas", &[("catalog_name", catalog.to_string())]).await
    }

    pub async fn get_table(&self, full_name: &str) -> Result<Value, ApiError> {
        self.get(&format!("/tables/{}", segment(full_name)), &[]).await
    }

    pub async fn get_schema(&self, full_name: &str) -> Result<Value, ApiError> {
        self.get(&format!("/schemas/{}", segment(full_name)), &[]).await
    }

    pub async fn get_catalog(&self, name: &str) -> Result<Value, ApiError> {
        self.get(&format!("/catalogs/{}", segment(name)), &[]).await
    }

    /// Runs a read-only SQL statement on a warehouse (the Statement Execution API), waiting up
    /// to 30 seconds, with named parameters (`:since`): the rows as text. Only the first chunk
    /// is read (rows past it, when `manifest.total_chunk_count` says there are, are left out and
    /// logged): callers order newest first and bound their rows.
    pub async fn query(
        &self,
        warehouse_id: &str,
        statement: &str,
        parameters: &[(&str, String)],
    ) -> Result<Vec<Vec<Option<String>>>, ApiError> {
        let body = json!({
            "warehouse_id": warehouse_id,
            "statement": statement,
            "wait_timeout": "30s",
            "on_wait_timeout": "CANCEL",
            "format": "JSON_ARRAY",
            "disposition": "INLINE",
            "parameters": parameters.iter().map(|(name, value)| json!({"name": name, "value": value})).collect::<Vec<_>>(),
        });
        let answer: Value = self.call(reqwest::Method::POST, "/api/2.0/sql/statements", &[], Some(&body)).await?.0;
        let state = answer["status"]["state"].as_str().unwrap_or_default();
        if state != "SUCCEEDED" {
            let message = answer["status"]["error"]["message"].as_str().unwrap_or("no reason given");
            return Err(ApiError::transport(ErrorKind::Other, format!("the statement ended {state}: {message}")));
        }
        let chunks = answer["manifest"]["total_chunk_count"].as_u64().unwrap_or(1);
        if chunks > 1 {
            tracing::warn!(chunks, workspace = %self.label, "a statement's answer came in chunks; only the first is read");
        }
        let rows = answer["result"]["data_array"].as_array().cloned().unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|row| row.as_array().cloned().unwrap_or_default().into_iter().map(|cell| cell.as_str().map(str::to_string)).collect())
            .collect())
    }

    pub async fn metastore_summary(&self) -> Result<Value, ApiError> {
        self.get("/metastore_summary", &[]).await
    }
}

/// An "already exists" after a retried create may be our own first attempt, which reached the
/// workspace although its answer was lost.
fn retried(error: &ApiError) -> bool {
    error.attempts > 1
}

/// A name as one URL path segment.
fn segment(name: &str) -> String {
    percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace("%2E", ".")
        .replace("%2D", "-")
        .replace("%5F", "_")
}

/// The path of a URL, for error messages (no host, no query).
fn url_path(url: &str) -> &str {
    let without_scheme = url.split_once("://").map(|(_, rest)| rest).unwrap_or(url);
    let path = without_scheme.find('/').map(|index| &without_scheme[index..]).unwrap_or("/");
    path.split('?').next().unwrap_or(path)
}
