//! Periodic housekeeping: jobs that run on a timer in every worker process (deleting activation
//! links nobody took, ended sessions and stale sign-in states; queueing approved runs a stopped
//! portal left waiting; telling people of tokens that expire within a week, once a token), and the schedulers, which queue scheduled runs and drift checks when
//! their time comes and so look far more often. They are idempotent, so several processes running them at
//! once is harmless.

use super::{Job, Jobs};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The jobs housekeeping runs, and how often.
#[derive(Clone)]
pub struct Housekeeping {
    pub jobs: Jobs,
    pub every: Duration,
    /// How often the scheduler looks for scheduled runs that are due: how late one may start.
    pub schedule_every: Duration,
}

impl Housekeeping {
    pub const JOBS: [Job; 4] = [Job::ExpireActivationLinks, Job::ExpireSignIns, Job::ReleaseApproved, Job::WarnExpiringTokens];
    /// Run at every tick: cheap when there is nothing to do.
    pub const TICK: [Job; 3] = [Job::ReleaseScheduled, Job::ScheduleSyncs, Job::RequeueNotifications];

    /// Runs every housekeeping job now, then every `every`, and the scheduler every
    /// `schedule_every`, until `stop` turns true. Failures are logged and tried again at the
    /// next tick.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        let mut chores_done: Option<Instant> = None;
        loop {
            let due = chores_done.is_none_or(|at| at.elapsed() >= self.every);
            let jobs = if due { &Self::JOBS[..] } else { &[] };
            for &job in jobs.iter().chain(Self::TICK.iter()) {
                if let Err(error) = self.jobs.run(job, &stop).await {
                    tracing::warn!(?job, %error, "housekeeping job failed; it runs again at the next tick");
                }
            }
            if due {
                chores_done = Some(Instant::now());
            }
            tokio::select! {
                _ = tokio::time::sleep(self.schedule_every.min(self.every)) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return;
            }
        }
    }
}
