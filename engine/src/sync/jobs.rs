//! Sync jobs through the work queue: asked for by a person (the job of that kind already queued
//! or running for the same workspace answers instead of a second one), queued by the scheduler
//! once per interval slot (the slot's id makes every process agree on one job), and run by a
//! worker holding the lease of its kind and workspace, so two processes never run the same sync
//! of one workspace at once.

use super::directory::Directory;
use super::SyncError;
use crate::access::{Act, Principal, Visibility};
use crate::databricks::workspaces::Workspaces;
use crate::error::{Class, Problem};
use crate::queue::{Job, JobError, Queue};
use crate::records::{SyncKind, SyncStatus};
use crate::store::{Store, StoreError, SyncJob};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// How long a lease lasts unless renewed: a holder that dies blocks the workspace this long.
const LEASE_TTL: Duration = Duration::from_secs(120);
const RENEW_EVERY: Duration = Duration::from_secs(30);

/// What sync jobs read: the configured workspaces, and the directory when one is configured.
#[derive(Clone)]
pub struct Sources {
    pub workspaces: Arc<Workspaces>,
    pub directory: Option<Arc<Directory>>,
}

/// The lease's purpose in `workspace_leases`: one per kind, so a drift check and an objects
/// sync of one workspace may run side by side.
pub fn lease(kind: SyncKind) -> &'static str {
    match kind {
        SyncKind::Drift => "drift",
        SyncKind::Objects => "objects",
        SyncKind::Directory => "directory",
    }
}

/// Who may ask for a sync of `kind` now: a drift check anyone who submits packs; the objects
/// and directory syncs, which serve every business line, those who submit packs and see every
/// business line (administrators; an API token works, as the syncs only read elsewhere).
fn may_request(kind: SyncKind, by: &Principal) -> Result<(), Problem> {
    by.require(Act::Request, None)?;
    match kind {
        SyncKind::Drift => Ok(()),
        SyncKind::Objects | SyncKind::Directory if by.visibility() == Visibility::All => Ok(()),
        SyncKind::Objects | SyncKind::Directory => Err(Problem::new(
            Class::Forbidden,
            "role_missing",
            "Workspace objects and the directory are synced for every business line: administrators ask for it",
        )),
    }
}

/// Asks for a sync of `kind` of `target` (a workspace's URL, or the directory's) now. Answers
/// the job already queued or running for it (false) or a new one (true).
pub async fn request(store: &Store, queue: &Queue, kind: SyncKind, target: &str, by: &Principal) -> Result<(SyncJob, bool), Problem> {
    may_request(kind, by)?;
    if let Some(open) = store.open_sync_job(kind, target).await? {
        return Ok((open, false));
    }
    let id = Uuid::now_v7();
    store.queue_sync_job(id, kind, target, by.actor().name()).await?;
    send(store, queue, id).await.map_err(|error| {
        tracing::error!(%error, kind = kind.as_str(), "a sync job could not be queued");
        Problem::new(Class::Unavailable, "queue_unavailable", "The work queue is unavailable right now; the job was not queued")
            .hint("Try again in a moment")
    })?;
    let job = store.sync_job(id).await?.ok_or_else(|| Problem::internal("reading the job just queued"))?;
    Ok((job, true))
}

/// Sends the job's message; a job the queue refused is failed with why, never left queued.
async fn send(store: &Store, queue: &Queue, id: Uuid) -> Result<(), crate::queue::QueueError> {
    if let Err(error) = queue.send(&Job::Sync { sync_job_id: id }).await {
        let why = format!("the work queue refused the job: {error}");
        if let Err(failed) = store.settle_sync_job(id, SyncStatus::Failed, 0, Some(&why), &serde_json::json!({})).await {
            tracing::error!(error = %failed, job = %id, "a job the queue refused could not be marked failed");
        }
        return Err(error);
    }
    Ok(())
}

/// Queues a sync of `kind` for each target whose slot of `every` has come and has none open.
/// Every process may call it: the slot's id lets one insert win. Answers how many were queued.
pub async fn schedule(store: &Store, queue: &Queue, kind: SyncKind, targets: &[String], every: Duration) -> Result<usize, StoreError> {
    let seconds = every.as_secs().max(1);
    let slot = chrono::Utc::now().timestamp().max(0) as u64 / seconds;
    let mut queued = 0;
    for target in targets {
        let target = target.as_str();
        if store.open_sync_job(kind, target).await?.is_some() {
            continue;
        }
        // Drift's ids predate the other kinds; they keep their form so a slot is not run twice
        // across an upgrade.
        let name = match kind {
            SyncKind::Drift => format!("sharepack:drift:{target}:{seconds}:{slot}"),
            other => format!("sharepack:sync:{}:{target}:{seconds}:{slot}", other.as_str()),
        };
        let id = Uuid::new_v5(&Uuid::NAMESPACE_URL, name.as_bytes());
        if store.queue_sync_job(id, kind, target, "scheduler").await? && send(store, queue, id).await.is_ok() {
            queued += 1;
        }
    }
    Ok(queued)
}

/// What one run did: its count, its figures, and what to tell people.
struct Done {
    items: i64,
    data: serde_json::Value,
    event: Option<crate::notify::Event>,
}

