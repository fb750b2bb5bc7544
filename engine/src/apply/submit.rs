//! Submission: the one path from an uploaded file to a queued run, used by the page's server
//! function and by `POST /workflow/sharepack/upload`. Intake, a dry run against the workspace,
//! then (if nothing blocks) the file as the share pack's next version, the share pack's new
//! SCD2 version, the run, and a queue message carrying the run id only.

use super::keys;
use crate::access::{claim, Act, Principal};
use crate::approval::{Binding, Policy, Requirement};
use crate::databricks::workspaces::Workspace;
use crate::error::{Class, Problem};
use crate::finding::Finding;
use crate::intake::{read_pack, IntakeError, Limits};
use crate::model::Strategy;
use crate::plan::{Plan, PlanOptions};
use crate::queue::{Job, Queue, QueueError};
use crate::records::{AuditAction, PackStatus, RunStatus, SharePackRecord};
use crate::store::{AuditEntry, Change, NewRun, Store, StoreError};
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

pub struct Submission<'a> {
    /// Who submits: the pack's requestor, and whose business line it must be.
    pub by: &'a Principal,
    pub file_name: &'a str,
    pub bytes: Vec<u8>,
    pub workspace: &'a Workspace,
    /// Apply the removals the plan lists (objects leaving shares, revoked grants).
    pub confirm_removals: bool,
    /// Remove what a failed run created; `None`: the default for the strategy.
    pub compensate: Option<bool>,
    /// The plan the submitter saw, when they saw one; otherwise the dry run's plan is approved.
    pub approved: Option<Plan>,
    pub limits: Limits,
    pub options: PlanOptions,
    pub compensate_new: bool,
    /// Which plans wait for approval before they are queued.
    pub policy: &'a Policy,
    /// Why, besides the upload itself (`rollback to version 1`), for the history and the trail.
    pub note: Option<String>,
    /// The file is an earlier version submitted again: it is the submitter's request now.
    pub restate: bool,
    /// Start no earlier than this (scheduled provisioning); `None`: as soon as it may.
    pub start_at: Option<chrono::DateTime<Utc>>,
}

/// What became of a submission.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub share_pack_id: Uuid,
    pub share_pack_name: String,
    /// The queued run; `None` when the pack did not pass validation or planning.
    pub run_id: Option<Uuid>,
    pub declared: Option<Strategy>,
    pub strategy: Option<Strategy>,
    pub findings: Vec<Finding>,
    pub requested_by: String,
    /// The submitter's claim on activation links (kept in their browser).
    pub claim: Option<Uuid>,
    /// The approvals the run waits for; `None` when it was queued at once.
    pub awaiting: Option<Requirement>,
    /// Where the accepted run is: `AWAITING_APPROVAL`, `SCHEDULED` or `QUEUED`.
    pub run_status: Option<RunStatus>,
    /// When it starts at the earliest, when it was scheduled.
    pub start_at: Option<chrono::DateTime<Utc>>,
}

impl Submitted {
    pub fn accepted(&self) -> bool {
        self.run_id.is_some()
    }

