//! Share packs as typed records: the SCD2 `share_packs` entity whose `data` is a
//! [`SharePackRecord`]. Nothing reads share-pack data by field name elsewhere.

use super::{Change, Entity, Result, Store, StoreError, Version};
use crate::records::SharePackRecord;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One version of a share pack.
#[derive(Debug, Clone, PartialEq)]
pub struct SharePackVersion {
    pub id: Uuid,
    pub name: String,
    pub record: SharePackRecord,
    pub version: i64,
    pub effective_from: DateTime<Utc>,
}

impl TryFrom<Version> for SharePackVersion {
    type Error = StoreError;

    fn try_from(version: Version) -> Result<Self> {
        let record = serde_json::from_value(version.data)
            .map_err(|error| StoreError::Corrupt(format!("share pack {} version {}: {error}", version.key, version.version)))?;
        Ok(SharePackVersion {
            id: version.key,
            name: version.name,
            record,
            version: version.version,
            effective_from: version.effective_from,
        })
    }
}

impl Store {
    /// The current version of a share pack.
    pub async fn share_pack(&self, id: Uuid) -> Result<Option<SharePackVersion>> {
        self.current(Entity::SharePack, id).await?.map(SharePackVersion::try_from).transpose()
    }

    /// Writes the share pack's next version.
    pub async fn write_share_pack(&self, id: Uuid, name: &str, record: &SharePackRecord, change: &Change<'_>) -> Result<()> {
        let data = serde_json::to_value(record).map_err(|error| StoreError::Corrupt(error.to_string()))?;
        self.write(Entity::SharePack, id, name, &data, change).await.map(|_| ())
    }

    /// When the share pack's first version was written.
    pub async fn share_pack_created_at(&self, id: Uuid) -> Result<Option<DateTime<Utc>>> {
        Ok(self.version(Entity::SharePack, id, 1).await?.map(|first| first.effective_from))
    }
}
