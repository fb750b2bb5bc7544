//! The one classification of everything that can go wrong, as users are told it.
//!
//! Every engine error maps to a [`Problem`]: a [`Class`] (which decides the HTTP status at
//! every edge), a stable machine-readable `code`, a sentence for people and a hint on what to
//! do. The page and the REST API each render a `Problem` in one place. Internal detail (SQL,
//! queue replies, connection strings) never goes into one: it is logged where the problem is
//! made, and the user reads a sentence about what failed.

use serde::{Deserialize, Serialize};

/// What kind of failure, from the user's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// What was sent is wrong (a malformed id, a missing field, an unreadable file).
    Invalid,
    /// What was sent is larger than allowed.
    TooLarge,
    /// What was sent is of a kind Sharepack does not read.
    Unsupported,
    /// What was asked for does not exist (or is not visible to the asker).
    NotFound,
    /// The asker did not say who they are, or their credentials are no longer good.
    Unauthenticated,
    /// The asker may not do this.
    Forbidden,
    /// Not now: something else is in the way (a run in progress, a run in the wrong state).
    Conflict,
    /// Too many requests from the asker in a short time; `retry_after` says when to try again.
    TooMany,
    /// A service Sharepack depends on does not answer; trying again later may work.
    Unavailable,
    /// Sharepack itself failed; the log has the cause.
    Internal,
}

impl Class {
    /// The HTTP status every edge answers with.
    pub fn status(self) -> u16 {
        match self {
            Class::Invalid => 400,
            Class::Unauthenticated => 401,
            Class::Forbidden => 403,
            Class::NotFound => 404,
            Class::Conflict => 409,
            Class::TooLarge => 413,
            Class::Unsupported => 415,
            Class::TooMany => 429,
            Class::Internal => 500,
            Class::Unavailable => 503,
        }
    }
}

/// An error as the user is told it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Problem {
    pub class: Class,
    /// Stable and machine-readable (`file_too_large`, `database_unavailable`, ...).
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
    /// Where in the input, when the problem is about one place (`line 3, column 1`).
    pub location: Option<String>,
    /// Seconds until trying again may succeed (`Retry-After` on 429s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(class: Class, code: &str, message: impl Into<String>) -> Self {
        Problem { class, code: code.to_string(), message: message.into(), hint: None, location: None, retry_after: None }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Where in the request the problem is (a field, a query parameter).
    pub fn at(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    pub fn invalid(code: &str, message: impl Into<String>) -> Self {
        Problem::new(Class::Invalid, code, message)
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        let id: String = id.chars().take(80).collect();
        Problem::new(Class::NotFound, "not_found", format!("No {what} has the id {id}"))
    }

    /// A request whose id is not a UUID.
    pub fn malformed_id(what: &str, text: &str) -> Self {
        let text: String = text.chars().take(80).collect();
        Problem::invalid("malformed_id", format!("`{text}` is not a {what} id"))
            .hint("Ids are UUIDs, as returned by POST /workflow/sharepack/upload")
    }

    /// Sharepack failed; the caller has logged the cause. Says what failed, never why.
    pub fn internal(what: &str) -> Self {
        Problem::new(Class::Internal, "internal", format!("Something went wrong while {what}"))
            .hint("Try again; if it keeps failing, tell an administrator (the portal's log has the cause)")
    }

    /// A request without credentials, or with ones that are not (or no longer) good. Says
    /// nothing about which part failed.
    pub fn unauthenticated() -> Self {
        Problem::new(Class::Unauthenticated, "unauthenticated", "Sign in first: this request has no valid session or API token")
            .hint("Sign in to the portal, or send `Authorization: Bearer <token>` with a token from the Tokens page")
    }

    /// The request body is larger than the portal accepts at all (before any form is read).
    pub fn body_too_large(limit: usize) -> Self {
        Problem::new(Class::TooLarge, "file_too_large", format!("The upload is larger than the limit of {}", size(limit as u64)))
            .hint("Split the pack into smaller packs, or ask an administrator to raise SHAREPACK_MAX_UPLOAD_BYTES")
    }

    /// The sentence and the hint, for a page.
    pub fn sentence(&self) -> String {
        match &self.hint {
            Some(hint) => format!("{} {}", with_stop(&self.message), with_stop(hint)),
            None => with_stop(&self.message),
        }
    }
}

/// `10 MiB`, `1.5 KiB`, `900 B`: sizes as people read them (pages and messages alike).
pub fn size(bytes: u64) -> String {
    let (value, unit) = match bytes {
        0..1024 => return format!("{bytes} B"),
        1024..1_048_576 => (bytes as f64 / 1024.0, "KiB"),
        _ => (bytes as f64 / 1_048_576.0, "MiB"),
    };
    let text = format!("{value:.1}");
    format!("{} {unit}", text.strip_suffix(".0").unwrap_or(&text))
}

impl From<crate::intake::IntakeError> for Problem {
    fn from(error: crate::intake::IntakeError) -> Self {
        use crate::intake::IntakeError;
        let class = match error {
            IntakeError::TooLarge { .. } => Class::TooLarge,
            IntakeError::Unsupported { .. } => Class::Unsupported,
            IntakeError::Empty | IntakeError::NotText { .. } | IntakeError::Unreadable { .. } | IntakeError::Limit { .. } => Class::Invalid,
        };
        let location = match &error {
            IntakeError::Limit { at: Some(at), .. } => Some(at.to_string()),
            _ => None,
        };
        Problem {
            class,
            code: error.code().into(),
            message: error.sentence(),
            hint: Some(error.hint().into()),
            location,
            retry_after: None,
        }
    }
}

fn with_stop(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_decide_the_status() {
        assert_eq!(Class::Invalid.status(), 400);
        assert_eq!(Class::TooLarge.status(), 413);
        assert_eq!(Class::Unavailable.status(), 503);
    }

    #[test]
    fn a_sentence_reads_well() {
        let problem = Problem::invalid("x", "The form has no file").hint("Choose a share pack to upload");
        assert_eq!(problem.sentence(), "The form has no file. Choose a share pack to upload.");
        assert_eq!(Problem::body_too_large(10 * 1024 * 1024).message, "The upload is larger than the limit of 10 MiB");
        assert_eq!(
            (size(900), size(1536), size(2048), size(3 * 1024 * 1024 + 1)),
            ("900 B".into(), "1.5 KiB".into(), "2 KiB".into(), "3 MiB".into())
        );
    }
}
