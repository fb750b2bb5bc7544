//! The latest objects and directory syncs, for those who see every business line (they cover
//! all of them), and whether the viewer may ask for one now.

use super::{SyncOverview, SyncSummary};
use crate::access::{Act, Principal, Visibility};
use crate::error::{Class, Problem};
use crate::records::SyncKind;
use crate::store::Store;

/// The last ten syncs of each kind, newest first.
pub async fn overview(store: &Store, by: &Principal, workspaces: Vec<String>, directory: bool) -> Result<SyncOverview, Problem> {
    by.require(Act::Read, None)?;
    if by.visibility() != Visibility::All {
        return Err(Problem::new(
            Class::Forbidden,
            "role_missing",
            "Syncs cover every business line: administrators and auditors see them",
        ));
    }
    let time = |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut jobs = Vec::new();
    for kind in [SyncKind::Objects, SyncKind::Directory] {
        jobs.extend(store.sync_jobs(Some(kind), None, 10).await?.into_iter().map(|job| {
            let figure = |name: &str| job.data[name].as_u64().unwrap_or(0);
            SyncSummary {
                id: job.id,
                kind: job.kind,
                target: job.workspace_url.clone(),
                status: job.status,
                requested_by: job.requested_by.clone(),
                queued_at: time(job.queued_at),
                finished_at: job.finished_at.map(time),
                items: job.items,
                added: figure("Added"),
                changed: figure("Changed"),
                removed: figure("Removed"),
                error: job.error.clone(),
            }
        }));
    }
    jobs.sort_by(|a, b| b.queued_at.cmp(&a.queued_at));
    Ok(SyncOverview { jobs, workspaces, directory, may_sync: by.require(Act::Request, None).is_ok() })
}
