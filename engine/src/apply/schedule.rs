//! Scheduled provisioning: a run may be set to start at a given time. Once approved (or at
//! once, when it needs no approval) it waits in `SCHEDULED`, held in the store; the scheduler
//! of every portal and worker process queues it when its time comes. Queueing is a conditional
//! update, so a run is queued once however many processes look.

use crate::error::Problem;
use crate::queue::{Job, Queue};
use crate::records::RunStatus;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

/// How far ahead a run may be scheduled.
pub const MOST_DAYS_AHEAD: i64 = 90;

/// A requested start time is refused when it has passed or lies too far ahead (a typo in the
/// year would otherwise hold a run for a decade).
pub fn check(start_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Problem> {
    if start_at <= now {
        return Err(Problem::invalid("start_at_passed", format!("The start time {} has passed", words(start_at)))
            .hint("Give a time in the future (RFC 3339, e.g. 2026-12-24T22:00:00Z), or leave it out to start now")
            .at("start_at"));
    }
    if start_at > now + chrono::Duration::days(MOST_DAYS_AHEAD) {
        return Err(Problem::invalid(
            "start_at_too_far",
            format!("The start time {} is more than {MOST_DAYS_AHEAD} days ahead", words(start_at)),
        )
        .hint("Submit the pack closer to the time")
        .at("start_at"));
    }
    Ok(())
}

/// Where an approved run goes now, and the progress it shows: `SCHEDULED` until its start
/// time, `QUEUED` once it has come (or when it has none).
pub fn released(start_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> (RunStatus, String) {
    match start_at {
        Some(at) if at > now => (RunStatus::Scheduled, format!("Scheduled to start at {}", words(at))),
        _ => (RunStatus::Queued, "Waiting for a worker".to_string()),
    }
}

/// A start time as people read it.
pub fn words(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Queues every scheduled run whose time has come; returns how many this call queued. A run the
/// queue refuses goes back to waiting, with the reason in its progress, and the next tick tries
/// again: an approved run is not failed by a queue that is away for a moment.
pub async fn release_due(store: &Store, queue: &Queue) -> Result<usize, StoreError> {
    let mut released = 0;
    for id in store.due_runs(Utc::now()).await? {
        if !store.start_scheduled(id).await? {
            continue;
        }
        if let Err(error) = queue.send(&Job::ApplyRun { run_id: id }).await {
            tracing::error!(run = %id, %error, "the queue refused a scheduled run; it is tried again at the next tick");
            let why = format!("Its start time came, but the work queue could not be reached ({error}); trying again");
            store.reschedule(id, &why).await?;
            continue;
        }
        tracing::info!(run = %id, "scheduled run queued");
        released += 1;
    }
    Ok(released)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_time_is_in_the_future_and_not_too_far() {
        let now = Utc::now();
        assert_eq!(check(now - chrono::Duration::minutes(1), now).unwrap_err().code, "start_at_passed");
        assert_eq!(check(now, now).unwrap_err().code, "start_at_passed");
        assert!(check(now + chrono::Duration::hours(1), now).is_ok());
        assert_eq!(check(now + chrono::Duration::days(MOST_DAYS_AHEAD + 1), now).unwrap_err().code, "start_at_too_far");
    }

    #[test]
    fn a_run_released_before_its_time_is_scheduled() {
        let now = Utc::now();
        assert_eq!(released(None, now).0, RunStatus::Queued);
        assert_eq!(released(Some(now - chrono::Duration::seconds(1)), now).0, RunStatus::Queued);
        let (status, progress) = released(Some(now + chrono::Duration::hours(2)), now);
        assert_eq!(status, RunStatus::Scheduled);
        assert!(progress.starts_with("Scheduled to start at "), "{progress}");
    }
}
