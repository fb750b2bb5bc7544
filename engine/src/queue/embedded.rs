//! The embedded queue: rows of `queue_messages` in the Sharepack database (SQLite or PostgreSQL),
//! so the default setup needs no other service and several processes can share one queue. A
//! receive is one `UPDATE ... RETURNING` that hides the messages and stamps a fresh receipt;
//! PostgreSQL skips rows other receivers hold (`FOR UPDATE SKIP LOCKED`).

use super::{poison_name, Delivery, QueueError};
use crate::store::{bind_time, now, Store};
use chrono::TimeDelta;
use sqlx::{AssertSqlSafe, Row};
use std::time::Duration;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct EmbeddedQueue {
    store: Store,
    name: String,
    poison: String,
}

fn later(by: Duration) -> chrono::DateTime<chrono::Utc> {
    now() + TimeDelta::from_std(by).unwrap_or(TimeDelta::MAX / 2)
}

/// An update by id and receipt that changed nothing: the lease is someone else's now.
fn held(changed: u64) -> Result<(), QueueError> {
    if changed == 0 {
        Err(QueueError::LeaseLost)
    } else {
        Ok(())
    }
}

fn ids(delivery: &Delivery) -> Result<(Uuid, Uuid), QueueError> {
    let id = Uuid::parse_str(&delivery.id).map_err(|_| QueueError::Malformed(format!("message id {}", delivery.id)))?;
    let receipt = Uuid::parse_str(&delivery.receipt).map_err(|_| QueueError::LeaseLost)?;
    Ok((id, receipt))
}

impl EmbeddedQueue {
    pub fn new(store: Store, name: &str) -> Self {
        EmbeddedQueue { store, name: name.to_string(), poison: poison_name(name) }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub async fn send(&self, body: &str) -> Result<(), QueueError> {
        self.insert(&self.name, body).await
    }

    async fn insert(&self, queue: &str, body: &str) -> Result<(), QueueError> {
        let sql =
            "INSERT INTO queue_messages (message_id, queue, body, enqueued_at, visible_at, dequeue_count) VALUES ($1, $2, $3, $4, $5, 0)";
        let at = now();
        on_pool!(&self.store, pool => {
            let query = sqlx::query(sql).bind(Uuid::now_v7()).bind(queue).bind(body);
            bind_time(&self.store, bind_time(&self.store, query, at), at).execute(pool).await.map_err(crate::store::StoreError::from)?;
        });
        Ok(())
    }

    pub async fn receive(&self, max: u32, visibility: Duration) -> Result<Vec<Delivery>, QueueError> {
        let lock = match self.store {
            Store::Postgres(_) => "FOR UPDATE SKIP LOCKED",
            Store::Sqlite(_) => "",
        };
        let sql = format!(
            "UPDATE queue_messages SET visible_at = $1, dequeue_count = dequeue_count + 1, pop_receipt = $2 \
             WHERE message_id IN (SELECT message_id FROM queue_messages WHERE queue = $3 AND visible_at <= $4 \
             ORDER BY visible_at LIMIT $5 {lock}) RETURNING message_id, body, dequeue_count"
        );
        let receipt = Uuid::new_v4();
        let rows = on_pool!(&self.store, pool => {
            let query = bind_time(&self.store, sqlx::query(AssertSqlSafe(sql.clone())), later(visibility)).bind(receipt).bind(&self.name);
            let rows = bind_time(&self.store, query, now()).bind(i64::from(max)).fetch_all(pool).await.map_err(crate::store::StoreError::from)?;
            rows.iter()
                .map(|row| -> Result<Delivery, sqlx::Error> {
                    let id: Uuid = row.try_get(0)?;
                    let count: i32 = row.try_get(2)?;
                    Ok(Delivery { id: id.to_string(), receipt: receipt.to_string(), body: row.try_get(1)?, dequeue_count: count.max(0) as u32 })
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(crate::store::StoreError::from)?
        });
        Ok(rows)
    }

    pub async fn renew(&self, delivery: &mut Delivery, visibility: Duration) -> Result<(), QueueError> {
        let (id, receipt) = ids(delivery)?;
        let next = Uuid::new_v4();
        let sql = "UPDATE queue_messages SET visible_at = $1, pop_receipt = $2 WHERE message_id = $3 AND pop_receipt = $4";
        let changed = on_pool!(&self.store, pool => {
            bind_time(&self.store, sqlx::query(sql), later(visibility))
                .bind(next)
                .bind(id)
                .bind(receipt)
                .execute(pool)
                .await
                .map_err(crate::store::StoreError::from)?
                .rows_affected()
        });
        held(changed)?;
        delivery.receipt = next.to_string();
        Ok(())
    }

    pub async fn delete(&self, delivery: &Delivery) -> Result<(), QueueError> {
        let (id, receipt) = ids(delivery)?;
        let sql = "DELETE FROM queue_messages WHERE message_id = $1 AND pop_receipt = $2";
        let changed = on_pool!(&self.store, pool => {
            sqlx::query(sql).bind(id).bind(receipt).execute(pool).await.map_err(crate::store::StoreError::from)?.rows_affected()
        });
        held(changed)
    }

    /// Moves the message to the poison queue in one statement, so it is never in both or neither.
    pub async fn poison(&self, delivery: &Delivery) -> Result<(), QueueError> {
        let (id, receipt) = ids(delivery)?;
        let sql = "UPDATE queue_messages SET queue = $1, visible_at = $2, pop_receipt = NULL WHERE message_id = $3 AND pop_receipt = $4";
        let changed = on_pool!(&self.store, pool => {
            bind_time(&self.store, sqlx::query(sql).bind(&self.poison), now())
                .bind(id)
                .bind(receipt)
                .execute(pool)
                .await
                .map_err(crate::store::StoreError::from)?
                .rows_affected()
        });
        held(changed)
    }

    pub async fn depth(&self) -> Result<(u64, u64), QueueError> {
        let sql = "SELECT count(*) FROM queue_messages WHERE queue = $1";
        let (waiting, poisoned): (i64, i64) = on_pool!(&self.store, pool => {
            let waiting = sqlx::query_scalar(sql).bind(&self.name).fetch_one(pool).await.map_err(crate::store::StoreError::from)?;
            let poisoned = sqlx::query_scalar(sql).bind(&self.poison).fetch_one(pool).await.map_err(crate::store::StoreError::from)?;
            (waiting, poisoned)
        });
        Ok((waiting.max(0) as u64, poisoned.max(0) as u64))
    }

    /// When the oldest message waiting was sent.
    pub async fn oldest(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, QueueError> {
        // Waiting: visible now (a message being worked on or pausing before a retry is not).
        let sql = "SELECT enqueued_at FROM queue_messages WHERE queue = $1 AND visible_at <= $2 ORDER BY enqueued_at LIMIT 1";
        Ok(on_pool!(&self.store, pool => {
            let query = crate::store::bind_time(&self.store, sqlx::query(sql).bind(&self.name), crate::store::now());
            let row = query.fetch_optional(pool).await.map_err(crate::store::StoreError::from)?;
            row.map(|row| sqlx::Row::try_get(&row, 0)).transpose().map_err(crate::store::StoreError::from)?
        }))
    }

    /// The bodies in the poison queue, for tests and operators.
    pub async fn poisoned(&self) -> Result<Vec<String>, QueueError> {
        let sql = "SELECT body FROM queue_messages WHERE queue = $1 ORDER BY enqueued_at";
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_scalar(sql).bind(&self.poison).fetch_all(pool).await.map_err(crate::store::StoreError::from)?
        }))
    }
}
