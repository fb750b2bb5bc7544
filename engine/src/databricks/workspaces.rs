//! The workspaces Sharepack may provision, and which one a request means: the one named by the
//! `X-Workspace-URL` header, else the one serving the tenant's region, else the default (the
//! built-in sandbox unless a configured workspace says `"default": true`).
//!
//! Configured as JSON (`SHAREPACK_WORKSPACES`), one object per workspace:
//! `{"url": "https://adb-1.2.azuredatabricks.net", "auth": "pat", "token": "dapi..."}`,
//! `{"url": ..., "auth": "entra", "tenant_id": ..., "client_id": ..., "client_secret": ...}`,
//! `{"url": ..., "auth": "oauth", "client_id": ..., "client_secret": ...}`, each optionally with
//! `"regions": ["westeurope"]`, `"name"`, `"default": true`, and `"audit_warehouse_id"` (a SQL
//! warehouse that may read `system.access.audit`, so drift says who deleted or changed what).

use super::auth::Credentials;
use super::client::WorkspaceClient;
use super::retry::RetryPolicy;
use secrecy::SecretString;
use serde::Deserialize;
use std::sync::Arc;

/// The sandbox's SQL warehouse, which answers Sharepack's audit query.
pub const SANDBOX_WAREHOUSE: &str = "sandbox-warehouse";

/// One workspace and its client.
pub struct Workspace {
    pub name: String,
    /// What every instance calls this workspace, kept in runs, keys and history: a configured
    /// workspace's URL; for the sandbox, the address recorded in the database it lives in.
    pub url: String,
    /// Where this process calls it, when that differs (the sandbox, served by every portal).
    address: Option<String>,
    pub is_sandbox: bool,
    pub regions: Vec<String>,
    pub client: Arc<WorkspaceClient>,
}

/// Every configured workspace, the sandbox included.
pub struct Workspaces {
    all: Vec<Workspace>,
    default: usize,
}

/// The header named a workspace that is not configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("workspace {asked} is not configured; configured workspaces: {}", known.join(", "))]
pub struct UnknownWorkspace {
    pub asked: String,
    pub known: Vec<String>,
}

