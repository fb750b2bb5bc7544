//! A share pack as it is (or was at a moment): the pack of the upload its current version (or
//! the version in effect then) was made from, for export as an editable workbook. Drafts never
//! count: they never become a share pack's version.

use crate::access::Principal;
use crate::error::Problem;
use crate::model::SharePack;
use crate::records::SharePackRecord;
use crate::store::{Entity, Store};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The pack behind share pack `id` now, or `as_of` a moment; with the upload it came from.
pub async fn pack_as_of(store: &Store, by: &Principal, id: Uuid, as_of: Option<DateTime<Utc>>) -> Result<(SharePack, i64), Problem> {
    let missing = || Problem::not_found("share pack", &id.to_string());
    let owner = store.share_pack_owner(id).await?.ok_or_else(missing)?;
    by.reveal(&owner.as_owner(), "share pack", &id.to_string())?;
    let version = match as_of {
        Some(at) => store.as_of(Entity::SharePack, id, at).await?,
        None => store.current(Entity::SharePack, id).await?,
    };
    let Some(version) = version.filter(|version| !version.is_deleted) else {
        return Err(Problem::new(crate::error::Class::NotFound, "not_found", "The share pack did not exist at that moment")
            .hint("Pick a later moment; the history page shows when each version took effect"));
    };
    let record: SharePackRecord =
        serde_json::from_value(version.data).map_err(|error| crate::store::StoreError::Corrupt(error.to_string()))?;
    let parsed = store.pack_file_parsed(id, record.upload).await?.ok_or_else(missing)?;
    let pack: SharePack = serde_json::from_value(parsed).map_err(|error| crate::store::StoreError::Corrupt(error.to_string()))?;
    Ok((pack, record.upload))
}
