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

/// What to look for in the audit trail; every field narrows, `None` leaves it open.
#[derive(Debug, Clone, Default)]
pub struct AuditSearch {
    /// The actor's e-mail (or `worker`, `operator`, `anonymous`), compared lower-case.
    pub actor: Option<String>,
    pub action: Option<AuditAction>,
    /// The business line of the run the entry belongs to.
    pub business_line: Option<String>,
    pub correlation_id: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Entries after this one in the order of the list (newest first): the next page.
    pub after: Option<Uuid>,
    pub limit: u32,
}

/// One entry as the audit list shows it, with the business line of the run it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditLine {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: AuditAction,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub version: Option<i64>,
    pub correlation_id: Option<Uuid>,
    pub business_line: Option<String>,
    pub reason: String,
    pub details: Value,
}

/// A value a search binds, in placeholder order.
enum Param {
    Text(String),
    Id(Uuid),
    Time(DateTime<Utc>),
}

impl Store {
    /// Audit entries matching `search` that `visibility` sees, newest first. Entries of a run
    /// belong to its share pack's business line; others (sign-ins, tokens, roles) to nobody's,
    /// so only those who see everything, and the actor, see them. Filters are in the query.
    pub async fn search_audit(&self, visibility: &crate::access::Visibility, search: &AuditSearch) -> Result<Vec<AuditLine>> {
        let mut conditions: Vec<String> = Vec::new();
        let mut params: Vec<Param> = Vec::new();
        let next = |param: Param, params: &mut Vec<Param>| {
            params.push(param);
            format!("${}", params.len())
        };
        if let crate::access::Visibility::Some { business_lines, person } = visibility {
            let actor = next(Param::Text(person.to_lowercase()), &mut params);
            let lines: Vec<String> = business_lines.iter().map(|line| next(Param::Text(super::normal_line(line)), &mut params)).collect();
            let in_lines = if lines.is_empty() { String::new() } else { format!(" OR lower(o.business_line) IN ({})", lines.join(", ")) };
            conditions.push(format!("(lower(a.actor) = {actor}{in_lines})"));
        }
        if let Some(actor) = &search.actor {
            conditions.push(format!("lower(a.actor) = {}", next(Param::Text(actor.trim().to_lowercase()), &mut params)));
        }
        if let Some(action) = search.action {
            conditions.push(format!("a.action = {}", next(Param::Text(action.as_str().to_string()), &mut params)));
        }
        if let Some(line) = &search.business_line {
            conditions.push(format!("lower(o.business_line) = {}", next(Param::Text(super::normal_line(line)), &mut params)));
        }
        if let Some(id) = search.correlation_id {
            conditions.push(format!("a.correlation_id = {}", next(Param::Id(id), &mut params)));
        }
        if let Some(since) = search.since {
            conditions.push(format!("a.occurred_at >= {}", next(Param::Time(since), &mut params)));
        }
        if let Some(until) = search.until {
            conditions.push(format!("a.occurred_at < {}", next(Param::Time(until), &mut params)));
        }
        if let Some(after) = search.after {
            let at = next(Param::Id(after), &mut params);
            conditions.push(format!("(a.occurred_at, a.audit_id) < (SELECT occurred_at, audit_id FROM audit_trail WHERE audit_id = {at})"));
        }
        let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let limit = format!("${}", params.len() + 1);
        let sql = format!(
            "SELECT a.audit_id, a.occurred_at, a.actor, a.action, a.entity_type, a.entity_id, a.version, a.correlation_id, \
             o.business_line, a.reason, a.details FROM audit_trail a \
             LEFT JOIN provisioning_runs r ON r.run_id = a.correlation_id \
             LEFT JOIN share_pack_owners o ON o.share_pack_id = r.share_pack_id \
             {filter} ORDER BY a.occurred_at DESC, a.audit_id DESC LIMIT {limit}"
        );
        let limit = i64::from(search.limit.clamp(1, 100_000));
        on_pool!(self, pool => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for param in &params {
                query = match param {
                    Param::Text(text) => query.bind(text.clone()),
                    Param::Id(id) => query.bind(*id),
                    Param::Time(time) => bind_time(self, query, *time),
                };
            }
            let rows = query.bind(limit).fetch_all(pool).await?;
            rows.iter()
                .map(|row| -> Result<AuditLine> {
                    let line: Option<String> = row.try_get(8)?;
                    Ok(AuditLine {
                        id: row.try_get(0)?,
                        at: row.try_get(1)?,
                        actor: row.try_get(2)?,
                        action: row.try_get::<String, _>(3)?.parse()?,
                        entity_type: row.try_get(4)?,
                        entity_id: row.try_get(5)?,
                        version: row.try_get(6)?,
                        correlation_id: row.try_get(7)?,
                        business_line: line.filter(|line| !line.is_empty()),
                        reason: row.try_get(9)?,
                        details: json_column(row, 10)?,
                    })
                })
                .collect()
        })
    }
}
