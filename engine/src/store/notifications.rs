//! Notifications: events as they happened (`notification_events`), the notifications each was
//! expanded into with their delivery log (`notifications`), and what people chose not to
//! receive (`notification_preferences`).

use super::{bind_optional_time, bind_time, json_column, Result, Store};
use crate::records::{Channel, NotificationKind, NotificationStatus};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use uuid::Uuid;

/// One notification: to whom, how, what, and how its delivery went.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredNotification {
    pub id: Uuid,
    pub event_id: Uuid,
    pub kind: NotificationKind,
    /// An e-mail address, or a configured webhook's name (never its URL or secret).
    pub recipient: String,
    pub channel: Channel,
    pub subject: String,
    pub status: NotificationStatus,
    /// The run, check or token it is about.
    pub related_id: Option<Uuid>,
    /// The text and the JSON payload, as sent.
    pub data: Value,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "notification_id, event_id, recipient, channel, subject, status, related_id, data, attempts, last_error, created_at, sent_at";

fn notification_from<R: Row>(row: &R) -> Result<StoredNotification>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> Uuid: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Uuid>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<DateTime<Utc>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> sqlx::types::Json<Value>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let data = json_column(row, 7)?;
    let kind = data["kind"].as_str().unwrap_or_default().parse()?;
    Ok(StoredNotification {
        id: row.try_get(0)?,
        event_id: row.try_get::<Option<Uuid>, _>(1)?.unwrap_or_default(),
        kind,
        recipient: row.try_get(2)?,
        channel: row.try_get::<String, _>(3)?.parse()?,
        subject: row.try_get(4)?,
        status: row.try_get::<String, _>(5)?.parse()?,
        related_id: row.try_get(6)?,
        data,
        attempts: row.try_get(8)?,
        last_error: row.try_get(9)?,
        created_at: row.try_get(10)?,
        sent_at: row.try_get(11)?,
    })
}

impl Store {
    /// Records an event under `id`; false when it was recorded already (the same run finishing
    /// twice, say), so it is notified once.
    pub async fn record_event(&self, id: Uuid, kind: NotificationKind, data: &Value) -> Result<bool> {
        let sql =
            "INSERT INTO notification_events (event_id, kind, data, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING";
        let added = on_pool!(self, pool => {
            let query = bind_json!(self, sqlx::query(sql).bind(id).bind(kind.as_str()), data);
            bind_time(self, query, super::now()).execute(pool).await?.rows_affected()
        });
        Ok(added > 0)
    }

    /// An event's data, and whether it was expanded already.
    pub async fn event(&self, id: Uuid) -> Result<Option<(Value, bool)>> {
        let sql = "SELECT data, expanded_at FROM notification_events WHERE event_id = $1";
        on_pool!(self, pool => {
            let row = sqlx::query(sql).bind(id).fetch_optional(pool).await?;
            match row {
                Some(row) => Ok(Some((json_column(&row, 0)?, row.try_get::<Option<DateTime<Utc>>, _>(1)?.is_some()))),
                None => Ok(None),
            }
        })
    }

    pub async fn event_expanded(&self, id: Uuid) -> Result<()> {
        let sql = "UPDATE notification_events SET expanded_at = $1 WHERE event_id = $2";
        on_pool!(self, pool => {
            bind_time(self, sqlx::query(sql), super::now()).bind(id).execute(pool).await?;
        });
        Ok(())
    }

    /// Events recorded before `before` that no worker expanded (their message was lost).
    pub async fn events_waiting(&self, before: DateTime<Utc>) -> Result<Vec<Uuid>> {
        let sql = "SELECT event_id FROM notification_events WHERE expanded_at IS NULL AND created_at < $1 ORDER BY created_at LIMIT 100";
        on_pool!(self, pool => {
            let rows = bind_time(self, sqlx::query(sql), before).fetch_all(pool).await?;
            rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
        })
    }

