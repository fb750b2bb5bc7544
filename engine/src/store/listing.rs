//! Pages of kept entities as lists show them: visible to the principal, filtered, now or as of a
//! moment, a page at a time by name. Visibility and every filter are in the query, so neither
//! counts nor timing depend on rows the principal cannot see, and the name indexes keep a page
//! to its rows however many versions there are.

use super::owners::normal_line;
use super::scd2::{columns, version_from};
use super::{bind_time, json_text, Entity, Result, Store, Version};
use crate::access::Visibility;
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

/// What a list asks for; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Part of the name (or of a share pack's project), compared lower-case.
    pub search: Option<String>,
    pub business_line: Option<String>,
    /// A share pack's status column value (`COMPLETED`, ...).
    pub status: Option<String>,
    /// Present entities (the default), removed ones, or both.
    pub presence: Presence,
    /// Who created it: a share pack's first requester, otherwise who made the version.
    pub created_by: Option<String>,
    /// Versions that took effect at or after this moment.
    pub changed_since: Option<chrono::DateTime<chrono::Utc>>,
    /// The versions in effect then; the current ones when `None`.
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
    /// Rows after this one (the last of the previous page), in name order.
    pub after: Option<(String, Uuid)>,
    pub limit: u32,
}

/// Whether a list holds what exists or what was removed (a deleted version is kept).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Presence {
    #[default]
    Present,
    Removed,
    Either,
}

/// A version in a list, with the business line it belongs to (empty when none is known).
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub version: Version,
    pub business_line: String,
}

/// `text` as a LIKE pattern that matches itself (with `ESCAPE '\'`).
pub(super) fn like_escaped(text: &str) -> String {
    text.replace('\\', r"\\").replace('%', r"\%").replace('_', r"\_")
}

enum Param {
    Text(String),
    Id(Uuid),
    Time(chrono::DateTime<chrono::Utc>),
}

/// A UUID kept as text in a JSON column, as the key columns hold UUIDs (native on PostgreSQL,
/// 16 bytes on SQLite); `field` is a constant of the caller.
fn json_uuid(store: &Store, column: &str, field: &str) -> String {
    let text = json_text(store, column, field);
    match store {
        Store::Postgres(_) => format!("CAST({text} AS uuid)"),
        Store::Sqlite(_) => format!("unhex(replace({text}, '-', ''))"),
    }
}

impl Store {
    /// A page of `entity`'s versions that `visibility` sees, by name then key. Share packs,
    /// recipients and shares belong to a share pack's owner; business lines (tenants) to
    /// themselves; projects to their business line.
    pub async fn entity_page(&self, entity: Entity, visibility: &Visibility, listing: &Listing) -> Result<Vec<Listed>> {
        let (table, key) = entity.table();
        let (join, line, creator) = match entity {
            Entity::SharePack => {
                ("JOIN share_pack_owners o ON o.share_pack_id = s.share_pack_id".to_string(), "o.business_line", "o.created_by")
            }
            Entity::Recipient | Entity::Share | Entity::Request => (
                format!("LEFT JOIN share_pack_owners o ON o.share_pack_id = {}", json_uuid(self, "s.data", "share_pack_id")),
                "o.business_line",
                "s.created_by",
            ),
            Entity::Tenant => (String::new(), "s.name", "s.created_by"),
            Entity::Project => (
                format!(
                    "LEFT JOIN tenants t ON t.tenant_id = {} AND t.is_current AND NOT t.is_deleted",
                    json_uuid(self, "s.data", "tenant_id")
                ),
                "t.name",
                "s.created_by",
            ),
            _ => (String::new(), "''", "s.created_by"),
        };
        let mut params: Vec<Param> = Vec::new();
        let mut next = |param: Param| {
            params.push(param);
            format!("${}", params.len())
        };
        let mut conditions = Vec::new();
        match listing.presence {
            Presence::Present => conditions.push("NOT s.is_deleted".into()),
            Presence::Removed => conditions.push("s.is_deleted".into()),
            Presence::Either => {}
        }
        match listing.as_of {
            None => conditions.push("s.is_current".into()),
            Some(at) => {
                let (from, to) = (next(Param::Time(at)), next(Param::Time(at)));
                conditions.push(format!("s.effective_from <= {from} AND s.effective_to > {to}"));
            }
        }
        if let Visibility::Some { business_lines, person } = visibility {
            let lines: Vec<String> = business_lines.iter().map(|line| next(Param::Text(normal_line(line)))).collect();
            let mut either = Vec::new();
            if !lines.is_empty() {
                either.push(format!("lower({line}) IN ({})", lines.join(", ")));
            }
            // What a person asked for stays theirs to see; business lines and projects are no one's.
            if matches!(entity, Entity::SharePack | Entity::Recipient | Entity::Share | Entity::Request) {
                either.push(format!("lower(o.created_by) = {}", next(Param::Text(person.to_lowercase()))));
            }
            conditions.push(if either.is_empty() { "FALSE".into() } else { format!("({})", either.join(" OR ")) });
        }
        if let Some(search) = &listing.search {
            // Underscores and percent signs are common in names: they match themselves.
            let like = next(Param::Text(format!("%{}%", like_escaped(&search.trim().to_lowercase()))));
            conditions.push(match entity {
                Entity::SharePack => format!(
                    r"(lower(s.name) LIKE {like} ESCAPE '\' OR lower({project}) LIKE {like} ESCAPE '\')",
                    project = json_text(self, "s.data", "project_name")
                ),
                _ => format!(r"lower(s.name) LIKE {like} ESCAPE '\'"),
            });
        }
        if let Some(wanted) = &listing.business_line {
            conditions.push(format!("lower({line}) = {}", next(Param::Text(normal_line(wanted)))));
        }
        if let Some(status) = &listing.status {
            conditions.push(format!("{} = {}", json_text(self, "s.data", "status"), next(Param::Text(status.clone()))));
        }
        if let Some(by) = &listing.created_by {
            conditions.push(format!("lower({creator}) = {}", next(Param::Text(by.trim().to_lowercase()))));
        }
        if let Some(since) = listing.changed_since {
            conditions.push(format!("s.effective_from >= {}", next(Param::Time(since))));
        }
        if let Some((name, after)) = &listing.after {
            let (name, after) = (next(Param::Text(name.clone())), next(Param::Id(*after)));
            // A row value, so both databases walk the name index from the cursor on.
            conditions.push(format!("(s.name, s.{key}) > ({name}, {after})"));
        }
        let limit = format!("${}", params.len() + 1);
        let columns: Vec<String> = columns(key).split(", ").map(|column| format!("s.{column}")).collect();
        let sql = format!(
            "SELECT {}, COALESCE({line}, '') FROM {table} s {join} WHERE {} ORDER BY s.name, s.{key} LIMIT {limit}",
            columns.join(", "),
            conditions.join(" AND ")
        );
        let limit = i64::from(listing.limit.clamp(1, 1001));
        on_pool!(self, pool => {
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for param in &params {
                query = match param {
                    Param::Text(text) => query.bind(text.clone()),
                    Param::Id(id) => query.bind(*id),
                    Param::Time(at) => bind_time(self, query, *at),
                };
            }
            let rows = query.bind(limit).fetch_all(pool).await?;
            rows.iter().map(|row| Ok(Listed { version: version_from(row)?, business_line: row.try_get(11)? })).collect()
        })
    }
}

