//! Uploaded share-pack files (`share_pack_files`): every upload of a pack, accepted or not, is
//! kept as the pack's next version, with its bytes and what intake parsed.

use super::{bind_time, now, Result, Store, StoreError, MAX_ATTEMPTS};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use uuid::Uuid;

/// An uploaded share-pack file (one version of the pack).
#[derive(Debug, Clone, PartialEq)]
pub struct PackFile {
    pub share_pack_id: Uuid,
    pub version: i64,
    pub file_name: String,
    pub format: String,
    pub uploaded_at: DateTime<Utc>,
    /// Who uploaded it (empty for files kept before this was recorded).
    pub uploaded_by: String,
}

impl Store {
    /// Keeps an uploaded pack file as the share pack's next version; returns that version.
    pub async fn save_pack_file(
        &self,
        pack: Uuid,
        file_name: &str,
        format: &str,
        content: &[u8],
        parsed: &Value,
        uploaded_by: &str,
    ) -> Result<i64> {
        let next = "SELECT COALESCE(MAX(version), 0) + 1 FROM share_pack_files WHERE share_pack_id = $1";
        let insert = "INSERT INTO share_pack_files (share_pack_id, version, file_name, format, content, parsed, uploaded_at, uploaded_by) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        for _ in 0..MAX_ATTEMPTS {
            let result: std::result::Result<i64, sqlx::Error> = on_pool!(self, pool => async {
                let version: i64 = sqlx::query_scalar(next).bind(pack).fetch_one(pool).await?;
                let query = sqlx::query(insert).bind(pack).bind(version).bind(file_name).bind(format).bind(content);
                let query = bind_json!(self, query, parsed);
                bind_time(self, query, now()).bind(super::truncate(uploaded_by, 255)).execute(pool).await?;
                Ok(version)
            }.await);
            match result {
                Ok(version) => return Ok(version),
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Conflict { entity: "share pack file", key: pack, attempts: MAX_ATTEMPTS })
    }

    /// The file name and bytes of one uploaded version.
    pub async fn pack_file_content(&self, pack: Uuid, version: i64) -> Result<Option<(String, Vec<u8>)>> {
        let sql = "SELECT file_name, content FROM share_pack_files WHERE share_pack_id = $1 AND version = $2 AND deleted_by IS NULL";
        on_pool!(self, pool => {
            let row = sqlx::query(sql).bind(pack).bind(version).fetch_optional(pool).await?;
            row.map(|row| -> Result<(String, Vec<u8>)> { Ok((row.try_get(0)?, row.try_get(1)?)) }).transpose()
        })
    }

    /// Every uploaded version of a share pack, newest first (deleted drafts left out).
    pub async fn pack_files(&self, pack: Uuid) -> Result<Vec<PackFile>> {
        let sql = "SELECT share_pack_id, version, file_name, format, uploaded_at, uploaded_by FROM share_pack_files \
                   WHERE share_pack_id = $1 AND deleted_by IS NULL ORDER BY version DESC";
        on_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(pack).fetch_all(pool).await?;
            rows.iter()
                .map(|row| -> Result<PackFile> {
                    Ok(PackFile {
                        share_pack_id: row.try_get(0)?,
                        version: row.try_get(1)?,
                        file_name: row.try_get(2)?,
                        format: row.try_get(3)?,
                        uploaded_at: row.try_get(4)?,
                        uploaded_by: row.try_get(5)?,
                    })
                })
                .collect()
        })
    }
}

impl Store {
    /// The uploads (share pack, version) whose parsed pack, as lower-case JSON text, holds
    /// `needle` (`"partner"`): a coarse filter the caller checks field by field.
    pub async fn pack_files_mentioning(&self, needle: &str) -> Result<Vec<(Uuid, i64)>> {
        let parsed = match self {
            Store::Postgres(_) => "CAST(parsed AS text)",
            Store::Sqlite(_) => "parsed",
        };
        let sql =
            format!(r"SELECT share_pack_id, version FROM share_pack_files WHERE deleted_by IS NULL AND lower({parsed}) LIKE $1 ESCAPE '\'");
        let pattern = format!("%{}%", super::listing::like_escaped(&needle.to_lowercase()));
        on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(pattern).fetch_all(pool).await?;
            rows.iter().map(|row| -> Result<(Uuid, i64)> { Ok((row.try_get(0)?, row.try_get(1)?)) }).collect()
        })
    }

    /// Deletes a draft's content, keeping its number (never given again) and who deleted it.
    /// `false` when there was no such version left to delete.
    pub async fn delete_pack_file(&self, pack: Uuid, version: i64, by: &str) -> Result<bool> {
        let sql = "UPDATE share_pack_files SET content = $4, parsed = 'null', deleted_by = $3 \
                   WHERE share_pack_id = $1 AND version = $2 AND deleted_by IS NULL";
        on_pool!(self, pool => {
            let done = sqlx::query(sql).bind(pack).bind(version).bind(super::truncate(by, 255)).bind(Vec::<u8>::new()).execute(pool).await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// What intake made of one uploaded version (the pack as JSON), for comparing versions.
    pub async fn pack_file_parsed(&self, pack: Uuid, version: i64) -> Result<Option<Value>> {
        let sql = "SELECT parsed FROM share_pack_files WHERE share_pack_id = $1 AND version = $2 AND deleted_by IS NULL";
        on_pool!(self, pool => {
            let row = sqlx::query(sql).bind(pack).bind(version).fetch_optional(pool).await?;
            let Some(row) = row else { return Ok(None) };
            Ok(match row.try_get::<Option<String>, _>(0) {
                Ok(text) => text.and_then(|text| serde_json::from_str(&text).ok()),
                Err(_) => row.try_get::<Option<sqlx::types::Json<Value>>, _>(0)?.map(|json| json.0),
            })
        })
    }
}
