//! Reads that both the pages and the REST API show: a run with its steps and trail, a share
//! pack with its uploads and runs, the list of share packs, and a share pack's progress in the
//! seed's terms. The types are plain data (the browser bundle uses them); building them from
//! the store is server-only.

mod run;
mod share_pack;

pub use run::{EventView, RunView, StepView};
pub use share_pack::{PackProgress, RunSummary, SharePackRow, SharePackView, UploadSummary};

#[cfg(feature = "queue")]
pub use run::run_view;
#[cfg(feature = "queue")]
pub use share_pack::{share_pack_progress, share_pack_rows, share_pack_view};

/// RFC 3339 to the second, as pages show times.
#[cfg(feature = "store")]
fn time(value: chrono::DateTime<chrono::Utc>) -> String {
    value.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
