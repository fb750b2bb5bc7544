//! Applying approved plans: submission ([`submit`]), the persisted steps a plan becomes
//! ([`steps`], pure), the orchestrator that carries them out against a workspace
//! ([`orchestrator`], with [`execute`] for one step).
//! Runs and steps are kept by the store (`store::runs`, `store::steps`); workers take them from
//! the queue as jobs (`jobs`).
//!
//! A run is idempotent end to end: the queue may deliver its message twice, a worker may die
//! mid-step, and resuming never creates a resource twice (a resumed create that finds its
//! resource reads it back; a resumed batch skips what is already there).

pub mod control;
pub mod execute;
pub mod keys;
pub mod orchestrator;
pub mod preview;
pub mod provisioned;
pub mod rollback;
pub mod schedule;
pub mod steps;
pub mod submit;

pub use orchestrator::{ApplySettings, Orchestrator, Outcome};
pub use steps::{Work, WorkStep};
pub use submit::{submit, Submission, SubmitError, Submitted};
