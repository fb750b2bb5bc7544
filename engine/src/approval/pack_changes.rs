//! How a pack differs from an earlier version of itself, for the approver: the packs as intake
//! serializes them, compared by [`crate::history::diff`] (records by name, lists as sets,
//! locations left out).

use crate::plan::FieldChange;
use serde_json::Value;

/// The changes from `before` to `after`.
pub fn pack_changes(before: &Value, after: &Value) -> Vec<FieldChange> {
    crate::history::diff::changes(before, after)
}
