//! Talking to Databricks workspaces through the Unity Catalog sharing REST API
//! (`shared/reference/databricks-api.md` is the reference).
//!
//! - [`error`]: responses read into one typed [`error::ApiError`], classified by status then code.
//! - [`retry`]: when a failed call is tried again (backoff, jitter, `Retry-After`, a deadline).
//! - [`auth`]: personal access tokens, Entra ID service principals and Databricks OAuth M2M, with
//!   cached, refreshed tokens.
//! - [`client`]: the calls (recipients, shares, permissions, pre-flight reads), paginated,
//!   batched and retried.
//! - [`workspaces`]: the configured workspaces (the sandbox always among them) and which one a
//!   request means.

pub mod auth;
pub mod client;
pub mod error;
pub mod limiter;
pub mod retry;
pub mod workspaces;
