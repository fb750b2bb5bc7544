//! Request parts read the way every REST answer expects: a query string or JSON body that
//! cannot be read is a located `Problem` (400 with `Code`, `Message`, `Location`), never
//! axum's plain-text rejection.

use super::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use sharepack_engine::error::Problem;

/// The query string as `T`.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Params(value))
            .map_err(|rejection| ApiError(Problem::invalid("query_invalid", rejection.body_text()).at("query")))
    }
}

/// An optional JSON body as `T`: an empty body is `T::default()`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ApiError(Problem::invalid("body_invalid", rejection.body_text()).at("body")))?;
        let invalid = |message: String, location: String| {
            ApiError(
                Problem::invalid("body_invalid", message)
                    .hint("Send a JSON object of the fields the endpoint reads, e.g. {\"Comment\": \"...\"}")
                    .at(location),
            )
        };
        match bytes.iter().find(|byte| !byte.is_ascii_whitespace()) {
            None => return Ok(JsonBody(T::default())),
            // serde would read an array as the object's fields in order: say what is expected instead.
            Some(b'{') => {}
            Some(_) => return Err(invalid("The body must be a JSON object".into(), "body".into())),
        }
        let mut reader = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut reader).map(JsonBody).map_err(|error| {
            let path = error.path().to_string();
            // `.` is the whole body, `?` a place serde could not name (a syntax error, whose line
            // and column the message gives).
            let location = if path == "." || path.contains('?') { "body".to_string() } else { path };
            invalid(format!("The body is not the JSON expected: {}", error.inner()), location)
        })
    }
}
