//! What a queue message asks a worker to do: a tagged [`Job`], ids only. New kinds (syncs,
//! notifications) are new variants; the worker's match makes each one handled.

use super::QueueError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Job {
    /// Apply one run, from wherever it stopped.
    ApplyRun { run_id: Uuid },
    /// Delete activation links nobody took in time.
    ExpireActivationLinks,
    /// Delete ended sessions, sign-in states past their ten minutes and dead one-time links.
    ExpireSignIns,
    /// Queue the waiting runs whose approvals are all in (a portal that stopped between
    /// recording the last approval and queueing the run leaves one waiting).
    ReleaseApproved,
    /// Queue the scheduled runs whose start time has come.
    ReleaseScheduled,
    /// Run one sync job: a drift check, an objects sync or a directory sync (its row says which).
    #[serde(alias = "check_drift")]
    Sync { sync_job_id: Uuid },
    /// Queue the sync jobs whose interval has come (housekeeping).
    #[serde(alias = "schedule_drift")]
    ScheduleSyncs,
    /// Expand an event into its notifications.
    Notify { event_id: Uuid },
    /// Deliver one notification.
    Deliver { notification_id: Uuid },
    /// Queue again the events no worker expanded (housekeeping).
    RequeueNotifications,
    /// Tell people of their API tokens that expire within a week (housekeeping).
    WarnExpiringTokens,
}

impl Job {
    /// The job's kind, as metrics and logs name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::ApplyRun { .. } => "apply_run",
            Job::ExpireActivationLinks => "expire_activation_links",
            Job::ExpireSignIns => "expire_sign_ins",
            Job::ReleaseApproved => "release_approved",
            Job::ReleaseScheduled => "release_scheduled",
            Job::Sync { .. } => "sync",
            Job::ScheduleSyncs => "schedule_syncs",
            Job::Notify { .. } => "notify",
            Job::Deliver { .. } => "deliver",
            Job::RequeueNotifications => "requeue_notifications",
            Job::WarnExpiringTokens => "warn_expiring_tokens",
        }
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The message body: the job's fields with the trace context beside them
    /// (`{"job":"apply_run","run_id":...,"traceparent":...}`); [`Job::decode`] ignores it and
    /// [`Carrier::read`](crate::trace::Carrier::read) reads it.
    pub fn encode_with(&self, trace: &crate::trace::Carrier) -> String {
        let mut body = serde_json::to_value(self).unwrap_or_default();
        if let (Some(fields), Ok(serde_json::Value::Object(trace))) = (body.as_object_mut(), serde_json::to_value(trace)) {
            fields.extend(trace);
        }
        body.to_string()
    }

    /// Reads a message body; bodies from before jobs were tagged (`{"run_id": ...}`) are runs
    /// to apply, so messages in flight across an upgrade are not lost.
    pub fn decode(text: &str) -> Result<Self, QueueError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Untagged {
            run_id: Uuid,
        }
        serde_json::from_str::<Job>(text)
            .or_else(|tagged| serde_json::from_str::<Untagged>(text).map(|old| Job::ApplyRun { run_id: old.run_id }).map_err(|_| tagged))
            .map_err(|error| QueueError::Malformed(error.to_string()))
    }
}

/// Why a job did not finish, which decides what becomes of its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth another delivery later: the workspace or database is unavailable right now.
    #[error("{0}")]
    Retryable(String),
    /// Another delivery would fail the same way (an unknown run, a corrupt row): the job is
    /// given up and its message goes to the poison queue at once.
    #[error("{0}")]
    Fatal(String),
}

impl From<crate::store::StoreError> for JobError {
    fn from(error: crate::store::StoreError) -> Self {
        let text = crate::store::redact(&error.to_string());
        if error.is_permanent() {
            JobError::Fatal(text)
        } else {
            JobError::Retryable(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_round_trip_and_old_messages_still_read() {
        let run_id = Uuid::from_u128(7);
        let job = Job::ApplyRun { run_id };
        assert_eq!(job.encode(), format!(r#"{{"job":"apply_run","run_id":"{run_id}"}}"#));
        assert_eq!(Job::decode(&job.encode()).unwrap(), job);
        assert_eq!(Job::decode(&format!(r#"{{"run_id":"{run_id}"}}"#)).unwrap(), job);
        assert_eq!(Job::decode(r#"{"job":"expire_activation_links"}"#).unwrap(), Job::ExpireActivationLinks);
        // Drift checks in flight across the upgrade that made them sync jobs still run.
        let sync_job_id = Uuid::from_u128(9);
        assert_eq!(Job::decode(&format!(r#"{{"job":"check_drift","sync_job_id":"{sync_job_id}"}}"#)).unwrap(), Job::Sync { sync_job_id });
        assert_eq!(Job::decode(r#"{"job":"schedule_drift"}"#).unwrap(), Job::ScheduleSyncs);
        assert!(matches!(Job::decode(r#"{"job":"drop_tables"}"#), Err(QueueError::Malformed(_))));
        assert!(matches!(Job::decode("not json"), Err(QueueError::Malformed(_))));
    }

    #[test]
    fn the_trace_context_travels_beside_the_ids() {
        use crate::trace::Carrier;
        let job = Job::ApplyRun { run_id: Uuid::from_u128(7) };
        let trace = Carrier { traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()), tracestate: None };
        let body = job.encode_with(&trace);
        assert_eq!(
            body,
            r#"{"job":"apply_run","run_id":"00000000-0000-0000-0000-000000000007","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}"#
        );
        assert_eq!((Job::decode(&body).unwrap(), Carrier::read(&body)), (job, trace));
        // Without a trace the body is the job alone, as before.
        assert_eq!(job.encode_with(&Carrier::default()), job.encode());
        assert_eq!(Job::decode(&Job::ExpireSignIns.encode_with(&Carrier::default())).unwrap(), Job::ExpireSignIns);
    }

    #[test]
    fn only_failures_that_cannot_pass_are_fatal() {
        use crate::store::StoreError;
        assert!(matches!(JobError::from(StoreError::Corrupt("`DONE?` is not a run status".into())), JobError::Fatal(_)));
        assert!(matches!(JobError::from(StoreError::Unavailable(sqlx::Error::PoolTimedOut)), JobError::Retryable(_)));
        // A deadlock or a busy SQLite file reads as a plain database error: it may pass.
        assert!(matches!(JobError::from(StoreError::Database(sqlx::Error::WorkerCrashed)), JobError::Retryable(_)));
        let decode = sqlx::Error::ColumnNotFound("status".into());
        assert!(matches!(JobError::from(StoreError::Database(decode)), JobError::Fatal(_)));
    }
}
