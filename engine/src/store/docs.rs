//! JSON documents by (space, kind, name), with a revision for optimistic updates: the sandbox
//! workspace keeps its recipients, shares, grants and catalog this way.

use super::{bind_time, json_column, now, Result, Store};
use serde_json::Value;
use sqlx::Row;

/// One stored document.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub name: String,
    pub body: Value,
    pub revision: i64,
}

impl Store {
    /// Inserts a document; `false` when one with that name exists already.
    pub async fn insert_doc(&self, space: &str, kind: &str, name: &str, body: &Value) -> Result<bool> {
        let sql = "INSERT INTO sandbox_objects (space, kind, name, body, revision, updated_at) VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT DO NOTHING";
        let done = on_pool!(self, pool => {
            let query = sqlx::query(sql).bind(space).bind(kind).bind(name);
            let query = match self { Store::Postgres(_) => query.bind(sqlx::types::Json(body.clone())), Store::Sqlite(_) => query.bind(body.to_string()) };
            bind_time(self, query, now()).execute(pool).await?.rows_affected()
        });
        Ok(done == 1)
    }

    pub async fn get_doc(&self, space: &str, kind: &str, name: &str) -> Result<Option<Doc>> {
        let sql = "SELECT name, body, revision FROM sandbox_objects WHERE space = $1 AND kind = $2 AND name = $3";
        on_pool!(self, pool => {
            let row = sqlx::query(sql).bind(space).bind(kind).bind(name).fetch_optional(pool).await?;
            row.map(|row| -> Result<Doc> { Ok(Doc { name: row.try_get(0)?, body: json_column(&row, 1)?, revision: row.try_get(2)? }) }).transpose()
        })
    }

    /// Replaces a document if it is still at `revision`; `false` when someone changed it first.
    pub async fn update_doc(&self, space: &str, kind: &str, name: &str, body: &Value, revision: i64) -> Result<bool> {
        let sql = "UPDATE sandbox_objects SET body = $1, revision = revision + 1, updated_at = $2 WHERE space = $3 AND kind = $4 AND name = $5 AND revision = $6";
        let done = on_pool!(self, pool => {
            let query = sqlx::query(sql);
            let query = match self { Store::Postgres(_) => query.bind(sqlx::types::Json(body.clone())), Store::Sqlite(_) => query.bind(body.to_string()) };
            bind_time(self, query, now()).bind(space).bind(kind).bind(name).bind(revision).execute(pool).await?.rows_affected()
        });
        Ok(done == 1)
    }

    /// Deletes a document; `false` when there was none.
    pub async fn delete_doc(&self, space: &str, kind: &str, name: &str) -> Result<bool> {
        let sql = "DELETE FROM sandbox_objects WHERE space = $1 AND kind = $2 AND name = $3";
        let done = on_pool!(self, pool => sqlx::query(sql).bind(space).bind(kind).bind(name).execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// Documents of a kind in name order, after `after`, at most `limit`.
    pub async fn list_docs(&self, space: &str, kind: &str, after: Option<&str>, limit: u32) -> Result<Vec<Doc>> {
        let sql = "SELECT name, body, revision FROM sandbox_objects WHERE space = $1 AND kind = $2 AND name > $3 ORDER BY name LIMIT $4";
        on_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(space).bind(kind).bind(after.unwrap_or("")).bind(i64::from(limit)).fetch_all(pool).await?;
            rows.iter().map(|row| -> Result<Doc> { Ok(Doc { name: row.try_get(0)?, body: json_column(row, 1)?, revision: row.try_get(2)? }) }).collect()
        })
    }

    /// The documents of a kind whose name starts with `prefix` (a share's grants), by name.
    pub async fn docs_with_prefix(&self, space: &str, kind: &str, prefix: &str) -> Result<Vec<Doc>> {
        let sql =
            "SELECT name, body, revision FROM sandbox_objects WHERE space = $1 AND kind = $2 AND name LIKE $3 ESCAPE '\\' ORDER BY name";
        let pattern = format!("{}%", super::listing::like_escaped(prefix));
        on_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(space).bind(kind).bind(pattern).fetch_all(pool).await?;
            rows.iter().map(|row| -> Result<Doc> { Ok(Doc { name: row.try_get(0)?, body: json_column(row, 1)?, revision: row.try_get(2)? }) }).collect()
        })
    }

    /// Deletes every document of a space (a sandbox reset).
    pub async fn clear_docs(&self, space: &str) -> Result<u64> {
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM sandbox_objects WHERE space = $1").bind(space).execute(pool).await?.rows_affected());
        Ok(done)
    }
}
