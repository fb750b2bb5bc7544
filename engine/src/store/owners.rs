//! Whose each share pack and upload is (`share_pack_owners`, `uploads.uploaded_by` and
//! `uploads.business_line`): what isolation between business lines filters on. Business lines
//! are kept trimmed and compared lower-case, as [`crate::access::same_line`] compares them.

use super::scd2::{columns, version_from};
use super::{truncate, Result, Store, Version};
use crate::access::Visibility;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

/// How business lines are compared in queries.
pub fn normal_line(line: &str) -> String {
    line.trim().to_lowercase()
}

/// A share pack's or upload's owner as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOwner {
    /// `None` when the pack could not be read.
    pub business_line: Option<String>,
    pub created_by: String,
}

impl StoredOwner {
    pub fn as_owner(&self) -> crate::access::Owner<'_> {
        crate::access::Owner { business_line: self.business_line.as_deref(), requested_by: &self.created_by }
    }
}

fn owner(line: String, created_by: String) -> StoredOwner {
    StoredOwner { business_line: Some(line).filter(|line| !line.is_empty()), created_by }
}

impl Store {
    /// Records whose a share pack is, the first time it is submitted.
    pub async fn set_share_pack_owner(&self, id: Uuid, business_line: Option<&str>, created_by: &str) -> Result<()> {
        let sql = "INSERT INTO share_pack_owners (share_pack_id, business_line, created_by) VALUES ($1, $2, $3) ON CONFLICT (share_pack_id) DO NOTHING";
        on_pool!(self, pool => {
            sqlx::query(sql).bind(id).bind(truncate(business_line.unwrap_or_default().trim(), 255)).bind(truncate(created_by, 255)).execute(pool).await?;
        });
        Ok(())
    }

    pub async fn share_pack_owner(&self, id: Uuid) -> Result<Option<StoredOwner>> {
        let sql = "SELECT business_line, created_by FROM share_pack_owners WHERE share_pack_id = $1";
        on_pool!(self, pool => {
            let row: Option<(String, String)> = sqlx::query_as(sql).bind(id).fetch_optional(pool).await?;
            Ok(row.map(|(line, by)| owner(line, by)))
        })
    }

    pub async fn upload_owner(&self, id: Uuid) -> Result<Option<StoredOwner>> {
        let sql = "SELECT business_line, uploaded_by FROM uploads WHERE upload_id = $1";
        on_pool!(self, pool => {
            let row: Option<(String, String)> = sqlx::query_as(sql).bind(id).fetch_optional(pool).await?;
            Ok(row.map(|(line, by)| owner(line, by)))
        })
    }

    /// The current versions of the share packs a principal sees, most recently changed first.
    /// The filter is in the query, so neither counts nor timing depend on packs they cannot see.
    pub async fn visible_share_packs(&self, visibility: &Visibility, limit: u32) -> Result<Vec<Version>> {
        let columns = columns("share_pack_id");
        let limit = i64::from(limit.min(1000));
        on_pool!(self, pool => {
            let rows = match visibility {
                Visibility::All => {
                    let sql = format!("SELECT {columns} FROM share_packs WHERE is_current AND NOT is_deleted ORDER BY effective_from DESC LIMIT $1");
                    sqlx::query(AssertSqlSafe(sql)).bind(limit).fetch_all(pool).await?
                }
                Visibility::Some { business_lines, person } => {
                    let lines: Vec<String> = business_lines.iter().map(|line| normal_line(line)).collect();
                    let placeholders: Vec<String> = (0..lines.len()).map(|index| format!("${}", index + 3)).collect();
                    let in_lines = if lines.is_empty() { String::new() } else { format!(" OR lower(business_line) IN ({})", placeholders.join(", ")) };
                    let sql = format!(
                        "SELECT {columns} FROM share_packs WHERE is_current AND NOT is_deleted AND share_pack_id IN \
                         (SELECT share_pack_id FROM share_pack_owners WHERE lower(created_by) = $2{in_lines}) ORDER BY effective_from DESC LIMIT $1"
                    );
                    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(limit).bind(person.to_lowercase());
                    for line in &lines {
                        query = query.bind(line.clone());
                    }
                    query.fetch_all(pool).await?
                }
            };
            rows.iter().map(version_from).collect()
        })
    }
}

