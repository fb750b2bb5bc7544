//! What users do to runs: cancel one that is queued or running (it stops between steps) and
//! retry one that failed (from the failed step). Each action is recorded in the audit trail
//! with who and why, under the run's correlation id.

use super::records::{AuditEntry, RunStatus};
use crate::queue::{Message, Queue, QueueError};
use crate::store::{Store, StoreError};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("no such run")]
    NotFound,
    #[error("{0}")]
    NotAllowed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// The run's status after the action, and what happened in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: RunStatus,
    pub message: String,
}

fn who(by: &str) -> &str {
    let by = by.trim();
    if by.is_empty() {
        "anonymous"
    } else {
        by
    }
}

pub async fn cancel(store: &Store, run: Uuid, by: &str, reason: &str) -> Result<Answer, ControlError> {
    let before = store.load_run(run).await?.ok_or(ControlError::NotFound)?;
    if before.status.is_terminal() {
        return Err(ControlError::NotAllowed(format!(
            "The run is already {}; only queued or running runs can be cancelled",
            before.status.as_str().to_lowercase()
        )));
    }
    let status = store.request_cancel(run).await?.ok_or(ControlError::NotFound)?;
    if status == RunStatus::Cancelled {
        super::orchestrator::record_pack_status(store, &before, "CANCELLED", Some("Cancelled")).await?;
    }
    audit(store, &before.correlation_id, run, who(by), "run_cancel_requested", reason).await?;
    let message = match status {
        RunStatus::Cancelled if before.status == RunStatus::Queued => "Cancelled before any step ran".to_string(),
        RunStatus::Cancelled => "Cancelled; the steps already finished stay applied".to_string(),
        _ => "The run stops after the step in progress; finished steps stay applied".to_string(),
    };
    Ok(Answer { status, message })
}

pub async fn retry(store: &Store, queue: &Queue, run: Uuid, by: &str, reason: &str) -> Result<Answer, ControlError> {
    let before = store.load_run(run).await?.ok_or(ControlError::NotFound)?;
    if before.status != RunStatus::Failed {
        return Err(ControlError::NotAllowed(format!(
            "The run is {}; only failed runs can be retried",
            before.status.as_str().to_lowercase()
        )));
    }
    if !store.reset_for_retry(run).await? {
        return Err(ControlError::NotAllowed("The run changed meanwhile; reload and try again".into()));
    }
    audit(store, &before.correlation_id, run, who(by), "run_retried", reason).await?;
    super::orchestrator::record_pack_status(store, &before, "IN_PROGRESS", None).await?;
    if let Err(error) = queue.send(&Message { run_id: run }).await {
        let why = format!("The work queue could not be reached, so the retry was not queued: {error}");
        store.set_run_status(run, RunStatus::Failed, &why, Some(&why)).await?;
        return Err(error.into());
    }
    Ok(Answer { status: RunStatus::Queued, message: "Queued again; it resumes from the failed step".into() })
}

async fn audit(store: &Store, correlation: &Uuid, run: Uuid, by: &str, action: &str, reason: &str) -> Result<(), StoreError> {
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
