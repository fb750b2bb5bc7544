//! The SCD Type 2 operations, written once for every entity table (they all have the same
//! shape): write a version closing its predecessor in the same transaction, soft delete,
//! current, as of, history, one version, field-by-field diff, and keyset pages of current rows.

use super::diff::{diff_json, FieldChange};
use super::{bind_time, json_column, now, open_end, truncate, Result, Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use sqlx::{AssertSqlSafe, Row};
use std::time::Duration;
use uuid::Uuid;

/// How often a write is tried when concurrent writers keep winning the race.
pub const MAX_ATTEMPTS: u32 = 8;

/// The eleven SCD Type 2 entities of the seed schema, and drift findings (kept the same way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Tenant,
    TenantRegion,
    Project,
    Request,
    SharePack,
    Recipient,
    Share,
    Pipeline,
    User,
    AdGroup,
    DatabricksObject,
    DriftFinding,
}

impl Entity {
    pub const ALL: [Entity; 12] = [
        Entity::Tenant,
        Entity::TenantRegion,
        Entity::Project,
        Entity::Request,
        Entity::SharePack,
        Entity::Recipient,
        Entity::Share,
        Entity::Pipeline,
        Entity::User,
        Entity::AdGroup,
        Entity::DatabricksObject,
        Entity::DriftFinding,
    ];

    /// Table and business-key column.
    pub fn table(self) -> (&'static str, &'static str) {
        match self {
            Entity::Tenant => ("tenants", "tenant_id"),
            Entity::TenantRegion => ("tenant_regions", "tenant_region_id"),
            Entity::Project => ("projects", "project_id"),
            Entity::Request => ("requests", "request_id"),
            Entity::SharePack => ("share_packs", "share_pack_id"),
            Entity::Recipient => ("recipients", "recipient_id"),
            Entity::Share => ("shares", "share_id"),
            Entity::Pipeline => ("pipelines", "pipeline_id"),
            Entity::User => ("users", "user_id"),
            Entity::AdGroup => ("ad_groups", "ad_group_id"),
            Entity::DatabricksObject => ("databricks_objects", "databricks_object_id"),
            Entity::DriftFinding => ("drift_findings", "drift_finding_id"),
        }
    }
}

/// One version of an entity.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Version {
    pub record_id: Uuid,
    pub key: Uuid,
    pub name: String,
    pub data: Value,
    pub effective_from: DateTime<Utc>,
    /// `None` while the version is current.
    pub effective_to: Option<DateTime<Utc>>,
    pub is_current: bool,
    pub is_deleted: bool,
    pub version: i64,
    pub created_by: String,
    pub change_reason: String,
}

/// Who makes a change and why; both are kept with the version.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub by: &'a crate::identity::Actor,
    pub reason: &'a str,
}

impl Store {
    /// Writes a new version of `key` (the first one if the key is new), closing the previous
    /// version in the same transaction.
    pub async fn write(&self, entity: Entity, key: Uuid, name: &str, data: &Value, change: &Change<'_>) -> Result<Version> {
        self.write_version(entity, key, Some((name, data)), change).await
    }

    /// Marks `key` deleted: a new current version with `is_deleted`, the previous data kept.
    pub async fn delete(&self, entity: Entity, key: Uuid, change: &Change<'_>) -> Result<Version> {
        self.write_version(entity, key, None, change).await
    }

