//! The server's integration tests, in one binary (one link instead of ten). nextest runs every
//! test in its own process, so process-wide state (`live::stop_streams`) stays per test.
//! `support` starts portals for all of them.

mod support;

mod access;
mod apply;
mod approvals;
mod client;
mod contract;
mod crash;
mod deploy;
mod drift;
mod faults;
mod history;
mod http;
mod instances;
mod matrix;
mod migrate;
mod notify;
mod observability;
mod oidc;
mod pipeline;
mod plan;
mod sandbox;
mod shutdown;
mod standalone;
mod sync;
mod traces;
