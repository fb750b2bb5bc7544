//! Share packs: one with its uploads and runs, the list, and the seed's status read.

use crate::model::Strategy;
use crate::records::{PackStatus, RunStatus};
use serde::{Deserialize, Serialize};

/// A share pack with its uploads and runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharePackView {
    pub id: String,
    pub name: String,
    pub status: PackStatus,
    pub strategy: Option<Strategy>,
    pub requested_by: String,
    pub project: String,
    pub business_line: String,
    pub workspace_url: String,
    pub error: String,
    pub updated_at: String,
    pub uploads: Vec<UploadSummary>,
    pub runs: Vec<RunSummary>,
    /// The viewer may submit this pack's versions (and so roll it back).
    #[serde(default)]
    pub may_submit: bool,
    /// The version last applied, which a rollback would leave.
    #[serde(default)]
    pub applied: Option<i64>,
}

/// One uploaded version of a share pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadSummary {
    pub version: i64,
    pub file_name: String,
    pub format: String,
    pub uploaded_at: String,
    /// Never submitted (it did not pass validation): kept beside the pack, not part of it.
    #[serde(default)]
    pub draft: bool,
    /// A run applied it: the pack can be rolled back to it.
    #[serde(default)]
    pub applied: bool,
    /// The viewer uploaded this draft and may delete it.
    #[serde(default)]
    pub deletable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunSummary {
    pub id: String,
    pub upload: i64,
    pub status: RunStatus,
    pub strategy: Strategy,
    pub created_at: String,
    pub progress: String,
}

/// A share pack's progress in the seed's terms and shape (`GET /workflow/sharepack/{id}`): the
/// pack's status, or while and after a run the run's status as the seed reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct PackProgress {
    pub share_pack_id: String,
    pub share_pack_name: String,
    /// `IN_PROGRESS`, `COMPLETED`, `FAILED` (cancelled runs too) or `VALIDATION_FAILED`.
    pub status: PackStatus,
    /// `NEW`, `UPDATE`, or empty before a plan.
    pub strategy: String,
    /// The current step in words.
    pub provisioning_status: String,
    pub error_message: String,
    pub requested_by: String,
    pub created_at: String,
    pub last_updated: String,
    /// The latest run and its own status (`AWAITING_APPROVAL`, `QUEUED`, `RUNNING`, `COMPLETED`,
    /// `FAILED`, `CANCELLED`).
    pub run_id: Option<String>,
    pub run_status: Option<RunStatus>,
}

#[cfg(feature = "queue")]
pub use reads::*;

#[cfg(feature = "queue")]
mod reads {
    use super::super::time;
    use super::*;
    use crate::access::Principal;
    use crate::error::Problem;
    use crate::store::Store;
    use uuid::Uuid;

    /// A share pack; `None` when it does not exist or `by` may not see it.
    pub async fn share_pack_view(store: &Store, by: &Principal, id: Uuid) -> Result<Option<SharePackView>, Problem> {
        let Some(pack) = store.share_pack(id).await? else { return Ok(None) };
        if !super::super::visible(store, by, id, &pack.record.requested_by).await? {
            return Ok(None);
        }
        let uploads = store.pack_files(id).await?;
        let runs = store.runs_of_pack(id).await?;
        let submitted: std::collections::BTreeSet<i64> = runs.iter().map(|run| run.upload).collect();
        let applied: std::collections::BTreeSet<i64> =
            runs.iter().filter(|run| run.status == crate::records::RunStatus::Completed).map(|run| run.upload).collect();
        let last_applied = runs
            .iter()
            .filter(|run| run.status == crate::records::RunStatus::Completed)
            .map(|run| (run.created_at, run.upload))
            .max()
            .map(|(_, upload)| upload);
        let may_submit = match store.share_pack_owner(id).await? {
            Some(owner) => by.require(crate::access::Act::Request, Some(&owner.as_owner())).is_ok(),
            None => false,
        };
        let record = &pack.record;
        Ok(Some(SharePackView {
            id: id.to_string(),
            name: pack.name.clone(),
            status: record.status,
            strategy: record.strategy,
            requested_by: record.requested_by.clone(),
            project: record.project_name.clone().unwrap_or_default(),
            business_line: record.business_line.clone().unwrap_or_default(),
            workspace_url: record.workspace_url.clone(),
            error: record.error.clone(),
            updated_at: time(pack.effective_from),
            uploads: uploads
                .into_iter()
                .map(|file| UploadSummary {
                    version: file.version,
                    file_name: file.file_name,
                    format: file.format,
                    uploaded_at: time(file.uploaded_at),
                    draft: !submitted.contains(&file.version),
                    applied: applied.contains(&file.version),
                    deletable: !submitted.contains(&file.version)
                        && record.upload != file.version
                        && may_submit
                        && file.uploaded_by.eq_ignore_ascii_case(by.actor().name()),
                })
                .collect(),
            runs: runs
                .into_iter()
                .map(|run| RunSummary {
                    id: run.id.to_string(),
                    upload: run.upload,
                    status: run.status,
                    strategy: run.strategy,
                    created_at: time(run.created_at),
                    progress: run.progress,
                })
                .collect(),
            may_submit,
            applied: last_applied,
        }))
    }

    /// The seed's status read; `None` when the share pack does not exist or `by` may not see it.
    pub async fn share_pack_progress(store: &Store, by: &Principal, id: Uuid) -> Result<Option<PackProgress>, Problem> {
        let Some(pack) = store.share_pack(id).await? else { return Ok(None) };
        if !super::super::visible(store, by, id, &pack.record.requested_by).await? {
            return Ok(None);
        }
        let created = store.share_pack_created_at(id).await?.unwrap_or(pack.effective_from);
        let run = match pack.record.run_id {
            Some(run) => store.load_run(run).await?,
            None => None,
        };
        let record = &pack.record;
        let strategy = |strategy: Option<Strategy>| strategy.map(Strategy::as_str).unwrap_or_default().to_string();
        let mut progress = PackProgress {
            share_pack_id: id.to_string(),
            share_pack_name: pack.name.clone(),
            status: record.status,
            strategy: strategy(record.strategy),
            provisioning_status: String::new(),
            error_message: record.error.clone(),
            requested_by: record.requested_by.clone(),
            created_at: time(created),
            last_updated: time(pack.effective_from),
            run_id: None,
            run_status: None,
        };
        match run {
            Some(run) => {
                progress.status = run.status.reported();
                progress.strategy = strategy(Some(run.strategy));
                progress.provisioning_status = run.progress.clone();
                progress.error_message = match run.status {
                    RunStatus::Cancelled => "Cancelled".into(),
                    _ => run.error.clone().unwrap_or_default(),
                };
                progress.last_updated = time(run.updated_at.max(pack.effective_from));
                progress.run_id = Some(run.id.to_string());
                progress.run_status = Some(run.status);
            }
            None if record.status == PackStatus::ValidationFailed => {
                progress.provisioning_status = "Not provisioned: the pack did not pass validation".into();
            }
            None => {}
        }
        Ok(Some(progress))
    }
}