/// What a share-pack list asks for; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct PackListing {
    /// Part of the name or the project (compared lower-case).
    pub search: Option<String>,
    pub business_line: Option<String>,
    /// The status column value (`COMPLETED`, ...).
    pub status: Option<String>,
    /// Who created the pack (its first requester).
    pub created_by: Option<String>,
    /// Versions that took effect at or after this moment.
    pub changed_since: Option<chrono::DateTime<chrono::Utc>>,
    /// The versions in effect then; the current ones when `None`.
    pub as_of: Option<chrono::DateTime<chrono::Utc>>,
    /// Rows after this one (the last of the previous page), in name order.
    pub after: Option<(String, Uuid)>,
    pub limit: u32,
}

impl Store {
    /// A page of share packs `visibility` sees, by name then id, filtered in the query (the
    /// indexes on name and key keep it to the page, however many versions there are).
    pub async fn share_pack_page(&self, visibility: &Visibility, listing: &PackListing) -> Result<Vec<Version>> {
        use super::bind_time;
        enum Param {
            Text(String),
            Id(Uuid),
            Time(chrono::DateTime<chrono::Utc>),
        }
        let mut params: Vec<Param> = Vec::new();
        let mut next = |param: Param| {
            params.push(param);
            format!("${}", params.len())
        };
        let mut conditions = vec!["NOT s.is_deleted".to_string()];
        match listing.as_of {
            None => conditions.push("s.is_current".into()),
            Some(at) => {
                let from = next(Param::Time(at));
                let to = next(Param::Time(at));
                conditions.push(format!("s.effective_from <= {from} AND s.effective_to > {to}"));
            }
        }
        if let Visibility::Some { business_lines, person } = visibility {
            let person = next(Param::Text(person.to_lowercase()));
            let lines: Vec<String> = business_lines.iter().map(|line| next(Param::Text(normal_line(line)))).collect();
            let in_lines = if lines.is_empty() { String::new() } else { format!(" OR lower(o.business_line) IN ({})", lines.join(", ")) };
            conditions.push(format!("(lower(o.created_by) = {person}{in_lines})"));
        }
        if let Some(search) = &listing.search {
            let like = next(Param::Text(format!("%{}%", search.trim().to_lowercase().replace(['%', '_'], ""))));
            conditions.push(format!(
                "(lower(s.name) LIKE {like} OR lower({project}) LIKE {like})",
                project = super::json_text(self, "s.data", "project_name")
            ));
        }
        if let Some(line) = &listing.business_line {
            conditions.push(format!("lower(o.business_line) = {}", next(Param::Text(normal_line(line)))));
        }
        if let Some(status) = &listing.status {
            conditions.push(format!("{} = {}", super::json_text(self, "s.data", "status"), next(Param::Text(status.clone()))));
        }
        if let Some(by) = &listing.created_by {
            conditions.push(format!("lower(o.created_by) = {}", next(Param::Text(by.trim().to_lowercase()))));
        }
        if let Some(since) = listing.changed_since {
            conditions.push(format!("s.effective_from >= {}", next(Param::Time(since))));
        }
        if let Some((name, key)) = &listing.after {
            let (name, key) = (next(Param::Text(name.clone())), next(Param::Id(*key)));
            conditions.push(format!("(s.name > {name} OR (s.name = {name} AND s.share_pack_id > {key}))"));
        }
        let limit = next(Param::Text(String::new()));
        let columns: Vec<String> = columns("share_pack_id").split(", ").map(|column| format!("s.{column}")).collect();
        let sql = format!(
            "SELECT {} FROM share_packs s JOIN share_pack_owners o ON o.share_pack_id = s.share_pack_id WHERE {} \
             ORDER BY s.name, s.share_pack_id LIMIT {limit}",
            columns.join(", "),
            conditions.join(" AND ")
        );
        params.pop();
        let limit = i64::from(listing.limit.clamp(1, 1000));
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
            rows.iter().map(version_from).collect()
        })
    }
}
