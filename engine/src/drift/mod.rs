//! Drift: the workspace changed behind Sharepack's back. A reconciliation reads each workspace
//! and plans every applied share pack against it, as a new run would; whatever that plan would
//! change is a difference (the planner is the one judge of "differs", so drift and plans never
//! disagree). Differences are kept as drift findings with SCD Type 2 history: a version when
//! first seen, another when what differs changes, a deleted version once the workspace matches
//! again, so nothing is silently overwritten.
//!
//! - `compare.rs`: a plan's actions as differences (pure), and what no pack manages.
//! - `audit.rs`: who changed it, from the workspace's audit log where a warehouse reads it.
//! - `check.rs`: one reconciliation of one workspace (read once, plan each pack, record).
//! - checks run as sync jobs of kind DRIFT (`crate::sync::jobs`): on demand, on a schedule,
//!   one at a time per workspace.
//! - `resolve.rs`: the ways out: restore the pack's state, or adopt the workspace's.
//! - `views.rs`: the open findings a principal may see, filtered.
//!
//! The types here are plain data, shared with the browser bundle.

#[cfg(feature = "queue")]
pub mod audit;
#[cfg(feature = "queue")]
pub mod check;
#[cfg(feature = "queue")]
pub mod compare;
#[cfg(feature = "queue")]
pub mod resolve;
#[cfg(feature = "queue")]
pub mod views;

/// For the drift tests: a YAML pack read, and the workspace a first run of it leaves (its
/// tables, and `catalog.schema.revenue_table`, in the catalog).
#[cfg(all(test, feature = "queue"))]
pub(crate) fn applied(yaml: &str) -> (crate::model::SharePack, crate::plan::snapshot::Snapshot) {
    use crate::plan::{apply, plan, PlanOptions};
    let pack = crate::intake::read_pack(yaml.as_bytes(), Some("drift.yaml"), &Default::default()).unwrap().pack.unwrap();
    let mut empty = crate::plan::snapshot::Snapshot::default();
    for table in ["catalog.schema.orders", "catalog.schema.customers", "catalog.schema.revenue_table"] {
        empty.catalog.insert(table.into(), "MANAGED".into());
    }
    let first = plan(&pack, &empty, PlanOptions::default());
    let workspace = apply(&empty, &pack, &first, true);
    (pack, workspace)
}

use crate::plan::ResourceType;
use crate::records::DriftKind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One field that differs: what Sharepack recorded and what the workspace has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct DriftField {
    pub field: String,
    pub recorded: Option<String>,
    pub workspace: Option<String>,
}

/// One difference, as the comparison finds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Difference {
    pub kind: DriftKind,
    pub resource_type: ResourceType,
    /// Lower-case, as Databricks compares names.
    pub name: String,
    /// The share, for data objects and grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<DriftField>,
    /// Who changed it, where the workspace says (`updated_by` of a recipient or share,
    /// `added_by` of a shared object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<DateTime<Utc>>,
    /// In plain words: "Table sales.q1.orders was removed from share sales_share".
    pub summary: String,
}

/// A drift finding as kept and shown: the difference, where it belongs and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct DriftFinding {
    pub id: Uuid,
    #[serde(flatten)]
    pub difference: Difference,
    pub workspace_url: String,
    /// The share pack whose applied version says otherwise (none for unmanaged resources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_pack_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_pack: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_line: Option<String>,
    /// When a check first saw it (kept while it stays open, whatever else changes).
    pub first_seen: DateTime<Utc>,
    /// The check that last wrote it.
    pub check: Uuid,
}

/// The filters of a drift list, as a page or a query string gives them (checked by
/// `views::open_findings`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct DriftFilter {
    /// A workspace URL.
    #[serde(default)]
    pub workspace: Option<String>,
    /// A share pack's id or name.
    #[serde(default)]
    pub share_pack: Option<String>,
    #[serde(default)]
    pub business_line: Option<String>,
    /// `ADDED`, `REMOVED` or `MODIFIED`.
    #[serde(default)]
    pub kind: Option<String>,
    /// A recipient's or share's name: the findings about it (a share's objects and grants, a
    /// recipient's grants included).
    #[serde(default)]
    pub name: Option<String>,
}

/// A drift check as pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckSummary {
    pub id: Uuid,
    pub workspace_url: String,
    pub status: crate::records::SyncStatus,
    pub requested_by: String,
    /// RFC 3339.
    pub queued_at: String,
    pub finished_at: Option<String>,
    /// Findings it saw first and closed (when it succeeded).
    pub new: u64,
    pub resolved: u64,
    pub error: Option<String>,
}

/// The drift page: open findings under the filter, what no pack manages (for those who see
/// every business line), the latest checks, and the workspaces a check can be asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftOverview {
    pub findings: Vec<DriftFinding>,
    /// `None` when the viewer may not see them.
    pub unmanaged: Option<Vec<DriftFinding>>,
    pub checks: Vec<CheckSummary>,
    pub workspaces: Vec<String>,
    /// Whether the viewer may ask for a check, restore or adopt (they may submit packs).
    pub may_check: bool,
    /// The applied share packs an unmanaged resource can be adopted into, by workspace.
    #[serde(default)]
    pub adoptable: Vec<AdoptablePack>,
}

/// A share pack whose current version was applied: one an unmanaged resource can join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdoptablePack {
    pub id: Uuid,
    pub name: String,
    pub project: String,
    pub workspace_url: String,
}
