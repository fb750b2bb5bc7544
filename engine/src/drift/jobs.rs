//! Drift checks as jobs through the work queue: asked for by a person (the check already queued
//! or running for the workspace answers instead of a second one), queued by the scheduler once
//! per interval slot (the slot's id makes every process agree on one job), and run by a worker
//! holding the workspace's lease, so two processes never reconcile one workspace at once.

use super::check::{reconcile, CheckError};
use crate::access::{Act, Principal};
use crate::databricks::workspaces::{Workspace, Workspaces};
use crate::error::{Class, Problem};
use crate::queue::{Job, JobError, Queue};
use crate::records::{SyncKind, SyncStatus};
use crate::store::{Store, StoreError, SyncJob};
use std::time::Duration;
use uuid::Uuid;

/// The lease's purpose in `workspace_leases`.
pub const LEASE: &str = "drift";
/// How long a lease lasts unless renewed: a holder that dies blocks the workspace this long.
const LEASE_TTL: Duration = Duration::from_secs(120);
const RENEW_EVERY: Duration = Duration::from_secs(30);

/// Asks for a check of `workspace` now. Answers the check already queued or running for it
/// (false) or a new one (true).
pub async fn request(store: &Store, queue: &Queue, workspace: &Workspace, by: &Principal) -> Result<(SyncJob, bool), Problem> {
    by.require(Act::Request, None)?;
    if let Some(open) = store.open_sync_job(SyncKind::Drift, &workspace.url).await? {
        return Ok((open, false));
    }
    let id = Uuid::now_v7();
    store.queue_sync_job(id, SyncKind::Drift, &workspace.url, by.actor().name()).await?;
    send(store, queue, id).await.map_err(|error| {
        tracing::error!(%error, "a drift check could not be queued");
        Problem::new(Class::Unavailable, "queue_unavailable", "The work queue is unavailable right now; the check was not queued")
            .hint("Try again in a moment")
    })?;
    let job = store.sync_job(id).await?.ok_or_else(|| Problem::internal("reading the check just queued"))?;
    Ok((job, true))
}

/// Sends the job's message; a job the queue refused is failed with why, never left queued.
async fn send(store: &Store, queue: &Queue, id: Uuid) -> Result<(), crate::queue::QueueError> {
    if let Err(error) = queue.send(&Job::CheckDrift { sync_job_id: id }).await {
        let why = format!("the work queue refused the job: {error}");
        if let Err(failed) = store.settle_sync_job(id, SyncStatus::Failed, 0, Some(&why), &serde_json::json!({})).await {
            tracing::error!(error = %failed, job = %id, "a check the queue refused could not be marked failed");
        }
        return Err(error);
    }
    Ok(())
}

/// Queues a check of each workspace whose slot of `every` has come and has none open. Every
/// process may call it: the slot's id lets one insert win. Answers how many were queued.
pub async fn schedule(store: &Store, queue: &Queue, workspaces: &Workspaces, every: Duration) -> Result<usize, StoreError> {
    let seconds = every.as_secs().max(1);
    let slot = chrono::Utc::now().timestamp().max(0) as u64 / seconds;
    let mut queued = 0;
    for workspace in workspaces.iter() {
        if store.open_sync_job(SyncKind::Drift, &workspace.url).await?.is_some() {
            continue;
        }
        let id = Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("sharepack:drift:{}:{seconds}:{slot}", workspace.url).as_bytes());
        if store.queue_sync_job(id, SyncKind::Drift, &workspace.url, "scheduler").await? && send(store, queue, id).await.is_ok() {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Runs check `id` (a worker's delivery), answering the drift to tell people of, if any. Another process holding the workspace's lease makes
/// it wait for a later delivery; a failure is kept on the job and retried like any job.
pub async fn run(store: &Store, workspaces: &Workspaces, id: Uuid) -> Result<Option<crate::notify::Event>, JobError> {
    let Some(job) = store.sync_job(id).await? else {
        return Err(JobError::Fatal(format!("sync job {id} does not exist")));
    };
    if !job.status.is_open() {
        return Ok(None);
    }
    let Some(workspace) = workspaces.iter().find(|workspace| workspace.url == job.workspace_url) else {
        let why = format!("workspace {} is no longer configured", job.workspace_url);
        store.settle_sync_job(id, SyncStatus::Failed, 0, Some(&why), &job.data).await?;
        return Ok(None);
    };
    // The holder is this delivery, not the job: a second delivery of the same job elsewhere
    // (a lease on the message that lapsed) waits like any other check.
    let holder = Uuid::new_v4();
    if !store.take_lease(LEASE, &workspace.url, holder, LEASE_TTL).await? {
        return Err(JobError::Retryable(format!("another drift check of {} is running", workspace.url)));
    }
    store.start_sync_job(id).await?;
    let outcome = holding_lease(store, workspace, id, holder).await;
    if let Err(error) = store.give_back_lease(LEASE, &workspace.url, holder).await {
        tracing::warn!(%error, "a drift lease could not be given back; it expires by itself");
    }
    match outcome {
        Ok(report) => {
            let data = serde_json::to_value(&report).unwrap_or_default();
            store.settle_sync_job(id, SyncStatus::Succeeded, report.compared as i64, None, &data).await?;
            tracing::info!(workspace = %workspace.url, new = report.new, resolved = report.resolved, calls = report.calls, "drift check done");
            let found = (!report.drifted.is_empty()).then(|| crate::notify::Event::DriftFound {
                check: id,
                workspace_url: workspace.url.clone(),
                packs: report.drifted,
            });
            Ok(found)
        }
        Err(error) => {
            let text = crate::store::redact(&error.to_string());
            store.settle_sync_job(id, SyncStatus::Queued, 0, Some(&text), &job.data).await?;
            Err(match error {
                CheckError::Store(error) => error.into(),
                CheckError::Workspace(_) | CheckError::LeaseLost => JobError::Retryable(text),
            })
        }
    }
}

/// The check, renewing the lease while it goes on; a lease lost (this process stalled past
/// its expiry and another took it) stops the check rather than run two at once.
async fn holding_lease(store: &Store, workspace: &Workspace, id: Uuid, holder: Uuid) -> Result<super::check::Report, CheckError> {
    let check = reconcile(store, &workspace.url, &workspace.client, id);
    tokio::pin!(check);
    let mut renew = tokio::time::interval(RENEW_EVERY);
    renew.tick().await;
    loop {
        tokio::select! {
            report = &mut check => return report,
            _ = renew.tick() => {
                if !store.renew_lease(LEASE, &workspace.url, holder, LEASE_TTL).await? {
                    return Err(CheckError::LeaseLost);
                }
            }
        }
    }
}

/// A check given up on (it kept failing): failed, with the reason.
pub async fn give_up(store: &Store, id: Uuid, reason: &str) -> Result<(), JobError> {
    if let Some(job) = store.sync_job(id).await? {
        store.settle_sync_job(id, SyncStatus::Failed, job.items, Some(reason), &job.data).await?;
    }
    Ok(())
}
