//! Talking to Databricks workspaces through the Unity Catalog sharing REST API
//! (`shared/reference/databricks-api.md` is the reference).
//!
//! - [`error`]: responses read into one typed [`error::ApiError`], classified by status then code.
//! - [`retry`]: when a failed call is tried again (backoff, jitter, `Retry-After`, a deadline).
//!
//! The HTTP client, its authentication and the sandbox workspace build on these.

pub mod error;
pub mod retry;
