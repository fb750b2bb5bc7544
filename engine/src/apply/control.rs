//! What users do to runs: cancel one that is queued or running (it stops between steps) and
//! retry one that failed (from the failed step). Each action is recorded in the audit trail
//! with who and why, under the run's correlation id.

use crate::access::{Act, Owner, Principal};
use crate::error::{Class, Problem};
use crate::identity::Actor;
use crate::queue::{Job, Queue, QueueError};
use crate::records::{AuditAction, RunStatus};
use crate::store::{AuditEntry, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("no such run")]
    NotFound(Uuid),
    #[error("{0}")]
    NotAllowed(String),
    /// The principal may not control this run (or may not know it exists).
    #[error("{0}")]
    Refused(Problem),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl From<ControlError> for Problem {
    fn from(error: ControlError) -> Self {
        match error {
            ControlError::NotFound(id) => Problem::not_found("run", &id.to_string()),
            ControlError::NotAllowed(message) => Problem::new(Class::Conflict, "not_allowed", message),
            ControlError::Refused(problem) => problem,
            ControlError::Store(error) => error.into(),
            ControlError::Queue(error) => {
                tracing::error!(%error, "the queue refused a retry");
                Problem::new(Class::Unavailable, "queue_unavailable", "The work queue is unavailable right now")
                    .hint("Try again in a moment")
            }
        }
    }
}

/// The run's status after the action, and what happened in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: RunStatus,
    pub message: String,
}

/// Cancel or retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Cancel,
    Retry,
}

/// Cancels or retries a run, as `by`, for `reason`: runs of business lines `by` does not see
/// are not found; others need the requester role there and to be `by`'s own (or `by` an admin).
pub async fn control(
    store: &Store,
    queue: &Queue,
    control: Control,
    run: Uuid,
    by: &Principal,
    reason: &str,
) -> Result<Answer, ControlError> {
    let reason: String = reason.trim().chars().take(500).collect();
    let stored = store.load_run(run).await?.ok_or(ControlError::NotFound(run))?;
    let line = store.share_pack_owner(stored.share_pack_id).await?.and_then(|owner| owner.business_line);
    let owner = Owner { business_line: line.as_deref(), requested_by: &stored.requested_by };
    by.reveal(&owner, "run", &run.to_string()).map_err(ControlError::Refused)?;
    by.require(Act::Control, Some(&owner)).map_err(ControlError::Refused)?;
    let actor = by.actor();
    match control {
        Control::Cancel => cancel(store, run, &actor, &reason).await,
        Control::Retry => retry(store, queue, run, &actor, &reason).await,
    }
}

async fn cancel(store: &Store, run: Uuid, by: &Actor, reason: &str) -> Result<Answer, ControlError> {
    let before = store.load_run(run).await?.ok_or(ControlError::NotFound(run))?;
    if !before.status.can_cancel() {
        return Err(ControlError::NotAllowed(format!(
            "The run is already {}; only runs waiting for approval or their start time, queued or running can be cancelled",
            before.status.as_str().to_lowercase()
        )));
    }
    let status = store.request_cancel(run).await?.ok_or(ControlError::NotFound(run))?;
    if status == RunStatus::Cancelled {
        super::orchestrator::record_pack_status(store, &before, RunStatus::Cancelled.recorded(), Some("Cancelled")).await?;
    }
    audit(store, &before.correlation_id, run, by, AuditAction::RunCancelRequested, reason).await?;
    let message = match status {
        RunStatus::Cancelled if before.status == RunStatus::AwaitingApproval => {
            "Withdrawn before approval; nothing was applied".to_string()
        }
        RunStatus::Cancelled if before.status == RunStatus::Scheduled => "Cancelled before its start time; nothing was applied".to_string(),
        RunStatus::Cancelled if before.status == RunStatus::Queued => "Cancelled before any step ran".to_string(),
        RunStatus::Cancelled => "Cancelled; the steps already finished stay applied".to_string(),
        _ => "The run stops after the step in progress; finished steps stay applied".to_string(),
    };
    Ok(Answer { status, message })
}

async fn retry(store: &Store, queue: &Queue, run: Uuid, by: &Actor, reason: &str) -> Result<Answer, ControlError> {
    let before = store.load_run(run).await?.ok_or(ControlError::NotFound(run))?;
    if !before.status.can_retry() {
        return Err(ControlError::NotAllowed(format!(
            "The run is {}; only failed runs can be retried",
            before.status.as_str().to_lowercase()
        )));
    }
    let rejected = store.decisions(run).await?.iter().any(|decision| {
        decision.decision == crate::records::Decision::Rejected && Some(&decision.plan_digest) == before.plan_digest.as_ref()
    });
    if rejected {
        return Err(ControlError::NotAllowed("The plan was rejected, so it cannot be retried; change the pack and submit it again".into()));
    }
    if !store.reset_for_retry(run).await? {
        return Err(ControlError::NotAllowed("The run changed meanwhile; reload and try again".into()));
    }
    audit(store, &before.correlation_id, run, by, AuditAction::RunRetried, reason).await?;
    super::orchestrator::record_pack_status(store, &before, RunStatus::Queued.recorded(), None).await?;
    if let Err(error) = queue.send(&Job::ApplyRun { run_id: run }).await {
        let why = format!("The work queue could not be reached, so the retry was not queued: {error}");
        store.set_run_status(run, RunStatus::Failed, &why, Some(&why)).await?;
        return Err(error.into());
    }
    Ok(Answer { status: RunStatus::Queued, message: "Queued again; it resumes from the failed step".into() })
}

async fn audit(store: &Store, correlation: &Uuid, run: Uuid, by: &Actor, action: AuditAction, reason: &str) -> Result<(), StoreError> {
    store
        .audit(&AuditEntry {
            actor: by,
            action,
            entity_type: "provisioning_run",
            entity_id: Some(run),
            version: None,
            correlation_id: Some(*correlation),
            reason,
            details: json!({}),
        })
        .await
}
