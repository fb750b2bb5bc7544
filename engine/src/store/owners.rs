//! Whose each share pack and upload is (`share_pack_owners`, `uploads.uploaded_by` and
//! `uploads.business_line`): what isolation between business lines filters on. Business lines
//! are kept trimmed and compared lower-case, as [`crate::access::same_line`] compares them.

use super::{truncate, Result, Store};
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
}
