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