impl Store {
    /// The current versions of `entity` whose data has `field` equal to `value` (a share pack's
    /// id, a workspace's URL): what one pack made. `field` is a constant of the caller.
    pub async fn current_with(&self, entity: Entity, field: &str, value: &str) -> Result<Vec<Version>> {
        let (table, key) = entity.table();
        let sql = format!(
            "SELECT {} FROM {table} WHERE is_current AND NOT is_deleted AND {} = $1 ORDER BY name",
            columns(key),
            json_text(self, "data", field)
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(AssertSqlSafe(sql)).bind(value.to_string()).fetch_all(pool).await?;
            rows.iter().map(version_from).collect()
        })
    }

    /// The current versions of `entity` whose name starts with `prefix` and whose data has each
    /// `field` equal to its value, by name, at most `limit`. Fields are constants of the caller.
    pub async fn current_named_with(&self, entity: Entity, prefix: &str, fields: &[(&str, &str)], limit: u32) -> Result<Vec<Version>> {
        let (table, key) = entity.table();
        let conditions: String = fields
            .iter()
            .enumerate()
            .map(|(index, (field, _))| format!(" AND {} = ${}", json_text(self, "data", field), index + 2))
            .collect();
        let sql = format!(
            "SELECT {} FROM {table} WHERE is_current AND NOT is_deleted AND name LIKE $1 ESCAPE '\\'{conditions} ORDER BY name LIMIT {limit}",
            columns(key),
        );
        on_pool!(self, pool => {
            let mut query = sqlx::query(AssertSqlSafe(sql)).bind(format!("{}%", like_escaped(prefix)));
            for (_, value) in fields {
                query = query.bind(value.to_string());
            }
            let rows = query.fetch_all(pool).await?;
            rows.iter().map(version_from).collect()
        })
    }

    /// Every current version of `entity`, by name.
    pub async fn current_all(&self, entity: Entity) -> Result<Vec<Version>> {
        let (table, key) = entity.table();
        let sql = format!("SELECT {} FROM {table} WHERE is_current AND NOT is_deleted ORDER BY name", columns(key));
        on_pool!(self, pool => {
            let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(pool).await?;
            rows.iter().map(version_from).collect()
        })
    }

    /// The current versions of `entity` whose data, as JSON text, holds `needle` (`"acme"`) in
    /// any case (as on both databases alike): a coarse filter in the query, which the caller then
    /// checks field by field.
    pub async fn current_mentioning(&self, entity: Entity, needle: &str) -> Result<Vec<Version>> {
        let (table, key) = entity.table();
        let data = match self {
            Store::Postgres(_) => "CAST(data AS text)",
            Store::Sqlite(_) => "data",
        };
        let sql = format!(
            "SELECT {} FROM {table} WHERE is_current AND NOT is_deleted AND lower({data}) LIKE lower($1) ESCAPE '\\' ORDER BY name",
            columns(key)
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(AssertSqlSafe(sql)).bind(format!("%{}%", like_escaped(needle))).fetch_all(pool).await?;
            rows.iter().map(version_from).collect()
        })
    }
}
