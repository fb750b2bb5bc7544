//! How hard one workspace is called by everyone in this process who calls it (workers, previews,
//! checks): at most `concurrency` requests in flight, and once the workspace answers 429, every
//! caller waits out its `Retry-After`, not only the one that was told.

use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// Requests in flight at once, by default: Databricks publishes no per-endpoint limit for the
/// sharing API, and its Terraform provider's default of 15 requests a second is met at 50 ms a
/// call with room to spare.
pub const DEFAULT_CONCURRENCY: usize = 16;

#[derive(Debug)]
pub struct Limiter {
    permits: Semaphore,
    concurrency: usize,
    /// Until when nobody sends: the latest end of a `Retry-After` any caller was given.
    paused_until: Mutex<Option<Instant>>,
}

impl Limiter {
    pub fn new(concurrency: usize) -> Self {
        let concurrency = concurrency.clamp(1, Semaphore::MAX_PERMITS);
        Limiter { permits: Semaphore::new(concurrency), concurrency, paused_until: Mutex::new(None) }
    }

    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Waits for a pause to end and for a free slot; the request is sent while the permit lives.
    pub async fn admit(&self) -> SemaphorePermit<'_> {
        loop {
            self.wait_out_pause().await;
            // The semaphore is never closed, so acquiring cannot fail.
            let permit = self.permits.acquire().await.expect("the limiter's semaphore is never closed");
            // A 429 may have come in while this caller queued for a slot.
            if self.pause_left().is_none() {
                return permit;
            }
        }
    }

    /// The workspace asked everyone to slow down for `pause`.
    pub fn pause(&self, pause: Duration) {
        let until = Instant::now() + pause;
        let mut paused = self.paused_until.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }

    /// Whether a pause is in force now.
    pub fn paused(&self) -> bool {
        self.pause_left().is_some()
    }

    fn pause_left(&self) -> Option<Instant> {
        let paused = self.paused_until.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        paused.filter(|until| *until > Instant::now())
    }

    async fn wait_out_pause(&self) {
        while let Some(until) = self.pause_left() {
            tokio::time::sleep_until(until).await;
        }
    }
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter::new(DEFAULT_CONCURRENCY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn no_more_than_the_limit_are_in_flight() {
        let limiter = Arc::new(Limiter::new(3));
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let calls: Vec<_> = (0..10)
            .map(|_| {
                let (limiter, now, most) = (limiter.clone(), now.clone(), most.clone());
                tokio::spawn(async move {
                    let _permit = limiter.admit().await;
                    most.fetch_max(now.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    now.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        let started = Instant::now();
        futures::future::join_all(calls).await;
        assert_eq!(most.load(Ordering::SeqCst), 3);
        // Ten calls of 50 ms, three at a time: four rounds.
        assert_eq!(started.elapsed(), Duration::from_millis(200));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_caller() {
        let limiter = Limiter::new(8);
        limiter.pause(Duration::from_secs(2));
        limiter.pause(Duration::from_secs(1)); // a shorter pause does not cut the longer one
        let started = Instant::now();
        drop(limiter.admit().await);
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        drop(limiter.admit().await);
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }
}
