//! Portals for tests: on either stack (`Stack`), listening on a local port (so the portal's own
//! sandbox is reachable over HTTP), with as many in-portal workers as a test wants, and their
//! data directory removed when the test ends.

use axum::Router;
use server::config::Settings;
use sharepack_engine::databricks::workspaces::Workspaces;
use sharepack_engine::queue::Queue;
use sharepack_engine::store::testing::{stack_vars, Stack, TempDir};
use sharepack_engine::store::Store;
use std::path::Path;
use std::sync::Arc;

pub struct Portal {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    pub address: std::net::SocketAddr,
    /// The settings that put it on its stack (the database and queue), for other processes
    /// that share them.
    pub stack_vars: Vec<(String, String)>,
    pub router: Router,
    pub settings: Settings,
    pub store: Store,
    pub queue: Queue,
    pub workspaces: Arc<Workspaces>,
    pub data_dir: std::path::PathBuf,
    stop: tokio::sync::watch::Sender<bool>,
    _workers: tokio::task::JoinSet<()>,
    _dir: Option<TempDir>,
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl Portal {
    /// A portal on the embedded stack without workers.
    pub async fn embedded(vars: &[(&str, &str)]) -> Portal {
        Portal::start(Stack::Embedded, vars, 0).await.expect("the embedded stack needs nothing")
    }

    /// A portal on `stack` with `workers` in-portal workers; `None` (skip) when the production
    /// services are not there. `vars` come last, so they override.
    pub async fn start(stack: Stack, vars: &[(&str, &str)], workers: u32) -> Option<Portal> {
        let dir = TempDir::new("sharepack-test");
        let mut portal = Portal::start_in(&dir.0, stack, vars, workers).await?;
        portal._dir = Some(dir);
        Some(portal)
    }

    /// The same in a data directory the test keeps (to open it again).
    pub async fn start_in(dir: &Path, stack: Stack, vars: &[(&str, &str)], workers: u32) -> Option<Portal> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let mut all =
            vec![("SHAREPACK_DATA_DIR".to_string(), dir.display().to_string()), ("LEPTOS_SITE_ADDR".to_string(), address.to_string())];
        let shared = stack_vars(stack).await?;
        all.extend(shared.iter().cloned());
        all.extend(vars.iter().map(|(name, value)| (name.to_string(), value.to_string())));
        let settings = Settings::from_vars(all).unwrap();
        let store = server::open_store(&settings).await.expect("the store opens");
        let queue = server::queue(&settings, &store).unwrap();
        queue.ensure().await.unwrap();
        let workspaces = Arc::new(server::workspaces(&settings).unwrap());
        let router = server::build_with(&settings, store.clone(), workspaces.clone(), queue.clone());
        let serving = router.clone();
        tokio::spawn(async move { axum::serve(listener, serving).await.unwrap() });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let orchestrator = server::orchestrator(&settings, store.clone(), workspaces.clone());
        let workers = server::spawn_workers(&settings, workers, queue.clone(), orchestrator, stopped);
        Some(Portal {
            url: format!("http://{address}"),
            address,
            stack_vars: shared,
            router,
            settings,
            store,
            queue,
            workspaces,
            data_dir: dir.to_path_buf(),
            stop,
            _workers: workers,
            _dir: None,
        })
    }
}
