//! A run as the run page shows it and its live stream sends it.

use crate::model::Strategy;
use crate::records::{RunStatus, StepStatus};
use serde::{Deserialize, Serialize};

/// One step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepView {
    pub no: i32,
    pub phase: i32,
    pub description: String,
    pub status: StepStatus,
    pub attempts: i32,
    pub duration_ms: Option<i64>,
    pub error: Option<String>,
}

/// One audit entry of a run (submission, recomputed plan, cancel, retry, result, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventView {
    pub at: String,
    pub actor: String,
    /// What happened, in words (`add object sales.q1 in share`).
    pub action: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunView {
    pub id: String,
    pub share_pack_id: String,
    pub share_pack_name: String,
    pub upload: i64,
    pub status: RunStatus,
    pub strategy: Strategy,
    pub workspace_url: String,
    pub requested_by: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// RFC 3339 with milliseconds: when the run or a step last changed.
    pub updated_at: String,
    pub progress: String,
    pub error: Option<String>,
    pub cancel_requested: bool,
    pub confirm_removals: bool,
    pub compensate: bool,
    pub steps: Vec<StepView>,
    pub events: Vec<EventView>,
    /// Changes whenever the run or a step does.
    pub revision: i64,
    /// Activation links waiting for the submitter.
    pub links_waiting: i64,
    /// What the plan needs and got in approvals; `None` when it never needed any.
    pub approval: Option<super::ApprovalView>,
}

impl RunView {
    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }

    /// The plan was rejected: it ended for good (a retry would apply what was refused).
    pub fn rejected(&self) -> bool {
        self.approval.as_ref().is_some_and(|approval| {
            approval.decisions.iter().any(|decision| decision.current && decision.decision == crate::records::Decision::Rejected)
        })
    }
}

/// A run by id, with its steps, its audit trail (bookkeeping left out) and how many activation
/// links wait for the submitter; `None` when it does not exist or `by` may not see it.
#[cfg(feature = "queue")]
pub async fn run_view(
    store: &crate::store::Store,
    by: &crate::access::Principal,
    id: uuid::Uuid,
) -> Result<Option<RunView>, crate::error::Problem> {
    use super::time;
    let Some(run) = store.load_run(id).await? else { return Ok(None) };
    if !super::visible(store, by, run.share_pack_id, &run.requested_by).await? {
        return Ok(None);
    }
    let steps = store.load_steps(id).await?;
    let events = store.audit_of(run.correlation_id).await?;
    let pack = store.share_pack(run.share_pack_id).await?;
    let links_waiting = store.pending_activation_links(id).await?;
    let approval = super::approval_view(store, by, &run).await?;
    Ok(Some(RunView {
        id: run.id.to_string(),
        share_pack_id: run.share_pack_id.to_string(),
        share_pack_name: pack.map(|pack| pack.name).unwrap_or_default(),
        upload: run.upload,
        status: run.status,
        strategy: run.strategy,
        workspace_url: run.workspace_url.clone(),
        requested_by: run.requested_by.clone(),
        created_at: time(run.created_at),
        finished_at: run.finished_at.map(time),
        updated_at: run.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        progress: run.progress.clone(),
        error: run.error.clone(),
        cancel_requested: run.cancel_requested,
        confirm_removals: run.confirm_removals,
        compensate: run.compensate,
        steps: steps
            .iter()
            .map(|step| StepView {
                no: step.step_no,
                phase: step.phase,
                description: crate::apply::steps::stored_work(step).map(|work| work.describe()).unwrap_or_else(|| step.kind.clone()),
                status: step.status,
                attempts: step.attempts,
                duration_ms: match (step.started_at, step.finished_at) {
                    (Some(start), Some(end)) => Some((end - start).num_milliseconds()),
                    _ => None,
                },
                error: step.last_error.clone(),
            })
            .collect(),
        events: events.iter().filter(|entry| !entry.action.is_marker()).map(event).collect(),
        revision: run.revision,
        links_waiting,
        approval,
    }))
}

/// An audit entry in words: `add_object` on `sales.q1` in `share` reads "add object sales.q1
/// in share"; a recomputed plan says what is no longer needed and what is now also needed.
#[cfg(feature = "queue")]
fn event(entry: &crate::store::AuditRecord) -> EventView {
    let mut action = entry.action.words();
    if let Some(name) = entry.details["name"].as_str() {
        action = format!("{action} {name}");
        if let Some(share) = entry.details["share"].as_str() {
            action = format!("{action} in {share}");
        }
    }
    let list = |field: &str| {
        entry.details[field].as_array().map(|items| items.iter().filter_map(|item| item.as_str()).collect::<Vec<_>>().join(", "))
    };
    let mut reason = entry.reason.clone();
    for (field, label) in [("dropped", "no longer needed"), ("added", "now also needed")] {
        if let Some(items) = list(field).filter(|items| !items.is_empty()) {
            reason = format!("{reason}; {label}: {items}");
        }
    }
    EventView { at: super::time(entry.at), actor: entry.actor.clone(), action, reason }
}
