//! Approvals as pages and the REST API show them: a run's approval (what it needs and why, who
//! decided what, who may still approve, whether the viewer may decide, and for a waiting plan
//! the plan itself, what changed since it was last approved and how the pack differs from its
//! previous version), and the queue of plans waiting for the viewer.

use crate::plan::{FieldChange, Plan, Summary};
use crate::records::Decision;
use serde::{Deserialize, Serialize};

/// One approver's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionView {
    pub by: String,
    pub decision: Decision,
    pub comment: String,
    pub at: String,
    pub as_admin: bool,
    /// Given to the plan the run has now (earlier ones were for a plan that has since changed).
    pub current: bool,
}

/// What changed when a plan asked for approval again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanChanges {
    /// Changes the new plan has that the approved one did not.
    pub added: Vec<String>,
    /// Changes of the approved plan the new one no longer has.
    pub dropped: Vec<String>,
    /// Workspace objects whose state changed since the approved plan was computed.
    pub state: Vec<String>,
}

impl PlanChanges {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.dropped.is_empty() && self.state.is_empty()
    }
}

/// A run's approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalView {
    /// Approvals the plan needs, whether one must be an administrator's, and why.
    pub needed: u32,
    pub admin: bool,
    pub why: Vec<String>,
    /// Approvals of the current plan so far.
    pub approved: u32,
    pub decisions: Vec<DecisionView>,
    /// Who may approve (the submitter left out), administrators marked.
    pub approvers: Vec<(String, bool)>,
    /// The digest the approvals are bound to; the page sends it back with a decision.
    pub plan_digest: String,
    /// Whether the viewer may approve or reject now, and if not, why not (when it is about them).
    pub can_decide: bool,
    pub cannot: Option<String>,
    /// Set when the plan asked for approval again.
    pub changes: Option<PlanChanges>,
    /// The plan waiting (only while the run waits for approval).
    pub plan: Option<Plan>,
    /// The pack compared with its previous version, and which version that is.
    pub pack_changes: Vec<FieldChange>,
    pub previous_upload: Option<i64>,
}

/// A plan waiting for approval, as the approvals queue lists it (and `GET /workflow/approvals`
/// answers, in the seed's PascalCase).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct ApprovalRow {
    pub run_id: String,
    pub share_pack_id: String,
    pub share_pack_name: String,
    pub business_line: String,
    pub requested_by: String,
    pub workspace_url: String,
    /// When it was submitted (RFC 3339), and since when it waits (it may have asked again).
    pub submitted_at: String,
    pub waiting_since: String,
    /// How long it has waited, in seconds (when the list was made).
    pub waited_secs: i64,
    pub summary: Summary,
    pub needed: u32,
    pub approved: u32,
    pub admin: bool,
    pub why: Vec<String>,
    /// It asked again because the plan changed after an approval.
    pub again: bool,
    /// What a decision is bound to: send it back as `PlanDigest` so that a plan that changed
    /// in between is refused rather than approved unseen.
    pub plan_digest: String,
    /// The plan in plain words.
    pub story: Vec<String>,
}

/// The approvals page: plans waiting for the viewer, and the viewer's own plans waiting for
/// someone else.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Approvals {
    pub for_you: Vec<ApprovalRow>,
    pub yours: Vec<ApprovalRow>,
}

#[cfg(feature = "queue")]
pub use reads::*;

#[cfg(feature = "queue")]
mod reads {
    use super::super::time;
    use super::*;
    use crate::access::{Owner, Principal};
    use crate::approval::decide::{current_approvals, refusal, requirement_of};
    use crate::error::Problem;
    use crate::records::RunStatus;
    use crate::store::{Run, Store, StoredDecision};

    /// The approval of a run `by` may see (the caller checked), `None` when it never needed one.
    pub async fn approval_view(store: &Store, by: &Principal, run: &Run) -> Result<Option<ApprovalView>, Problem> {
        let requirement = requirement_of(run);
        let decisions = store.decisions(run.id).await?;
        if requirement.none_needed() && decisions.is_empty() && run.status != RunStatus::AwaitingApproval {
            return Ok(None);
        }
        let line = store.share_pack_owner(run.share_pack_id).await?.and_then(|owner| owner.business_line);
        let owner = Owner { business_line: line.as_deref(), requested_by: &run.requested_by };
        let waiting = run.status == RunStatus::AwaitingApproval;
        let cannot = refusal(by, run, &owner, &decisions);
        let approvers = store
            .approvers_of(line.as_deref())
            .await?
            .into_iter()
            .filter(|(email, _)| !email.eq_ignore_ascii_case(&run.requested_by))
            .collect();
        let changes: Option<PlanChanges> = run.plan_changes.clone().and_then(|value| serde_json::from_value(value).ok());
        let (pack_changes, previous_upload) = if waiting { pack_changes(store, run).await? } else { (Vec::new(), None) };
        Ok(Some(ApprovalView {
            needed: requirement.approvals,
            admin: requirement.admin,
            why: requirement.why.clone(),
            approved: current_approvals(run, &decisions).len() as u32,
            decisions: decisions.iter().map(|decision| decision_view(run, decision)).collect(),
            approvers,
            plan_digest: run.plan_digest.clone().unwrap_or_default(),
            can_decide: waiting && cannot.is_none(),
            // Why the viewer may not decide, when it is about them and not about the run's state.
            cannot: cannot.filter(|_| waiting).map(|problem| problem.message),
            changes,
            // The plan as it will be applied: unconfirmed removals are kept, so not shown.
            plan: if waiting {
                run.plan
                    .clone()
                    .and_then(|plan| serde_json::from_value::<Plan>(plan).ok())
                    .map(|plan| crate::approval::applied(&plan, run.confirm_removals))
            } else {
                None
            },
            pack_changes,
            previous_upload,
        }))
    }

