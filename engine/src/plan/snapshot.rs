//! What a workspace holds, as far as a pack is concerned: the recipients and shares it names
//! (with objects and grants), the catalog objects it shares, and the metastore. The planner reads
//! only this, so planning is pure; reading it from a live workspace is a separate step.

use crate::databricks::client::{RecipientInfo, ShareInfo};
use crate::model::name_key;
use std::collections::{BTreeMap, BTreeSet};

/// A share with the recipients granted SELECT on it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShareState {
    pub info: ShareInfo,
    /// Recipient names (lowercase).
    pub grants: BTreeSet<String>,
}

/// The metastore facts pre-flight checks need.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metastore {
    /// `cloud:region:uuid` of the provider itself.
    pub global_metastore_id: String,
    /// `INTERNAL` forbids open-sharing (token) recipients.
    pub delta_sharing_scope: String,
    /// How many recipients and shares the metastore holds in all.
    pub recipient_count: usize,
    pub share_count: usize,
}

/// What the share pack's earlier versions made in this workspace (lowercase names), each with
/// the other share packs that still use it: a version that no longer lists one retires it,
/// unless another pack uses it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provisioned {
    pub recipients: BTreeMap<String, Vec<String>>,
    pub shares: BTreeMap<String, Vec<String>>,
}

/// The workspace as the planner sees it. Keys are lowercase names, as Databricks compares them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub recipients: BTreeMap<String, RecipientInfo>,
    pub shares: BTreeMap<String, ShareState>,
    /// Catalog objects that exist, by lowercase full name, with their type
    /// (`MANAGED`, `VIEW`, ... for tables; `SCHEMA` for schemas).
    pub catalog: BTreeMap<String, String>,
    pub metastore: Metastore,
    /// Schemas and tables the last objects sync saw near the pack's names (same shape as
    /// `catalog`): only ever suggested, never taken as existing.
    pub synced: BTreeMap<String, String>,
    /// What earlier versions of the pack made (read from Sharepack's history, not the workspace).
    pub provisioned: Provisioned,
}

impl Snapshot {
    pub fn recipient(&self, name: &str) -> Option<&RecipientInfo> {
        self.recipients.get(&name_key(name))
    }

    pub fn share(&self, name: &str) -> Option<&ShareState> {
        self.shares.get(&name_key(name))
    }
}
