//! The audit trail (`audit_trail`): append-only, one row per thing that happened, under the
//! correlation id of the run it belongs to. Actions are typed ([`AuditAction`]).

use super::{bind_time, json_column, now, truncate, Result, Store};
use crate::identity::Actor;
use crate::records::AuditAction;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use uuid::Uuid;

/// One line of the audit trail to write.
pub struct AuditEntry<'a> {
    pub actor: &'a Actor,
    pub action: AuditAction,
    pub entity_type: &'a str,
    pub entity_id: Option<Uuid>,
    pub version: Option<i64>,
    pub correlation_id: Option<Uuid>,
    pub reason: &'a str,
    pub details: Value,
}

/// One line of the audit trail as read.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: AuditAction,
    pub entity_type: String,
    pub reason: String,
    pub details: Value,
}

impl Store {
    /// Appends to the audit trail.
    pub async fn audit(&self, entry: &AuditEntry<'_>) -> Result<()> {
        self.audit_all(std::slice::from_ref(entry)).await
    }

    /// Appends several entries in one transaction: all of them or none.
    pub async fn audit_all(&self, entries: &[AuditEntry<'_>]) -> Result<()> {
        let sql = "INSERT INTO audit_trail (audit_id, occurred_at, actor, action, entity_type, entity_id, version, correlation_id, reason, details) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for entry in entries {
                let query = bind_time(self, sqlx::query(sql).bind(Uuid::now_v7()), now())
                    .bind(entry.actor.name())
                    .bind(entry.action.as_str())
                    .bind(entry.entity_type)
                    .bind(entry.entity_id)
                    .bind(entry.version)
                    .bind(entry.correlation_id)
                    .bind(truncate(entry.reason, 500));
                bind_json!(self, query, entry.details).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The audit entries of one correlation id (a run), oldest first.
    pub async fn audit_of(&self, correlation_id: Uuid) -> Result<Vec<AuditRecord>> {
        let sql = "SELECT occurred_at, actor, action, entity_type, reason, details FROM audit_trail WHERE correlation_id = $1 \
                   ORDER BY occurred_at, audit_id";
        on_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(correlation_id).fetch_all(pool).await?;
            rows.iter()
                .map(|row| -> Result<AuditRecord> {
                    Ok(AuditRecord {
                        at: row.try_get(0)?,
                        actor: row.try_get(1)?,
                        action: row.try_get::<String, _>(2)?.parse()?,
                        entity_type: row.try_get(3)?,
                        reason: row.try_get(4)?,
                        details: json_column(row, 5)?,
                    })
                })
                .collect()
        })
    }

    /// Whether a run's trail has an entry with this action.
    pub async fn audit_has(&self, correlation_id: Uuid, action: AuditAction) -> Result<bool> {
        let sql = "SELECT count(*) FROM audit_trail WHERE correlation_id = $1 AND action = $2";
        let count: i64 = on_pool!(self, pool => sqlx::query_scalar(sql).bind(correlation_id).bind(action.as_str()).fetch_one(pool).await?);
        Ok(count > 0)
    }
}
