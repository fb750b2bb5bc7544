//! The typed records Sharepack keeps about its own work: statuses of runs, steps and share
//! packs, audit actions, and the share-pack record. Plain data with serde, so the browser
//! bundle and the server use the same types; the store maps them to and from its columns.

mod audit;
mod share_pack;
mod status;

pub use audit::AuditAction;
pub use share_pack::SharePackRecord;
pub use status::{
    Channel, Decision, DriftKind, NotificationKind, NotificationStatus, PackStatus, RunStatus, StepStatus, SyncKind, SyncStatus, Tone,
    UnknownValue,
};
