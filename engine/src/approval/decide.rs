//! Approving and rejecting a waiting plan: the one implementation the page, the REST API and
//! the tests call. Who may decide is the principal's approver role on the run's business line;
//! nobody decides on a plan they submitted (four eyes, administrators included); every decision
//! is bound to the digest of the plan the run waits with, and is in the audit trail.

use super::Requirement;
use crate::access::{Act, Owner, Principal};
use crate::error::{Class, Problem};
use crate::identity::Actor;
use crate::queue::{Job, Queue};
use crate::records::{AuditAction, Decision, PackStatus, RunStatus};
use crate::store::{AuditEntry, Run, Store, StoredDecision};
use serde_json::json;
use uuid::Uuid;

/// Longest comment kept, in characters.
pub const MAX_COMMENT: usize = 2000;

/// A decision as asked for.
#[derive(Debug, Clone, Copy)]
pub struct Verdict<'a> {
    pub decision: Decision,
    pub comment: &'a str,
    /// The digest of the plan the approver looked at (the page sends it): a plan that changed
    /// since is refused, so nobody approves what they did not see. `None` over REST: the plan
    /// the run waits with, which `GET /workflow/approvals` shows.
    pub seen: Option<&'a str>,
}

/// What became of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    pub status: RunStatus,
    pub message: String,
    /// Approvals of the current plan so far, and how many it needs.
    pub approvals: u32,
    pub needed: u32,
}

/// The run's requirement as stored (a run submitted before approvals existed needs none).
pub fn requirement_of(run: &Run) -> Requirement {
    run.approval.clone().and_then(|value| serde_json::from_value(value).ok()).unwrap_or(Requirement {
        approvals: 0,
        admin: false,
        why: Vec::new(),
    })
}

/// The approvals of the plan the run waits with.
pub fn current_approvals<'a>(run: &Run, decisions: &'a [StoredDecision]) -> Vec<&'a StoredDecision> {
    decisions
        .iter()
        .filter(|decision| decision.decision == Decision::Approved && Some(&decision.plan_digest) == run.plan_digest.as_ref())
        .collect()
}

/// Whether the approvals given meet the requirement.
pub fn satisfied(requirement: &Requirement, approvals: &[&StoredDecision]) -> bool {
    approvals.len() as u32 >= requirement.approvals && (!requirement.admin || approvals.iter().any(|approval| approval.as_admin))
}

/// Why `by` may not decide on `run` now, or `None` when they may. Shared by [`decide`] and the
/// views, so the page offers the buttons exactly when the decision would be accepted.
pub fn refusal(by: &Principal, run: &Run, owner: &Owner<'_>, decisions: &[StoredDecision]) -> Option<Problem> {
    if run.requested_by.eq_ignore_ascii_case(&by.email) {
        return Some(
            Problem::new(Class::Forbidden, "own_plan", "You submitted this plan, so someone else must approve it")
                .hint("Four eyes: the submitter never approves their own plan, administrators included"),
        );
    }
    if let Err(problem) = by.require(Act::Approve, Some(owner)) {
        return Some(problem);
    }
    if run.requested_by.eq_ignore_ascii_case(Actor::Anonymous.name()) && !by.is_admin() {
        // Submitted through the open REST API: whoever sent it may be anyone, the approver too.
        return Some(
            Problem::new(
                Class::Forbidden,
                "admin_approval_needed",
                "Plans submitted through the open REST API need an administrator's approval",
            )
            .hint("Nobody knows who submitted it, so four eyes cannot be checked otherwise"),
        );
    }
    if run.status != RunStatus::AwaitingApproval {
        return Some(Problem::new(
            Class::Conflict,
            "not_awaiting_approval",
            format!("The run is {}; only runs waiting for approval can be approved or rejected", run.status.as_str().to_lowercase()),
        ));
    }
    let digest = run.plan_digest.as_deref().unwrap_or_default();
    if decisions.iter().any(|decision| decision.plan_digest == digest && decision.decided_by.eq_ignore_ascii_case(&by.email)) {
        return Some(Problem::new(
            Class::Conflict,
            "already_decided",
            "You already decided on this plan; another approver must add theirs",
        ));
    }
    let requirement = requirement_of(run);
    let approvals = current_approvals(run, decisions);
    let admin_missing = requirement.admin && !approvals.iter().any(|approval| approval.as_admin);
    if admin_missing && !by.is_admin() && approvals.len() as u32 + 1 >= requirement.approvals {
        return Some(
            Problem::new(Class::Forbidden, "admin_approval_needed", "The last approval this plan needs must be an administrator's")
                .hint("The plan removes something or creates an external recipient, and the policy asks an administrator to approve those"),
        );
    }
    None
}

