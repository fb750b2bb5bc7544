//! Jobs: what workers do with queue messages. A message is a typed [`Job`]; [`Jobs::run`] has
//! one arm per kind, so a new kind cannot go unhandled. Each job's failure is retryable or
//! fatal ([`JobError`]), which decides whether its message is tried again or poisoned.
//! Periodic housekeeping runs the same jobs on a timer ([`housekeeping`]) rather than as a side
//! effect of unrelated writes.

pub mod housekeeping;
pub mod worker;

pub use crate::queue::{Job, JobError};
pub use housekeeping::Housekeeping;
pub use worker::{Worker, WorkerSettings};

use crate::apply::{Orchestrator, Outcome};
use crate::store::Store;
use std::sync::Arc;
use tokio::sync::watch;

/// What became of a job that did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Finished (or nothing was left to do): the message is done.
    Done,
    /// Shutting down mid-job: the message goes back for another worker at once.
    HandedBack,
}

/// Runs jobs of every kind.
#[derive(Clone)]
pub struct Jobs {
    pub store: Store,
    pub orchestrator: Arc<Orchestrator>,
    /// How long sessions last (housekeeping deletes ended ones).
    pub sessions: crate::access::sessions::SessionPolicy,
    /// Where approved runs go.
    pub queue: crate::queue::Queue,
    /// The workspaces drift checks read.
    pub workspaces: Arc<crate::databricks::workspaces::Workspaces>,
    /// How often each workspace is reconciled (`None`: only on demand).
    pub drift_every: Option<std::time::Duration>,
    /// How often each workspace's objects and the directory are synced (`None`: only on demand).
    pub sync_every: Option<std::time::Duration>,
    /// The directory synced into `users` and `ad_groups`, when one is configured.
    pub directory: Option<Arc<crate::sync::directory::Directory>>,
    /// How notifications leave (none configured by default).
    pub notifier: Arc<crate::notify::Notifier>,
}

impl Jobs {
    pub fn new(store: Store, orchestrator: Arc<Orchestrator>, queue: crate::queue::Queue) -> Self {
        let workspaces = orchestrator.workspaces().clone();
        Jobs {
            store,
            orchestrator,
            sessions: Default::default(),
            queue,
            workspaces,
            drift_every: None,
            sync_every: None,
            directory: None,
            notifier: Default::default(),
        }
    }

