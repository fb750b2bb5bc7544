//! Periodic housekeeping: jobs that run on a timer in every worker process (deleting activation
//! links nobody took, ended sessions and stale sign-in states; queueing approved runs a stopped
//! portal left waiting). They are idempotent, so several processes running them at
//! once is harmless.

use super::{Job, Jobs};
use std::time::Duration;
use tokio::sync::watch;

/// The jobs housekeeping runs, and how often.
#[derive(Clone)]
pub struct Housekeeping {
    pub jobs: Jobs,
    pub every: Duration,
}

impl Housekeeping {
    pub const JOBS: [Job; 3] = [Job::ExpireActivationLinks, Job::ExpireSignIns, Job::ReleaseApproved];

    /// Runs every housekeeping job now, then every `every`, until `stop` turns true. Failures
    /// are logged and tried again at the next tick.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        loop {
            for job in Self::JOBS {
                if let Err(error) = self.jobs.run(job, &stop).await {
                    tracing::warn!(?job, %error, "housekeeping job failed; it runs again at the next tick");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(self.every) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return;
            }
        }
    }
}