/// Approves or rejects the plan run `id` waits with, as `by`.
pub async fn decide(store: &Store, queue: &Queue, by: &Principal, id: Uuid, verdict: Verdict<'_>) -> Result<Decided, Problem> {
    let comment: String = verdict.comment.trim().chars().take(MAX_COMMENT).collect();
    let run = store.load_run(id).await?.ok_or_else(|| Problem::not_found("run", &id.to_string()))?;
    let line = store.share_pack_owner(run.share_pack_id).await?.and_then(|owner| owner.business_line);
    let owner = Owner { business_line: line.as_deref(), requested_by: &run.requested_by };
    by.reveal(&owner, "run", &id.to_string())?;
    let decisions = store.decisions(id).await?;
    if let Some(problem) = refusal(by, &run, &owner, &decisions) {
        return Err(problem);
    }
    let digest = run.plan_digest.clone().unwrap_or_default();
    if verdict.seen.is_some_and(|seen| seen != digest) {
        return Err(Problem::new(Class::Conflict, "plan_changed", "The plan changed since you opened it; nothing was recorded")
            .hint("Reload the run and review the plan as it is now"));
    }
    if verdict.decision == Decision::Rejected && comment.is_empty() {
        return Err(Problem::invalid("comment_required", "A rejection needs a comment saying why, for the requester")
            .hint("Say what must change before the pack is submitted again")
            .at("Comment"));
    }
    let decision = StoredDecision {
        run_id: id,
        plan_digest: digest.clone(),
        decided_by: by.email.clone(),
        decision: verdict.decision,
        as_admin: by.is_admin(),
        comment: comment.clone(),
        decided_at: crate::store::now(),
    };
    let requirement = requirement_of(&run);
    let needed = requirement.approvals;
    let again = decisions.iter().any(|earlier| earlier.plan_digest != digest);
    let actor = by.actor();
    let details = json!({"plan_digest": digest, "as_admin": decision.as_admin, "again": again});
    if verdict.decision == Decision::Rejected {
        let error = format!("Rejected by {}: {comment}", by.email);
        // The run first: a rejection that comes after the last approval released the plan
        // records nothing (the plan is on its way, and saying "rejected" would be untrue).
        if !store.reject_run(id, &digest, &format!("Rejected by {}", by.email), &error).await? {
            return Err(moved_on());
        }
        store.record_decision(&decision).await?;
        audit(store, &run, &actor, AuditAction::RunRejected, &comment, details).await?;
        crate::apply::orchestrator::record_pack_status(store, &run, PackStatus::Failed, Some(&error)).await?;
        tracing::info!(run = %id, "plan rejected");
        decided(store, queue, &run, &digest, Decision::Rejected, &by.email, &comment).await;
        let count = current_approvals(&run, &decisions).len() as u32;
        return Ok(Decided { status: RunStatus::Failed, message: error, approvals: count, needed });
    }
    if !store.record_decision(&decision).await? {
        return Err(Problem::new(Class::Conflict, "already_decided", "You already decided on this plan"));
    }
    audit(store, &run, &actor, AuditAction::RunApproved, &comment, details).await?;
    // Counted from the store after recording, so two approvers deciding at once release it.
    let decisions = store.decisions(id).await?;
    let approvals = current_approvals(&run, &decisions);
    let count = approvals.len() as u32;
    if !satisfied(&requirement, &approvals) {
        let message = format!("Approved ({count} of {needed}); waiting for {} more", needed.saturating_sub(count).max(1));
        return Ok(Decided { status: RunStatus::AwaitingApproval, message, approvals: count, needed });
    }
    let (to, progress) = crate::apply::schedule::released(run.start_at, chrono::Utc::now());
    let progress = if to == RunStatus::Queued { "Approved; waiting for a worker".to_string() } else { progress };
    if !store.release_run(id, &digest, to, &progress).await? {
        // Released by another approver at the same moment, or withdrawn meanwhile.
        let now = store.load_run(id).await?.map(|run| run.status).unwrap_or(run.status);
        return Ok(Decided {
            status: now,
            message: format!("Approved; the run is {}", now.as_str().to_lowercase()),
            approvals: count,
            needed,
        });
    }
    decided(store, queue, &run, &digest, Decision::Approved, &by.email, &comment).await;
    if to == RunStatus::Scheduled {
        tracing::info!(run = %id, "plan approved; the run is scheduled");
        return Ok(Decided { status: to, message: format!("Approved; {}", progress.to_lowercase()), approvals: count, needed });
    }
    if let Err(error) = queue.send(&Job::ApplyRun { run_id: id }).await {
        tracing::error!(run = %id, %error, "the queue refused an approved run");
        let why = format!("The work queue could not be reached, so the approved run was not queued: {error}");
        store.set_run_status(id, RunStatus::Failed, &why, Some(&why)).await?;
        return Err(Problem::new(
            Class::Unavailable,
            "queue_unavailable",
            "The work queue is unavailable right now; the run failed and can be retried",
        )
        .hint("Retry the run in a moment"));
    }
    tracing::info!(run = %id, "plan approved and queued");
    Ok(Decided { status: RunStatus::Queued, message: "Approved; the run is queued".into(), approvals: count, needed })
}

