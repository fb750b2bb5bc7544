//! How REST answers a [`Problem`]: the status its class decides and a PascalCase body
//! (`Code`, `Message`, `Hint`, `Location`), the same shape for every endpoint.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sharepack_engine::error::Problem;

#[derive(Debug)]
pub struct ApiError(pub Problem);

impl<E: Into<Problem>> From<E> for ApiError {
    fn from(error: E) -> Self {
        ApiError(error.into())
    }
}

/// The body of every error answer (and of a batch item that was refused).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorBody {
    /// Stable and machine-readable, e.g. `role_missing`.
    pub code: String,
    /// A sentence saying what went wrong.
    pub message: String,
    /// What to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Where: a line, a cell, a field or a parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl From<&Problem> for ErrorBody {
    fn from(problem: &Problem) -> Self {
        ErrorBody {
            code: problem.code.clone(),
            message: problem.message.clone(),
            hint: problem.hint.clone(),
            location: problem.location.clone(),
        }
    }
}

impl ApiError {
    /// The status the problem's class decides.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.class.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = &self.0;
        let status = self.status();
        let mut response = (status, Json(ErrorBody::from(problem))).into_response();
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
