//! Approval of the exact plan. [`policy`] says which plans need which approvals; [`digest`] is
//! the hash an approval is bound to (the plan's actions, the workspace, and the [`state`] of the
//! workspace the plan was computed from), so a plan that changed after it was approved is never
//! applied on that approval; [`decide`] records approvals and rejections and releases a plan to
//! the workers once it has what the policy asks. Submission puts runs that need approval in
//! `AWAITING_APPROVAL`; the orchestrator re-plans before applying and sends a changed plan back.

pub mod policy;

#[cfg(feature = "queue")]
pub mod decide;
#[cfg(feature = "store")]
pub mod digest;
pub mod pack_changes;
#[cfg(all(feature = "store", feature = "intake", feature = "databricks"))]
pub mod state;

pub use policy::{Policy, Requirement, Rule};

use crate::plan::Plan;

/// The plan as it will be applied: removals the submitter did not confirm are left out (they
/// are kept, so they need nobody's approval and are not part of what is approved).
pub fn applied(plan: &Plan, confirm_removals: bool) -> Plan {
    let mut plan = plan.clone();
    plan.actions.retain(|action| confirm_removals || !action.needs_confirmation);
    plan
}

/// What a plan's approval is bound to, and what it needs.
#[cfg(all(feature = "store", feature = "intake", feature = "databricks"))]
#[derive(Debug, Clone)]
pub struct Binding {
    pub digest: String,
    /// The workspace state the plan was computed from ([`state::of`]).
    pub state: serde_json::Value,
    pub requirement: Requirement,
}

#[cfg(all(feature = "store", feature = "intake", feature = "databricks"))]
impl Binding {
    /// Binds `plan`, computed from `snapshot`, as it will be applied to `workspace_url`.
    pub fn of(
        policy: &Policy,
        plan: &Plan,
        confirm_removals: bool,
        snapshot: &crate::plan::snapshot::Snapshot,
        business_line: &str,
        workspace_url: &str,
    ) -> Binding {
        let applied = applied(plan, confirm_removals);
        let state = state::of(snapshot);
        let digest = digest::plan_digest(&applied, workspace_url, &state::digest(&state));
        let requirement = policy.requirement(&applied, business_line, workspace_url);
        Binding { digest, state, requirement }
    }
}
