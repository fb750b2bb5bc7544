//! Statuses of runs, steps and share packs. Their text forms are the store's column values and
//! the seed's wire strings; nothing else compares them as text.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A column held a value no status has: the row was written by something else, or is corrupt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a known {what}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
}

/// How a status looks on a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Failed,
    Running,
    Cancelled,
    Waiting,
}

impl Tone {
    /// The CSS class of a badge in this tone.
    pub fn class(self) -> &'static str {
        match self {
            Tone::Ok => "ok",
            Tone::Failed => "failed",
            Tone::Running => "running",
            Tone::Cancelled => "cancelled",
            Tone::Waiting => "waiting",
        }
    }
}

/// Declares a status enum with its text forms, parsing (unknown text is an error, never a
/// guess) and tones.
macro_rules! status {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal => $tone:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text form: the store's column value and the wire string.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn tone(self) -> Tone {
                match self {
                    $($name::$variant => Tone::$tone),+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;

            fn from_str(text: &str) -> Result<Self, UnknownValue> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue { what: $what, value: text.chars().take(40).collect() }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

status! {
    /// Where a run is.
    RunStatus, "run status" {
        /// Submitted, waiting for the approvals the policy asks for; nothing is queued yet.
        AwaitingApproval = "AWAITING_APPROVAL" => Waiting,
        Queued = "QUEUED" => Waiting,
        /// Approved (or needing no approval) and set to start at a later time; queued when due.
        Scheduled = "SCHEDULED" => Waiting,
        Running = "RUNNING" => Running,
        Completed = "COMPLETED" => Ok,
        Failed = "FAILED" => Failed,
        Cancelled = "CANCELLED" => Cancelled,
    }
}

status! {
    /// Where one step of a run is.
    StepStatus, "step status" {
        Pending = "PENDING" => Waiting,
        Running = "RUNNING" => Running,
        Done = "DONE" => Ok,
        Failed = "FAILED" => Failed,
        /// Created by this run, then removed again because the run failed (compensation).
        Undone = "UNDONE" => Cancelled,
    }
}

status! {
    /// A share pack's status, as the seed's API reports it.
    PackStatus, "share-pack status" {
        InProgress = "IN_PROGRESS" => Running,
        Completed = "COMPLETED" => Ok,
        Failed = "FAILED" => Failed,
        Cancelled = "CANCELLED" => Cancelled,
        ValidationFailed = "VALIDATION_FAILED" => Failed,
    }
}

status! {
    /// What an approver decided on a plan.
    Decision, "decision" {
        Approved = "APPROVED" => Ok,
        Rejected = "REJECTED" => Failed,
    }
}

impl RunStatus {
    pub fn is_terminal(self) -> bool {
        matches!(self, RunStatus::Completed | RunStatus::Failed | RunStatus::Cancelled)
    }

    /// Whether a user may cancel a run in this status.
    pub fn can_cancel(self) -> bool {
        matches!(self, RunStatus::AwaitingApproval | RunStatus::Queued | RunStatus::Scheduled | RunStatus::Running)
    }

    /// Whether a user may retry a run in this status.
    pub fn can_retry(self) -> bool {
        self == RunStatus::Failed
    }

    /// The share pack's status while or after this run: what the seed's status endpoint
    /// reports. A cancelled run reads FAILED there, so that the seed's polling client stops.
    pub fn reported(self) -> PackStatus {
        match self {
            RunStatus::AwaitingApproval | RunStatus::Queued | RunStatus::Scheduled | RunStatus::Running => PackStatus::InProgress,
            RunStatus::Completed => PackStatus::Completed,
            RunStatus::Failed | RunStatus::Cancelled => PackStatus::Failed,
        }
    }

    /// The share pack's stored status once the run ended this way.
    pub fn recorded(self) -> PackStatus {
        match self {
            RunStatus::AwaitingApproval | RunStatus::Queued | RunStatus::Scheduled | RunStatus::Running => PackStatus::InProgress,
            RunStatus::Completed => PackStatus::Completed,
            RunStatus::Failed => PackStatus::Failed,
            RunStatus::Cancelled => PackStatus::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip_and_unknown_text_is_an_error() {
        for status in RunStatus::ALL {
            assert_eq!(status.as_str().parse::<RunStatus>(), Ok(*status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        for status in StepStatus::ALL {
            assert_eq!(status.as_str().parse::<StepStatus>(), Ok(*status));
        }
        for status in PackStatus::ALL {
            assert_eq!(status.as_str().parse::<PackStatus>(), Ok(*status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert!("DONE".parse::<RunStatus>().is_err(), "a step status is not a run status");
        assert!("completed".parse::<RunStatus>().is_err());
    }

    #[test]
    fn cancelled_runs_read_failed_to_the_seed_client() {
        assert_eq!(RunStatus::Cancelled.reported(), PackStatus::Failed);
        assert_eq!(RunStatus::Cancelled.recorded(), PackStatus::Cancelled);
        assert_eq!(RunStatus::Running.reported(), PackStatus::InProgress);
        assert_eq!(RunStatus::AwaitingApproval.reported(), PackStatus::InProgress, "the seed's client keeps polling");
        assert!(!RunStatus::AwaitingApproval.is_terminal());
    }
}

status! {
    /// What a sync job does.
    SyncKind, "sync kind" {
        /// Reconciles a workspace with what Sharepack recorded (drift).
        Drift = "DRIFT" => Ok,
        /// Reads a workspace's catalogs, schemas and tables into `databricks_objects`.
        Objects = "OBJECTS" => Ok,
        /// Reads the directory's users and groups (Microsoft Graph) into `users` and `ad_groups`.
        Directory = "DIRECTORY" => Ok,
    }
}

status! {
    /// Where a sync or reconciliation job is.
    SyncStatus, "sync status" {
        Queued = "QUEUED" => Waiting,
        Running = "RUNNING" => Running,
        Succeeded = "SUCCEEDED" => Ok,
        Failed = "FAILED" => Failed,
    }
}

impl SyncStatus {
    pub fn is_open(self) -> bool {
        matches!(self, SyncStatus::Queued | SyncStatus::Running)
    }
}

status! {
    /// How the workspace differs from what Sharepack recorded.
    DriftKind, "drift kind" {
        /// In the workspace, not in what was recorded (a table added to a share, a grant given).
        Added = "ADDED" => Waiting,
        /// Recorded, gone from the workspace (a recipient deleted, a table dropped from a share).
        Removed = "REMOVED" => Failed,
        /// In both, with other settings.
        Modified = "MODIFIED" => Running,
        /// A recipient or share no share pack manages.
        Unmanaged = "UNMANAGED" => Cancelled,
    }
}

status! {
    /// What a notification is about; people choose per kind.
    NotificationKind, "notification kind" {
        /// A plan waits for the recipient's approval.
        ApprovalRequested = "APPROVAL_REQUESTED" => Waiting,
        /// The recipient's plan was approved or rejected.
        PlanDecided = "PLAN_DECIDED" => Ok,
        /// The recipient's run completed or failed.
        RunFinished = "RUN_FINISHED" => Ok,
        /// A check found drift in a pack the recipient asked for.
        DriftFound = "DRIFT_FOUND" => Failed,
        /// One of the recipient's API tokens expires soon.
        TokenExpiring = "TOKEN_EXPIRING" => Waiting,
    }
}

status! {
    /// Where one notification is.
    NotificationStatus, "notification status" {
        Queued = "QUEUED" => Waiting,
        Sent = "SENT" => Ok,
        Failed = "FAILED" => Failed,
    }
}

status! {
    /// How a notification travels.
    Channel, "notification channel" {
        Email = "EMAIL" => Ok,
        Webhook = "WEBHOOK" => Ok,
    }
}
