//! The `sharepack` server: the portal's pages, the REST API and the downloads on one axum router.
//! Only this crate knows about HTTP routes; what they do lives in the engine.

pub mod config;
pub mod downloads;
pub mod live;
pub mod rest;
pub mod sandbox;

use app::ssr::{Portal, Uploads};
use app::{shell, App};
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use config::Settings;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sharepack_engine::apply::{Orchestrator, Worker};
use sharepack_engine::databricks::retry::RetryPolicy;
use sharepack_engine::databricks::workspaces::Workspaces;
use sharepack_engine::queue::{AzureQueue, ConnectionString, EmbeddedQueue, Queue, QueueError};
use sharepack_engine::sandbox::{Sandbox, SEED_TABLES};
use sharepack_engine::store::{redact, Store, StoreError};
use std::sync::Arc;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// State shared by every handler.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub portal: Portal,
}

/// Why the portal could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Workspaces(String),
    #[error("the work queue: {0}")]
    Queue(String),
}

/// Opens the store (PostgreSQL when a connection string is set, SQLite otherwise), migrating it.
pub async fn open_store(settings: &Settings) -> Result<Store, StoreError> {
    use secrecy::ExposeSecret;
    let url = settings.database_url.as_ref().map(|url| url.expose_secret().to_string());
    let store = Store::open(url.as_deref(), &settings.data_dir, settings.pool).await?;
    let extra: Vec<&str> = settings.sandbox_tables.iter().map(String::as_str).collect();
    let sandbox = sandbox_workspace(settings, &store);
    sandbox.seed(SEED_TABLES).await?;
    sandbox.seed(&extra).await?;
    Ok(store)
}

/// The sandbox workspace on this store, served at `<portal>/sandbox`.
pub fn sandbox_workspace(settings: &Settings, store: &Store) -> Sandbox {
    Sandbox::new(store.clone(), "sandbox", format!("http://{}/sandbox", settings.site_addr))
}

/// The sandbox's HTTP state for these settings.
pub fn sandbox_state(settings: &Settings, store: &Store) -> sandbox::SandboxState {
    sandbox::SandboxState {
        sandbox: sandbox_workspace(settings, store),
        token: Arc::new(settings.sandbox_token.clone()),
        faults: Arc::new(settings.sandbox_faults.clone()),
    }
}

/// The configured workspaces, the sandbox (served by this portal at `/sandbox`) among them.
pub fn workspaces(settings: &Settings) -> Result<Workspaces, String> {
    use secrecy::ExposeSecret;
    let sandbox_url = format!("http://{}/sandbox", settings.site_addr);
    Workspaces::configure(settings.workspaces.expose_secret(), &sandbox_url, settings.sandbox_token.clone(), RetryPolicy::default())
}

/// The work queue these settings name: Azure Storage Queue when a connection string is set,
/// otherwise the embedded queue in the store. Connecting checks the settings only; call
/// [`Queue::ensure`] before use.
pub fn queue(settings: &Settings, store: &Store) -> Result<Queue, QueueError> {
    use secrecy::ExposeSecret;
    match &settings.azure_queue_connection_string {
        Some(text) => {
            let connection = ConnectionString::parse(text.expose_secret())?;
            Ok(Queue::Azure(AzureQueue::connect(&connection, &settings.azure_queue_name)?))
        }
        None => Ok(Queue::Embedded(EmbeddedQueue::new(store.clone(), &settings.azure_queue_name))),
    }
}

/// Builds the whole application on an open store, with the queue the settings name.
pub fn build(settings: &Settings, store: Store, workspaces: Workspaces) -> Router {
    let queue = queue(settings, &store).unwrap_or_else(|error| {
        tracing::error!(%error, "the Azure queue setting cannot be used; falling back to the embedded queue");
        Queue::Embedded(EmbeddedQueue::new(store.clone(), &settings.azure_queue_name))
    });
    build_with(settings, store, Arc::new(workspaces), queue)
}

/// The orchestrator workers use, on these settings.
pub fn orchestrator(settings: &Settings, store: Store, workspaces: Arc<Workspaces>) -> Arc<Orchestrator> {
    Arc::new(Orchestrator::new(store, workspaces, settings.limits(), settings.apply))
}

/// Starts `count` workers; they stop (between steps, handing messages back) when `stop` turns true.
pub fn spawn_workers(
    settings: &Settings,
    count: u32,
    queue: Queue,
    orchestrator: Arc<Orchestrator>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinSet<()> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..count {
        let worker = Worker { queue: queue.clone(), orchestrator: orchestrator.clone(), settings: settings.worker };
        let stop = stop.clone();
        set.spawn(async move { worker.run(stop).await });
    }
    set
}

