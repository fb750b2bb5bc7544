//! The work queue between the portal and the workers, with two backends behind one API: the
//! embedded default (a table in the Sharepack database) and Azure Storage Queue. Both give
//! at-least-once delivery with visibility timeouts, dequeue counts and lease renewal; a message
//! that keeps failing goes to the poison queue (`<name>-poison`).
//!
//! A message is a [`Job`] carrying ids only (and the sender's trace context beside them):
//! never pack content or secrets. Handlers must be
//! idempotent, since a message can be delivered again after a crash or an expired lease.

mod azure;
mod embedded;
mod job;
mod shared_key;

pub use azure::{AzureQueue, ConnectionString};
pub use embedded::EmbeddedQueue;
pub use job::{Job, JobError};

use std::time::Duration;

/// A message received from the queue, leased until its visibility timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    /// Proof of the current lease; renewing it gives a new one.
    pub receipt: String,
    pub body: String,
    /// How often the message has been received, this time included.
    pub dequeue_count: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the queue cannot be reached: {0}")]
    Unavailable(String),
    #[error("the queue refused the request: {0}")]
    Refused(String),
    /// The lease expired and someone else received the message (or it was deleted).
    #[error("the message's lease was lost")]
    LeaseLost,
    #[error("the message is not a Sharepack message: {0}")]
    Malformed(String),
    #[error("the queue setting is invalid: {0}")]
    Config(String),
}

impl From<crate::store::StoreError> for QueueError {
    fn from(error: crate::store::StoreError) -> Self {
        match error {
            crate::store::StoreError::Unavailable(_) => QueueError::Unavailable(crate::store::redact(&error.to_string())),
            other => QueueError::Refused(crate::store::redact(&other.to_string())),
        }
    }
}

/// The queue a portal and its workers share.
#[derive(Clone)]
pub enum Queue {
    Embedded(EmbeddedQueue),
    Azure(AzureQueue),
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Queue({} {})", self.backend(), self.name())
    }
}

impl Queue {
    pub fn backend(&self) -> &'static str {
        match self {
            Queue::Embedded(_) => "embedded",
            Queue::Azure(_) => "azure",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Queue::Embedded(queue) => queue.name(),
            Queue::Azure(queue) => queue.name(),
        }
    }

    /// Creates the queue and its poison queue when missing.
    pub async fn ensure(&self) -> Result<(), QueueError> {
        match self {
            Queue::Embedded(_) => Ok(()),
            Queue::Azure(queue) => queue.ensure().await,
        }
    }

    /// Sends `job`, carrying the trace of the span the caller is in, so the worker's span
    /// continues it.
    pub async fn send(&self, job: &Job) -> Result<(), QueueError> {
        use tracing::Instrument;
        let span = tracing::info_span!(
            "send",
            otel.name = %format!("send {}", job.kind()),
            otel.kind = "producer",
            messaging.system = self.backend(),
            messaging.destination.name = self.name(),
        );
        let body = span.in_scope(|| job.encode_with(&crate::trace::Carrier::current()));
        async {
            match self {
                Queue::Embedded(queue) => queue.send(&body).await,
                Queue::Azure(queue) => queue.send(&body).await,
            }
        }
        .instrument(span)
        .await
    }

    /// Up to `max` visible messages, each hidden from other receivers for `visibility`.
    pub async fn receive(&self, max: u32, visibility: Duration) -> Result<Vec<Delivery>, QueueError> {
        match self {
            Queue::Embedded(queue) => queue.receive(max, visibility).await,
            Queue::Azure(queue) => queue.receive(max, visibility).await,
        }
    }

    /// Extends a lease while the message is being worked on; updates `delivery.receipt`.
    pub async fn renew(&self, delivery: &mut Delivery, visibility: Duration) -> Result<(), QueueError> {
        match self {
            Queue::Embedded(queue) => queue.renew(delivery, visibility).await,
            Queue::Azure(queue) => queue.renew(delivery, visibility).await,
        }
    }

    /// Done with a message.
    pub async fn delete(&self, delivery: &Delivery) -> Result<(), QueueError> {
        match self {
            Queue::Embedded(queue) => queue.delete(delivery).await,
            Queue::Azure(queue) => queue.delete(delivery).await,
        }
    }

    /// Hands a message back for another worker after `delay` (shutting down, or backing off).
    pub async fn release(&self, delivery: &mut Delivery, delay: Duration) -> Result<(), QueueError> {
        self.renew(delivery, delay).await
    }

    /// Moves a message to the poison queue.
    pub async fn poison(&self, delivery: &Delivery) -> Result<(), QueueError> {
        match self {
            Queue::Embedded(queue) => queue.poison(delivery).await,
            Queue::Azure(queue) => queue.poison(delivery).await,
        }
    }

    /// Messages waiting (visible or leased) and messages in the poison queue.
    pub async fn depth(&self) -> Result<(u64, u64), QueueError> {
        match self {
            Queue::Embedded(queue) => queue.depth().await,
            Queue::Azure(queue) => queue.depth().await,
        }
    }

    /// How long the oldest message waiting has waited (none waiting: zero). A rising value
    /// with no worker taking messages is a stuck queue.
    pub async fn oldest_age(&self) -> Result<std::time::Duration, QueueError> {
        let oldest = match self {
            Queue::Embedded(queue) => queue.oldest().await?,
            Queue::Azure(queue) => queue.oldest().await?,
        };
        Ok(oldest.and_then(|sent| (chrono::Utc::now() - sent).to_std().ok()).unwrap_or_default())
    }
}

/// The poison queue's name for a queue.
pub fn poison_name(queue: &str) -> String {
    format!("{queue}-poison")
}
