//! Server-side state of the pages: what server functions find in their context, and the store of
//! uploads each page shows. Compiled only with the `ssr` feature.

use crate::api::{Outcome, Preview, UploadView};
use leptos::prelude::*;
use sharepack_engine::databricks::workspaces::Workspace;
use sharepack_engine::intake::{read_pack, IntakeError, Limits};
use sharepack_engine::plan::PlanOptions;
use sharepack_engine::store::{Store, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Everything the server functions need, provided as context by the server for every request.
#[derive(Clone)]
pub struct Portal {
    pub limits: Limits,
    pub store: Store,
    pub uploads: Arc<Uploads>,
    pub workspaces: Arc<sharepack_engine::databricks::workspaces::Workspaces>,
    /// Refuse NEW when named resources exist, unless a request says otherwise.
    pub strict_strategy: bool,
    /// Where submitted runs go for the workers.
    pub queue: sharepack_engine::queue::Queue,
    /// How runs are applied (compensation default, concurrency).
    pub apply: sharepack_engine::apply::ApplySettings,
}

/// The portal's state from the request context.
pub fn portal() -> Result<Portal, ServerFnError> {
    use_context::<Portal>().ok_or_else(|| ServerFnError::new("portal state missing from the request context"))
}

/// A file as received, or the reason it was refused on the way in, and the workspace the form
/// chose (its URL), if any.
pub struct ReceivedFile {
    pub file_name: String,
    pub bytes: Result<Vec<u8>, IntakeError>,
    pub workspace: Option<String>,
}

/// Reads the `file` field of a multipart body, refusing it once it grows past `limit` bytes
/// (without reading the rest into memory).
pub async fn read_file_field(multipart: &mut multer::Multipart<'static>, limit: usize) -> Result<ReceivedFile, ServerFnError> {
    let mut workspace = None;
    while let Some(mut field) = multipart.next_field().await.map_err(bad_request)? {
        if field.name() == Some("workspace") {
            // The picker comes before the file in the form; a URL is short.
            let text = field.text().await.map_err(bad_request)?;
            workspace = Some(text.chars().take(2048).collect::<String>()).filter(|url| !url.trim().is_empty());
            continue;
        }
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field.file_name().unwrap_or("upload").to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad_request)? {
            if bytes.len() + chunk.len() > limit {
                let size = bytes.len() + chunk.len();
                return Ok(ReceivedFile { file_name, bytes: Err(IntakeError::TooLarge { size, limit }), workspace });
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(ReceivedFile { file_name, bytes: Ok(bytes), workspace });
    }
    Err(bad_input("The form has no file; choose a share pack to upload"))
}

fn bad_request(error: multer::Error) -> ServerFnError {
    bad_input(format!("The upload could not be read: {error}"))
}

/// An error in what the user sent: answered 400, not 500.
pub fn bad_input(message: impl Into<String>) -> ServerFnError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::BAD_REQUEST);
    }
    ServerFnError::new(message.into())
}

/// Uploads and what intake made of them, kept in the store.
pub struct Uploads {
    store: Store,
}

impl Uploads {
    pub fn new(store: Store) -> Self {
        Uploads { store }
    }