/// Builds the whole application on an open store and queue.
pub fn build_with(settings: &Settings, store: Store, workspaces: Arc<Workspaces>, queue: Queue) -> Router {
    let leptos_options = LeptosOptions::builder()
        .output_name("sharepack")
        .site_root(settings.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(settings.site_addr)
        .build();
    let portal = Portal {
        limits: settings.limits(),
        store: store.clone(),
        uploads: Arc::new(Uploads::new(store.clone())),
        workspaces,
        strict_strategy: settings.strict_strategy,
        queue,
        apply: settings.apply,
    };
    let state = AppState { leptos_options: leptos_options.clone(), portal: portal.clone() };
    let routes = generate_route_list(App);
    // Room for the multipart envelope around the largest accepted file; handlers refuse the file
    // itself past the configured limit with a readable message.
    let body_limit = settings.max_upload_bytes.saturating_add(1024 * 1024);

    let mut router = Router::new()
        .nest_service("/sandbox", sandbox::router(sandbox_state(settings, &store)))
        .route("/runs/{id}/events", get(live::run_events))
        .route("/templates/{file}", get(downloads::template))
        .route("/samples/{*path}", get(downloads::sample));
    if settings.enable_workflow {
        router = router.nest("/workflow", rest::router());
    }
    router
        .leptos_routes_with_context(&state, routes, move || provide_context(portal.clone()), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::map_response(bad_arguments_are_400))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A server function called with arguments it cannot read (a hand-made form missing a field)
/// is the caller's mistake: Leptos answers 500 with an `Args|` or `Deserialization|` body; this
/// makes it the 400 it is. Only 500s are looked at, and their bodies are small.
async fn bad_arguments_are_400(response: axum::response::Response) -> axum::response::Response {
    use axum::http::StatusCode;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match http_body_util::BodyExt::collect(body).await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    };
    if bytes.starts_with(b"Args|") || bytes.starts_with(b"Deserialization|") {
        parts.status = StatusCode::BAD_REQUEST;
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Serves the portal until Ctrl-C or SIGTERM.
pub async fn serve(settings: Settings) -> Result<(), StartupError> {
    let workspaces = workspaces(&settings).map_err(StartupError::Workspaces)?;
    for workspace in workspaces.iter() {
        tracing::info!(name = %workspace.name, url = %workspace.url, sandbox = workspace.is_sandbox, "workspace configured");
    }
    let workspaces = Arc::new(workspaces);
    let store = open_store_patiently(&settings).await?;
    let queue = open_queue_patiently(&settings, &store).await?;
    let router = build_with(&settings, store.clone(), workspaces.clone(), queue.clone());
    let listener = tokio::net::TcpListener::bind(settings.site_addr).await?;
    tracing::info!(address = %settings.site_addr, data_dir = %settings.data_dir.display(), "Sharepack portal listening on http://{}", settings.site_addr);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = spawn_workers(&settings, settings.workers, queue.clone(), orchestrator(&settings, store, workspaces), stopped);
    tracing::info!(workers = settings.workers, queue = queue.backend(), name = queue.name(), "workers started");
    // On a signal: end live streams (browsers reconnect elsewhere), stop the workers between
    // steps, and let requests in flight finish.
    let stopping = async move {
        shutdown_signal().await;
        live::stop_streams();
        let _ = stop.send(true);
    };
    axum::serve(listener, router).with_graceful_shutdown(stopping).await?;
    while workers.join_next().await.is_some() {}
    Ok(())
}

/// Runs workers only (`sharepack worker`), beside portals that share the database and queue.
pub async fn serve_workers(settings: Settings) -> Result<(), StartupError> {
    let workspaces = Arc::new(workspaces(&settings).map_err(StartupError::Workspaces)?);
    let store = open_store_patiently(&settings).await?;
    let queue = open_queue_patiently(&settings, &store).await?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let count = settings.workers.max(1);
    let mut workers = spawn_workers(&settings, count, queue.clone(), orchestrator(&settings, store, workspaces), stopped);
    tracing::info!(workers = count, queue = queue.backend(), name = queue.name(), "Sharepack workers running");
    shutdown_signal().await;
    let _ = stop.send(true);
    while workers.join_next().await.is_some() {}
    tracing::info!("workers stopped");
    Ok(())
}

/// A queue service that is still starting gets a minute, like the database.
async fn open_queue_patiently(settings: &Settings, store: &Store) -> Result<Queue, StartupError> {
    let queue = queue(settings, store).map_err(|error| StartupError::Queue(error.to_string()))?;
    let mut delay = std::time::Duration::from_secs(1);
    for attempt in 1.. {
        match queue.ensure().await {
            Ok(()) => return Ok(queue),
            Err(QueueError::Unavailable(error)) if attempt < 8 => {
                tracing::warn!(attempt, %error, "the queue is not reachable yet; retrying in {delay:?}");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_secs(15));
            }
            Err(error) => return Err(StartupError::Queue(error.to_string())),
        }
    }
    unreachable!("the loop returns")
}

/// Serves the sandbox workspace alone (`sharepack sandbox --addr HOST:PORT`), for other tools.
pub async fn serve_sandbox(settings: Settings, address: std::net::SocketAddr) -> Result<(), StartupError> {
    let store = open_store_patiently(&settings).await?;
    let mut state = sandbox_state(&settings, &store);
    state.sandbox = Sandbox::new(store, "sandbox", format!("http://{address}"));
    let router = sandbox::router(state).layer(TraceLayer::new_for_http());
    let listener = tokio::net::TcpListener::bind(address).await?;
    tracing::info!(%address, "Sharepack sandbox workspace listening on http://{address} (API under /api/2.1/unity-catalog)");
    axum::serve(listener, router).with_graceful_shutdown(shutdown_signal()).await?;
    Ok(())
}

/// A database that is still starting (a container, a failover) gets a minute before we give up.
async fn open_store_patiently(settings: &Settings) -> Result<Store, StoreError> {
    let mut delay = std::time::Duration::from_secs(1);
    for attempt in 1.. {
        match open_store(settings).await {
            Ok(store) => {
                tracing::info!(backend = store.backend(), "store ready");
                return Ok(store);
            }
            Err(error @ StoreError::Unavailable(_)) if attempt < 8 => {
                tracing::warn!(attempt, error = %redact(&error.to_string()), "the database is not reachable yet; retrying in {delay:?}");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_secs(15));
            }
            Err(error) => return Err(error),
        }
    }
    unreachable!("the loop returns")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Structured logging: human-readable text by default, JSON lines with `SHAREPACK_LOG_FORMAT=json`.
pub fn init_logging(json: bool) {
    use tracing_subscriber::{fmt, EnvFilter};
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    if json {
        fmt().json().with_env_filter(filter).init();
    } else {
        fmt().with_env_filter(filter).init();
    }
}
