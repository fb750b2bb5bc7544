//! The server side of intake pages: a received file goes through intake, a valid pack is
//! planned against the chosen workspace (the preview), and both are kept in the store so any
//! portal instance can show `/uploads/{id}`.

use super::api::{Outcome, Preview, UploadView};
use crate::portal::multipart::ReceivedFile;
use crate::portal::{claim_cookie, cookie, parse_id, request, set_cookie};
use sharepack_engine::access::{claim, Principal};
use sharepack_engine::apply::{self, SubmitError};
use sharepack_engine::databricks::workspaces::Workspace;
use sharepack_engine::error::Problem;
use sharepack_engine::intake::{read_pack, Limits};
use sharepack_engine::plan::PlanOptions;
use sharepack_engine::store::StoredOwner;
use sharepack_engine::store::{Store, StoreError};
use std::collections::BTreeMap;

/// Uploads and what intake made of them, kept in the store.
pub struct Uploads {
    store: Store,
}

impl Uploads {
    pub fn new(store: Store) -> Self {
        Uploads { store }
    }

    /// Runs intake on a received file (the pack's requestor and business line checked against
    /// `by`) and keeps the file and the outcome as `by`'s. Returns the upload id.
    pub async fn ingest(
        &self,
        file: ReceivedFile,
        by: &Principal,
        limits: &Limits,
        workspace: &Workspace,
        strict: bool,
        note: Option<String>,
    ) -> Result<String, Problem> {
        let id = uuid::Uuid::now_v7();
        let size = file.bytes.as_ref().map(|bytes| bytes.len() as u64).unwrap_or(0);
        let limits = *limits;
        let file_name = file.file_name.clone();
        let claimant = by.clone();
        let restate = note.is_some();
        let (outcome, excerpts, bytes) = tokio::task::spawn_blocking(move || {
            let outcome = file.bytes.and_then(|bytes| read_pack(&bytes, Some(&file_name), &limits).map(|intake| (intake, bytes)));
            match outcome {
                Ok((mut intake, bytes)) => {
                    if restate {
                        claim::restate(&mut intake, &claimant);
                    }
                    claim::claim(&mut intake, &claimant);
                    let excerpts = excerpts(&intake, &bytes);
                    (Outcome::Read(Box::new(intake)), excerpts, Some(bytes))
                }
                Err(error) => {
                    let outcome = Outcome::Refused { code: error.code().into(), message: error.sentence(), hint: error.hint().into() };
                    (outcome, BTreeMap::new(), None)
                }
            }
        })
        .await
        .map_err(|error| {
            tracing::error!(%error, "the intake task failed");
            Problem::internal("reading the file")
        })?;
        let mut outcome = outcome;
        if let Outcome::Read(intake) = &mut outcome {
            sharepack_engine::access::resources::check_owners(&self.store, by, &workspace.url, intake).await?;
        }
        let preview = match &outcome {
            Outcome::Read(intake) if intake.is_valid() => Some(preview(&self.store, intake, workspace, strict).await?),
            _ => None,
        };
        let view = UploadView {
            note,
            preview,
            id: id.to_string(),
            file_name: file.file_name,
            size,
            uploaded_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            outcome,
            excerpts,
        };
        match &view.outcome {
            Outcome::Read(intake) => tracing::info!(upload = %id, file = %view.file_name, size, "{intake}"),
            Outcome::Refused { code, .. } => tracing::info!(upload = %id, file = %view.file_name, size, code, "upload refused"),
        }
        let json = serde_json::to_value(&view).map_err(|error| StoreError::Corrupt(error.to_string()))?;
        // A pack naming a business line its uploader does not hold stays the uploader's alone.
        let business_line = match &view.outcome {
            Outcome::Read(intake) if !intake.findings.iter().any(|finding| claim::is_forbidden(&finding.code)) => {
                intake.pack.as_ref().map(|pack| pack.metadata.business_line.clone()).unwrap_or_default()
            }
            _ => String::new(),
        };
        let owner = StoredOwner { business_line: Some(business_line), created_by: by.actor().name().to_string() };
        self.store.save_upload(id, &view.file_name, i64::try_from(size).unwrap_or(i64::MAX), &json, bytes.as_deref(), &owner).await?;
        Ok(id.to_string())
    }

    /// An upload by id; `None` for ids that are unknown, or that `by` may not see.
    pub async fn load(&self, by: &Principal, id: uuid::Uuid) -> Result<Option<UploadView>, Problem> {
        if !sharepack_engine::views::upload_visible(&self.store, by, id).await? {
            return Ok(None);
        }
        match self.store.load_upload(id).await? {
            Some(stored) => serde_json::from_value(stored.outcome)
                .map(Some)
                .map_err(|error| StoreError::Corrupt(format!("stored upload {id} cannot be read: {error}")).into()),
            None => Ok(None),
        }
    }
}

