//! Rolling a share pack back to an earlier version: that version's file is submitted again as
//! the pack's next version. Its plan is computed afresh from the workspace as it is now to that
//! version's state (what later versions changed is changed back; what they added and it does not
//! list is deleted, once confirmed), never by replaying old steps; it is shown, approved and run
//! like any other plan. Only versions a run applied can be rolled back to.

use super::submit::{submit, Submission, SubmitError, Submitted};
use crate::access::{Act, Principal};
use crate::approval::Policy;
use crate::databricks::workspaces::Workspaces;
use crate::error::{Class, Problem};
use crate::intake::Limits;
use crate::plan::PlanOptions;
use crate::queue::Queue;
use crate::records::RunStatus;
use crate::store::Store;
use uuid::Uuid;

pub struct Rollback<'a> {
    pub share_pack_id: Uuid,
    /// The version (upload) to go back to.
    pub to: i64,
    pub how: Resubmit<'a>,
}

/// Who submits a file Sharepack made for a pack, and how.
pub struct Resubmit<'a> {
    pub by: &'a Principal,
    /// Delete what the file no longer lists (the plan lists each; without it they are kept).
    pub confirm_removals: bool,
    pub workspaces: &'a Workspaces,
    pub limits: Limits,
    pub options: PlanOptions,
    pub policy: &'a Policy,
}

/// The earlier version to go back to, once `by` may: its file and the workspace it lives on.
pub struct Source {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub workspace_url: String,
    /// `rollback to version 1`, for the history and the trail.
    pub note: String,
}

/// Checks that `by` may roll the pack back (they see it and may submit for its business line)
/// and that `to` is a version a run applied, and reads that version's file.
pub async fn source(store: &Store, by: &Principal, id: Uuid, to: i64) -> Result<Source, Problem> {
    let missing = || Problem::not_found("share pack", &id.to_string());
    let owner = store.share_pack_owner(id).await?.ok_or_else(missing)?;
    by.reveal(&owner.as_owner(), "share pack", &id.to_string())?;
    by.require(Act::Request, Some(&owner.as_owner()))?;
    let pack = store.share_pack(id).await?.ok_or_else(missing)?;
    let runs = store.runs_of_pack(id).await?;
    if !runs.iter().any(|run| run.upload == to && run.status == RunStatus::Completed) {
        let applied: Vec<String> = runs.iter().filter(|run| run.status == RunStatus::Completed).map(|run| run.upload.to_string()).collect();
        let hint = if applied.is_empty() {
            "No version of this pack has been applied yet".to_string()
        } else {
            format!("Versions a run applied: {}", applied.join(", "))
        };
        return Err(Problem::new(
            Class::Conflict,
            "never_applied",
            format!("Version {to} of this share pack was never applied, so there is no state of it to go back to"),
        )
        .hint(hint)
        .at("version"));
    }
    let (file_name, bytes) = store.pack_file_content(id, to).await?.ok_or_else(|| Problem::not_found("version", &format!("{id}/{to}")))?;
    Ok(Source { file_name, bytes, workspace_url: pack.record.workspace_url, note: format!("rollback to version {to}") })
}

/// Submits the rollback at once (the REST API; the page previews it as an upload first).
pub async fn rollback(store: &Store, queue: &Queue, rollback: Rollback<'_>) -> Result<Submitted, SubmitError> {
    let source = source(store, rollback.how.by, rollback.share_pack_id, rollback.to).await.map_err(SubmitError::Refused)?;
    submit_source(store, queue, source, &rollback.how).await
}

/// Submits a pack's file made by Sharepack (an earlier version, a restore, an adoption) as the
/// pack's next version, on the workspace it lives on, as the person asking.
pub async fn submit_source(store: &Store, queue: &Queue, source: Source, how: &Resubmit<'_>) -> Result<Submitted, SubmitError> {
    // Back on the workspace the pack lives on, whichever is the portal's default.
    let workspace = how.workspaces.select(Some(&source.workspace_url), None).map_err(|unknown| SubmitError::Refused(unknown.problem()))?;
    submit(
        store,
        queue,
        Submission {
            by: how.by,
            file_name: &source.file_name,
            bytes: source.bytes,
            workspace,
            confirm_removals: how.confirm_removals,
            // What a rollback creates again is what the earlier version had: a failure keeps it.
            compensate: Some(false),
            approved: None,
            limits: how.limits,
            options: how.options,
            compensate_new: false,
            policy: how.policy,
            note: Some(source.note),
            restate: true,
            start_at: None,
        },
    )
    .await
}
