//! Databricks API errors, classified the way the official SDKs do: by HTTP status first, then by
//! `error_code`, never by parsing `message`. Bodies are JSON (`{"error_code", "message",
//! "details": [{"request_id"}]}`) most of the time, but gateways also answer with empty bodies,
//! `CODE: message` text or HTML pages; each is read into the same [`ApiError`].

use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// What kind of failure a response was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    AlreadyExists,
    Invalid,
    Unauthenticated,
    Forbidden,
    RateLimited,
    Unavailable,
    Other,
}

impl ErrorKind {
    /// The metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::Invalid => "invalid",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Other => "other",
        }
    }

    /// Worth trying again (after a pause).
    pub fn is_transient(self) -> bool {
        matches!(self, ErrorKind::RateLimited | ErrorKind::Unavailable)
    }
}

/// A failed call to a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ErrorKind,
    /// HTTP status; 0 when no response came (timeouts, refused connections).
    pub status: u16,
    pub error_code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
    /// The server's `Retry-After`, when it gave one.
    pub retry_after: Option<Duration>,
    /// How many tries the call made before giving up (1: no retry).
    pub attempts: u32,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.error_code, self.status) {
            (Some(code), 0) => write!(f, "{code}: {}", self.message)?,
            (Some(code), status) => write!(f, "{code} (HTTP {status}): {}", self.message)?,
            (None, 0) => write!(f, "{}", self.message)?,
            (None, status) => write!(f, "HTTP {status}: {}", self.message)?,
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

#[derive(Deserialize)]
struct Body {
    error_code: Option<serde_json::Value>,
    message: Option<String>,
    #[serde(default)]
    details: Vec<Detail>,
}

#[derive(Deserialize)]
struct Detail {
    request_id: Option<String>,
}

impl ApiError {
    /// An error for a call that got no response at all.
    pub fn transport(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError { kind, status: 0, error_code: None, message: message.into(), request_id: None, retry_after: None, attempts: 1 }
    }

    /// Reads an error response: its status, `Retry-After` and `x-request-id` headers, and body.
    pub fn from_response(status: u16, retry_after: Option<&str>, request_id_header: Option<&str>, body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(body);
        let (error_code, message, request_id) = match serde_json::from_slice::<Body>(body) {
            Ok(parsed) => {
                // Some legacy endpoints put a number in error_code: fall back to the status.
                let code = parsed.error_code.and_then(|code| code.as_str().map(str::to_string));
                let request_id = parsed.details.into_iter().find_map(|detail| detail.request_id);
                (code, parsed.message.unwrap_or_default(), request_id)
            }
            Err(_) => parse_text(&text),
        };
        let message = if message.trim().is_empty() { default_message(status) } else { message };
        let kind = kind_of(status, error_code.as_deref());
        ApiError {
            kind,
            status,
            error_code,
            message,
            request_id: request_id.or_else(|| request_id_header.map(str::to_string)),
            retry_after: retry_after.and_then(|value| value.trim().parse::<u64>().ok()).map(Duration::from_secs),
            attempts: 1,
        }
    }
}

/// `CODE: message` text, an HTML page (its title), or anything else (trimmed, shortened).
fn parse_text(text: &str) -> (Option<String>, String, Option<String>) {
    let trimmed = text.trim();
    if trimmed.starts_with('<') {
        let title = trimmed
            .find("<title>")
            .and_then(|start| trimmed[start + 7..].find("</title>").map(|end| trimmed[start + 7..start + 7 + end].trim().to_string()));
        return (None, title.unwrap_or_else(|| "the server answered with an HTML page".into()), None);
    }
    if let Some((code, message)) = trimmed.split_once(": ") {
        if !code.is_empty() && code.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            return (Some(code.to_string()), message.trim().to_string(), None);
        }
    }
    (None, trimmed.chars().take(500).collect(), None)
}

fn default_message(status: u16) -> String {
    match status {
        401 => "not authenticated",
        403 => "permission denied",
        404 => "not found",
        429 => "too many requests",
        503 => "the workspace is unavailable",
        _ => "the workspace answered with an error",
    }
    .to_string()
}