    fn decision_view(run: &Run, decision: &StoredDecision) -> DecisionView {
        DecisionView {
            by: decision.decided_by.clone(),
            decision: decision.decision,
            comment: decision.comment.clone(),
            at: time(decision.decided_at),
            as_admin: decision.as_admin,
            current: Some(&decision.plan_digest) == run.plan_digest.as_ref(),
        }
    }

    /// The pack against the version last applied (the newest completed run's upload), or else
    /// the upload before it.
    async fn pack_changes(store: &Store, run: &Run) -> Result<(Vec<FieldChange>, Option<i64>), Problem> {
        let runs = store.runs_of_pack(run.share_pack_id).await?;
        let applied =
            runs.iter().filter(|other| other.status == RunStatus::Completed && other.upload < run.upload).map(|other| other.upload).max();
        let Some(previous) = applied.or((run.upload > 1).then_some(run.upload - 1)) else { return Ok((Vec::new(), None)) };
        let (Some(before), Some(after)) =
            (store.pack_file_parsed(run.share_pack_id, previous).await?, store.pack_file_parsed(run.share_pack_id, run.upload).await?)
        else {
            return Ok((Vec::new(), None));
        };
        Ok((crate::approval::pack_changes::pack_changes(&before, &after), Some(previous)))
    }

    /// A waiting run `by` may decide on (`mine` false) or submitted (`mine` true).
    struct Waiting {
        run: Run,
        business_line: String,
        decisions: Vec<StoredDecision>,
        mine: bool,
    }

    async fn waiting(store: &Store, by: &Principal) -> Result<Vec<Waiting>, Problem> {
        by.require(crate::access::Act::Read, None)?;
        let mut found = Vec::new();
        for run in store.awaiting_runs(&by.visibility()).await? {
            let line = store.share_pack_owner(run.share_pack_id).await?.and_then(|owner| owner.business_line);
            let owner = Owner { business_line: line.as_deref(), requested_by: &run.requested_by };
            let decisions = store.decisions(run.id).await?;
            let mine = run.requested_by.eq_ignore_ascii_case(&by.email);
            if mine || refusal(by, &run, &owner, &decisions).is_none() {
                found.push(Waiting { business_line: line.unwrap_or_default(), run, decisions, mine });
            }
        }
        Ok(found)
    }

    /// Plans waiting for `by`'s decision, oldest first, and `by`'s own plans waiting for others.
    pub async fn approvals(store: &Store, by: &Principal) -> Result<Approvals, Problem> {
        let mut answer = Approvals::default();
        for waiting in waiting(store, by).await? {
            let row = row(store, &waiting.run, waiting.business_line, &waiting.decisions).await?;
            if waiting.mine {
                answer.yours.push(row);
            } else {
                answer.for_you.push(row);
            }
        }
        Ok(answer)
    }

    /// How many plans wait for `by`'s decision (the header's count); 0 for those who approve nothing.
    pub async fn approvals_waiting(store: &Store, by: &Principal) -> Result<usize, Problem> {
        if !by.holds(crate::access::Role::Approver, None) {
            return Ok(0);
        }
        Ok(waiting(store, by).await?.iter().filter(|waiting| !waiting.mine).count())
    }

    async fn row(store: &Store, run: &Run, business_line: String, decisions: &[StoredDecision]) -> Result<ApprovalRow, Problem> {
        let requirement = requirement_of(run);
        let plan: Option<Plan> = run.plan.clone().and_then(|plan| serde_json::from_value(plan).ok());
        let plan_story = plan.as_ref().map(|plan| plan.story.clone()).unwrap_or_default();
        let pack = store.share_pack(run.share_pack_id).await?;
        Ok(ApprovalRow {
            run_id: run.id.to_string(),
            share_pack_id: run.share_pack_id.to_string(),
            share_pack_name: pack.map(|pack| pack.name).unwrap_or_default(),
            business_line,
            requested_by: run.requested_by.clone(),
            workspace_url: run.workspace_url.clone(),
            submitted_at: time(run.created_at),
            waiting_since: time(run.updated_at),
            waited_secs: (crate::store::now() - run.updated_at).num_seconds().max(0),
            summary: plan.map(|plan| plan.summary).unwrap_or_default(),
            needed: requirement.approvals,
            approved: current_approvals(run, decisions).len() as u32,
            admin: requirement.admin,
            why: requirement.why,
            again: run.plan_changes.as_ref().is_some_and(|changes| !changes.is_null()),
            plan_digest: run.plan_digest.clone().unwrap_or_default(),
            story: plan_story,
        })
    }
}
