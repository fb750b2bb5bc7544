//! The share-pack engine: everything Sharepack knows about share packs, shared by the portal's
//! server functions, the REST API and the workers. Neither UI nor HTTP code lives here.
//!
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
//! - [`apply`]: submission, the orchestrator that applies plans step by step, and the workers.
//!
//! Without the default `intake` feature only the model, findings and intake's result types are
//! built; that is what the browser (WASM) build uses.

/// Runs the same code against whichever pool a `store::Store` has (for modules outside `store`).
#[cfg(feature = "queue")]
macro_rules! on_store {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Postgres($pool) => $body,
            $crate::store::Store::Sqlite($pool) => $body,
        }
    };
}

#[cfg(feature = "queue")]
pub mod apply;
#[cfg(feature = "databricks")]
pub mod databricks;
pub mod finding;
pub mod model;
pub mod plan;

pub mod intake;
#[cfg(feature = "queue")]
pub mod queue;
#[cfg(all(feature = "store", feature = "intake", feature = "databricks"))]
pub mod sandbox;
#[cfg(feature = "store")]
pub mod store;
#[cfg(feature = "intake")]
pub mod templates;
#[cfg(feature = "intake")]
pub mod validate;

pub use finding::{Finding, FindingCounts, Location, Severity};
pub use model::SharePack;