    async fn write_version(&self, entity: Entity, key: Uuid, content: Option<(&str, &Value)>, change: &Change<'_>) -> Result<Version> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_write(entity, key, content, change).await {
                Err(WriteError::Lost) if attempt < MAX_ATTEMPTS => {
                    // Someone else wrote this key meanwhile: back off a little and re-read.
                    let jitter = u64::from(Uuid::new_v4().as_bytes()[0] % 8);
                    tokio::time::sleep(Duration::from_millis(u64::from(attempt) * 2 + jitter)).await;
                }
                Err(WriteError::Lost) => return Err(StoreError::Conflict { entity: entity.table().0, key, attempts: attempt }),
                Err(WriteError::Store(error)) => return Err(error),
                Ok(version) => return Ok(version),
            }
        }
    }

    async fn try_write(
        &self,
        entity: Entity,
        key: Uuid,
        content: Option<(&str, &Value)>,
        change: &Change<'_>,
    ) -> Result<Version, WriteError> {
        let (table, key_column) = entity.table();
        let select = format!("SELECT version, effective_from, name, data, is_deleted FROM {table} WHERE {key_column} = $1 AND is_current");
        let close =
            format!("UPDATE {table} SET is_current = FALSE, effective_to = $3 WHERE {key_column} = $1 AND version = $2 AND is_current");
        let insert = format!(
            "INSERT INTO {table} (record_id, {key_column}, name, data, effective_from, effective_to, is_current, is_deleted, version, created_by, change_reason) \
             VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8, $9, $10)"
        );
        let record_id = Uuid::now_v7();
        let by = truncate(change.by.name(), 255);
        let reason = truncate(change.reason, 500);
        on_pool!(self, pool => {
            // SQLite: take the write lock up front, so two writers never deadlock upgrading a read lock.
            let mut tx = match self {
                Store::Sqlite(_) => pool.begin_with("BEGIN IMMEDIATE").await,
                Store::Postgres(_) => pool.begin_with("BEGIN").await,
            }.map_err(classify)?;
            let previous = sqlx::query(AssertSqlSafe(select)).bind(key).fetch_optional(&mut *tx).await.map_err(classify)?;
            let previous: Option<(i64, DateTime<Utc>, String, Value, bool)> = match previous {
                Some(row) => Some((row.try_get(0).map_err(classify)?, row.try_get(1).map_err(classify)?, row.try_get(2).map_err(classify)?, decode_json(&row, 3)?, row.try_get(4).map_err(classify)?)),
                None => None,
            };
            let (name, data, deleted) = match (content, &previous) {
                (Some((name, data)), _) => (name.to_string(), data.clone(), false),
                (None, Some((_, _, _, _, true))) | (None, None) => {
                    return Err(WriteError::Store(StoreError::NotFound { entity: table, key }));
                }
                (None, Some((_, _, name, data, false))) => (name.clone(), data.clone(), true),
            };
            // Validity must be contiguous and strictly increasing even if clocks disagree.
            let mut from = now();
            let mut version = 1;
            if let Some((previous_version, previous_from, ..)) = &previous {
                if from <= *previous_from {
                    from = *previous_from + TimeDelta::microseconds(1);
                }
                version = previous_version + 1;
                let closed = bind_time(self, sqlx::query(AssertSqlSafe(close)).bind(key).bind(*previous_version), from)
                    .execute(&mut *tx).await.map_err(classify)?;
                if closed.rows_affected() != 1 {
                    return Err(WriteError::Lost);
                }
            }
            let json = serde_json::to_string(&data).map_err(|error| WriteError::Store(StoreError::Config(error.to_string())))?;
            let query = sqlx::query(AssertSqlSafe(insert)).bind(record_id).bind(key).bind(&name);
            let query = match self { Store::Postgres(_) => query.bind(sqlx::types::Json(&data)), Store::Sqlite(_) => query.bind(json) };
            let query = bind_time(self, bind_time(self, query, from), open_end());
            query.bind(deleted).bind(version).bind(by).bind(reason).execute(&mut *tx).await.map_err(classify)?;
            tx.commit().await.map_err(classify)?;
            Ok(Version {
                record_id, key, name, data, effective_from: from, effective_to: None, is_current: true, is_deleted: deleted, version,
                created_by: by.to_string(), change_reason: reason.to_string(),
            })
        })
    }

    /// The current, non-deleted version of `key`.
    pub async fn current(&self, entity: Entity, key: Uuid) -> Result<Option<Version>> {
        let (table, key_column) = entity.table();
        let sql = format!(
            "SELECT {COLUMNS} FROM {table} WHERE {key_column} = $1 AND is_current AND NOT is_deleted",
            COLUMNS = columns(key_column)
        );
        on_pool!(self, pool => {
            let row = sqlx::query(AssertSqlSafe(sql)).bind(key).fetch_optional(pool).await?;
            row.map(|row| version_from(&row)).transpose()
        })
    }

    /// The latest version of `key`, deleted or not: a deleted recipient's or share's last version
    /// still says whose it was.
    pub async fn latest(&self, entity: Entity, key: Uuid) -> Result<Option<Version>> {
        let (table, key_column) = entity.table();
        let sql = format!("SELECT {COLUMNS} FROM {table} WHERE {key_column} = $1 AND is_current", COLUMNS = columns(key_column));
        on_pool!(self, pool => {
            let row = sqlx::query(AssertSqlSafe(sql)).bind(key).fetch_optional(pool).await?;
            row.map(|row| version_from(&row)).transpose()
        })
    }

    /// The latest versions of many keys, as [`Store::latest`] answers each, in one query per 500
    /// keys: checks over a whole pack cost a round trip or two, not one per name.
    pub async fn latest_many(&self, entity: Entity, keys: &[Uuid]) -> Result<Vec<Version>> {
        let (table, key_column) = entity.table();
        let mut out = Vec::new();
        for chunk in keys.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            let sql = format!(
                "SELECT {COLUMNS} FROM {table} WHERE {key_column} IN ({}) AND is_current",
                placeholders.join(", "),
                COLUMNS = columns(key_column)
            );
            on_pool!(self, pool => {
                let query = chunk.iter().fold(sqlx::query(AssertSqlSafe(sql)), |query, key| query.bind(*key));
                for row in query.fetch_all(pool).await? {
                    out.push(version_from(&row)?);
                }
            });
        }
        Ok(out)
    }

    /// The version of `key` that was in effect at `time` (deleted versions included, flagged).
    pub async fn as_of(&self, entity: Entity, key: Uuid, time: DateTime<Utc>) -> Result<Option<Version>> {
        let (table, key_column) = entity.table();
        let sql = format!(
            "SELECT {COLUMNS} FROM {table} WHERE {key_column} = $1 AND effective_from <= $2 AND effective_to > $2 ORDER BY version DESC LIMIT 1",
            COLUMNS = columns(key_column)
        );
        on_pool!(self, pool => {
            let row = bind_time(self, sqlx::query(AssertSqlSafe(sql)).bind(key), time).fetch_optional(pool).await?;
            row.map(|row| version_from(&row)).transpose()
        })
    }

    /// The keys of everything ever named `name` (compared lower-case), for lookups by name.
    pub async fn keys_named(&self, entity: Entity, name: &str) -> Result<Vec<Uuid>> {
        let (table, key_column) = entity.table();
        let sql = format!("SELECT DISTINCT {key_column} FROM {table} WHERE lower(name) = $1 LIMIT 50");
        on_pool!(self, pool => {
            let keys: Vec<Uuid> = sqlx::query_scalar(AssertSqlSafe(sql)).bind(name.to_lowercase()).fetch_all(pool).await?;
            Ok(keys)
        })
    }

    /// Every key's version in effect at `time`, deleted ones left out (bounded: a metastore holds
    /// at most a few thousand recipients and shares).
    pub async fn all_as_of(&self, entity: Entity, time: DateTime<Utc>) -> Result<Vec<Version>> {
        self.all_as_of_mentioning(entity, time, None).await
    }

    /// The same, narrowed in the query to versions whose data, as JSON text, holds `needle`
    /// (`"catalog.schema.t"`): a coarse filter the caller then checks field by field.
    pub async fn all_as_of_mentioning(&self, entity: Entity, time: DateTime<Utc>, needle: Option<&str>) -> Result<Vec<Version>> {
        let (table, key_column) = entity.table();
        let data = match self {
            Store::Postgres(_) => "CAST(data AS text)",
            Store::Sqlite(_) => "data",
        };
        let mentioning = if needle.is_some() { format!(r" AND {data} LIKE $2 ESCAPE '\'") } else { String::new() };
        let sql = format!(
            "SELECT {COLUMNS} FROM {table} WHERE effective_from <= $1 AND effective_to > $1 AND NOT is_deleted{mentioning} ORDER BY name",
            COLUMNS = columns(key_column)
        );
        on_pool!(self, pool => {
            let mut query = bind_time(self, sqlx::query(AssertSqlSafe(sql)), time);
            if let Some(needle) = needle {
                query = query.bind(format!("%{}%", super::listing::like_escaped(needle)));
            }
            let rows = query.fetch_all(pool).await?;
            rows.iter().map(version_from).collect()
        })
    }

    /// Every version of `key`, oldest first.
    pub async fn history(&self, entity: Entity, key: Uuid) -> Result<Vec<Version>> {
        let (table, key_column) = entity.table();
        let sql = format!("SELECT {COLUMNS} FROM {table} WHERE {key_column} = $1 ORDER BY version", COLUMNS = columns(key_column));
        on_pool!(self, pool => {
            let rows = sqlx::query(AssertSqlSafe(sql)).bind(key).fetch_all(pool).await?;
            rows.iter().map(version_from).collect()
        })
    }

    /// One version of `key` by number.
    pub async fn version(&self, entity: Entity, key: Uuid, version: i64) -> Result<Option<Version>> {
        let (table, key_column) = entity.table();
        let sql = format!("SELECT {COLUMNS} FROM {table} WHERE {key_column} = $1 AND version = $2", COLUMNS = columns(key_column));
        on_pool!(self, pool => {
            let row = sqlx::query(AssertSqlSafe(sql)).bind(key).bind(version).fetch_optional(pool).await?;
            row.map(|row| version_from(&row)).transpose()
        })
    }

    /// Field-by-field changes from version `from` to version `to` of `key`.
    pub async fn diff(&self, entity: Entity, key: Uuid, from: i64, to: i64) -> Result<Vec<FieldChange>> {
        let (table, _) = entity.table();
        let old = self.version(entity, key, from).await?.ok_or(StoreError::NotFound { entity: table, key })?;
        let new = self.version(entity, key, to).await?.ok_or(StoreError::NotFound { entity: table, key })?;
        let mut changes = diff_json(&old.data, &new.data);
        if old.name != new.name {
            changes.insert(
                0,
                FieldChange { field: "name".into(), before: Some(Value::String(old.name)), after: Some(Value::String(new.name)) },
            );
        }
        if old.is_deleted != new.is_deleted {
            changes.push(FieldChange {
                field: "is_deleted".into(),
                before: Some(Value::Bool(old.is_deleted)),
                after: Some(Value::Bool(new.is_deleted)),
            });
        }
        Ok(changes)
    }

    /// A page of current, non-deleted rows ordered by name then key, after the given position.
    pub async fn current_page(&self, entity: Entity, after: Option<(&str, Uuid)>, limit: u32) -> Result<Vec<Version>> {
        let (table, key_column) = entity.table();
        let columns = columns(key_column);
        let limit = i64::from(limit.min(1000));
        on_pool!(self, pool => {
            let rows = match after {
                None => {
                    let sql = format!("SELECT {columns} FROM {table} WHERE is_current AND NOT is_deleted ORDER BY name, {key_column} LIMIT $1");
                    sqlx::query(AssertSqlSafe(sql)).bind(limit).fetch_all(pool).await?
                }
                Some((name, key)) => {
                    let sql = format!(
                        "SELECT {columns} FROM {table} WHERE is_current AND NOT is_deleted AND (name, {key_column}) > ($1, $2) ORDER BY name, {key_column} LIMIT $3"
                    );
                    sqlx::query(AssertSqlSafe(sql)).bind(name).bind(key).bind(limit).fetch_all(pool).await?
                }
            };
            rows.iter().map(version_from).collect()
        })
    }
}

