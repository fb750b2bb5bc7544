//! The planner: from a validated pack and a [`Snapshot`] of the workspace to the exact list of
//! changes, each with its reason and the cell or line that caused it. Pure (no IO, no clock).
//!
//! Compared as Databricks compares: names without regard to case, lists as sets. The pack is
//! authoritative for what it names (a recipient's settings, a share's objects and grants) and
//! never touches what it does not name. Removals are planned but need the submitter's
//! confirmation. Changes Databricks cannot make in place are error findings with the way out.

#[cfg(all(feature = "intake", feature = "databricks"))]
mod planner;
#[cfg(all(feature = "intake", feature = "databricks"))]
pub mod read;
#[cfg(all(feature = "intake", feature = "databricks"))]
pub mod snapshot;
mod types;

#[cfg(all(feature = "intake", feature = "databricks"))]
pub use planner::*;
#[cfg(all(feature = "intake", feature = "databricks"))]
pub use read::{dry_run, DryRun};
pub use types::*;
