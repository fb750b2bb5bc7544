//! Sync jobs (seed phase 3): keeping what Sharepack knows of the world outside it current.
//! Each run is a `sync_jobs` row, queued and run by the workers like any job, one at a time per
//! workspace (or directory) across every process, retried when it fails.
//!
//! - `jobs.rs`: requesting, scheduling and running sync jobs of every kind, under a lease.
//! - `objects.rs`: a workspace's catalogs, schemas and tables into `databricks_objects`.
//! - `directory.rs`: Microsoft Graph's users and groups into `users` and `ad_groups`.
//! - `known.rs`: what the syncs found, as the planner's suggestions and the directory's findings.
//!
//! Drift checks (`crate::drift`) are sync jobs of kind DRIFT.

pub mod directory;
pub mod jobs;
pub mod known;
pub mod objects;

use crate::databricks::error::ApiError;
use crate::store::StoreError;

/// Why a sync failed: the store, or the workspace or directory it reads, all worth another try.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the workspace could not be read: {0}")]
    Workspace(#[from] ApiError),
    #[error("the directory could not be read: {0}")]
    Directory(ApiError),
    /// This process stalled past the lease's expiry and another may have taken it.
    #[error("the sync's lease was lost")]
    LeaseLost,
}

/// The entity's version a sync writes, with the reason naming the job.
pub(crate) fn change_reason(kind: crate::records::SyncKind, job: uuid::Uuid) -> String {
    format!("seen by {} sync {job}", kind.as_str().to_lowercase())
}
