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
    let mut files = read_file_fields(multipart, limit, 1).await?;
    Ok(files.remove(0))
}

/// Reads up to `most` `file` fields (a batch), each refused on its own once it grows past
/// `limit` bytes; at least one, and more than `most` is an error naming the limit.
pub async fn read_file_fields(multipart: &mut multer::Multipart<'static>, limit: usize, most: usize) -> Result<Vec<ReceivedFile>, Problem> {
    let mut workspace = None;
    let mut files = Vec::new();
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
        if files.len() == most {
            return Err(Problem::invalid("too_many_files", format!("A request takes at most {most} files"))
                .hint("Send the rest in another request"));
        }
        let named = field.file_name().is_some();
        let file_name = field.file_name().unwrap_or("upload").to_string();
        let mut bytes = Vec::new();
        let mut refused = None;
        while let Some(chunk) = field.chunk().await.map_err(|error| unreadable(error, limit))? {
            if bytes.len() + chunk.len() > limit {
                refused = Some(IntakeError::TooLarge { size: bytes.len() + chunk.len(), limit });
                break;
            }
            bytes.extend_from_slice(&chunk);
        }
        let bytes = match refused {
            Some(error) => Err(error),
            None => Ok(bytes),
        };
        files.push(ReceivedFile { file_name, named, bytes, workspace: workspace.clone() });
        if most == 1 {
            break;
        }
    }
    if files.is_empty() {
        return Err(Problem::invalid("missing_file", "The form has no file").hint("Choose a share pack to upload (the form field `file`)"));
    }
    Ok(files)
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