impl UnknownWorkspace {
    pub fn problem(&self) -> crate::error::Problem {
        crate::error::Problem::invalid("unknown_workspace", self.to_string())
            .hint("Choose one of the configured workspaces (X-Workspace-URL over REST), or leave the choice out for the default")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    url: String,
    name: Option<String>,
    auth: String,
    token: Option<String>,
    tenant_id: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    authority: Option<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    default: bool,
    /// Requests in flight at once to this workspace, from this process (16).
    concurrency: Option<usize>,
    audit_warehouse_id: Option<String>,
}

/// How the sandbox is named and reached. Its state lives in the database, so every instance on
/// that database serves the same sandbox: they agree on its `identity` (recorded there once) and
/// each calls it at its own `address`.
#[derive(Debug, Clone)]
pub struct SandboxEndpoint {
    pub identity: String,
    pub address: String,
}

impl SandboxEndpoint {
    /// A sandbox named by the address it is reached at.
    pub fn at(address: impl Into<String>) -> Self {
        let address = address.into();
        SandboxEndpoint { identity: address.clone(), address }
    }
}

impl Workspaces {
    /// The sandbox plus the workspaces described by `json` (empty: none).
    /// Errors name the entry and the field, never a secret.
    pub fn configure(json: &str, sandbox: &SandboxEndpoint, sandbox_token: SecretString, retry: RetryPolicy) -> Result<Self, String> {
        let entries: Vec<Entry> = if json.trim().is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(json).map_err(|error| format!("SHAREPACK_WORKSPACES is not valid JSON: {error}"))?
        };
        let client = |url: &str, name: &str, credentials, concurrency: usize, audit: Option<String>| {
            WorkspaceClient::new(url, credentials, retry)
                .map(|client| Arc::new(client.labelled(name).with_concurrency(concurrency).with_audit_warehouse(audit)))
                .map_err(|error| error.to_string())
        };
        // The sandbox is this portal itself: short pauses, but enough tries that the faults it
        // injects for tests and demos (a share of calls answered 429 or 503) pass.
        let local = RetryPolicy {
            max_attempts: 6,
            base_delay: std::time::Duration::from_millis(50),
            max_delay: std::time::Duration::from_millis(400),
            deadline: std::time::Duration::from_secs(20),
        };
        let client_of_sandbox = WorkspaceClient::new(&sandbox.address, Credentials::Pat(sandbox_token), local)
            .map(|client| Arc::new(client.labelled("Sandbox").with_audit_warehouse(Some(SANDBOX_WAREHOUSE.into()))))
            .map_err(|error| error.to_string())?;
        let address = Some(normalize(&sandbox.address)).filter(|address| *address != normalize(&sandbox.identity));
        let mut all = vec![Workspace {
            name: "Sandbox".into(),
            url: normalize(&sandbox.identity),
            address,
            is_sandbox: true,
            regions: Vec::new(),
            client: client_of_sandbox,
        }];
        let mut default = 0;
        for (index, entry) in entries.into_iter().enumerate() {
            let at = format!("workspace {} ({})", index + 1, entry.url);
            if !entry.url.starts_with("https://") && !entry.url.starts_with("http://") {
                return Err(format!("{at}: url must start with https://"));
            }
            let need = |value: Option<String>, field: &str| {
                value.filter(|v| !v.is_empty()).ok_or_else(|| format!("{at}: `{field}` is required for auth `{}`", entry.auth))
            };
            let credentials = match entry.auth.as_str() {
                "pat" => Credentials::Pat(SecretString::from(need(entry.token, "token")?)),
                "entra" => Credentials::EntraServicePrincipal {
                    tenant_id: need(entry.tenant_id, "tenant_id")?,
                    client_id: need(entry.client_id, "client_id")?,
                    client_secret: SecretString::from(need(entry.client_secret, "client_secret")?),
                    authority: entry.authority,
                },
                "oauth" => Credentials::DatabricksOAuth {
                    client_id: need(entry.client_id, "client_id")?,
                    client_secret: SecretString::from(need(entry.client_secret, "client_secret")?),
                },
                other => return Err(format!("{at}: auth `{other}` is not one of pat, entra, oauth")),
            };
            if all.iter().any(|known| known.url == normalize(&entry.url)) {
                return Err(format!("{at}: configured twice"));
            }
            if entry.default {
                default = all.len();
            }
            let concurrency = entry.concurrency.unwrap_or(super::limiter::DEFAULT_CONCURRENCY);
            if !(1..=256).contains(&concurrency) {
                return Err(format!("{at}: `concurrency` is {concurrency}; it takes 1 to 256 requests at once"));
            }
            let name = entry.name.unwrap_or_else(|| host_of(&entry.url));
            all.push(Workspace {
                client: client(&entry.url, &name, credentials, concurrency, entry.audit_warehouse_id)?,
                name,
                url: normalize(&entry.url),
                address: None,
                is_sandbox: false,
                regions: entry.regions.iter().map(|region| region.to_lowercase()).collect(),
            });
        }
        Ok(Workspaces { all, default })
    }

    /// The workspace a request means. A header may name the sandbox by its identity or by the
    /// address this instance serves it at.
    pub fn select(&self, header: Option<&str>, region: Option<&str>) -> Result<&Workspace, UnknownWorkspace> {
        if let Some(asked) = header.map(str::trim).filter(|asked| !asked.is_empty()) {
            let wanted = normalize(asked);
            return self
                .all
                .iter()
                .find(|workspace| workspace.url == wanted || workspace.address.as_deref() == Some(wanted.as_str()))
                .ok_or_else(|| UnknownWorkspace { asked: asked.to_string(), known: self.urls() });
        }
        if let Some(region) = region.map(str::to_lowercase) {
            if let Some(workspace) = self.all.iter().find(|workspace| workspace.regions.contains(&region)) {
                return Ok(workspace);
            }
        }
        Ok(&self.all[self.default])
    }

    pub fn default_workspace(&self) -> &Workspace {
        &self.all[self.default]
    }