/// Why one attempt at a write did not commit.
enum WriteError {
    /// Another writer changed the key first; retry from a fresh read.
    Lost,
    Store(StoreError),
}

fn classify(error: sqlx::Error) -> WriteError {
    let lost = match &error {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                // PostgreSQL serialization failure or deadlock; SQLite busy or locked.
                || matches!(db.code().as_deref(), Some("40001" | "40P01" | "5" | "6" | "517" | "262"))
                || db.message().contains("database is locked")
        }
        _ => false,
    };
    if lost {
        WriteError::Lost
    } else {
        WriteError::Store(error.into())
    }
}

pub(super) fn columns(key_column: &str) -> String {
    format!("record_id, {key_column}, name, data, effective_from, effective_to, is_current, is_deleted, version, created_by, change_reason")
}

fn decode_json<R: Row>(row: &R, index: usize) -> Result<Value, WriteError>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> sqlx::types::Json<Value>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    json_column(row, index).map_err(|error| WriteError::Store(error.into()))
}

pub(super) fn version_from<R: Row>(row: &R) -> Result<Version>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> sqlx::types::Json<Value>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Uuid: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let effective_to: DateTime<Utc> = row.try_get(5)?;
    Ok(Version {
        record_id: row.try_get(0)?,
        key: row.try_get(1)?,
        name: row.try_get(2)?,
        data: json_column(row, 3)?,
        effective_from: row.try_get(4)?,
        effective_to: (effective_to < open_end()).then_some(effective_to),
        is_current: row.try_get(6)?,
        is_deleted: row.try_get(7)?,
        version: row.try_get(8)?,
        created_by: row.try_get(9)?,
        change_reason: row.try_get(10)?,
    })
}
