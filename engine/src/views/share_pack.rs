//! Share packs: one with its uploads and runs, the list, and the seed's status read.

use crate::model::Strategy;
use crate::records::{PackStatus, RunStatus};
use serde::{Deserialize, Serialize};

/// A share pack with its uploads and runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

/// One uploaded version of a share pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadSummary {
    pub version: i64,
    pub file_name: String,
    pub format: String,
    pub uploaded_at: String,
    /// Never submitted (it did not pass validation): kept beside the pack, not part of it.
    #[serde(default)]
    pub draft: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: String,
    pub upload: i64,
    pub status: RunStatus,
    pub strategy: Strategy,
    pub created_at: String,
    pub progress: String,
}

/// A row of the share-pack list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharePackRow {
    pub id: String,
    pub name: String,
    pub project: String,
    pub status: PackStatus,
    pub strategy: Option<Strategy>,
    pub requested_by: String,
    pub updated_at: String,
}

/// A share pack's progress in the seed's terms and shape (`GET /workflow/sharepack/{id}`): the
/// pack's status, or while and after a run the run's status as the seed reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    use crate::access::{Act, Principal};
    use crate::error::Problem;
    use crate::store::{SharePackVersion, Store};
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
        }))
    }

    /// The 200 most recently changed share packs `by` may see.
    pub async fn share_pack_rows(store: &Store, by: &Principal) -> Result<Vec<SharePackRow>, Problem> {
        by.require(Act::Read, None)?;
        let versions = store.visible_share_packs(&by.visibility(), 200).await?;
        // A version that cannot be read is logged and left out: one bad row must not hide
        // every other pack.
        let packs = versions.into_iter().filter_map(|version| {
            SharePackVersion::try_from(version).map_err(|error| tracing::error!(%error, "a share pack is left out of the list")).ok()
        });
        Ok(packs
            .map(|pack| SharePackRow {
                id: pack.id.to_string(),
                name: pack.name.clone(),
                project: pack.record.project_name.clone().unwrap_or_default(),
                status: pack.record.status,
                strategy: pack.record.strategy,
                requested_by: pack.record.requested_by.clone(),
                updated_at: time(pack.effective_from),
            })
            .collect())
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
