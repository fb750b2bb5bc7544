//! What the audit trail records. The text forms are the `audit_trail.action` column's values.

use super::status::UnknownValue;
use crate::plan::ActionKind;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    RunSubmitted,
    RunCancelRequested,
    RunRetried,
    RunCompleted,
    RunFailed,
    /// The run's message kept failing and was given up.
    RunPoisoned,
    /// The workspace changed between the preview and the run; the details say how.
    PlanRecomputed,
    /// Something a failed run created was removed again.
    Compensated,
    /// One planned change, applied by a run.
    Applied(ActionKind),
    /// Bookkeeping: a run's applied changes are in the trail (so a retried record step does
    /// not write them twice). Not something that happened; pages leave it out.
    ActionsRecorded,
    /// An account was made (by the setup link, an administrator or the CLI).
    AccountCreated,
    /// Someone set their password (from an invitation or the setup link).
    PasswordSet,
    RoleGranted,
    RoleRevoked,
    /// An API token was made; the details name it, never its value.
    TokenCreated,
    TokenRevoked,
    SignedIn,
    SignedOut,
    /// An account was disabled: its sessions ended and its tokens revoked.
    AccountDisabled,
    /// A plan waits for approval (at submission): the details say how many, whose and why.
    ApprovalRequested,
    /// The plan changed after it was approved (or after it was queued without needing one) and
    /// waits for approval again; the details say what changed.
    ApprovalRequestedAgain,
    /// Someone approved the plan (its digest is in the details).
    RunApproved,
    /// Someone rejected the plan; the reason is their comment.
    RunRejected,
    DraftDeleted,
}

impl AuditAction {
    /// Every action, for reading column values back.
    pub const ALL: [AuditAction; 32] = [
        AuditAction::RunSubmitted,
        AuditAction::RunCancelRequested,
        AuditAction::RunRetried,
        AuditAction::RunCompleted,
        AuditAction::RunFailed,
        AuditAction::RunPoisoned,
        AuditAction::PlanRecomputed,
        AuditAction::Compensated,
        AuditAction::ActionsRecorded,
        AuditAction::AccountCreated,
        AuditAction::PasswordSet,
        AuditAction::RoleGranted,
        AuditAction::RoleRevoked,
        AuditAction::TokenCreated,
        AuditAction::TokenRevoked,
        AuditAction::SignedIn,
        AuditAction::SignedOut,
        AuditAction::AccountDisabled,
        AuditAction::ApprovalRequested,
        AuditAction::ApprovalRequestedAgain,
        AuditAction::RunApproved,
        AuditAction::RunRejected,
        AuditAction::DraftDeleted,
        AuditAction::Applied(ActionKind::Create),
        AuditAction::Applied(ActionKind::Update),
        AuditAction::Applied(ActionKind::AddObject),
        AuditAction::Applied(ActionKind::UpdateObject),
        AuditAction::Applied(ActionKind::RemoveObject),
        AuditAction::Applied(ActionKind::Grant),
        AuditAction::Applied(ActionKind::Revoke),
        AuditAction::Applied(ActionKind::Delete),
        AuditAction::Applied(ActionKind::Unchanged),
    ];

    /// The column value.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::RunSubmitted => "run_submitted",
            AuditAction::RunCancelRequested => "run_cancel_requested",
            AuditAction::RunRetried => "run_retried",
            AuditAction::RunCompleted => "run_completed",
            AuditAction::RunFailed => "run_failed",
            AuditAction::RunPoisoned => "run_poisoned",
            AuditAction::PlanRecomputed => "plan_recomputed",
            AuditAction::Compensated => "compensated",
            AuditAction::ActionsRecorded => "actions_recorded",
            AuditAction::AccountCreated => "account_created",
            AuditAction::PasswordSet => "password_set",
            AuditAction::RoleGranted => "role_granted",
            AuditAction::RoleRevoked => "role_revoked",
            AuditAction::TokenCreated => "token_created",
            AuditAction::TokenRevoked => "token_revoked",
            AuditAction::SignedIn => "signed_in",
            AuditAction::SignedOut => "signed_out",
            AuditAction::AccountDisabled => "account_disabled",
            AuditAction::ApprovalRequested => "approval_requested",
            AuditAction::ApprovalRequestedAgain => "approval_requested_again",
            AuditAction::RunApproved => "run_approved",
            AuditAction::RunRejected => "run_rejected",
            AuditAction::DraftDeleted => "draft_deleted",
            AuditAction::Applied(kind) => match kind {
                ActionKind::Create => "create",
                ActionKind::Update => "update",
                ActionKind::AddObject => "add_object",
                ActionKind::UpdateObject => "update_object",
                ActionKind::RemoveObject => "remove_object",
                ActionKind::Grant => "grant",
                ActionKind::Revoke => "revoke",
                ActionKind::Delete => "delete",
                ActionKind::Unchanged => "unchanged",
            },
        }
    }

    /// In words: `add object`, `run cancel requested`.
    pub fn words(self) -> String {
        self.as_str().replace('_', " ")
    }

    /// Bookkeeping entries, not events a person would look for.
    pub fn is_marker(self) -> bool {
        self == AuditAction::ActionsRecorded
    }
}

impl FromStr for AuditAction {
    type Err = UnknownValue;

    fn from_str(text: &str) -> Result<Self, UnknownValue> {
        AuditAction::ALL
            .into_iter()
            .find(|action| action.as_str() == text)
            .ok_or_else(|| UnknownValue { what: "audit action", value: text.chars().take(40).collect() })
    }
}

impl Serialize for AuditAction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AuditAction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_through_its_column_value() {
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>(), Ok(action));
        }
        assert_eq!(AuditAction::Applied(ActionKind::AddObject).words(), "add object");
        assert!("dropped_table".parse::<AuditAction>().is_err());
    }
}
