//! Notifications (issue 18): e-mail over SMTP and signed webhooks on what people wait for (an
//! approval asked of them, their plan decided, their run finished, drift in their packs, a token
//! about to expire). Where something happens, an [`Event`] is recorded once (its id derived
//! from what happened, so a retried step does not notify twice) and a `notify` job queued; a
//! worker expands it into one notification per person who wants that kind (and per webhook
//! subscribed), each delivered by its own `deliver` job, retried with the worker's backoff, its
//! attempts and status kept in `notifications`. Events carry names and ids, never a secret:
//! activation links and tokens cannot reach a message because no event holds one.
//!
//! - `message.rs`: an event in words and as a webhook payload (pure).
//! - `deliver.rs`: the channels: SMTP with `lettre`, webhooks signed as Standard Webhooks do.
//! - `views.rs`: a person's delivery log and the kinds they receive.

pub mod deliver;
pub mod message;
pub mod views;

use crate::queue::{Job, JobError, Queue};
use crate::records::{Channel, Decision, NotificationKind, NotificationStatus, RunStatus};
use crate::store::{Store, StoredNotification};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use deliver::{Notifier, Webhook};

/// Something people may want to hear about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Event {
    /// A plan waits for approval.
    ApprovalRequested { run_id: Uuid, share_pack: String, business_line: Option<String>, requested_by: String },
    /// The last approval came in (the run was released), or an approver rejected it.
    PlanDecided { run_id: Uuid, share_pack: String, requested_by: String, decision: Decision, decided_by: String, comment: String },
    /// A run completed or failed.
    RunFinished { run_id: Uuid, share_pack: String, requested_by: String, status: RunStatus, error: Option<String> },
    /// A check found drift: per share pack, who asked for it and how many findings are new.
    DriftFound { check: Uuid, workspace_url: String, packs: Vec<DriftedPack> },
    /// An API token expires soon.
    TokenExpiring { token_id: Uuid, name: String, owner: String, expires_at: DateTime<Utc> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftedPack {
    pub id: Uuid,
    pub name: String,
    pub requested_by: String,
    pub findings: usize,
}

impl Event {
    pub fn kind(&self) -> NotificationKind {
        match self {
            Event::ApprovalRequested { .. } => NotificationKind::ApprovalRequested,
            Event::PlanDecided { .. } => NotificationKind::PlanDecided,
            Event::RunFinished { .. } => NotificationKind::RunFinished,
            Event::DriftFound { .. } => NotificationKind::DriftFound,
            Event::TokenExpiring { .. } => NotificationKind::TokenExpiring,
        }
    }

    /// The run, check or token it is about.
    pub fn related(&self) -> Uuid {
        match self {
            Event::ApprovalRequested { run_id, .. } | Event::PlanDecided { run_id, .. } | Event::RunFinished { run_id, .. } => *run_id,
            Event::DriftFound { check, .. } => *check,
            Event::TokenExpiring { token_id, .. } => *token_id,
        }
    }

    /// The same happening always gets the same id: `what` tells happenings about one thing apart
    /// (a digest, a status).
    pub fn id(&self, what: &str) -> Uuid {
        Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("sharepack:event:{}:{}:{what}", self.kind().as_str(), self.related()).as_bytes())
    }
}

/// Records the event (once per id) and queues its expansion. A lost message is not a lost
/// notification: housekeeping queues events nobody expanded again ([`requeue_waiting`]).
pub async fn emit(store: &Store, queue: &Queue, id: Uuid, event: &Event) {
    let data = match serde_json::to_value(event) {
        Ok(data) => data,
        Err(error) => return tracing::error!(%error, "an event could not be written"),
    };
    match store.record_event(id, event.kind(), &data).await {
        Ok(false) => {}
        Ok(true) => {
            if let Err(error) = queue.send(&Job::Notify { event_id: id }).await {
                tracing::warn!(%error, event = %id, "a notification could not be queued yet; housekeeping queues it again");
            }
        }
        Err(error) => {
            tracing::error!(error = %crate::store::redact(&error.to_string()), kind = event.kind().as_str(), "an event could not be recorded; nobody is notified of it")
        }
    }
}