/// Queues every waiting run whose current plan has the approvals it needs; returns how many.
/// `decide` does this as the last approval comes in; this catches a portal that stopped between
/// the two. Releasing is a conditional update, so racing with `decide` queues a run once.
pub async fn release_approved(store: &Store, queue: &Queue) -> Result<usize, crate::store::StoreError> {
    let mut released = 0;
    for run in store.awaiting_runs(&crate::access::Visibility::All).await? {
        let decisions = store.decisions(run.id).await?;
        let requirement = requirement_of(&run);
        if requirement.none_needed() || !satisfied(&requirement, &current_approvals(&run, &decisions)) {
            continue;
        }
        let Some(digest) = run.plan_digest.as_deref() else { continue };
        let (to, progress) = crate::apply::schedule::released(run.start_at, chrono::Utc::now());
        if store.release_run(run.id, digest, to, &progress).await? {
            if to == RunStatus::Scheduled {
                continue;
            }
            if let Err(error) = queue.send(&Job::ApplyRun { run_id: run.id }).await {
                let why = format!("The work queue could not be reached, so the approved run was not queued: {error}");
                store.set_run_status(run.id, RunStatus::Failed, &why, Some(&why)).await?;
                continue;
            }
            released += 1;
        }
    }
    Ok(released)
}

fn moved_on() -> Problem {
    Problem::new(
        Class::Conflict,
        "not_awaiting_approval",
        "The plan is no longer waiting for approval (it was approved, withdrawn or changed meanwhile); nothing was recorded",
    )
    .hint("Reload the run to see where it is")
}

/// Tells the submitter their plan was approved (the last approval released it) or rejected.
async fn decided(store: &Store, queue: &Queue, run: &crate::store::Run, digest: &str, decision: Decision, by: &str, comment: &str) {
    let share_pack = match store.share_pack(run.share_pack_id).await {
        Ok(Some(pack)) => pack.name,
        _ => run.share_pack_id.to_string(),
    };
    let event = crate::notify::Event::PlanDecided {
        run_id: run.id,
        share_pack,
        requested_by: run.requested_by.clone(),
        decision,
        decided_by: by.to_string(),
        comment: comment.to_string(),
    };
    crate::notify::emit(store, queue, event.id(&format!("{digest}:{}", decision.as_str())), &event).await;
}

async fn audit(
    store: &Store,
    run: &Run,
    actor: &Actor,
    action: AuditAction,
    reason: &str,
    details: serde_json::Value,
) -> Result<(), Problem> {
    store
        .audit(&AuditEntry {
            actor,
            action,
            entity_type: "provisioning_run",
            entity_id: Some(run.id),
            version: Some(run.upload),
            correlation_id: Some(run.correlation_id),
            reason,
            details,
        })
        .await
        .map_err(Problem::from)
}
