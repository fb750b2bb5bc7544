//! The share-pack engine: everything Sharepack knows about share packs, shared by the portal's
//! server functions, the REST API and the workers. Neither UI nor HTTP code lives here.
//!
//! - [`error`]: the one classification of failures ([`error::Problem`]) every edge renders.
//! - [`access`]: who may do what: roles per business line, the request's principal, sign-in.
//! - [`approval`]: which plans need whose approval, and the digest an approval is bound to.
//! - [`identity`]: who acts ([`identity::Actor`]), kept with every change.
//! - [`records`]: typed statuses, audit actions and the share-pack record.
//! - [`views`]: runs and share packs as pages and the REST API read them.
//! - [`jobs`]: what workers do (a typed job enum) and periodic housekeeping.
//! - [`model`]: the typed share pack, every entity remembering its source cell or line.
//! - [`finding`]: located findings with severities and hints.
//! - [`intake`]: bytes to a validated pack (YAML and Excel, told apart by content).
//! - [`plan`]: the pure planner: pack + workspace snapshot → exact, located changes.
//! - [`validate`]: the rules Databricks and common sense impose, pure and deterministic.
//! - [`templates`]: the downloadable Excel and YAML templates, and packs written back out.
//! - [`store`]: the SCD Type 2 store on PostgreSQL or SQLite, one API for every entity.
//! - [`sandbox`]: a stand-in Databricks workspace (Unity Catalog sharing API) kept in the store.
//! - [`databricks`]: the workspace client: errors, retries, auth, the sharing API.
//! - [`queue`]: the work queue (embedded table or Azure Storage Queue).
//! - [`drift`]: reconciling workspaces with what Sharepack recorded, as queued jobs.
//! - [`sync`]: sync jobs (drift checks, workspace objects, the directory), queued and leased.
//! - [`notify`]: e-mail and signed webhooks on approvals, runs, drift and expiring tokens.
//! - [`apply`]: submission, the orchestrator that applies plans step by step, and the workers.
//!
//! Without the default `intake` feature only the model, findings and intake's result types are
//! built; that is what the browser (WASM) build uses.

/// Runs the same code against whichever pool a `store::Store` has: sqlx's query API is the same
/// for both, so no query is written twice. Used by the store and the embedded queue only.
#[cfg(feature = "store")]
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {{
        let _timer = $crate::telemetry::DbTimer::start(module_path!());
        match $store {
            $crate::store::Store::Postgres($pool) => $body,
            $crate::store::Store::Sqlite($pool) => $body,
        }
    }};
}

pub mod access;
#[cfg(feature = "queue")]
pub mod apply;
pub mod approval;
#[cfg(feature = "databricks")]
pub mod databricks;
pub mod drift;
pub mod error;
pub mod finding;
pub mod history;
pub mod identity;
#[cfg(feature = "queue")]
pub mod jobs;
pub mod model;
#[cfg(feature = "queue")]
pub mod notify;
pub mod plan;
pub mod records;
#[cfg(any(feature = "store", feature = "databricks"))]
pub mod telemetry;
#[cfg(feature = "databricks")]
pub mod trace;
pub mod views;

pub mod intake;
#[cfg(feature = "queue")]
pub mod queue;
#[cfg(all(feature = "store", feature = "intake", feature = "databricks"))]
pub mod sandbox;
#[cfg(feature = "store")]
pub mod store;
pub mod sync;
#[cfg(feature = "intake")]
pub mod templates;
#[cfg(feature = "intake")]
pub mod validate;

pub use error::{Class, Problem};
pub use finding::{Finding, FindingCounts, Location, Severity};
pub use identity::Actor;
pub use model::SharePack;
