//! Server-side state of the pages: what server functions find in their context, and the store of
//! uploads each page shows. Compiled only with the `ssr` feature.

use crate::api::{Outcome, UploadView};
use leptos::prelude::*;
use sharepack_engine::intake::{read_pack, IntakeError, Limits};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Everything the server functions need, provided as context by the server for every request.
#[derive(Clone)]
pub struct Portal {
    pub limits: Limits,
    pub uploads: Arc<Uploads>,
}

/// The portal's state from the request context.
pub fn portal() -> Result<Portal, ServerFnError> {
    use_context::<Portal>().ok_or_else(|| ServerFnError::new("portal state missing from the request context"))
}

/// A file as received, or the reason it was refused on the way in.
pub struct ReceivedFile {
    pub file_name: String,
    pub bytes: Result<Vec<u8>, IntakeError>,
}

/// Reads the `file` field of a multipart body, refusing it once it grows past `limit` bytes
/// (without reading the rest into memory).
pub async fn read_file_field(multipart: &mut multer::Multipart<'static>, limit: usize) -> Result<ReceivedFile, ServerFnError> {
    while let Some(mut field) = multipart.next_field().await.map_err(bad_request)? {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field.file_name().unwrap_or("upload").to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad_request)? {
            if bytes.len() + chunk.len() > limit {
                let size = bytes.len() + chunk.len();
                return Ok(ReceivedFile { file_name, bytes: Err(IntakeError::TooLarge { size, limit }) });
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(ReceivedFile { file_name, bytes: Ok(bytes) });
    }
    Err(ServerFnError::new("The form has no file; choose a share pack to upload"))
}

fn bad_request(error: multer::Error) -> ServerFnError {
    ServerFnError::new(format!("The upload could not be read: {error}"))
}

/// Uploads and their outcomes, kept as files under `<data dir>/uploads`.
pub struct Uploads {
    dir: PathBuf,
}

impl Uploads {
    pub fn open(data_dir: &Path) -> std::io::Result<Self> {
        let dir = data_dir.join("uploads");
        std::fs::create_dir_all(&dir)?;
        Ok(Uploads { dir })
    }

    /// Runs intake on a received file and keeps the file and the outcome. Returns the upload id.
    pub async fn ingest(&self, file: ReceivedFile, limits: &Limits) -> std::io::Result<String> {
        let id = uuid::Uuid::now_v7().to_string();
        let size = file.bytes.as_ref().map(|bytes| bytes.len() as u64).unwrap_or(0);
        let limits = *limits;
        let file_name = file.file_name.clone();
        let (outcome, excerpts, bytes) = tokio::task::spawn_blocking(move || {
            let outcome = file.bytes.and_then(|bytes| read_pack(&bytes, Some(&file_name), &limits).map(|intake| (intake, bytes)));
            match outcome {
                Ok((intake, bytes)) => {
                    let excerpts = excerpts(&intake, &bytes);
                    (Outcome::Read(intake), excerpts, Some(bytes))
                }
                Err(error) => {
                    let outcome = Outcome::Refused { code: error.code().into(), message: capitalize(&error.to_string()), hint: error.hint().into() };
                    (outcome, BTreeMap::new(), None)
                }
            }
        })
        .await
        .map_err(std::io::Error::other)?;
        let view = UploadView {
            id: id.clone(),
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
        if let Some(bytes) = bytes {
            tokio::fs::write(self.dir.join(format!("{id}.bin")), bytes).await?;
        }
        let json = serde_json::to_vec(&view).map_err(std::io::Error::other)?;
        let path = self.dir.join(format!("{id}.json"));
        let partial = self.dir.join(format!("{id}.json.part"));
        tokio::fs::write(&partial, json).await?;
        tokio::fs::rename(partial, path).await?;
        Ok(id)
    }

    /// Checks that uploads can be written (for the health endpoint).
    pub async fn probe(&self) -> std::io::Result<()> {
        let path = self.dir.join(format!(".probe-{}", uuid::Uuid::new_v4()));
        tokio::fs::write(&path, b"ok").await?;
        tokio::fs::remove_file(&path).await
    }

    /// An upload by id; `None` for ids that are unknown or malformed.
    pub async fn load(&self, id: &str) -> std::io::Result<Option<UploadView>> {
        if uuid::Uuid::parse_str(id).is_err() {
            return Ok(None);
        }
        match tokio::fs::read(self.dir.join(format!("{id}.json"))).await {
            Ok(json) => serde_json::from_slice(&json).map(Some).map_err(std::io::Error::other),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
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

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
