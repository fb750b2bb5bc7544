//! Reads that both the pages and the REST API show: a run with its steps and trail, a share
//! pack with its uploads and runs, the list of share packs, and a share pack's progress in the
//! seed's terms. The types are plain data (the browser bundle uses them); building them from
//! the store is server-only.

mod approval;
mod audit;
mod run;
mod share_pack;

#[cfg(feature = "queue")]
pub use approval::{approval_view, approvals, approvals_waiting};
pub use approval::{ApprovalRow, ApprovalView, Approvals, DecisionView, PlanChanges};
#[cfg(feature = "queue")]
pub use audit::audit;
pub use audit::{AuditEntryView, AuditFilter, AuditPage};
pub use run::{EventView, RunView, StepView};
pub use share_pack::{PackProgress, RunSummary, SharePackView, UploadSummary};

#[cfg(feature = "queue")]
pub use run::run_view;
#[cfg(feature = "queue")]
pub use share_pack::{share_pack_progress, share_pack_view};

/// RFC 3339 to the second, as pages show times.
#[cfg(feature = "store")]
fn time(value: chrono::DateTime<chrono::Utc>) -> String {
    value.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Whether `by` may see what belongs to share pack `id` (its runs, uploads, progress): things
/// of business lines they do not hold read as "not found", exactly like ids nobody used.
/// `requested_by` stands in for the owner of records older than owners.
#[cfg(feature = "queue")]
async fn visible(
    store: &crate::store::Store,
    by: &crate::access::Principal,
    share_pack: uuid::Uuid,
    requested_by: &str,
) -> Result<bool, crate::error::Problem> {
    let owner = store.share_pack_owner(share_pack).await?;
    let owner = match &owner {
        Some(stored) => stored.as_owner(),
        None => crate::access::Owner { business_line: None, requested_by },
    };
    match by.reveal(&owner, "share pack", &share_pack.to_string()) {
        Ok(()) => Ok(true),
        Err(problem) if problem.class == crate::error::Class::NotFound => Ok(false),
        Err(problem) => Err(problem),
    }
}

/// Whether `by` may see an upload: their own, or one naming a business line they see. Unknown
/// ids are `false` too.
#[cfg(feature = "queue")]
pub async fn upload_visible(
    store: &crate::store::Store,
    by: &crate::access::Principal,
    id: uuid::Uuid,
) -> Result<bool, crate::error::Problem> {
    let Some(owner) = store.upload_owner(id).await? else { return Ok(false) };
    match by.reveal(&owner.as_owner(), "upload", &id.to_string()) {
        Ok(()) => Ok(true),
        Err(problem) if problem.class == crate::error::Class::NotFound => Ok(false),
        Err(problem) => Err(problem),
    }
}
