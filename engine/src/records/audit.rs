//! What the audit trail records. The text forms are the `audit_trail.action` column's values.

use super::status::UnknownValue;
use crate::plan::ActionKind;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
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
}

const FIXED: [(AuditAction, &str); 9] = [
    (AuditAction::RunSubmitted, "run_submitted"),
    (AuditAction::RunCancelRequested, "run_cancel_requested"),
    (AuditAction::RunRetried, "run_retried"),
    (AuditAction::RunCompleted, "run_completed"),
    (AuditAction::RunFailed, "run_failed"),
    (AuditAction::RunPoisoned, "run_poisoned"),
    (AuditAction::PlanRecomputed, "plan_recomputed"),
    (AuditAction::Compensated, "compensated"),
    (AuditAction::ActionsRecorded, "actions_recorded"),
];

const APPLIED: [(ActionKind, &str); 8] = [
    (ActionKind::Create, "create"),
    (ActionKind::Update, "update"),
    (ActionKind::AddObject, "add_object"),
    (ActionKind::UpdateObject, "update_object"),
    (ActionKind::RemoveObject, "remove_object"),
    (ActionKind::Grant, "grant"),
    (ActionKind::Revoke, "revoke"),
    (ActionKind::Unchanged, "unchanged"),
];

impl AuditAction {
    /// The column value.
    pub fn as_str(self) -> &'static str {
        let fixed = FIXED.iter().find(|(action, _)| *action == self).map(|(_, text)| *text);
        let applied = || match self {
            AuditAction::Applied(kind) => APPLIED.iter().find(|(known, _)| *known == kind).map(|(_, text)| *text),
            _ => None,
        };
        fixed.or_else(applied).unwrap_or("unknown")
    }

    /// In words: `add object`, `run cancel requested`.
    pub fn words(self) -> Cow<'static, str> {
        Cow::Owned(self.as_str().replace('_', " "))
    }

    /// Bookkeeping entries, not events a person would look for.
    pub fn is_marker(self) -> bool {
        self == AuditAction::ActionsRecorded
    }
}

impl FromStr for AuditAction {
    type Err = UnknownValue;

    fn from_str(text: &str) -> Result<Self, UnknownValue> {
        FIXED
            .iter()
            .find(|(_, known)| *known == text)
            .map(|(action, _)| *action)
            .or_else(|| APPLIED.iter().find(|(_, known)| *known == text).map(|(kind, _)| AuditAction::Applied(*kind)))
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
        let all = FIXED.iter().map(|(action, _)| *action).chain(APPLIED.iter().map(|(kind, _)| AuditAction::Applied(*kind)));
        for action in all {
            assert_ne!(action.as_str(), "unknown");
            assert_eq!(action.as_str().parse::<AuditAction>(), Ok(action));
        }
        assert_eq!(AuditAction::Applied(ActionKind::AddObject).words(), "add object");
        assert!("dropped_table".parse::<AuditAction>().is_err());
    }
}