/// HTTP status first (as both SDKs and Terraform do), then the error code.
fn kind_of(status: u16, code: Option<&str>) -> ErrorKind {
    match status {
        404 => ErrorKind::NotFound,
        409 => ErrorKind::AlreadyExists,
        401 => ErrorKind::Unauthenticated,
        403 => ErrorKind::Forbidden,
        429 => ErrorKind::RateLimited,
        // Gateways and overload are passing; a 500 is the workspace failing the call itself.
        502..=504 => ErrorKind::Unavailable,
        400 => match code {
            Some(
                "RESOURCE_DOES_NOT_EXIST" | "NOT_FOUND" | "RECIPIENT_DOES_NOT_EXIST" | "SHARE_DOES_NOT_EXIST" | "TABLE_DOES_NOT_EXIST",
            ) => ErrorKind::NotFound,
            Some("RESOURCE_ALREADY_EXISTS" | "ALREADY_EXISTS" | "RECIPIENT_ALREADY_EXISTS" | "SHARE_ALREADY_EXISTS") => {
                ErrorKind::AlreadyExists
            }
            Some("REQUEST_LIMIT_EXCEEDED" | "RESOURCE_EXHAUSTED") => ErrorKind::RateLimited,
            Some("TEMPORARILY_UNAVAILABLE") => ErrorKind::Unavailable,
            _ => ErrorKind::Invalid,
        },
        _ => match code {
            Some("RESOURCE_DOES_NOT_EXIST") => ErrorKind::NotFound,
            Some("RESOURCE_ALREADY_EXISTS" | "ALREADY_EXISTS") => ErrorKind::AlreadyExists,
            Some("REQUEST_LIMIT_EXCEEDED" | "RESOURCE_EXHAUSTED") => ErrorKind::RateLimited,
            Some("PERMISSION_DENIED") => ErrorKind::Forbidden,
            Some("UNAUTHENTICATED") => ErrorKind::Unauthenticated,
            _ => ErrorKind::Other,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_carry_code_message_and_request_id() {
        let body = br#"{"error_code":"RESOURCE_ALREADY_EXISTS","message":"Recipient 'acme' already exists","details":[{"@type":"type.googleapis.com/google.rpc.RequestInfo","request_id":"abc-123"}]}"#;
        let error = ApiError::from_response(409, None, None, body);
        assert_eq!(error.kind, ErrorKind::AlreadyExists);
        assert_eq!(error.error_code.as_deref(), Some("RESOURCE_ALREADY_EXISTS"));
        assert_eq!(error.request_id.as_deref(), Some("abc-123"));
        assert_eq!(error.to_string(), "RESOURCE_ALREADY_EXISTS (HTTP 409): Recipient 'acme' already exists [request abc-123]");
    }

    #[test]
    fn status_wins_over_code() {
        let error = ApiError::from_response(404, None, None, br#"{"error_code":"INVALID_PARAMETER_VALUE","message":"x"}"#);
        assert_eq!(error.kind, ErrorKind::NotFound);
        let error = ApiError::from_response(400, None, None, br#"{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"x"}"#);
        assert_eq!(error.kind, ErrorKind::NotFound);
        let error = ApiError::from_response(400, None, None, br#"{"error_code":"INVALID_PARAMETER_VALUE","message":"bad"}"#);
        assert_eq!(error.kind, ErrorKind::Invalid);
    }

    #[test]
    fn odd_bodies_are_read_too() {
        let empty = ApiError::from_response(503, Some("7"), Some("req-9"), b"");
        assert_eq!(
            (empty.kind, empty.message.as_str(), empty.retry_after),
            (ErrorKind::Unavailable, "the workspace is unavailable", Some(Duration::from_secs(7)))
        );
        assert_eq!(empty.request_id.as_deref(), Some("req-9"));
        let text = ApiError::from_response(400, None, None, b"INVALID_STATE: share is being deleted");
        assert_eq!((text.error_code.as_deref(), text.message.as_str()), (Some("INVALID_STATE"), "share is being deleted"));
        let html = ApiError::from_response(502, None, None, b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>");
        assert_eq!((html.kind, html.message.as_str()), (ErrorKind::Unavailable, "502 Bad Gateway"));
        let numeric = ApiError::from_response(429, Some("soon"), None, br#"{"error_code": 429, "message": "slow down"}"#);
        assert_eq!((numeric.kind, numeric.error_code, numeric.retry_after), (ErrorKind::RateLimited, None, None));
    }
}
