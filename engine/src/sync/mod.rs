//! Sync jobs (seed phase 3): keeping what Sharepack knows of the world outside it current.
//! Each run is a `sync_jobs` row, queued and run by the workers like any job, one at a time per
//! workspace (or directory) across every process, retried when it fails.
//!
//! - `jobs.rs`: requesting, scheduling and running sync jobs of every kind, under a lease.
//! - `objects.rs`: a workspace's catalogs, schemas and tables into `databricks_objects`.
//! - `directory.rs`: Microsoft Graph's users and groups into `users` and `ad_groups`.
//! - `known.rs`: what the syncs found, as the planner's suggestions and the directory's findings.
//!
//! - `views.rs`: the latest objects and directory syncs, as the drift page shows them.
//!
//! Drift checks (`crate::drift`) are sync jobs of kind DRIFT. The types here are plain data,
//! shared with the browser bundle.

#[cfg(feature = "queue")]
pub mod directory;
#[cfg(feature = "queue")]
pub mod jobs;
#[cfg(feature = "queue")]
pub mod known;
#[cfg(feature = "queue")]
pub mod objects;
#[cfg(feature = "queue")]
pub mod views;

use crate::records::{SyncKind, SyncStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An objects or directory sync as pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSummary {
    pub id: Uuid,
    pub kind: SyncKind,
    /// The workspace's URL, or the directory's.
    pub target: String,
    pub status: SyncStatus,
    pub requested_by: String,
    /// RFC 3339.
    pub queued_at: String,
    pub finished_at: Option<String>,
    /// Objects, or users and groups, listed.
    pub items: i64,
    /// Versions it wrote: first seen, changed, gone.
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    pub error: Option<String>,
}

/// The sync section of the drift page: for those who see every business line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncOverview {
    pub jobs: Vec<SyncSummary>,
    pub workspaces: Vec<String>,
    /// A directory is configured (it can be synced).
    pub directory: bool,
    /// The viewer may ask for a sync now.
    pub may_sync: bool,
}

/// Why a sync failed: the store, or the workspace or directory it reads, all worth another try.
#[cfg(feature = "queue")]
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("the workspace could not be read: {0}")]
    Workspace(#[from] crate::databricks::error::ApiError),
    #[error("the directory could not be read: {0}")]
    Directory(crate::databricks::error::ApiError),
    /// This process stalled past the lease's expiry and another may have taken it.
    #[error("the sync's lease was lost")]
    LeaseLost,
}

/// The entity's version a sync writes, with the reason naming the job.
#[cfg(feature = "queue")]
pub(crate) fn change_reason(kind: SyncKind, job: Uuid) -> String {
    format!("seen by {} sync {job}", kind.as_str().to_lowercase())
}
