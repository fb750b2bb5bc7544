//! The `sharepack` server: the portal's pages, the REST API and the downloads on one axum router.
//! Only this crate knows about HTTP routes; what they do lives in the engine.
//!
//! - [`auth`]: credentials to a principal on every request; cross-origin refusal; OIDC sign-in.
//! - [`cli`]: headless administration (`sharepack users`, `sharepack tokens`).
//! - [`services`]: the store, queue, workspaces and sandbox the settings name.
//! - [`startup`]: waiting for them to come up; serving the portal, workers, sandbox.
//! - [`router`]: the one axum router and its layers.
//! - [`rest`]: the REST API, one file per resource.
//! - [`workers`]: queue workers and housekeeping inside a process.
//! - [`live`]: a run's progress as server-sent events.
//! - [`metrics`]: `/metrics` for Prometheus and the HTTP request counts.
//! - [`telemetry`] and [`shutdown`]: logs and traces, and stopping gracefully.

pub mod auth;
pub mod body_limit;
pub mod cli;
pub mod config;
pub mod downloads;
pub mod live;
pub mod metrics;
pub mod pack;
pub mod rest;
pub mod router;
pub mod sandbox;
pub mod services;
pub mod shutdown;
pub mod startup;
pub mod telemetry;
pub mod workers;

use app::portal::Portal;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

pub use router::{build, build_with};
pub use services::{check_workspaces, open_store, queue, sandbox_endpoint, sandbox_state, sandbox_workspace, workspaces};
pub use startup::{open_workspaces, serve, serve_sandbox, serve_workers, StartupError};
pub use workers::{orchestrator, spawn_housekeeping, spawn_workers};

/// State shared by every handler.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub portal: Portal,
    /// `SHAREPACK_OPEN_REST`: `/workflow` without credentials, as anonymous.
    pub open_rest: bool,
    /// The identity provider, when sign-in through one is configured.
    pub oidc: Option<std::sync::Arc<auth::oidc::Oidc>>,
}