/// Plans a valid pack against the workspace: what the page shows before anything happens.
async fn preview(
    store: &sharepack_engine::store::Store,
    intake: &sharepack_engine::intake::Intake,
    workspace: &Workspace,
    strict: bool,
) -> Result<Preview, StoreError> {
    let run =
        sharepack_engine::apply::preview::dry_run(store, &workspace.url, &workspace.client, intake.clone(), PlanOptions { strict }).await?;
    let findings = match &run.plan {
        Some(plan) => plan.findings.clone(),
        // The dry run's own findings (the intake's are shown apart); sorted with them, so told
        // apart by what they are, not where they stand.
        None => run.findings.iter().filter(|finding| !intake.findings.contains(finding)).cloned().collect(),
    };
    Ok(Preview {
        workspace_name: workspace.name.clone(),
        workspace_url: workspace.url.clone(),
        sandbox: workspace.is_sandbox,
        declared: run.declared,
        strategy: run.strategy,
        planned: run.plan.is_some(),
        summary: run.plan.as_ref().map(|plan| plan.summary).unwrap_or_default(),
        story: run.plan.as_ref().map(|plan| plan.story.clone()).unwrap_or_default(),
        actions: run.plan.map(|plan| plan.actions).unwrap_or_default(),
        findings,
    })
}

/// The YAML lines that findings point at, so the page can show them in place.
fn excerpts(intake: &sharepack_engine::intake::Intake, bytes: &[u8]) -> BTreeMap<u32, String> {
    let Ok(text) = std::str::from_utf8(bytes) else { return BTreeMap::new() };
    let wanted: std::collections::BTreeSet<u32> = intake.findings.iter().filter_map(|finding| finding.at.line).collect();
    text.lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let number = u32::try_from(index + 1).ok()?;
            wanted.contains(&number).then(|| (number, line.chars().take(300).collect()))
        })
        .collect()
}

fn no_such_upload() -> Problem {
    Problem::new(sharepack_engine::Class::NotFound, "not_found", "No such upload, or it could not be read")
        .hint("Drop the file again on the intake page")
}

/// A start time as the form sends it: `datetime-local`'s `2026-12-24T22:00` (read as UTC, as the
/// form says), RFC 3339 or a date; empty is none.
fn start_time(text: Option<&str>) -> Result<Option<chrono::DateTime<chrono::Utc>>, Problem> {
    let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else { return Ok(None) };
    let local = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"].iter().find_map(|format| chrono::NaiveDateTime::parse_from_str(text, format).ok());
    local.map(|at| at.and_utc()).or_else(|| sharepack_engine::history::moment(text)).map(Some).ok_or_else(|| {
        Problem::invalid("time_invalid", format!("`{}` is not a time like 2026-12-24T22:00", text.chars().take(40).collect::<String>()))
            .at("start_at")
    })
}

pub async fn submit_upload(id: String, confirm_removals: bool, start_at: Option<String>) -> Result<String, Problem> {
    let start_at = start_time(start_at.as_deref())?;
    let request = request()?;
    let portal = &request.portal;
    portal.throttle.admit(&request.by)?;
    let upload_id = parse_id(&id).ok_or_else(no_such_upload)?;
    let view = Uploads::new(portal.store.clone()).load(&request.by, upload_id).await?;
    let bytes = portal.store.load_upload_content(upload_id).await?;
    let (Some(view), Some(bytes)) = (view, bytes) else { return Err(no_such_upload()) };
    let workspace_url = view.preview.as_ref().map(|preview| preview.workspace_url.clone());
    // The plan the user saw is the one they approved; workers record how the workspace has
    // moved on from it.
    let approved = view.preview.as_ref().and_then(Preview::plan);
    let workspace = portal.workspaces.select(workspace_url.as_deref(), None).map_err(|unknown| unknown.problem())?;
    let submission = apply::Submission {
        by: &request.by,
        file_name: &view.file_name,
        bytes,
        workspace,
        confirm_removals,
        compensate: None,
        approved,
        limits: portal.limits,
        options: PlanOptions { strict: portal.strict_strategy },
        compensate_new: portal.apply.compensate_new,
        policy: &portal.approvals,
        // A rollback's preview is the submitter's request, like its submission.
        restate: view.note.is_some(),
        start_at,
        note: view.note.clone(),
    };
    match apply::submit(&portal.store, &portal.queue, submission).await {
        Ok(submitted) => match (submitted.run_id, submitted.claim) {
            (Some(run), Some(claim)) => {
                set_cookie(&cookie(portal, &claim_cookie(&run), &claim.to_string(), 604_800));
                leptos_axum::redirect(&format!("/runs/{run}"));
                Ok(run.to_string())
            }
            // The workspace changed since the preview and the pack no longer passes: the share
            // pack's page says why.
            _ => {
                leptos_axum::redirect(&format!("/sharepacks/{}", submitted.share_pack_id));
                Ok(submitted.share_pack_id.to_string())
            }
        },
        Err(SubmitError::Busy { run_id, .. }) => {
            leptos_axum::redirect(&format!("/runs/{run_id}?busy=1"));
            Ok(run_id.to_string())
        }
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_forms_start_time_reads_as_utc() {
        let at = super::start_time(Some("2026-12-24T22:00")).unwrap().unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-24T22:00:00+00:00");
        assert_eq!(super::start_time(Some("2026-12-24T22:00:00+01:00")).unwrap().unwrap().to_rfc3339(), "2026-12-24T21:00:00+00:00");
        assert_eq!(super::start_time(Some("  ")).unwrap(), None);
        assert_eq!(super::start_time(None).unwrap(), None);
        let refused = super::start_time(Some("tomorrow")).unwrap_err();
        assert_eq!((refused.code.as_str(), refused.location.as_deref()), ("time_invalid", Some("start_at")));
    }
}
