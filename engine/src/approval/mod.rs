//! Approval of the exact plan (issue 14, first slice: the pure parts). [`policy`] says which
//! plans need which approvals; [`digest`] is the hash an approval is bound to, so that a plan
//! that changed after it was approved is never applied on that approval. Wiring them into
//! submission, the run states and the workers comes next.

pub mod policy;

#[cfg(feature = "store")]
pub mod digest;

pub use policy::{Policy, Requirement, Rule};