/// Runs job `id` (a worker's delivery), answering what to tell people of, if anything. Another
/// process holding the lease makes it wait for a later delivery; a failure is kept on the job
/// and retried like any job.
pub async fn run(store: &Store, sources: &Sources, id: Uuid) -> Result<Option<crate::notify::Event>, JobError> {
    let Some(job) = store.sync_job(id).await? else {
        return Err(JobError::Fatal(format!("sync job {id} does not exist")));
    };
    if !job.status.is_open() {
        return Ok(None);
    }
    let target = job.workspace_url.clone();
    let source = match job.kind {
        SyncKind::Drift | SyncKind::Objects => {
            sources.workspaces.iter().find(|workspace| workspace.url == target).map(|workspace| Source::Workspace(&workspace.client))
        }
        SyncKind::Directory => sources.directory.as_deref().filter(|directory| directory.url() == target).map(Source::Directory),
    };
    let Some(source) = source else {
        let why = format!("{target} is no longer configured");
        store.settle_sync_job(id, SyncStatus::Failed, 0, Some(&why), &job.data).await?;
        return Ok(None);
    };
    // The holder is this delivery, not the job: a second delivery of the same job elsewhere
    // (a lease on the message that lapsed) waits like any other.
    let holder = Uuid::new_v4();
    let purpose = lease(job.kind);
    if !store.take_lease(purpose, &target, holder, LEASE_TTL).await? {
        return Err(JobError::Retryable(format!("another {purpose} job for {target} is running")));
    }
    if let Err(error) = store.start_sync_job(id).await {
        // Not started: the lease goes back at once rather than block the target until it expires.
        if let Err(give_back) = store.give_back_lease(purpose, &target, holder).await {
            tracing::warn!(error = %give_back, "a sync lease could not be given back; it expires by itself");
        }
        return Err(error.into());
    }
    let outcome = holding_lease(store, purpose, &target, holder, work(store, job.kind, source, &target, id)).await;
    if let Err(error) = store.give_back_lease(purpose, &target, holder).await {
        tracing::warn!(%error, "a sync lease could not be given back; it expires by itself");
    }
    match outcome {
        Ok(done) => {
            store.settle_sync_job(id, SyncStatus::Succeeded, done.items, None, &done.data).await?;
            tracing::info!(kind = job.kind.as_str(), %target, items = done.items, "sync job done");
            Ok(done.event)
        }
        Err(error) => {
            let text = crate::store::redact(&error.to_string());
            store.settle_sync_job(id, SyncStatus::Queued, 0, Some(&text), &job.data).await?;
            Err(match error {
                SyncError::Store(error) => error.into(),
                SyncError::Workspace(_) | SyncError::Directory(_) | SyncError::LeaseLost => JobError::Retryable(text),
            })
        }
    }
}

/// What a job reads: a workspace, or the directory.
#[derive(Clone, Copy)]
enum Source<'a> {
    Workspace(&'a crate::databricks::client::WorkspaceClient),
    Directory(&'a Directory),
}

async fn work(store: &Store, kind: SyncKind, source: Source<'_>, target: &str, id: Uuid) -> Result<Done, SyncError> {
    match (kind, source) {
        (SyncKind::Drift, Source::Workspace(client)) => {
            let report = crate::drift::check::reconcile(store, target, client, id).await?;
            tracing::info!(workspace = %target, new = report.new, resolved = report.resolved, calls = report.calls, "drift check done");
            let event = (!report.drifted.is_empty()).then(|| crate::notify::Event::DriftFound {
                check: id,
                workspace_url: target.to_string(),
                packs: report.drifted.clone(),
            });
            Ok(Done { items: report.compared as i64, data: serde_json::to_value(&report).unwrap_or_default(), event })
        }
        (SyncKind::Objects, Source::Workspace(client)) => {
            let report = super::objects::sync(store, target, client, id).await?;
            Ok(Done { items: report.seen as i64, data: serde_json::to_value(&report).unwrap_or_default(), event: None })
        }
        (SyncKind::Directory, Source::Directory(directory)) => {
            let report = super::directory::sync(store, directory, id).await?;
            let items = (report.users + report.groups) as i64;
            Ok(Done { items, data: serde_json::to_value(&report).unwrap_or_default(), event: None })
        }
        (kind, _) => Err(SyncError::Store(StoreError::Corrupt(format!("a {} job names the wrong kind of source", kind.as_str())))),
    }
}

/// The sync, renewing the lease while it goes on; a lease lost (this process stalled past its
/// expiry and another took it) stops the sync rather than run two at once.
async fn holding_lease(
    store: &Store,
    purpose: &str,
    target: &str,
    holder: Uuid,
    work: impl Future<Output = Result<Done, SyncError>>,
) -> Result<Done, SyncError> {
    tokio::pin!(work);
    let mut renew = tokio::time::interval(RENEW_EVERY);
    renew.tick().await;
    loop {
        tokio::select! {
            done = &mut work => return done,
            _ = renew.tick() => {
                if !store.renew_lease(purpose, target, holder, LEASE_TTL).await? {
                    return Err(SyncError::LeaseLost);
                }
            }
        }
    }
}

/// A job given up on (it kept failing): failed, with the reason.
pub async fn give_up(store: &Store, id: Uuid, reason: &str) -> Result<(), JobError> {
    if let Some(job) = store.sync_job(id).await? {
        store.settle_sync_job(id, SyncStatus::Failed, job.items, Some(reason), &job.data).await?;
    }
    Ok(())
}