/// Queues again the events recorded over a minute ago that no worker expanded.
pub async fn requeue_waiting(store: &Store, queue: &Queue) -> Result<usize, crate::store::StoreError> {
    let waiting = store.events_waiting(Utc::now() - chrono::TimeDelta::minutes(1)).await?;
    let mut queued = 0;
    for id in waiting {
        if queue.send(&Job::Notify { event_id: id }).await.is_ok() {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Who hears of an event by e-mail: lower-case addresses of people (never the worker, the
/// operator or the open API), without duplicates.
async fn people(store: &Store, event: &Event) -> Result<Vec<String>, crate::store::StoreError> {
    let mut out: Vec<String> = match event {
        Event::ApprovalRequested { business_line, requested_by, .. } => store
            .approvers_of(business_line.as_deref())
            .await?
            .into_iter()
            .map(|(email, _)| email)
            .filter(|email| !email.eq_ignore_ascii_case(requested_by))
            .collect(),
        Event::PlanDecided { requested_by, .. } | Event::RunFinished { requested_by, .. } => vec![requested_by.clone()],
        Event::DriftFound { packs, .. } => packs.iter().map(|pack| pack.requested_by.clone()).collect(),
        Event::TokenExpiring { owner, .. } => vec![owner.clone()],
    };
    out.iter_mut().for_each(|email| *email = email.trim().to_lowercase());
    out.retain(|email| email.contains('@'));
    out.sort();
    out.dedup();
    Ok(out)
}

/// A `notify` job: the event's notifications written and their deliveries queued.
pub async fn expand(store: &Store, queue: &Queue, notifier: &Notifier, id: Uuid) -> Result<(), JobError> {
    let Some((data, _)) = store.event(id).await? else { return Err(JobError::Fatal(format!("event {id} does not exist"))) };
    let event: Event = serde_json::from_value(data).map_err(|error| JobError::Fatal(format!("event {id} cannot be read: {error}")))?;
    let kind = event.kind();
    let mut notifications = Vec::new();
    if notifier.sends_email() {
        for email in people(store, &event).await? {
            if store.wants(&email, kind).await? {
                let (subject, text) = message::email(&event, &email, notifier.public_url());
                notifications.push(notification(
                    id,
                    &event,
                    Channel::Email,
                    email,
                    subject,
                    serde_json::json!({"kind": kind, "text": text}),
                ));
            }
        }
    }
    for webhook in notifier.webhooks().iter().filter(|webhook| webhook.wants(kind)) {
        let payload = message::payload(&event, id, notifier.public_url());
        let subject = message::email(&event, "", notifier.public_url()).0;
        notifications.push(notification(
            id,
            &event,
            Channel::Webhook,
            webhook.name.clone(),
            subject,
            serde_json::json!({"kind": kind, "payload": payload}),
        ));
    }
    for notification in &notifications {
        // Expanded again after a failure: what was written but never tried is sent again.
        let to_send = if store.add_notification(notification).await? {
            Some(notification.id)
        } else {
            store
                .notification_of(id, notification.channel, &notification.recipient)
                .await?
                .filter(|known| known.status == NotificationStatus::Queued && known.attempts == 0)
                .map(|known| known.id)
        };
        if let Some(notification_id) = to_send {
            queue.send(&Job::Deliver { notification_id }).await.map_err(|error| JobError::Retryable(error.to_string()))?;
        }
    }
    store.event_expanded(id).await?;
    Ok(())
}

fn notification(
    event_id: Uuid,
    event: &Event,
    channel: Channel,
    recipient: String,
    subject: String,
    data: serde_json::Value,
) -> StoredNotification {
    StoredNotification {
        id: Uuid::now_v7(),
        event_id,
        kind: event.kind(),
        recipient,
        channel,
        subject,
        status: NotificationStatus::Queued,
        related_id: Some(event.related()),
        data,
        attempts: 0,
        last_error: None,
        created_at: crate::store::now(),
        sent_at: None,
    }
}

/// A `deliver` job: one attempt; a failure is logged on the row and retried later.
pub async fn deliver(store: &Store, notifier: &Notifier, id: Uuid) -> Result<(), JobError> {
    let Some(notification) = store.notification(id).await? else {
        return Err(JobError::Fatal(format!("notification {id} does not exist")));
    };
    if notification.status != NotificationStatus::Queued {
        return Ok(());
    }
    match notifier.send(&notification).await {
        Ok(()) => {
            store.notification_attempted(id, NotificationStatus::Sent, None).await?;
            Ok(())
        }
        Err(error) => {
            store.notification_attempted(id, NotificationStatus::Queued, Some(&error)).await?;
            Err(JobError::Retryable(error))
        }
    }
}

/// A delivery given up on (it kept failing): failed, with why.
pub async fn give_up(store: &Store, id: Uuid, reason: &str) -> Result<(), JobError> {
    store.notification_given_up(id, reason).await?;
    Ok(())
}
