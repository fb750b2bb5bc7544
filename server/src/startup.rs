//! Starting a process: the store and the queue (`services`), each given time to come up; then
//! serving the portal, workers only, or the sandbox alone.

use crate::config::Settings;
use crate::services::{check_workspaces, open_store, queue, sandbox_endpoint, sandbox_state, workspaces};
use crate::{router, sandbox, shutdown, workers};
use sharepack_engine::queue::{Queue, QueueError};
use sharepack_engine::sandbox::Sandbox;
use sharepack_engine::store::{redact, Store, StoreError};
use std::sync::Arc;
use tower_http::trace::TraceLayer;

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

/// Serves the portal until Ctrl-C or SIGTERM.
pub async fn serve(settings: Settings) -> Result<(), StartupError> {
    check_workspaces(&settings).map_err(StartupError::Workspaces)?;
    let store = open_store_patiently(&settings).await?;
    let workspaces = Arc::new(open_workspaces(&settings, &store).await?);
    let queue = open_queue_patiently(&settings, &store).await?;
    announce_sign_in(&settings, &store).await?;
    let router = router::build_with(&settings, store.clone(), workspaces.clone(), queue.clone());
    let listener = tokio::net::TcpListener::bind(settings.site_addr).await?;
    if let Some(address) = settings.metrics_addr {
        serve_metrics(address, store.clone(), queue.clone()).await?;
    }
    tracing::info!(address = %settings.site_addr, data_dir = %settings.data_dir.display(), "Sharepack portal listening on http://{}", settings.site_addr);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let orchestrator = workers::orchestrator(&settings, store, workspaces);
    let housekeeping = workers::spawn_housekeeping(&settings, orchestrator.clone(), queue.clone(), stopped.clone());
    let mut workers = workers::spawn_workers(&settings, settings.workers, queue.clone(), orchestrator, stopped);
    tracing::info!(workers = settings.workers, queue = queue.backend(), name = queue.name(), "workers started");
    // On a signal: end live streams (browsers reconnect elsewhere), stop the workers between
    // steps, and let requests in flight finish.
    let stopping = async move {
        shutdown::signal().await;
        crate::live::stop_streams();
        let _ = stop.send(true);
    };
    axum::serve(listener, router).with_graceful_shutdown(stopping).await?;
    while workers.join_next().await.is_some() {}
    let _ = housekeeping.await;
    Ok(())
}

/// Says how people sign in. With no administrator yet, a one-time setup link goes to the log
/// (the only secret ever logged: it works once, for a day, and only until an administrator
/// exists); with the REST API open, a warning.
async fn announce_sign_in(settings: &Settings, store: &sharepack_engine::store::Store) -> Result<(), StartupError> {
    if settings.open_rest {
        tracing::warn!("{}", crate::rest::OPEN_REST_WARNING);
    }
    match sharepack_engine::access::people::first_admin_link(store).await {
        Ok(Some(link)) => {
            let url = format!("{}/setup/{}", settings.public_url, link.expose());
            tracing::warn!(
                setup_link = %url,
                "No administrator yet. Open the setup link (once, within {} hours) to create the first one",
                sharepack_engine::access::people::SETUP_HOURS
            );
        }
        Ok(None) => {}
        Err(error) => tracing::error!(error = %sharepack_engine::store::redact(&error.to_string()), "could not check for an administrator"),
    }
    Ok(())
}

/// `/metrics` alone on its own address, without credentials: for a scraper on a network
/// people do not reach.
async fn serve_metrics(address: std::net::SocketAddr, store: Store, queue: Queue) -> Result<(), StartupError> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    let scrape = move || {
        let (store, queue) = (store.clone(), queue.clone());
        async move { crate::metrics::render(&store, &queue).await }
    };
    let router = axum::Router::new().route("/metrics", axum::routing::get(scrape));
    tracing::info!(%address, "metrics for Prometheus at http://{address}/metrics");
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "the metrics listener stopped");
        }
    });
    Ok(())
}

/// Runs workers only (`sharepack worker`), beside portals that share the database and queue.
pub async fn serve_workers(settings: Settings) -> Result<(), StartupError> {
    check_workspaces(&settings).map_err(StartupError::Workspaces)?;
    let store = open_store_patiently(&settings).await?;
    let workspaces = Arc::new(open_workspaces(&settings, &store).await?);
    let queue = open_queue_patiently(&settings, &store).await?;
    crate::metrics::handle();
    if let Some(address) = settings.metrics_addr {
        serve_metrics(address, store.clone(), queue.clone()).await?;
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let count = settings.workers.max(1);
    let orchestrator = workers::orchestrator(&settings, store, workspaces);
    let housekeeping = workers::spawn_housekeeping(&settings, orchestrator.clone(), queue.clone(), stopped.clone());
    let mut workers = workers::spawn_workers(&settings, count, queue.clone(), orchestrator, stopped);
    tracing::info!(workers = count, queue = queue.backend(), name = queue.name(), "Sharepack workers running");
    shutdown::signal().await;
    let _ = stop.send(true);
    while workers.join_next().await.is_some() {}
    let _ = housekeeping.await;
    tracing::info!("workers stopped");
    Ok(())
}

/// The workspaces, the sandbox under the name its database recorded.
pub async fn open_workspaces(
    settings: &Settings,
    store: &Store,
) -> Result<sharepack_engine::databricks::workspaces::Workspaces, StartupError> {
    let sandbox = sandbox_endpoint(settings, store).await?;
    let workspaces = workspaces(settings, &sandbox).map_err(StartupError::Workspaces)?;
    for workspace in workspaces.iter() {
        tracing::info!(name = %workspace.name, url = %workspace.url, sandbox = workspace.is_sandbox, "workspace configured");
    }
    Ok(workspaces)
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
    axum::serve(listener, router).with_graceful_shutdown(shutdown::signal()).await?;
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