    /// Runs one job; `stop` turning true asks long jobs to stop at the next safe point.
    pub async fn run(&self, job: Job, stop: &watch::Receiver<bool>) -> Result<Settled, JobError> {
        match job {
            Job::ApplyRun { run_id } => match self.orchestrator.process(run_id, stop).await? {
                Outcome::Finished(status) => {
                    tracing::info!(run = %run_id, status = status.as_str(), "run settled");
                    self.finished(run_id, status).await?;
                    Ok(Settled::Done)
                }
                Outcome::Interrupted => Ok(Settled::HandedBack),
            },
            Job::ExpireActivationLinks => {
                let removed = self.store.expire_activation_links().await?;
                if removed > 0 {
                    tracing::info!(removed, "activation links nobody took in time were deleted");
                }
                Ok(Settled::Done)
            }
            Job::ReleaseApproved => {
                let released = crate::approval::decide::release_approved(&self.store, &self.queue).await?;
                if released > 0 {
                    tracing::info!(released, "approved runs left waiting were queued");
                }
                Ok(Settled::Done)
            }
            Job::ReleaseScheduled => {
                let released = crate::apply::schedule::release_due(&self.store, &self.queue).await?;
                if released > 0 {
                    tracing::info!(released, "scheduled runs whose time came were queued");
                }
                Ok(Settled::Done)
            }
            Job::Sync { sync_job_id } => {
                if let Some(event) = crate::sync::jobs::run(&self.store, &self.sources(), sync_job_id).await? {
                    crate::notify::emit(&self.store, &self.queue, event.id(""), &event).await;
                }
                Ok(Settled::Done)
            }
            Job::Notify { event_id } => {
                crate::notify::expand(&self.store, &self.queue, &self.notifier, event_id).await?;
                Ok(Settled::Done)
            }
            Job::Deliver { notification_id } => {
                crate::notify::deliver(&self.store, &self.notifier, notification_id).await?;
                Ok(Settled::Done)
            }
            Job::WarnExpiringTokens => {
                for (token_id, name, owner, expires_at) in
                    self.store.tokens_expiring(chrono::Utc::now() + chrono::TimeDelta::days(7)).await?
                {
                    let event = crate::notify::Event::TokenExpiring { token_id, name, owner, expires_at };
                    crate::notify::emit(&self.store, &self.queue, event.id(""), &event).await;
                }
                Ok(Settled::Done)
            }
            Job::RequeueNotifications => {
                let queued = crate::notify::requeue_waiting(&self.store, &self.queue).await?;
                if queued > 0 {
                    tracing::info!(queued, "events nobody expanded were queued again");
                }
                Ok(Settled::Done)
            }
            Job::ScheduleSyncs => {
                use crate::records::SyncKind;
                let workspaces: Vec<String> = self.workspaces.iter().map(|workspace| workspace.url.clone()).collect();
                let mut queued = 0;
                if let Some(every) = self.drift_every {
                    queued += crate::sync::jobs::schedule(&self.store, &self.queue, SyncKind::Drift, &workspaces, every).await?;
                }
                if let Some(every) = self.sync_every {
                    queued += crate::sync::jobs::schedule(&self.store, &self.queue, SyncKind::Objects, &workspaces, every).await?;
                    if let Some(directory) = &self.directory {
                        queued += crate::sync::jobs::schedule(
                            &self.store,
                            &self.queue,
                            SyncKind::Directory,
                            &[directory.url().to_string()],
                            every,
                        )
                        .await?;
                    }
                }
                if queued > 0 {
                    tracing::info!(queued, "scheduled sync jobs were queued");
                }
                Ok(Settled::Done)
            }
            Job::ExpireSignIns => {
                let now = chrono::Utc::now();
                let sessions = self.store.expire_sessions(now, now - self.sessions.idle).await?;
                let states = self.store.expire_sign_in_states(now - chrono::TimeDelta::minutes(10)).await?;
                if sessions + states > 0 {
                    tracing::info!(sessions, states, "ended sessions and stale sign-in states were deleted");
                }
                Ok(Settled::Done)
            }
        }
    }

    /// What sync jobs read.
    pub fn sources(&self) -> crate::sync::jobs::Sources {
        crate::sync::jobs::Sources { workspaces: self.workspaces.clone(), directory: self.directory.clone() }
    }

    /// A run that completed or failed tells its submitter (once, however often it is delivered).
    async fn finished(&self, run_id: uuid::Uuid, status: crate::records::RunStatus) -> Result<(), JobError> {
        use crate::records::RunStatus;
        if !matches!(status, RunStatus::Completed | RunStatus::Failed) {
            return Ok(());
        }
        let Some(run) = self.store.load_run(run_id).await? else { return Ok(()) };
        let share_pack = self.store.share_pack(run.share_pack_id).await?.map_or_else(|| run.share_pack_id.to_string(), |pack| pack.name);
        // A run retried after failing finishes again: each ending is its own event.
        let ending = format!("{}:{}", status.as_str(), run.finished_at.map(|at| at.timestamp_micros()).unwrap_or_default());
        let event = crate::notify::Event::RunFinished { run_id, share_pack, requested_by: run.requested_by, status, error: run.error };
        crate::notify::emit(&self.store, &self.queue, event.id(&ending), &event).await;
        Ok(())
    }

    /// A job given up on (it kept failing, or cannot succeed): what it leaves behind is put
    /// right. A run fails with the reason, removing what it created like any failed run.
    pub async fn give_up(&self, job: Job, reason: &str) -> Result<(), JobError> {
        match job {
            Job::ApplyRun { run_id } => self.orchestrator.abandon(run_id, reason).await,
            Job::Sync { sync_job_id } => crate::sync::jobs::give_up(&self.store, sync_job_id, reason).await,
            Job::Deliver { notification_id } => crate::notify::give_up(&self.store, notification_id, reason).await,
            Job::Notify { event_id } => {
                tracing::error!(event = %event_id, reason, "an event could not be expanded into notifications");
                Ok(())
            }
            Job::ExpireActivationLinks
            | Job::ExpireSignIns
            | Job::ReleaseApproved
            | Job::ReleaseScheduled
            | Job::ScheduleSyncs
            | Job::RequeueNotifications
            | Job::WarnExpiringTokens => Ok(()),
        }
    }
}
