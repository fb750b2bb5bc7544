//! Workers and housekeeping inside a process: the orchestrator on these settings, `count`
//! queue workers, and the periodic housekeeping jobs, all stopping when `stop` turns true.

use crate::config::Settings;
use sharepack_engine::apply::Orchestrator;
use sharepack_engine::databricks::workspaces::Workspaces;
use sharepack_engine::jobs::{Housekeeping, Jobs, Worker};
use sharepack_engine::queue::Queue;
use sharepack_engine::store::Store;
use std::sync::Arc;

/// The orchestrator workers use, on these settings.
pub fn orchestrator(settings: &Settings, store: Store, workspaces: Arc<Workspaces>) -> Arc<Orchestrator> {
    Arc::new(Orchestrator::new(store, workspaces, settings.limits(), settings.apply, settings.approvals.clone()))
}

/// How this process's notifications leave (the settings were checked at start: nothing is
/// configured only when they were not set).
fn notifier(settings: &Settings) -> Arc<sharepack_engine::notify::Notifier> {
    Arc::new(settings.notifier().unwrap_or_default())
}

/// The directory this process syncs, if one is configured.
fn directory(settings: &Settings) -> Option<Arc<sharepack_engine::sync::directory::Directory>> {
    let directory = settings.directory.clone()?;
    match sharepack_engine::sync::directory::Directory::new(directory, Default::default()) {
        Ok(directory) => Some(Arc::new(directory)),
        Err(error) => {
            tracing::error!(%error, "the directory's client cannot start; directory syncs are off");
            None
        }
    }
}

/// Starts `count` workers; they stop (between steps, handing messages back) when `stop` turns true.
pub fn spawn_workers(
    settings: &Settings,
    count: u32,
    queue: Queue,
    orchestrator: Arc<Orchestrator>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinSet<()> {
    let store = orchestrator.store().clone();
    let notifier = notifier(settings);
    let directory = directory(settings);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..count {
        let worker = Worker {
            queue: queue.clone(),
            jobs: Jobs {
                notifier: notifier.clone(),
                sessions: settings.sessions,
                drift_every: settings.drift_every,
                sync_every: settings.sync_every,
                directory: directory.clone(),
                ..Jobs::new(store.clone(), orchestrator.clone(), queue.clone())
            },
            settings: settings.worker,
        };
        let stop = stop.clone();
        set.spawn(async move { worker.run(stop).await });
    }
    set
}

/// Starts the periodic housekeeping jobs (every process that runs workers, and every portal).
pub fn spawn_housekeeping(
    settings: &Settings,
    orchestrator: Arc<Orchestrator>,
    queue: Queue,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let housekeeping = Housekeeping {
        jobs: Jobs {
            sessions: settings.sessions,
            drift_every: settings.drift_every,
            sync_every: settings.sync_every,
            directory: directory(settings),
            ..Jobs::new(orchestrator.store().clone(), orchestrator, queue)
        },
        every: settings.housekeeping_every,
        schedule_every: settings.schedule_every,
    };
    tokio::spawn(async move { housekeeping.run(stop).await })
}