    /// Runs intake on a received file and keeps the file and the outcome. Returns the upload id.
    pub async fn ingest(&self, file: ReceivedFile, limits: &Limits, workspace: &Workspace, strict: bool) -> Result<String, StoreError> {
        let id = uuid::Uuid::now_v7();
        let size = file.bytes.as_ref().map(|bytes| bytes.len() as u64).unwrap_or(0);
        let limits = *limits;
        let file_name = file.file_name.clone();
        let (outcome, excerpts, bytes) = tokio::task::spawn_blocking(move || {
            let outcome = file.bytes.and_then(|bytes| read_pack(&bytes, Some(&file_name), &limits).map(|intake| (intake, bytes)));
            match outcome {
                Ok((intake, bytes)) => {
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
        .map_err(|error| StoreError::Config(format!("intake task failed: {error}")))?;
        let preview = match &outcome {
            Outcome::Read(intake) if intake.is_valid() => Some(preview(intake, workspace, strict).await),
            _ => None,
        };
        let view = UploadView {
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
        let json = serde_json::to_value(&view).map_err(|error| StoreError::Config(error.to_string()))?;
        self.store.save_upload(id, &view.file_name, i64::try_from(size).unwrap_or(i64::MAX), &json, bytes.as_deref()).await?;
        Ok(id.to_string())
    }

    /// An upload by id; `None` for ids that are unknown or malformed.
    pub async fn load(&self, id: &str) -> Result<Option<UploadView>, StoreError> {
        let Ok(id) = uuid::Uuid::parse_str(id) else { return Ok(None) };
        match self.store.load_upload(id).await? {
            Some(stored) => serde_json::from_value(stored.outcome)
                .map(Some)
                .map_err(|error| StoreError::Config(format!("stored upload {id} cannot be read: {error}"))),
            None => Ok(None),
        }
    }
}

/// Plans a valid pack against the workspace: what the page shows before anything happens.
async fn preview(intake: &sharepack_engine::intake::Intake, workspace: &Workspace, strict: bool) -> Preview {
    let known = intake.findings.len();
    let run = sharepack_engine::plan::dry_run(intake.clone(), &workspace.client, PlanOptions { strict }).await;
    let findings = match &run.plan {
        Some(plan) => plan.findings.clone(),
        None => run.findings.iter().skip(known).cloned().collect(),
    };
    Preview {
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
    }
}

/// What a user is told when the store fails; the cause goes to the log, not the page.
pub fn store_failure(what: &str, error: &StoreError) -> ServerFnError {
    tracing::error!(error = %sharepack_engine::store::redact(&error.to_string()), "{what} failed");
    match error {
        StoreError::Unavailable(_) => {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(http::StatusCode::SERVICE_UNAVAILABLE);
            }
            ServerFnError::new("The database is unavailable right now; please try again in a moment")
        }
        _ => ServerFnError::new(format!("{what} failed; please try again")),
    }
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

/// Runs, share packs and submission, for the run pages (see `runs_api`).
mod runs {
    use super::*;
    use crate::runs_api::*;
    use sharepack_engine::apply::{self, SubmitError};
    use sharepack_engine::store::Entity;
    use uuid::Uuid;

    fn time(value: chrono::DateTime<chrono::Utc>) -> String {
        value.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// The cookie that holds a submitter's claim on a run's activation links.
    fn claim_cookie(run: &Uuid) -> String {
        format!("sharepack_claim_{}", run.simple())
    }

    pub async fn submit_upload(id: &str, confirm_removals: bool) -> Result<String, ServerFnError> {
        let portal = portal()?;
        let Ok(upload_id) = Uuid::parse_str(id) else { return Err(bad_input("No such upload")) };
        let view = portal.uploads.load(id).await.map_err(|error| store_failure("Reading the upload", &error))?;
        let bytes = portal.store.load_upload_content(upload_id).await.map_err(|error| store_failure("Reading the upload", &error))?;
        let (Some(view), Some(bytes)) = (view, bytes) else { return Err(bad_input("No such upload, or it could not be read")) };
        let workspace_url = view.preview.as_ref().map(|preview| preview.workspace_url.clone());
        // The plan the user saw is the one they approved; workers record how the workspace
        // has moved on from it.
        let approved = view.preview.as_ref().filter(|preview| preview.planned).and_then(|preview| {
            Some(sharepack_engine::plan::Plan {
                declared: preview.declared,
                strategy: preview.strategy?,
                actions: preview.actions.clone(),
                findings: preview.findings.clone(),
                summary: preview.summary,
                story: preview.story.clone(),
            })
        });
        let workspace = portal.workspaces.select(workspace_url.as_deref(), None).map_err(|unknown| bad_input(unknown.to_string()))?;
        let submission = apply::Submission {
            file_name: &view.file_name,
            bytes,
            workspace,
            confirm_removals,
            compensate: None,
            approved,
            limits: portal.limits,
            options: PlanOptions { strict: portal.strict_strategy },
            compensate_new: portal.apply.compensate_new,
        };
        match apply::submit(&portal.store, &portal.queue, submission).await {
            Ok(submitted) => match (submitted.run_id, submitted.claim) {
                (Some(run), Some(claim)) => {
                    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                        let cookie = format!("{}={claim}; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax", claim_cookie(&run));
                        if let Ok(value) = http::HeaderValue::from_str(&cookie) {
                            response.append_header(http::header::SET_COOKIE, value);
                        }
                    }
                    leptos_axum::redirect(&format!("/runs/{run}"));
                    Ok(run.to_string())
                }
                // The workspace changed since the preview and the pack no longer passes: the
                // share pack's page says why.
                _ => {
                    leptos_axum::redirect(&format!("/sharepacks/{}", submitted.share_pack_id));
                    Ok(submitted.share_pack_id.to_string())
                }
            },
            Err(SubmitError::Busy { run_id, .. }) => {
                leptos_axum::redirect(&format!("/runs/{run_id}?busy=1"));
                Ok(run_id.to_string())
            }
            Err(SubmitError::Intake(error)) => Err(bad_input(error.sentence())),
            Err(SubmitError::WorkspaceUnavailable(message)) => {
                if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                    response.set_status(http::StatusCode::SERVICE_UNAVAILABLE);
                }
                Err(ServerFnError::new(format!("{message}. Nothing was submitted; please try again in a moment")))
            }
            Err(SubmitError::Store(error)) => Err(store_failure("Submitting the pack", &error)),
            Err(SubmitError::Queue(error)) => {
                tracing::error!(%error, "the queue refused a submission");
                if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                    response.set_status(http::StatusCode::SERVICE_UNAVAILABLE);
                }
                Err(ServerFnError::new("The work queue is unavailable right now; nothing was submitted. Please try again in a moment"))
            }
        }
    }

    pub async fn run_view(store: &Store, id: &str) -> Result<Option<RunView>, StoreError> {
        let Ok(id) = Uuid::parse_str(id) else { return Ok(None) };
        let Some(run) = store.load_run(id).await? else { return Ok(None) };
        let steps = store.load_steps(id).await?;
        let events = store.audit_of(run.correlation_id).await?;
        let pack = store.current(Entity::SharePack, run.share_pack_id).await?;
        let links_waiting = store.pending_activation_links(id).await?;
        Ok(Some(RunView {
            id: run.id.to_string(),
            share_pack_id: run.share_pack_id.to_string(),
            share_pack_name: pack.map(|pack| pack.name).unwrap_or_default(),
            upload: run.upload,
            status: run.status.as_str().into(),
            strategy: run.strategy.clone(),
            workspace_url: run.workspace_url.clone(),
            requested_by: run.requested_by.clone(),
            created_at: time(run.created_at),
            finished_at: run.finished_at.map(time),
            updated_at: run.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            progress: run.progress.clone(),
            error: run.error.clone(),
            cancel_requested: run.cancel_requested,
            confirm_removals: run.confirm_removals,
            compensate: run.compensate,
            steps: steps
                .iter()
                .map(|step| StepView {
                    no: step.step_no,
                    phase: step.phase,
                    description: step.work().map(|work| work.describe()).unwrap_or_else(|| step.kind.clone()),
                    status: step.status.as_str().into(),
                    attempts: step.attempts,
                    duration_ms: match (step.started_at, step.finished_at) {
                        (Some(start), Some(end)) => Some((end - start).num_milliseconds()),
                        _ => None,
                    },
                    error: step.last_error.clone(),
                })
                .collect(),
            events: events
                .iter()
                // A bookkeeping marker, not something that happened.
                .filter(|entry| entry.action != "actions_recorded")
                .map(|entry| {
                    // "add_object" on "dataobject" `sales.q1` in `share` reads "add object sales.q1 in share".
                    let mut action = entry.action.replace('_', " ");
                    if let Some(name) = entry.details["name"].as_str() {
                        action = format!("{action} {}", name);
                        if let Some(share) = entry.details["share"].as_str() {
                            action = format!("{action} in {share}");
                        }
                    }
                    let list = |field: &str| {
                        entry.details[field]
                            .as_array()
                            .map(|items| items.iter().filter_map(|item| item.as_str()).collect::<Vec<_>>().join(", "))
                    };
                    let mut reason = entry.reason.clone();
                    for (field, label) in [("dropped", "no longer needed"), ("added", "now also needed")] {
                        if let Some(items) = list(field).filter(|items| !items.is_empty()) {
                            reason = format!("{reason}; {label}: {items}");
                        }
                    }
                    EventView { at: time(entry.at), actor: entry.actor.clone(), action, reason }
                })
                .collect(),
            revision: run.revision,
            links_waiting,
        }))
    }

    pub async fn control_run(id: &str, by: &str, reason: &str, retry: bool) -> Result<String, ServerFnError> {
        let portal = portal()?;
        let Ok(run) = Uuid::parse_str(id) else { return Err(bad_input("No such run")) };
        if by.trim().is_empty() {
            return Err(bad_input("Say who you are (name or e-mail): cancel and retry are recorded with who and why"));
        }
        let by: String = by.trim().chars().take(255).collect();
        let reason: String = reason.trim().chars().take(500).collect();
        let result = if retry {
            apply::control::retry(&portal.store, &portal.queue, run, &by, &reason).await
        } else {
            apply::control::cancel(&portal.store, run, &by, &reason).await
        };
        match result {
            Ok(_) | Err(apply::control::ControlError::NotAllowed(_)) => {
                leptos_axum::redirect(&format!("/runs/{run}"));
                Ok(run.to_string())
            }
            Err(apply::control::ControlError::NotFound) => Err(bad_input("No such run")),
            Err(apply::control::ControlError::Store(error)) => Err(store_failure("Changing the run", &error)),
            Err(apply::control::ControlError::Queue(error)) => {
                tracing::error!(%error, "the queue refused a retry");
                Err(ServerFnError::new("The work queue is unavailable right now; please try again in a moment"))
            }
        }
    }

    pub async fn claim_links(id: &str) -> Result<Vec<(String, String)>, ServerFnError> {
        let portal = portal()?;
        let Ok(run) = Uuid::parse_str(id) else { return Ok(Vec::new()) };
        let Some(parts) = use_context::<http::request::Parts>() else { return Ok(Vec::new()) };
        let wanted = claim_cookie(&run);
        let claim = parts
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|header| header.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == wanted)
            .and_then(|(_, value)| Uuid::parse_str(value).ok());
        let Some(claim) = claim else { return Ok(Vec::new()) };
        portal.store.take_activation_links(run, claim).await.map_err(|error| store_failure("Reading the activation links", &error))
    }

    pub async fn share_pack_view(store: &Store, id: &str) -> Result<Option<SharePackView>, StoreError> {
        let Ok(id) = Uuid::parse_str(id) else { return Ok(None) };
        let Some(pack) = store.current(Entity::SharePack, id).await? else { return Ok(None) };
        let uploads = store.pack_files(id).await?;
        let runs = store.runs_of_pack(id).await?;
        let text = |field: &str| pack.data[field].as_str().unwrap_or_default().to_string();
        Ok(Some(SharePackView {
            id: id.to_string(),
            name: pack.name.clone(),
            status: text("status"),
            strategy: text("strategy"),
            requested_by: text("requested_by"),
            project: text("project_name"),
            business_line: text("business_line"),
            workspace_url: text("workspace_url"),
            error: text("error"),
            updated_at: time(pack.effective_from),
            uploads: uploads.into_iter().map(|file| (file.version, file.file_name, file.format, time(file.uploaded_at))).collect(),
            runs: runs
                .into_iter()
                .map(|run| RunSummary {
                    id: run.id.to_string(),
                    upload: run.upload,
                    status: run.status.as_str().into(),
                    strategy: run.strategy,
                    created_at: time(run.created_at),
                    progress: run.progress,
                })
                .collect(),
        }))
    }

    pub async fn share_pack_rows(store: &Store) -> Result<Vec<SharePackRow>, StoreError> {
        let mut rows = Vec::new();
        let mut after: Option<(String, Uuid)> = None;
        loop {
            let page = store.current_page(Entity::SharePack, after.as_ref().map(|(name, key)| (name.as_str(), *key)), 200).await?;
            let Some(last) = page.last() else { break };
            after = Some((last.name.clone(), last.key));
            let full = page.len() == 200;
            rows.extend(page.into_iter().map(|version| {
                let text = |field: &str| version.data[field].as_str().unwrap_or_default().to_string();
                (
                    version.effective_from,
                    SharePackRow {
                        id: version.key.to_string(),
                        name: version.name.clone(),
                        project: text("project_name"),
                        status: text("status"),
                        strategy: text("strategy"),
                        requested_by: text("requested_by"),
                        updated_at: time(version.effective_from),
                    },
                )
            }));
            if !full || rows.len() >= 2000 {
                break;
            }
        }
        rows.sort_by_key(|row| std::cmp::Reverse(row.0));
        Ok(rows.into_iter().take(200).map(|(_, row)| row).collect())
    }
}

pub use runs::{claim_links, control_run, run_view, share_pack_rows, share_pack_view, submit_upload};
