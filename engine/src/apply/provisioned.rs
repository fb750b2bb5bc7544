//! What a share pack's earlier versions made in a workspace, from Sharepack's own history: the
//! recipients and shares whose current version was written by one of the pack's runs, each with
//! the other share packs that still use it (another pack's share granting the recipient, or
//! listing the share). The planner retires what a new version no longer lists and no one else
//! uses.

use super::keys;
use crate::model::{name_key, SharePack};
use crate::plan::snapshot::Provisioned;
use crate::store::{Entity, Store, StoreError};
use uuid::Uuid;

pub async fn provisioned(store: &Store, workspace_url: &str, pack: &SharePack) -> Result<Provisioned, StoreError> {
    let id = keys::share_pack(workspace_url, &pack.metadata.business_line, &pack.metadata.project_name);
    let in_workspace = |data: &serde_json::Value| data["workspace_url"].as_str() == Some(workspace_url);
    let pack_of = |data: &serde_json::Value| data["share_pack_id"].as_str().and_then(|text| Uuid::parse_str(text).ok());
    let mut out = Provisioned::default();
    for share in store.current_with(Entity::Share, "share_pack_id", &id.to_string()).await?.into_iter().filter(|v| in_workspace(&v.data)) {
        out.shares.insert(name_key(&share.name), Vec::new());
    }
    for recipient in
        store.current_with(Entity::Recipient, "share_pack_id", &id.to_string()).await?.into_iter().filter(|v| in_workspace(&v.data))
    {
        let name = name_key(&recipient.name);
        // Another pack's share that grants it keeps it.
        let mut users = Vec::new();
        for share in store.current_mentioning(Entity::Share, &format!("\"{name}\"")).await? {
            let grants = share.data["recipients"].as_array().is_some_and(|names| names.iter().any(|n| n.as_str() == Some(name.as_str())));
            let other = pack_of(&share.data).filter(|other| *other != id);
            if let (true, true, Some(other)) = (grants, in_workspace(&share.data), other) {
                let label = match store.share_pack(other).await? {
                    Some(pack) => pack.name,
                    None => other.to_string(),
                };
                if !users.contains(&label) {
                    users.push(label);
                }
            }
        }
        out.recipients.insert(name, users);
    }
    Ok(out)
}

/// The same for an upload, before its dry run (nothing when it could not be read).
pub async fn of_intake(store: &Store, workspace_url: &str, intake: &crate::intake::Intake) -> Result<Provisioned, StoreError> {
    match &intake.pack {
        Some(pack) => provisioned(store, workspace_url, pack).await,
        None => Ok(Provisioned::default()),
    }
}
