//! Workers: take jobs from the queue in batches and run them. A message's lease is renewed
//! while its job is worked on; a job that hits a retryable fault goes back to the queue with a
//! growing delay; a fatal fault, or `max_deliveries` deliveries, sends the message to the poison
//! queue after the job is given up (a run is marked failed with the reason). Shutting down stops
//! runs between steps and hands their messages back at once.

use super::{Job, JobError, Jobs, Settled};
use crate::queue::{Delivery, Queue, QueueError};
use std::time::Duration;
use tokio::sync::watch;
use tracing::Instrument;

#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// Messages taken per poll (the seed's 10).
    pub batch: u32,
    /// How long a received message stays hidden (the seed's 300 s); renewed at a third of it.
    pub visibility: Duration,
    /// Pause between polls of an empty queue.
    pub idle_poll: Duration,
    /// Deliveries after which a message is poison.
    pub max_deliveries: u32,
    /// First delay before a run that hit a transient fault is tried again (doubles each time).
    pub retry_delay: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            batch: 10,
            visibility: Duration::from_secs(300),
            idle_poll: Duration::from_secs(1),
            max_deliveries: 5,
            retry_delay: Duration::from_secs(5),
        }
    }
}

#[derive(Clone)]
pub struct Worker {
    pub queue: Queue,
    pub jobs: Jobs,
    pub settings: WorkerSettings,
}

impl Worker {
    /// Polls until `stop` turns true, then returns once every message in hand is finished or
    /// handed back.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        let mut failures = 0u32;
        while !*stop.borrow() {
            match self.queue.receive(self.settings.batch, self.settings.visibility).await {
                Ok(deliveries) if deliveries.is_empty() => {
                    failures = 0;
                    sleep_or_stop(self.settings.idle_poll, &mut stop).await;
                }
                Ok(deliveries) => {
                    failures = 0;
                    let handling: Vec<_> = deliveries.into_iter().map(|delivery| Box::pin(self.handle(delivery, stop.clone()))).collect();
                    futures::future::join_all(handling).await;
                }
                Err(error) => {
                    failures += 1;
                    let pause = Duration::from_millis(200 * 2u64.pow(failures.min(6)));
                    tracing::warn!(%error, ?pause, "the queue cannot be read; trying again");
                    sleep_or_stop(pause, &mut stop).await;
                }
            }
        }
    }

    /// Handles one delivery to the end: done, handed back, or poisoned. The job runs in a span
    /// that continues the trace the message carries (the sender's), across the queue.
    pub async fn handle(&self, delivery: Delivery, stop: watch::Receiver<bool>) {
        let job = match Job::decode(&delivery.body) {
            Ok(job) => job,
            Err(error) => {
                tracing::error!(message = %delivery.id, %error, "not a Sharepack job; moving it to the poison queue");
                self.settle(self.queue.poison(&delivery).await, &delivery);
                return;
            }
        };
        let span = tracing::info_span!(
            "job",
            otel.name = job.kind(),
            otel.kind = "consumer",
            job = job.kind(),
            messaging.system = self.queue.backend(),
            messaging.destination.name = self.queue.name(),
            messaging.message.id = %delivery.id,
            deliveries = delivery.dequeue_count,
            trace_id = tracing::field::Empty,
        );
        crate::trace::Carrier::read(&delivery.body).continue_in(&span);
        self.handle_job(job, delivery, stop).instrument(span).await
    }

    async fn handle_job(&self, job: Job, mut delivery: Delivery, stop: watch::Receiver<bool>) {
        if delivery.dequeue_count > self.settings.max_deliveries {
            let reason = format!("Gave up after {} deliveries", delivery.dequeue_count - 1);
            self.give_up(job, &delivery, &reason).await;
            return;
        }
        let (done_tx, mut done_rx) = watch::channel(false);
        let renewer = {
            let queue = self.queue.clone();
            let mut lease = delivery.clone();
            let every = self.settings.visibility / 3;
            let visibility = self.settings.visibility;
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(every) => {}
                        _ = done_rx.changed() => return lease,
                    }
                    let renewed = queue.renew(&mut lease, visibility).await;
                    crate::telemetry::lease_renewed(renewed.is_ok());
                    if let Err(error) = renewed {
                        tracing::warn!(message = %lease.id, %error, "could not renew the message's lease");
                    }
                }
            })
        };
        let outcome = self.jobs.run(job, &stop).await;
        let ran = match &outcome {
            Ok(_) => "done",
            Err(JobError::Retryable(_)) => "retryable",
            Err(JobError::Fatal(_)) => "fatal",
        };
        crate::telemetry::job_ran(job.kind(), ran);
        let _ = done_tx.send(true);
        if let Ok(lease) = renewer.await {
            delivery.receipt = lease.receipt;
        }
        match outcome {
            Ok(Settled::Done) => {
                crate::telemetry::message_settled(job.kind(), "done");
                self.settle(self.queue.delete(&delivery).await, &delivery)
            }
            Ok(Settled::HandedBack) => {
                crate::telemetry::message_settled(job.kind(), "handed_back");
                self.settle(self.queue.release(&mut delivery, Duration::ZERO).await, &delivery)
            }
            Err(JobError::Fatal(reason)) => {
                tracing::error!(?job, %reason, "the job cannot succeed");
                self.give_up(job, &delivery, &reason).await;
            }
            Err(JobError::Retryable(reason)) => {
                if delivery.dequeue_count >= self.settings.max_deliveries {
                    let reason = format!("Gave up after {} deliveries; last error: {reason}", delivery.dequeue_count);
                    self.give_up(job, &delivery, &reason).await;
                    return;
                }
                let delay = self.settings.retry_delay * 2u32.saturating_pow(delivery.dequeue_count.saturating_sub(1).min(6));
                tracing::warn!(?job, %reason, ?delay, "the job hit a transient fault; it will be tried again");
                crate::telemetry::message_settled(job.kind(), "retried");
                self.settle(self.queue.release(&mut delivery, delay).await, &delivery);
            }
        }
    }

    /// Poison: the job is given up (a run fails with the reason, removing what it created, as
    /// any failed run), then the message goes to the poison queue. When giving up hits a
    /// transient fault the message stays for another try.
    async fn give_up(&self, job: Job, delivery: &Delivery, reason: &str) {
        match self.jobs.give_up(job, reason).await {
            Ok(()) | Err(JobError::Fatal(_)) => {}
            Err(JobError::Retryable(error)) => {
                tracing::error!(?job, %error, "could not give the job up; leaving the message for another try");
                return;
            }
        }
        tracing::error!(?job, %reason, "moving the message to the poison queue");
        crate::telemetry::message_settled(job.kind(), "poisoned");
        self.settle(self.queue.poison(delivery).await, delivery);
    }

    fn settle(&self, result: Result<(), QueueError>, delivery: &Delivery) {
        match result {
            Ok(()) => {}
            // Someone else holds the message now (the lease ran out); they will settle it.
            Err(QueueError::LeaseLost) => tracing::warn!(message = %delivery.id, "lease lost before the message was settled"),
            Err(error) => tracing::error!(message = %delivery.id, %error, "could not settle the message; it will be delivered again"),
        }
    }
}

async fn sleep_or_stop(pause: Duration, stop: &mut watch::Receiver<bool>) {
    tokio::select! {
        _ = tokio::time::sleep(pause) => {}
        _ = stop.changed() => {}
    }
}
