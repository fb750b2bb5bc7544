//! The plan's data: what the planner produces, the REST API returns and the page shows. Kept
//! apart from the planning logic so the browser build can use it.

use crate::finding::{Finding, Location};
use crate::model::Strategy;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActionKind {
    Create,
    Update,
    AddObject,
    UpdateObject,
    RemoveObject,
    Grant,
    Revoke,
    /// A recipient or share an earlier version of the pack made and this one no longer lists.
    Delete,
    Unchanged,
}

impl ActionKind {
    /// Removals take something away from someone: they need the submitter's confirmation and,
    /// by default, an approval.
    pub fn is_removal(self) -> bool {
        matches!(self, ActionKind::RemoveObject | ActionKind::Revoke | ActionKind::Delete)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResourceType {
    Recipient,
    Share,
    DataObject,
    Grant,
}

/// One field that changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One planned change (or a resource left as it is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Action {
    pub action: ActionKind,
    pub resource_type: ResourceType,
    /// The recipient, share or object name; for grants, the recipient.
    pub name: String,
    /// The share an object or grant belongs to.
    pub share: Option<String>,
    pub changes: Vec<FieldChange>,
    pub reason: String,
    /// `Recipients!A3` or `line 12, column 5`.
    pub location: String,
    pub at: Location,
    /// Removals happen only when the submitter confirms them.
    pub needs_confirmation: bool,
    /// What will be sent to Databricks for this action.
    pub payload: Value,
}

/// Counts by what happens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub remove: usize,
    pub unchanged: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Plan {
    pub declared: Option<Strategy>,
    pub strategy: Strategy,
    pub actions: Vec<Action>,
    /// Conflicts, pre-flight problems and strategy notes, located like validation findings.
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// The plan in plain words, for business users.
    pub story: Vec<String>,
}

impl Plan {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// The actions that change something.
    pub fn changes(&self) -> impl Iterator<Item = &Action> {
        self.actions.iter().filter(|action| action.action != ActionKind::Unchanged)
    }
}
