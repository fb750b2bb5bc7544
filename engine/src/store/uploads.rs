//! Uploads: files dropped on the portal and the outcome of intake, kept so that any portal
//! instance can show `/uploads/{id}`. The outcome is stored as JSON the caller defines.

use super::{bind_time, now, Result, Store};
use sqlx::Row;
use uuid::Uuid;

/// A stored upload.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredUpload {
    pub id: Uuid,
    pub file_name: String,
    pub size: i64,
    pub outcome: serde_json::Value,
}

impl Store {
    /// Keeps an upload: its outcome, whose it is and, when it was readable, its bytes.
    pub async fn save_upload(
        &self,
        id: Uuid,
        file_name: &str,
        size: i64,
        outcome: &serde_json::Value,
        content: Option<&[u8]>,
        owner: &super::StoredOwner,
    ) -> Result<()> {
        let sql = "INSERT INTO uploads (upload_id, file_name, size, outcome, content, uploaded_at, uploaded_by, business_line) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        // Packs with longer values are refused by validation; what is kept of them fits the column.
        let line = super::truncate(owner.business_line.as_deref().unwrap_or_default().trim(), 255);
        match self {
            Store::Postgres(pool) => {
                let query = sqlx::query(sql).bind(id).bind(file_name).bind(size).bind(sqlx::types::Json(outcome)).bind(content);
                bind_time(self, query, now()).bind(&owner.created_by).bind(line).execute(pool).await?;
            }
            Store::Sqlite(pool) => {
                let query = sqlx::query(sql).bind(id).bind(file_name).bind(size).bind(outcome.to_string()).bind(content);
                bind_time(self, query, now()).bind(&owner.created_by).bind(line).execute(pool).await?;
            }
        }
        Ok(())
    }

    /// An upload by id.
    pub async fn load_upload(&self, id: Uuid) -> Result<Option<StoredUpload>> {
        let sql = "SELECT upload_id, file_name, size, outcome FROM uploads WHERE upload_id = $1";
        on_pool!(self, pool => {
            let row = sqlx::query(sql).bind(id).fetch_optional(pool).await?;
            row.map(|row| -> Result<StoredUpload> {
                Ok(StoredUpload { id: row.try_get(0)?, file_name: row.try_get(1)?, size: row.try_get(2)?, outcome: super::json_column(&row, 3)? })
            })
            .transpose()
        })
    }
}

impl Store {
    /// The bytes of an upload that was readable (`None` for unknown or refused uploads).
    pub async fn load_upload_content(&self, id: Uuid) -> Result<Option<Vec<u8>>> {
        let sql = "SELECT content FROM uploads WHERE upload_id = $1";
        on_pool!(self, pool => {
            let content: Option<Option<Vec<u8>>> = sqlx::query_scalar(sql).bind(id).fetch_optional(pool).await?;
            Ok(content.flatten())
        })
    }
}