    /// Adds a notification; false when the event already has one for this channel and recipient.
    pub async fn add_notification(&self, notification: &StoredNotification) -> Result<bool> {
        let sql = "INSERT INTO notifications (notification_id, event_id, recipient, channel, subject, status, related_id, data, attempts, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9) ON CONFLICT (event_id, channel, recipient) DO NOTHING";
        let added = on_pool!(self, pool => {
            let query = sqlx::query(sql)
                .bind(notification.id)
                .bind(notification.event_id)
                .bind(&notification.recipient)
                .bind(notification.channel.as_str())
                .bind(super::truncate(&notification.subject, 500))
                .bind(notification.status.as_str())
                .bind(notification.related_id);
            let query = bind_json!(self, query, notification.data);
            bind_time(self, query, notification.created_at).execute(pool).await?.rows_affected()
        });
        Ok(added > 0)
    }

    /// The event's notification for this channel and recipient, if it has one.
    pub async fn notification_of(&self, event: Uuid, channel: Channel, recipient: &str) -> Result<Option<StoredNotification>> {
        let sql = format!("SELECT {COLUMNS} FROM notifications WHERE event_id = $1 AND channel = $2 AND recipient = $3");
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(event).bind(channel.as_str()).bind(recipient).fetch_optional(pool).await?;
            row.as_ref().map(notification_from).transpose()
        })
    }

    pub async fn notification(&self, id: Uuid) -> Result<Option<StoredNotification>> {
        let sql = format!("SELECT {COLUMNS} FROM notifications WHERE notification_id = $1");
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(notification_from).transpose()
        })
    }

    /// One delivery attempt: sent, failed for good, or (queued) to be tried again, with why.
    pub async fn notification_attempted(&self, id: Uuid, status: NotificationStatus, error: Option<&str>) -> Result<()> {
        let sql = "UPDATE notifications SET status = $1, attempts = attempts + 1, last_error = $2, sent_at = $3 WHERE notification_id = $4";
        let sent = (status == NotificationStatus::Sent).then(super::now);
        on_pool!(self, pool => {
            let query = sqlx::query(sql).bind(status.as_str()).bind(error.map(|text| super::truncate(text, 2000)));
            bind_optional_time(self, query, sent).bind(id).execute(pool).await?;
        });
        Ok(())
    }

    /// Marks a notification failed for good without another attempt (a job given up on).
    pub async fn notification_given_up(&self, id: Uuid, why: &str) -> Result<()> {
        let sql = "UPDATE notifications SET status = $1, last_error = $2 WHERE notification_id = $3";
        on_pool!(self, pool => {
            sqlx::query(sql).bind(NotificationStatus::Failed.as_str()).bind(super::truncate(why, 2000)).bind(id).execute(pool).await?;
        });
        Ok(())
    }

    /// The delivery log, newest first: one recipient's, or everyone's.
    pub async fn notifications(&self, recipient: Option<&str>, limit: u32) -> Result<Vec<StoredNotification>> {
        let sql = format!("SELECT {COLUMNS} FROM notifications WHERE ($1 = '' OR lower(recipient) = $1) ORDER BY created_at DESC, notification_id LIMIT $2");
        on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(recipient.map(str::to_lowercase).unwrap_or_default())
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            rows.iter().map(notification_from).collect()
        })
    }

    /// The kinds a person turned off or on (every kind not listed is on).
    pub async fn notification_preferences(&self, email: &str) -> Result<Vec<(NotificationKind, bool)>> {
        let sql = "SELECT kind, enabled FROM notification_preferences WHERE email = $1 ORDER BY kind";
        let rows: Vec<(String, bool)> = on_pool!(self, pool => sqlx::query_as(sql).bind(email.to_lowercase()).fetch_all(pool).await?);
        rows.into_iter().map(|(kind, enabled)| Ok((kind.parse()?, enabled))).collect()
    }

    pub async fn set_notification_preference(&self, email: &str, kind: NotificationKind, enabled: bool) -> Result<()> {
        let sql = "INSERT INTO notification_preferences (email, kind, enabled) VALUES ($1, $2, $3) \
                   ON CONFLICT (email, kind) DO UPDATE SET enabled = excluded.enabled";
        on_pool!(self, pool => {
            sqlx::query(sql).bind(email.to_lowercase()).bind(kind.as_str()).bind(enabled).execute(pool).await?;
        });
        Ok(())
    }

    /// Whether the person receives notifications of this kind.
    pub async fn wants(&self, email: &str, kind: NotificationKind) -> Result<bool> {
        Ok(self.notification_preferences(email).await?.into_iter().find(|(known, _)| *known == kind).is_none_or(|(_, enabled)| enabled))
    }
}
