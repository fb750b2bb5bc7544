//! Settings, from environment variables (a `.env` file in the working directory is honoured).
//!
//! Names are matched without regard to case, so the seed system's lower-case names
//! (`enable_workflow`, `domain_db_connection_string`, ...) and conventional upper-case ones both
//! work. Secrets are kept in [`SecretString`] so that no `Debug` or log line can print them.

use secrecy::SecretString;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Every setting, with its default; the README's configuration table mirrors this.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `LEPTOS_SITE_ADDR`: where the portal listens.
    pub site_addr: SocketAddr,
    /// `LEPTOS_SITE_ROOT`: where the built site (WASM, JS, CSS, public files) is.
    pub site_root: String,
    /// `SHAREPACK_DATA_DIR`: where Sharepack keeps its files.
    pub data_dir: PathBuf,
    /// `SHAREPACK_MAX_UPLOAD_BYTES`: largest share-pack file accepted.
    pub max_upload_bytes: usize,
    /// `SHAREPACK_MAX_UNCOMPRESSED_BYTES`: largest size a workbook may inflate to.
    pub max_uncompressed_bytes: u64,
    /// `enable_workflow`: serve the REST API under `/workflow` (the seed's feature flag).
    pub enable_workflow: bool,
    /// `DATABASE_URL` or `domain_db_connection_string`: PostgreSQL (production); SQLite under the
    /// data directory when unset.
    pub database_url: Option<SecretString>,
    /// `azure_queue_connection_string`: Azure Storage Queue (production); the embedded queue (a
    /// table in the database) when unset.
    pub azure_queue_connection_string: Option<SecretString>,
    /// `azure_queue_name`: the queue's name.
    pub azure_queue_name: String,
    /// `SHAREPACK_LOG_FORMAT`: `text` (default) or `json`.
    pub log_json: bool,
    /// `SHAREPACK_WORKSPACES`: the Databricks workspaces, as JSON (see `engine::databricks::workspaces`).
    /// Holds credentials, so it is a secret as a whole.
    pub workspaces: SecretString,
    /// `SHAREPACK_STRICT_STRATEGY`: refuse NEW packs whose resources exist instead of switching to
    /// UPDATE (a request can override it with `?strict=`).
    pub strict_strategy: bool,
    /// `SHAREPACK_SANDBOX_TOKEN`: the bearer token the sandbox workspace accepts.
    pub sandbox_token: SecretString,
    /// `SHAREPACK_METRICS_ADDR`: also serve `/metrics` here, without credentials, for a scraper
    /// on a network people do not reach (unset: only on the portal, for administrators and
    /// tokens with the metrics scope).
    pub metrics_addr: Option<SocketAddr>,
    /// `SHAREPACK_SANDBOX_ADDRESS`: where this process calls the sandbox workspace
    /// (`http://LEPTOS_SITE_ADDR/sandbox`: its own); a `sharepack worker` beside portals names
    /// one of theirs. Every instance knows the sandbox by the name its database recorded first.
    pub sandbox_address: String,
    /// `SHAREPACK_SANDBOX_FAULTS`: faults the sandbox injects (see `engine::sandbox::faults`).
    pub sandbox_faults: sharepack_engine::sandbox::faults::Faults,
    /// `SHAREPACK_SANDBOX_TABLES`: more tables for the sandbox's catalog, comma-separated.
    pub sandbox_tables: Vec<String>,
    /// `SHAREPACK_SANDBOX_PEOPLE`: people who change the sandbox by hand, as Catalog Explorer
    /// users would (`email=token,email=token`); their calls are recorded as theirs. Secret,
    /// as it holds tokens.
    pub sandbox_people: SecretString,
    /// `SHAREPACK_DB_MIN_CONNECTIONS`, `SHAREPACK_DB_MAX_CONNECTIONS`, `SHAREPACK_DB_ACQUIRE_TIMEOUT_SECS`.
    pub pool: sharepack_engine::store::PoolSettings,
    /// `SHAREPACK_WORKERS`: workers inside the portal (0: run `sharepack worker` separately).
    pub workers: u32,
    /// `SHAREPACK_WORKER_BATCH` (10), `SHAREPACK_WORKER_VISIBILITY_SECS` (300),
    /// `SHAREPACK_MAX_DELIVERIES` (5), `SHAREPACK_RETRY_DELAY_MS` (5000), `SHAREPACK_IDLE_POLL_MS` (1000).
    pub worker: sharepack_engine::jobs::WorkerSettings,
    /// `SHAREPACK_STEP_CONCURRENCY` (4) and `SHAREPACK_COMPENSATE` (true: a failed NEW run removes
    /// what it created).
    pub apply: sharepack_engine::apply::ApplySettings,
    /// `SHAREPACK_HOUSEKEEPING_SECS` (3600): how often housekeeping jobs run (expired activation
    /// links, sessions and sign-in states are deleted).
    pub housekeeping_every: std::time::Duration,
    /// `SHAREPACK_SCHEDULE_POLL_MS` (15000): how often each process looks for scheduled runs
    /// whose start time has come (how late one may start).
    pub schedule_every: std::time::Duration,
    /// `SHAREPACK_DRIFT_MINUTES` (60): how often each workspace is reconciled with what
    /// Sharepack recorded; 0 turns scheduled checks off (on demand only).
    pub drift_every: Option<std::time::Duration>,
    /// `SHAREPACK_SYNC_MINUTES` (360): how often each workspace's catalogs, schemas and tables,
    /// and the directory, are synced; 0 turns scheduled syncs off (on demand only).
    pub sync_every: Option<std::time::Duration>,
    /// The directory synced into `users` and `ad_groups` (off unless set): `azure_tenant_id`,
    /// `graph_client_id` and `graph_client_secret` (the seed's names) for an Entra ID app with
    /// `User.Read.All` and `GroupMember.Read.All` application permissions, `SHAREPACK_GRAPH_URL`
    /// (`https://graph.microsoft.com`) and `SHAREPACK_GRAPH_AUTHORITY`
    /// (`https://login.microsoftonline.com`); `SHAREPACK_GRAPH_URL=sandbox` syncs the sandbox's
    /// directory instead.
    pub directory: Option<sharepack_engine::sync::directory::DirectorySettings>,
    /// `SHAREPACK_SMTP_URL`: the SMTP server e-mail notifications go through
    /// (`smtp://host:25`, `smtp://user:password@host:587?tls=required`, `smtps://...`); unset,
    /// nobody is e-mailed. A secret (it may hold a password).
    pub smtp_url: Option<SecretString>,
    /// `notification_from_email` (the seed's name): the notifications' sender.
    pub notification_from: String,
    /// `SHAREPACK_WEBHOOKS`: webhooks notified of events, as JSON
    /// (`[{"name": "ops", "url": "https://...", "secret": "whsec_...", "events": ["RUN_FINISHED"]}]`).
    /// A secret as a whole.
    pub webhooks: SecretString,
    /// `SHAREPACK_PUBLIC_URL`: the portal's address as people reach it (invitation and setup
    /// links, the OIDC redirect); `http://LEPTOS_SITE_ADDR` by default. `https://` makes cookies
    /// `Secure`.
    pub public_url: String,
    /// `SHAREPACK_SESSION_IDLE_MINUTES` (120) and `SHAREPACK_SESSION_MAX_HOURS` (12).
    pub sessions: sharepack_engine::access::sessions::SessionPolicy,
    /// `SHAREPACK_OPEN_REST` (false): serve `/workflow` without credentials, as anonymous, for a
    /// trusted network. Health and the log say so loudly.
    pub open_rest: bool,
    /// `SHAREPACK_OIDC_ISSUER`, `SHAREPACK_OIDC_CLIENT_ID`, `SHAREPACK_OIDC_CLIENT_SECRET`,
    /// `SHAREPACK_OIDC_GROUPS_CLAIM` (`groups`; `roles` for Entra ID app roles) and
    /// `SHAREPACK_OIDC_ROLES` (group → role mapping, see `auth::oidc`): sign-in through an
    /// identity provider. Unset: local accounts only.
    pub oidc: Option<OidcSettings>,
    /// `SHAREPACK_RATE_PER_MINUTE` (30): uploads, validations and plans one person may make per
    /// minute (bursts up to that many), per portal instance.
    pub rate_per_minute: u32,
    /// `SHAREPACK_APPROVALS`: which plans wait for approval (see `engine::approval::policy`).
    /// Unset: every plan needs one approval, by someone other than its submitter.
    pub approvals: std::sync::Arc<sharepack_engine::approval::Policy>,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`),
    /// `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER(_ARG)`: traces
    /// over OTLP/HTTP (see `telemetry::traces`). Unset: no traces are exported.
    pub traces: Option<crate::telemetry::TraceSettings>,
}

/// The identity provider.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    pub groups_claim: String,
    /// `SHAREPACK_OIDC_SCOPES` (`openid email profile`).
    pub scopes: Vec<String>,
    /// Group (or app role) name → grants.
    pub roles: Vec<(String, sharepack_engine::access::Grant)>,
}

/// The directory to sync, if any: the sandbox's (`SHAREPACK_GRAPH_URL=sandbox`, reached with the
/// sandbox's token), or Microsoft Graph for the Entra ID app the seed's settings name (all three
/// or none).
fn directory(
    get: &impl Fn(&str) -> Option<String>,
    sandbox_address: &str,
    sandbox_token: &SecretString,
) -> Result<Option<sharepack_engine::sync::directory::DirectorySettings>, SettingError> {
    use sharepack_engine::sync::directory::{DirectorySettings, GRAPH};
    let graph_url = get("SHAREPACK_GRAPH_URL");
    if graph_url.as_deref() == Some("sandbox") {
        return Ok(Some(DirectorySettings {
            graph_url: format!("{sandbox_address}/graph"),
            tenant_id: "sandbox".into(),
            client_id: "sharepack".into(),
            client_secret: sandbox_token.clone(),
            authority: Some(format!("{sandbox_address}/graph/login")),
        }));
    }
    let app = [get("azure_tenant_id"), get("graph_client_id"), get("graph_client_secret")];
    let [Some(tenant_id), Some(client_id), Some(client_secret)] = app else {
        // Some but not all: the first one missing is named.
        if let (true, Some(index)) = (app.iter().any(Option::is_some), app.iter().position(Option::is_none)) {
            let names = ["azure_tenant_id", "graph_client_id", "graph_client_secret"];
            let problem = "the directory needs azure_tenant_id, graph_client_id and graph_client_secret together".to_string();
            return Err(SettingError { name: names[index], problem });
        }
        return Ok(None);
    };
    let graph_url = graph_url.unwrap_or_else(|| GRAPH.to_string());
    let authority = get("SHAREPACK_GRAPH_AUTHORITY");
    // The secret and the tokens travel over these: https, or http on this machine only.
    let loopback = |url: &str| ["http://127.0.0.1", "http://localhost", "http://[::1]"].iter().any(|local| url.starts_with(local));
    for (name, url) in [("SHAREPACK_GRAPH_URL", Some(&graph_url)), ("SHAREPACK_GRAPH_AUTHORITY", authority.as_ref())] {
        if let Some(url) = url.filter(|url| !url.starts_with("https://") && !loopback(url)) {
            return Err(SettingError { name, problem: format!("`{url}` is not an https:// address (http:// only on this machine)") });
        }
    }
    Ok(Some(DirectorySettings { graph_url, tenant_id, client_id, client_secret: SecretString::from(client_secret), authority }))
}

/// `{"group": "admin", "other group": "requester:Legal", "third": ["approver:Legal", "auditor"]}`.
fn parse_role_mapping(text: &str) -> Result<Vec<(String, sharepack_engine::access::Grant)>, String> {
    use sharepack_engine::access::{Grant, Role};
    let value: serde_json::Value = serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?;
    let map = value.as_object().ok_or("expected an object of group names to roles")?;
    let mut out = Vec::new();
    for (group, roles) in map {
        let roles: Vec<&serde_json::Value> = match roles {
            serde_json::Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for role in roles {
            let text = role.as_str().ok_or_else(|| format!("group {group}: roles are strings like `requester:Legal`"))?;
            let (role, line) = match text.split_once(':') {
                Some((role, line)) => (role, Some(line)),
                None => (text, None),
            };
            let role: Role = role.parse().map_err(|error| format!("group {group}: {error}"))?;
            let grant = Grant::new(role, line);
            if role.is_global_only() && grant.business_line.is_some() {
                return Err(format!("group {group}: admin is for every business line; write `admin`"));
            }
            if grant.business_line.as_ref().is_some_and(|line| line.chars().count() > 255) {
                return Err(format!("group {group}: a business line has at most 255 characters"));
            }
            out.push((group.clone(), grant));
        }
    }
    Ok(out)
}

/// Every `SHAREPACK_` name Sharepack reads; any other is refused at start, so a misspelt
/// setting is an error instead of a default silently kept. `SHAREPACK_PORTAL` and
/// `SHAREPACK_TOKEN` are the CLI's; names starting `SHAREPACK_TEST_` belong to the test tools.
pub const SETTINGS: &[&str] = &[
    "SHAREPACK_APPROVALS",
    "SHAREPACK_COMPENSATE",
    "SHAREPACK_DATA_DIR",
    "SHAREPACK_DB_ACQUIRE_TIMEOUT_SECS",
    "SHAREPACK_DB_MAX_CONNECTIONS",
    "SHAREPACK_DB_MIN_CONNECTIONS",
    "SHAREPACK_HOUSEKEEPING_SECS",
    "SHAREPACK_SCHEDULE_POLL_MS",
    "SHAREPACK_DRIFT_MINUTES",
    "SHAREPACK_GRAPH_AUTHORITY",
    "SHAREPACK_GRAPH_URL",
    "SHAREPACK_IDLE_POLL_MS",
    "SHAREPACK_LOG_FORMAT",
    "SHAREPACK_MAX_DELIVERIES",
    "SHAREPACK_MAX_UNCOMPRESSED_BYTES",
    "SHAREPACK_MAX_UPLOAD_BYTES",
    "SHAREPACK_METRICS_ADDR",
    "SHAREPACK_OIDC_CLIENT_ID",
    "SHAREPACK_OIDC_CLIENT_SECRET",
    "SHAREPACK_OIDC_GROUPS_CLAIM",
    "SHAREPACK_OIDC_ISSUER",
    "SHAREPACK_OIDC_ROLES",
    "SHAREPACK_OIDC_SCOPES",
    "SHAREPACK_OPEN_REST",
    "SHAREPACK_PORTAL",
    "SHAREPACK_PUBLIC_URL",
    "SHAREPACK_RATE_PER_MINUTE",
    "SHAREPACK_RETRY_DELAY_MS",
    "SHAREPACK_SANDBOX_ADDRESS",
    "SHAREPACK_SANDBOX_FAULTS",
    "SHAREPACK_SANDBOX_TABLES",
    "SHAREPACK_SANDBOX_PEOPLE",
    "SHAREPACK_SANDBOX_TOKEN",
    "SHAREPACK_SESSION_IDLE_MINUTES",
    "SHAREPACK_SESSION_MAX_HOURS",
    "SHAREPACK_SMTP_URL",
    "SHAREPACK_STEP_CONCURRENCY",
    "SHAREPACK_STRICT_STRATEGY",
    "SHAREPACK_SYNC_MINUTES",
    "SHAREPACK_TOKEN",
    "SHAREPACK_WORKERS",
    "SHAREPACK_WORKER_BATCH",
    "SHAREPACK_WORKER_VISIBILITY_SECS",
    "SHAREPACK_WEBHOOKS",
    "SHAREPACK_WORKSPACES",
];

/// Refuses a `SHAREPACK_` name that is not a setting, suggesting the nearest one.
fn check_names<'a>(names: impl Iterator<Item = &'a String>) -> Result<(), SettingError> {
    for name in names {
        let upper = name.to_ascii_uppercase();
        if !upper.starts_with("SHAREPACK_") || upper.starts_with("SHAREPACK_TEST_") || SETTINGS.contains(&upper.as_str()) {
            continue;
        }
        let nearest =
            SETTINGS.iter().map(|known| (strsim::levenshtein(known, &upper), *known)).min().filter(|(distance, _)| *distance <= 4);
        let problem = match nearest {
            Some((_, known)) => format!("`{upper}` is not a Sharepack setting; did you mean {known}?"),
            None => format!("`{upper}` is not a Sharepack setting (the README lists them)"),
        };
        return Err(SettingError { name: "SHAREPACK_*", problem });
    }
    Ok(())
}

/// A setting that is present but cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("setting {name}: {problem}")]
pub struct SettingError {
    pub name: &'static str,
    pub problem: String,
}

impl Settings {
    /// Reads `.env` (if present) and the environment.
    pub fn from_env() -> Result<Self, SettingError> {
        // A missing .env is normal; a malformed one is worth a warning but not a refusal.
        if let Err(error) = dotenvy::dotenv() {
            if !error.not_found() {
                eprintln!("warning: .env could not be read: {error}");
            }
        }
        Self::from_vars(std::env::vars())
    }

    /// Builds settings from name/value pairs (the environment, or a test's own).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, SettingError> {
        let vars: HashMap<String, String> = vars.into_iter().map(|(name, value)| (name.to_ascii_lowercase(), value)).collect();
        check_names(vars.keys())?;
        let get = |name: &str| {
            debug_assert!(!name.starts_with("SHAREPACK_") || SETTINGS.contains(&name), "{name} is missing from SETTINGS");
            vars.get(&name.to_ascii_lowercase()).map(|value| value.trim().to_string()).filter(|value| !value.is_empty())
        };
        let parse_number = |name: &'static str, default: u64| -> Result<u64, SettingError> {
            match get(name) {
                None => Ok(default),
                Some(text) => text
                    .replace('_', "")
                    .parse()
                    .map_err(|_| SettingError { name, problem: format!("`{text}` is not a whole number of bytes") }),
            }
        };
        // Minutes between scheduled jobs; 0 for on demand only.
        let interval = |name: &'static str, default: u64| -> Result<Option<std::time::Duration>, SettingError> {
            match parse_number(name, default)? {
                0 => Ok(None),
                minutes if minutes <= 525_600 => Ok(Some(std::time::Duration::from_secs(minutes * 60))),
                minutes => Err(SettingError {
                    name,
                    problem: format!("{minutes} minutes is more than a year; use at most 525600 (or 0 for on demand only)"),
                }),
            }
        };
        let site_addr = match get("LEPTOS_SITE_ADDR") {
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
            Some(text) => text.parse().map_err(|_| SettingError {
                name: "LEPTOS_SITE_ADDR",
                problem: format!("`{text}` is not an address like 127.0.0.1:3000"),
            })?,
        };
        let flag = |name: &'static str, default: bool| -> Result<bool, SettingError> {
            match get(name).map(|text| text.to_ascii_lowercase()) {
                None => Ok(default),
                Some(text) if matches!(text.as_str(), "true" | "1" | "yes" | "on") => Ok(true),
                Some(text) if matches!(text.as_str(), "false" | "0" | "no" | "off") => Ok(false),
                Some(text) => Err(SettingError { name, problem: format!("`{text}` is not true or false") }),
            }
        };
        let enable_workflow = flag("enable_workflow", true)?;
        let strict_strategy = flag("SHAREPACK_STRICT_STRATEGY", false)?;
        let log_json = match get("SHAREPACK_LOG_FORMAT").map(|text| text.to_ascii_lowercase()) {
            None => false,
            Some(text) if text == "json" => true,
            Some(text) if text == "text" => false,
            Some(text) => return Err(SettingError { name: "SHAREPACK_LOG_FORMAT", problem: format!("`{text}` is neither text nor json") }),
        };
        let max_upload_bytes = parse_number("SHAREPACK_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)?;
        let small = |name: &'static str, default: u64| -> Result<u32, SettingError> {
            let value = parse_number(name, default)?;
            u32::try_from(value).map_err(|_| SettingError { name, problem: format!("{value} is too large") })
        };
        let pool = sharepack_engine::store::PoolSettings {
            min_connections: small("SHAREPACK_DB_MIN_CONNECTIONS", 2)?,
            max_connections: small("SHAREPACK_DB_MAX_CONNECTIONS", 10)?.max(1),
            acquire_timeout: std::time::Duration::from_secs(u64::from(small("SHAREPACK_DB_ACQUIRE_TIMEOUT_SECS", 5)?.max(1))),
        };
        let millis = |name: &'static str, default: u64| parse_number(name, default).map(std::time::Duration::from_millis);
        let worker = sharepack_engine::jobs::WorkerSettings {
            batch: small("SHAREPACK_WORKER_BATCH", 10)?.clamp(1, 32),
            visibility: std::time::Duration::from_secs(parse_number("SHAREPACK_WORKER_VISIBILITY_SECS", 300)?.max(3)),
            idle_poll: millis("SHAREPACK_IDLE_POLL_MS", 1000)?,
            max_deliveries: small("SHAREPACK_MAX_DELIVERIES", 5)?.max(1),
            retry_delay: millis("SHAREPACK_RETRY_DELAY_MS", 5000)?,
        };
        let apply = sharepack_engine::apply::ApplySettings {
            concurrency: small("SHAREPACK_STEP_CONCURRENCY", 4)?.max(1) as usize,
            compensate_new: flag("SHAREPACK_COMPENSATE", true)?,
        };
        let oidc = match get("SHAREPACK_OIDC_ISSUER") {
            None => None,
            Some(issuer) => Some(OidcSettings {
                issuer,
                client_id: get("SHAREPACK_OIDC_CLIENT_ID")
                    .ok_or(SettingError { name: "SHAREPACK_OIDC_CLIENT_ID", problem: "is needed with SHAREPACK_OIDC_ISSUER".into() })?,
                client_secret: get("SHAREPACK_OIDC_CLIENT_SECRET").map(SecretString::from),
                groups_claim: get("SHAREPACK_OIDC_GROUPS_CLAIM").unwrap_or_else(|| "groups".into()),
                scopes: get("SHAREPACK_OIDC_SCOPES")
                    .unwrap_or_else(|| "openid email profile".into())
                    .split([' ', ','])
                    .filter(|scope| !scope.is_empty() && *scope != "openid")
                    .map(str::to_string)
                    .collect(),
                roles: parse_role_mapping(&get("SHAREPACK_OIDC_ROLES").unwrap_or_else(|| "{}".into()))
                    .map_err(|problem| SettingError { name: "SHAREPACK_OIDC_ROLES", problem })?,
            }),
        };
        // The sandbox is served by every portal at /sandbox; a worker-only process calls a portal's.
        let local = match site_addr.ip() {
            ip if ip.is_unspecified() => SocketAddr::from(([127, 0, 0, 1], site_addr.port())),
            _ => site_addr,
        };
        let sandbox_address = get("SHAREPACK_SANDBOX_ADDRESS").unwrap_or_else(|| format!("http://{local}/sandbox"));
        if !(sandbox_address.starts_with("http://") || sandbox_address.starts_with("https://")) {
            return Err(SettingError {
                name: "SHAREPACK_SANDBOX_ADDRESS",
                problem: format!("`{sandbox_address}` is not an http:// or https:// address"),
            });
        }
        let public_url = get("SHAREPACK_PUBLIC_URL").unwrap_or_else(|| format!("http://{site_addr}")).trim_end_matches('/').to_string();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(SettingError {
                name: "SHAREPACK_PUBLIC_URL",
                problem: format!("`{public_url}` is not an http:// or https:// address"),
            });
        }
        let sessions = sharepack_engine::access::sessions::SessionPolicy {
            idle: chrono::TimeDelta::minutes(parse_number("SHAREPACK_SESSION_IDLE_MINUTES", 120)?.clamp(1, 60 * 24 * 30) as i64),
            absolute: chrono::TimeDelta::hours(parse_number("SHAREPACK_SESSION_MAX_HOURS", 12)?.clamp(1, 24 * 90) as i64),
        };
        let metrics_addr = match get("SHAREPACK_METRICS_ADDR") {
            None => None,
            Some(text) => Some(text.parse().map_err(|_| SettingError {
                name: "SHAREPACK_METRICS_ADDR",
                problem: format!("`{text}` is not an address like 0.0.0.0:9464"),
            })?),
        };
        let sandbox_token = SecretString::from(get("SHAREPACK_SANDBOX_TOKEN").unwrap_or_else(|| "dapi-sandbox".into()));
        let settings = Settings {
            traces: crate::telemetry::TraceSettings::read(get)?,
            metrics_addr,
            sandbox_address: sandbox_address.trim_end_matches('/').to_string(),
            public_url,
            sessions,
            open_rest: flag("SHAREPACK_OPEN_REST", false)?,
            oidc,
            rate_per_minute: small("SHAREPACK_RATE_PER_MINUTE", 30)?.max(1),
            approvals: std::sync::Arc::new(match get("SHAREPACK_APPROVALS") {
                None => sharepack_engine::approval::Policy::default(),
                Some(text) => sharepack_engine::approval::Policy::parse(&text)
                    .map_err(|problem| SettingError { name: "SHAREPACK_APPROVALS", problem })?,
            }),
            housekeeping_every: std::time::Duration::from_secs(parse_number("SHAREPACK_HOUSEKEEPING_SECS", 3600)?.max(1)),
            schedule_every: std::time::Duration::from_millis(parse_number("SHAREPACK_SCHEDULE_POLL_MS", 15_000)?.max(10)),
            drift_every: interval("SHAREPACK_DRIFT_MINUTES", 60)?,
            sync_every: interval("SHAREPACK_SYNC_MINUTES", 360)?,
            directory: directory(&get, sandbox_address.trim_end_matches('/'), &sandbox_token)?,
            workers: small("SHAREPACK_WORKERS", 2)?,
            worker,
            apply,
            site_addr,
            site_root: get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            data_dir: get("SHAREPACK_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("data")),
            max_upload_bytes: usize::try_from(max_upload_bytes).unwrap_or(usize::MAX),
            max_uncompressed_bytes: parse_number("SHAREPACK_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024)?,
            enable_workflow,
            database_url: get("DATABASE_URL").or_else(|| get("domain_db_connection_string")).map(SecretString::from),
            azure_queue_connection_string: get("azure_queue_connection_string").map(SecretString::from),
            azure_queue_name: get("azure_queue_name").unwrap_or_else(|| "sharepack-processing".into()),
            log_json,
            pool,
            strict_strategy,
            workspaces: SecretString::from(get("SHAREPACK_WORKSPACES").unwrap_or_default()),
            sandbox_token,
            sandbox_faults: sharepack_engine::sandbox::faults::Faults::parse(&get("SHAREPACK_SANDBOX_FAULTS").unwrap_or_default())
                .map_err(|problem| SettingError { name: "SHAREPACK_SANDBOX_FAULTS", problem })?,
            sandbox_tables: get("SHAREPACK_SANDBOX_TABLES")
                .map(|text| text.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect())
                .unwrap_or_default(),
            sandbox_people: {
                let people = get("SHAREPACK_SANDBOX_PEOPLE").unwrap_or_default();
                // Named by position, never by the token it holds.
                let bad = people.split(',').map(str::trim).position(|entry| {
                    !entry.is_empty() && entry.split_once('=').is_none_or(|(email, token)| !email.contains('@') || token.trim().is_empty())
                });
                if let Some(index) = bad {
                    return Err(SettingError {
                        name: "SHAREPACK_SANDBOX_PEOPLE",
                        problem: format!("entry {} is not `email=token`", index + 1),
                    });
                }
                SecretString::from(people)
            },
            smtp_url: get("SHAREPACK_SMTP_URL").filter(|url| !url.trim().is_empty()).map(SecretString::from),
            notification_from: get("notification_from_email").unwrap_or_else(|| "sharepack@localhost".into()),
            webhooks: SecretString::from(get("SHAREPACK_WEBHOOKS").unwrap_or_default()),
        };
        // Notification settings are read once here, so a bad one stops the start.
        settings.notifier().map_err(|problem| SettingError { name: "notifications", problem })?;
        Ok(settings)
    }

    /// How notifications leave, from `SHAREPACK_SMTP_URL`, `notification_from_email`,
    /// `SHAREPACK_WEBHOOKS` and the public URL (for links).
    pub fn notifier(&self) -> Result<sharepack_engine::notify::Notifier, String> {
        use secrecy::ExposeSecret;
        let smtp = self.smtp_url.as_ref().map(|url| url.expose_secret().to_string());
        sharepack_engine::notify::Notifier::configure(
            smtp.as_deref(),
            &self.notification_from,
            self.webhooks.expose_secret(),
            &self.public_url,
        )
    }

    /// Cookies are `Secure` when people reach the portal over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The intake limits these settings imply.
    pub fn limits(&self) -> sharepack_engine::intake::Limits {
        sharepack_engine::intake::Limits {
            max_file_bytes: self.max_upload_bytes,
            max_uncompressed_bytes: self.max_uncompressed_bytes,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, SettingError> {
        Settings::from_vars(pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())))
    }

    #[test]
    fn defaults_suit_the_embedded_portal() {
        let settings = settings(&[]).unwrap();
        assert_eq!(settings.site_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(settings.data_dir, PathBuf::from("data"));
        assert_eq!(settings.max_upload_bytes, 10 * 1024 * 1024);
        assert!(settings.enable_workflow);
        assert_eq!(settings.azure_queue_name, "sharepack-processing");
        assert!(settings.database_url.is_none());
        assert_eq!((settings.pool.min_connections, settings.pool.max_connections), (2, 10));
    }

    #[test]
    fn notification_and_drift_settings_are_checked_at_start() {
        assert_eq!(settings(&[("SHAREPACK_DRIFT_MINUTES", "0")]).unwrap().drift_every, None);
        assert_eq!(settings(&[("SHAREPACK_SYNC_MINUTES", "0")]).unwrap().sync_every, None);
        assert_eq!(settings(&[]).unwrap().sync_every, Some(std::time::Duration::from_secs(360 * 60)));
        // The directory: off by default, the sandbox's on asking, the seed's three settings together.
        assert!(settings(&[]).unwrap().directory.is_none());
        let sandbox = settings(&[("SHAREPACK_GRAPH_URL", "sandbox")]).unwrap().directory.unwrap();
        assert_eq!(sandbox.graph_url, "http://127.0.0.1:3000/sandbox/graph");
        let partial = settings(&[("azure_tenant_id", "t"), ("graph_client_id", "c")]).unwrap_err();
        assert_eq!(partial.name, "graph_client_secret", "the missing one is named");
        let app = [
            ("azure_tenant_id", "t"),
            ("graph_client_id", "c"),
            ("graph_client_secret", "s"),
            ("SHAREPACK_GRAPH_URL", "http://graph.example"),
        ];
        assert_eq!(settings(&app).unwrap_err().name, "SHAREPACK_GRAPH_URL", "no secret over plain http to another machine");
        let graph = settings(&[("azure_tenant_id", "t"), ("graph_client_id", "c"), ("graph_client_secret", "s3cret")]).unwrap();
        let graph = graph.directory.unwrap();
        assert_eq!((graph.graph_url.as_str(), graph.tenant_id.as_str()), ("https://graph.microsoft.com", "t"));
        assert!(!format!("{graph:?}").contains("s3cret"), "the secret is never shown");
        let too_long = settings(&[("SHAREPACK_DRIFT_MINUTES", "99999999999999999")]).unwrap_err();
        assert_eq!(too_long.name, "SHAREPACK_DRIFT_MINUTES");
        let hooks = settings(&[("SHAREPACK_WEBHOOKS", r#"[{"name": "ops", "url": "https://h/x", "secret": "tiny"}]"#)]).unwrap_err();
        assert!(hooks.problem.contains("webhook 1 (ops)") && !hooks.problem.contains("tiny"), "{}", hooks.problem);
        assert!(settings(&[("notification_from_email", "nobody")]).is_err());
        let people = settings(&[("SHAREPACK_SANDBOX_PEOPLE", "ann@example.com=dapi-a,dapi-secret-b")]).unwrap_err();
        assert_eq!(people.problem, "entry 2 is not `email=token`");
    }

    #[test]
    fn seed_names_work_in_either_case() {
        let lower =
            settings(&[("enable_workflow", "false"), ("azure_queue_name", "q1"), ("domain_db_connection_string", "postgres://u:p@h/db")])
                .unwrap();
        assert!(!lower.enable_workflow);
        assert_eq!(lower.azure_queue_name, "q1");
        assert!(lower.database_url.is_some());
        let upper =
            settings(&[("ENABLE_WORKFLOW", "true"), ("AZURE_QUEUE_NAME", "q2"), ("sharepack_max_upload_bytes", "1_048_576")]).unwrap();
        assert!(upper.enable_workflow);
        assert_eq!(upper.azure_queue_name, "q2");
        assert_eq!(upper.max_upload_bytes, 1_048_576);
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let settings =
            settings(&[("DATABASE_URL", "postgres://user:hunter2@db/sharepack"), ("azure_queue_connection_string", "AccountKey=s3cr3t")])
                .unwrap();
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2") && !printed.contains("s3cr3t"), "{printed}");
    }

    #[test]
    fn groups_map_to_roles() {
        let roles =
            parse_role_mapping(r#"{"sp-admins": "admin", "legal": ["requester:Legal", "approver:Legal"], "audit": "auditor"}"#).unwrap();
        assert_eq!(roles.len(), 4);
        assert!(roles.iter().any(|(group, grant)| group == "legal" && grant.to_string() == "approver for Legal"));
        assert!(parse_role_mapping(r#"{"x": "owner"}"#).unwrap_err().contains("not a role"));
        assert!(parse_role_mapping(r#"{"x": "admin:Legal"}"#).is_err());
        let oidc = settings(&[("SHAREPACK_OIDC_ISSUER", "http://127.0.0.1:9000")]).unwrap_err();
        assert_eq!(oidc.name, "SHAREPACK_OIDC_CLIENT_ID");
        assert!(settings(&[("SHAREPACK_PUBLIC_URL", "https://sharepack.example.com/")]).unwrap().secure_cookies());
        assert!(!settings(&[]).unwrap().secure_cookies());
    }

    #[test]
    fn bad_values_name_the_setting() {
        let error = settings(&[("SHAREPACK_MAX_UPLOAD_BYTES", "ten megs")]).unwrap_err();
        assert_eq!(error.name, "SHAREPACK_MAX_UPLOAD_BYTES");
        assert!(settings(&[("LEPTOS_SITE_ADDR", "nowhere")]).is_err());
        assert!(settings(&[("enable_workflow", "maybe")]).is_err());
        assert_eq!(settings(&[("SHAREPACK_SANDBOX_ADDRESS", "portal:3000")]).unwrap_err().name, "SHAREPACK_SANDBOX_ADDRESS");
    }

    #[test]
    fn unknown_names_are_refused_with_the_nearest_setting() {
        let error = settings(&[("SHAREPACK_WORKSPACE", "[]")]).unwrap_err();
        assert!(
            error.to_string().contains("`SHAREPACK_WORKSPACE` is not a Sharepack setting; did you mean SHAREPACK_WORKSPACES?"),
            "{error}"
        );
        let error = settings(&[("sharepack_frobnicate", "1")]).unwrap_err();
        assert!(error.to_string().contains("SHAREPACK_FROBNICATE") && !error.to_string().contains("did you mean"), "{error}");
        assert!(settings(&[("SHAREPACK_TEST_PG_URL", "x"), ("PATH", "/bin"), ("sharepack_workers", "1")]).is_ok());
    }

    #[test]
    fn a_portal_listening_everywhere_calls_its_sandbox_on_the_loopback() {
        assert_eq!(settings(&[("LEPTOS_SITE_ADDR", "0.0.0.0:8080")]).unwrap().sandbox_address, "http://127.0.0.1:8080/sandbox");
        assert_eq!(settings(&[]).unwrap().sandbox_address, "http://127.0.0.1:3000/sandbox");
    }
}
