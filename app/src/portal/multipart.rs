//! Reading a share pack from a multipart form, for the page's upload form and the REST API
//! alike: the `file` field (refused once it grows past the limit, without reading the rest into
//! memory) and the optional `workspace` field.

use sharepack_engine::error::{Class, Problem};
use sharepack_engine::intake::IntakeError;

/// A file as received, or the reason it was refused on the way in, and the workspace the form
/// chose (its URL), if any.
pub struct ReceivedFile {
    pub file_name: String,
    /// Whether the form named the file (REST clients may not).
    pub named: bool,
    pub bytes: Result<Vec<u8>, IntakeError>,
    pub workspace: Option<String>,
}

/// Reads the `file` field of a multipart body, refusing it once it grows past `limit` bytes.
pub async fn read_file_field(multipart: &mut multer::Multipart<'static>, limit: usize) -> Result<ReceivedFile, Problem> {
    let mut workspace = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|error| unreadable(error, limit))? {
        if field.name() == Some("workspace") {
            // The picker comes before the file in the form; a URL is short.
            let text = field.text().await.map_err(|error| unreadable(error, limit))?;
            workspace = Some(text.chars().take(2048).collect::<String>()).filter(|url| !url.trim().is_empty());
            continue;
        }
        if field.name() != Some("file") {
            continue;
        }
        let named = field.file_name().is_some();
        let file_name = field.file_name().unwrap_or("upload").to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|error| unreadable(error, limit))? {
            if bytes.len() + chunk.len() > limit {
                let size = bytes.len() + chunk.len();
                return Ok(ReceivedFile { file_name, named, bytes: Err(IntakeError::TooLarge { size, limit }), workspace });
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(ReceivedFile { file_name, named, bytes: Ok(bytes), workspace });
    }
    Err(Problem::invalid("missing_file", "The form has no file").hint("Choose a share pack to upload (the form field `file`)"))
}

/// A body that cannot be read; past the body limit, that is the upload being too large.
fn unreadable(error: multer::Error, limit: usize) -> Problem {
    if over_body_limit(&error) {
        return Problem::body_too_large(limit);
    }
    Problem::new(Class::Invalid, "bad_multipart", format!("The upload could not be read: {error}"))
}

/// True when reading stopped at the request body limit (the error hides under a few wrappers).
fn over_body_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<http_body_util::LengthLimitError>() || error.to_string().contains("length limit exceeded") {
            return true;
        }
        current = error.source();
    }
    false
}
