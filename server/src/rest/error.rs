//! How REST answers a [`Problem`]: the status its class decides and a PascalCase body
//! (`Code`, `Message`, `Hint`, `Location`), the same shape for every endpoint.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sharepack_engine::error::Problem;

#[derive(Debug)]
pub struct ApiError(pub Problem);

impl<E: Into<Problem>> From<E> for ApiError {
    fn from(error: E) -> Self {
        ApiError(error.into())
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = &self.0;
        let status = StatusCode::from_u16(problem.class.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body =
            Body { code: &problem.code, message: &problem.message, hint: problem.hint.as_deref(), location: problem.location.as_deref() };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(seconds) = problem.retry_after {
            headers.insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer realm=\"sharepack\""));
        }
        response
    }
}