    pub fn urls(&self) -> Vec<String> {
        self.all.iter().map(|workspace| workspace.url.clone()).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Workspace> {
        self.all.iter()
    }
}

/// URLs compare without case in the host, a trailing slash or a default port.
fn normalize(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = rest.split_once('/').map(|(host, path)| (host, format!("/{path}"))).unwrap_or((rest, String::new()));
            let host = host.to_lowercase().trim_end_matches(":443").to_string();
            format!("{}://{host}{path}", scheme.to_lowercase())
        }
        None => url.to_lowercase(),
    }
}

fn host_of(url: &str) -> String {
    url.split_once("://").map(|(_, rest)| rest).unwrap_or(url).split('/').next().unwrap_or(url).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspaces(json: &str) -> Result<Workspaces, String> {
        let sandbox = SandboxEndpoint::at("http://127.0.0.1:3000/sandbox");
        Workspaces::configure(json, &sandbox, SecretString::from("dapi-sandbox"), RetryPolicy::default())
    }

    #[test]
    fn the_sandbox_is_the_default_when_nothing_else_is_configured() {
        let all = workspaces("").unwrap();
        let chosen = all.select(None, None).unwrap();
        assert!(chosen.is_sandbox);
        assert_eq!(chosen.url, "http://127.0.0.1:3000/sandbox");
        assert!(all.select(Some("http://127.0.0.1:3000/sandbox/"), None).unwrap().is_sandbox);
    }

    #[test]
    fn the_sandbox_keeps_the_name_the_database_gave_it_wherever_it_is_reached() {
        let sandbox = SandboxEndpoint { identity: "http://127.0.0.1:3000/sandbox".into(), address: "http://127.0.0.1:4123/sandbox".into() };
        let all = Workspaces::configure("", &sandbox, SecretString::from("t"), RetryPolicy::default()).unwrap();
        assert_eq!(all.default_workspace().url, "http://127.0.0.1:3000/sandbox", "runs and keys use the identity");
        assert!(all.select(Some("http://127.0.0.1:3000/sandbox"), None).unwrap().is_sandbox);
        assert!(all.select(Some("http://127.0.0.1:4123/sandbox/"), None).unwrap().is_sandbox, "and its local address answers too");
        assert!(all.select(Some("http://127.0.0.1:9999/sandbox"), None).is_err());
    }

    #[test]
    fn workspaces_are_chosen_by_header_then_region() {
        let all = workspaces(
            r#"[{"url": "https://adb-1.1.azuredatabricks.net", "auth": "pat", "token": "dapi-1", "regions": ["westeurope"]},
                {"url": "https://adb-2.2.azuredatabricks.net/", "auth": "oauth", "client_id": "c", "client_secret": "s", "default": true}]"#,
        )
        .unwrap();
        assert_eq!(all.select(Some("HTTPS://ADB-1.1.azuredatabricks.net/"), None).unwrap().name, "adb-1.1.azuredatabricks.net");
        assert_eq!(all.select(None, Some("WestEurope")).unwrap().url, "https://adb-1.1.azuredatabricks.net");
        assert_eq!(all.select(None, Some("eastus")).unwrap().url, "https://adb-2.2.azuredatabricks.net", "the configured default");
        let unknown = all.select(Some("https://adb-9.9.azuredatabricks.net"), None).err().unwrap();
        assert_eq!(unknown.known.len(), 3);
        assert!(unknown.to_string().contains("https://adb-1.1.azuredatabricks.net"), "{unknown}");
    }

    #[test]
    fn bad_configuration_names_the_entry_without_secrets() {
        let error = workspaces(
            r#"[{"url": "https://adb-1.1.azuredatabricks.net", "auth": "entra", "client_id": "c", "client_secret": "hunter2"}]"#,
        )
        .err()
        .unwrap();
        assert!(error.contains("workspace 1") && error.contains("tenant_id") && !error.contains("hunter2"), "{error}");
        assert!(workspaces(r#"[{"url": "adb-1", "auth": "pat", "token": "t"}]"#).err().unwrap().contains("https://"));
        assert!(workspaces(r#"[{"url": "https://a.net", "auth": "magic"}]"#).err().unwrap().contains("magic"));
        assert!(workspaces("{not json").is_err());
    }
}
