//! The REST side of reading a share pack from a multipart body: the same reader as the page's
//! upload form (`app::portal::multipart`), fed from the raw request body.

use super::ApiError;
use app::portal::multipart::{read_file_field, read_file_fields, ReceivedFile};
use axum::body::Body;
use axum::http::{header, HeaderMap};
use sharepack_engine::error::{Class, Problem};

/// Reads the multipart field `file` (and `workspace`), refusing the file past `limit` bytes.
pub async fn read_upload(headers: &HeaderMap, body: Body, limit: usize) -> Result<ReceivedFile, ApiError> {
    Ok(read_file_field(&mut multipart(headers, body)?, limit).await?)
}

/// Reads up to `most` `file` fields (a batch), each refused on its own past `limit` bytes.
pub async fn read_uploads(headers: &HeaderMap, body: Body, limit: usize, most: usize) -> Result<Vec<ReceivedFile>, ApiError> {
    Ok(read_file_fields(&mut multipart(headers, body)?, limit, most).await?)
}

fn multipart(headers: &HeaderMap, body: Body) -> Result<multer::Multipart<'static>, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or("");
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        ApiError(
            Problem::new(Class::Unsupported, "not_multipart", "The request is not a multipart form")
                .hint("Send the share pack as the multipart form field `file`, e.g. curl -F file=@pack.yaml"),
        )
    })?;
    Ok(multer::Multipart::new(body.into_data_stream(), boundary))
}