    pub fn switched(&self) -> bool {
        matches!((self.declared, self.strategy), (Some(Strategy::New), Some(Strategy::Update)))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Intake(#[from] IntakeError),
    /// The submitter may not submit this pack (its business line, its requestor).
    #[error("{0}")]
    Refused(Problem),
    /// Only one run per share pack at a time: two runs racing on the same resources would fail.
    #[error("share pack {share_pack_name} already has a run in progress ({run_id}); wait for it to finish or cancel it")]
    Busy { share_pack_name: String, run_id: Uuid },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the work queue is unavailable: {0}")]
    Queue(#[from] QueueError),
    /// The workspace could not be read, so there is no plan to approve yet.
    #[error("{0}")]
    WorkspaceUnavailable(String),
}

impl From<SubmitError> for Problem {
    fn from(error: SubmitError) -> Self {
        match error {
            SubmitError::Intake(error) => error.into(),
            SubmitError::Refused(problem) => problem,
            SubmitError::Busy { .. } => Problem::new(Class::Conflict, "run_in_progress", sentence(&error.to_string()))
                .hint("Follow the current run, or cancel it first"),
            SubmitError::Store(error) => error.into(),
            SubmitError::WorkspaceUnavailable(message) => Problem::new(Class::Unavailable, "workspace_unavailable", message)
                .hint("Nothing was stored or queued; try again in a moment, and check the workspace's URL and credentials if it persists"),
            SubmitError::Queue(error) => {
                tracing::error!(%error, "the queue refused a submission");
                Problem::new(Class::Unavailable, "queue_unavailable", "The work queue is unavailable right now; nothing was queued")
                    .hint("Try again in a moment")
            }
        }
    }
}

/// Starts a message with a capital letter.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// `SharePack_<requestor>_<YYYYMMDD_HHMMSS>`, the seed's naming.
pub fn share_pack_name(requestor: &str, at: chrono::DateTime<Utc>) -> String {
    format!("SharePack_{}_{}", requestor.trim(), at.format("%Y%m%d_%H%M%S"))
}

/// Its span carries the correlation id the run's audit entries will share, once there is one.
#[tracing::instrument(name = "submit", skip_all, fields(correlation_id = tracing::field::Empty))]
pub async fn submit(store: &Store, queue: &Queue, submission: Submission<'_>) -> Result<Submitted, SubmitError> {
    let by = submission.by;
    by.require(Act::Request, None).map_err(SubmitError::Refused)?;
    if let Some(start_at) = submission.start_at {
        super::schedule::check(start_at, Utc::now()).map_err(SubmitError::Refused)?;
    }
    let limits = submission.limits;
    let bytes = submission.bytes;
    let file_name = submission.file_name.to_string();
    let (mut intake, bytes) =
        tokio::task::spawn_blocking(move || read_pack(&bytes, Some(&file_name), &limits).map(|intake| (intake, bytes)))
            .await
            .map_err(|error| StoreError::Config(format!("intake task failed: {error}")))??;
    if submission.restate {
        claim::restate(&mut intake, by);
    }
    claim::claim(&mut intake, by);
    crate::access::resources::check_owners(store, by, &submission.workspace.url, &mut intake).await?;
    if let Some(refused) = claim::refusal(&intake) {
        // Nothing is stored under a business line the submitter does not hold, nor in someone else's name.
        return Err(SubmitError::Refused(refused));
    }
    let format = intake.format.to_string();
    let meta = intake.pack.as_ref().map(|pack| pack.metadata.clone());
    let requester = by.actor();
    let requested_by = requester.name().to_string();
    let workspace = submission.workspace;
    let share_pack_id = match &meta {
        Some(meta) => keys::share_pack(&workspace.url, &meta.business_line, &meta.project_name),
        // A pack that could not be read is its submitter's: their name is in its key.
        None => keys::share_pack(&workspace.url, "", &format!("{requested_by}/{}", submission.file_name)),
    };
    if let Some(stored) = store.share_pack_owner(share_pack_id).await? {
        by.require(Act::Request, Some(&stored.as_owner())).map_err(SubmitError::Refused)?;
    }
    let now = crate::store::now();
    let named_by = meta.as_ref().map(|meta| meta.requestor.trim()).filter(|requestor| !requestor.is_empty()).unwrap_or(&requested_by);
    // A share pack keeps the name its first version got; later versions are versions of it.
    let current = store.share_pack(share_pack_id).await?;
    let name = current.as_ref().map(|current| current.name.clone()).unwrap_or_else(|| share_pack_name(named_by, now));
    let parsed = serde_json::to_value(&intake.pack).unwrap_or_default();
    let outcome = super::preview::dry_run(store, &workspace.url, &workspace.client, intake, submission.options).await?;
    let mut submitted = Submitted {
        share_pack_id,
        share_pack_name: name.clone(),
        run_id: None,
        declared: outcome.declared,
        strategy: outcome.strategy,
        findings: outcome.findings.clone(),
        requested_by: requested_by.clone(),
        claim: None,
        awaiting: None,
        run_status: None,
        start_at: submission.start_at,
    };
    if let Some(unreachable) = outcome.findings.iter().find(|finding| finding.code == "workspace_unreachable") {
        // Not the pack's fault: nothing is stored, and the caller may simply try again.
        return Err(SubmitError::WorkspaceUnavailable(unreachable.message.clone()));
    }
    let blocked = outcome.findings.iter().any(Finding::is_error) || outcome.plan.is_none();
    let active = store.runs_of_pack(share_pack_id).await?.into_iter().find(|run| !run.status.is_terminal());
    if let (false, Some(active)) = (blocked, &active) {
        return Err(SubmitError::Busy { share_pack_name: name, run_id: active.id });
    }
    store.set_share_pack_owner(share_pack_id, meta.as_ref().map(|meta| meta.business_line.as_str()), &requested_by).await?;
    // Every upload is kept as a version of the pack, accepted or not, so its history is complete.
    let upload = store.save_pack_file(share_pack_id, submission.file_name, &format, &bytes, &parsed, &requested_by).await?;
    let run_id = Uuid::now_v7();
    tracing::Span::current().record("correlation_id", tracing::field::display(run_id));
    let record = SharePackRecord {
        status: if blocked { PackStatus::ValidationFailed } else { PackStatus::InProgress },
        strategy: outcome.strategy,
        requested_by: requested_by.clone(),
        workspace_url: workspace.url.clone(),
        upload,
        file_name: submission.file_name.to_string(),
        run_id: (!blocked).then_some(run_id),
        error: outcome.findings.iter().find(|f| f.is_error()).map(|f| f.message.clone()).unwrap_or_default(),
        business_line: meta.as_ref().map(|m| m.business_line.clone()),
        project_name: meta.as_ref().map(|m| m.project_name.clone()),
    };
    let reason = match &submission.note {
        Some(note) => format!("upload {upload} ({}): {note}", submission.file_name),
        None => format!("upload {upload} ({})", submission.file_name),
    };
    // A refused upload is kept as a file version (a draft beside the pack), but it never
    // replaces a version that was submitted, nor its status: the pack stays what was last
    // applied (or is being applied), and those polling it must not see a run vanish.
    let submitted_before = current.as_ref().is_some_and(|current| current.record.status != PackStatus::ValidationFailed);
    if !(blocked && (submitted_before || active.is_some())) {
        store.write_share_pack(share_pack_id, &name, &record, &Change { by: &requester, reason: &reason }).await?;
    }
    let Some(plan) = outcome.plan.filter(|_| !blocked) else {
        crate::telemetry::submitted("validation_failed");
        return Ok(submitted);
    };
    let line = meta.as_ref().map(|meta| meta.business_line.as_str()).unwrap_or_default();
    let snapshot = outcome.snapshot.unwrap_or_default();
    let bind = |plan: &Plan| Binding::of(submission.policy, plan, submission.confirm_removals, &snapshot, line, &workspace.url);
    let fresh = bind(&plan);
    // A plan that waits for approval is the one computed now, from the state it is bound to: what
    // approvers see is what will be applied. Otherwise the plan the submitter saw is kept, and
    // the worker records how the workspace has moved on from it.
    let (approved, binding) = match submission.approved {
        Some(seen) if fresh.requirement.none_needed() => {
            let binding = bind(&seen);
            (seen, binding)
        }
        _ => (plan, fresh),
    };
    let compensate = submission.compensate.unwrap_or(submission.compensate_new && approved.strategy == Strategy::New);
    let claim = Uuid::new_v4();
    let plan_json = serde_json::to_value(&approved).unwrap_or_default();
    let waits = !binding.requirement.none_needed();
    let (released, progress) = super::schedule::released(submission.start_at, Utc::now());
    let progress = if waits { format!("Waiting for approval: {}", binding.requirement.why.join("; ")) } else { progress };
    let approval = serde_json::to_value(&binding.requirement).unwrap_or_default();
    store
        .insert_run(&NewRun {
            id: run_id,
            share_pack_id,
            upload,
            workspace_url: &workspace.url,
            strategy: approved.strategy,
            requested_by: &requested_by,
            plan: &plan_json,
            confirm_removals: submission.confirm_removals,
            compensate,
            claim,
            status: if waits { RunStatus::AwaitingApproval } else { released },
            progress: &progress,
            plan_digest: &binding.digest,
            plan_state: &binding.state,
            approval: &approval,
            start_at: submission.start_at,
        })
        .await?;
    store
        .audit(&AuditEntry {
            actor: &requester,
            action: AuditAction::RunSubmitted,
            entity_type: "provisioning_run",
            entity_id: Some(run_id),
            version: Some(upload),
            correlation_id: Some(run_id),
            reason: &reason,
            details: json!({
                "summary": approved.summary,
                "confirm_removals": submission.confirm_removals,
                "compensate": compensate,
                "start_at": submission.start_at,
            }),
        })
        .await?;
    submitted.run_id = Some(run_id);
    submitted.claim = Some(claim);
    submitted.run_status = Some(if waits { RunStatus::AwaitingApproval } else { released });
    if waits {
        store
            .audit(&AuditEntry {
                actor: &requester,
                action: AuditAction::ApprovalRequested,
                entity_type: "provisioning_run",
                entity_id: Some(run_id),
                version: Some(upload),
                correlation_id: Some(run_id),
                reason: &binding.requirement.why.join("; "),
                details: json!({"plan_digest": binding.digest, "approvals": binding.requirement.approvals, "admin": binding.requirement.admin}),
            })
            .await?;
        tracing::info!(run = %run_id, share_pack = %share_pack_id, upload, approvals = binding.requirement.approvals, "share pack submitted; waiting for approval");
        submitted.awaiting = Some(binding.requirement);
        crate::telemetry::submitted("awaiting_approval");
        let event = crate::notify::Event::ApprovalRequested {
            run_id,
            share_pack: submitted.share_pack_name.clone(),
            business_line: meta.as_ref().map(|meta| meta.business_line.clone()),
            requested_by: submitted.requested_by.clone(),
        };
        crate::notify::emit(store, queue, event.id(&binding.digest), &event).await;
        return Ok(submitted);
    }
    if released == RunStatus::Scheduled {
        tracing::info!(run = %run_id, share_pack = %share_pack_id, upload, "share pack submitted; scheduled");
        crate::telemetry::submitted("scheduled");
        return Ok(submitted);
    }
    if let Err(error) = queue.send(&Job::ApplyRun { run_id }).await {
        // Nothing will pick the run up: say so on the run rather than leave it queued forever.
        let why = format!("The work queue could not be reached, so the run was not queued: {error}");
        store.set_run_status(run_id, RunStatus::Failed, &why, Some(&why)).await?;
        return Err(error.into());
    }
    tracing::info!(run = %run_id, share_pack = %share_pack_id, upload, "share pack submitted");
    crate::telemetry::submitted("queued");
    Ok(submitted)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_follow_the_seed() {
        let at = chrono::DateTime::parse_from_rfc3339("2024-01-30T14:30:22Z").unwrap().with_timezone(&chrono::Utc);
        assert_eq!(super::share_pack_name("john.doe@jll.com", at), "SharePack_john.doe@jll.com_20240130_143022");
    }
}
