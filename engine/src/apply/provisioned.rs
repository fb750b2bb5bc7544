//! What a share pack's earlier versions made in a workspace, from Sharepack's own history: the
//! recipients and shares whose current version was written by one of the pack's runs, each with
//! the other share packs that still use it (another pack's current version listing it, or
//! another pack's share granting the recipient). The planner retires what a new version no
//! longer lists and no one else uses.

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
        let name = name_key(&share.name);
        let users = listed_elsewhere(store, id, workspace_url, &name, Listed::Share).await?;
        out.shares.insert(name, users);
    }
    for recipient in
        store.current_with(Entity::Recipient, "share_pack_id", &id.to_string()).await?.into_iter().filter(|v| in_workspace(&v.data))
    {
        let name = name_key(&recipient.name);
        // Another pack that lists it, or another pack's share that grants it, keeps it.
        let mut users = listed_elsewhere(store, id, workspace_url, &name, Listed::Recipient).await?;
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

#[derive(Clone, Copy)]
enum Listed {
    Recipient,
    Share,
}

/// The other share packs on this workspace whose current version lists `name` (lower-case).
async fn listed_elsewhere(store: &Store, id: Uuid, workspace_url: &str, name: &str, what: Listed) -> Result<Vec<String>, StoreError> {
    let mut users = Vec::new();
    for (other, version) in store.pack_files_mentioning(&format!("\"{name}\"")).await? {
        if other == id {
            continue;
        }
        let Some(current) = store.share_pack(other).await? else { continue };
        let applies = current.record.upload == version
            && current.record.workspace_url.trim_end_matches('/') == workspace_url.trim_end_matches('/')
            && current.record.status != crate::records::PackStatus::ValidationFailed;
        if !applies {
            continue;
        }
        let Some(parsed) = store.pack_file_parsed(other, version).await? else { continue };
        let Ok(pack) = serde_json::from_value::<SharePack>(parsed) else { continue };
        let lists = match what {
            Listed::Recipient => pack.recipients.iter().any(|recipient| name_key(&recipient.name) == name),
            Listed::Share => pack.shares.iter().any(|share| name_key(&share.name) == name),
        };
        if lists && !users.contains(&current.name) {
            users.push(current.name);
        }
    }
    Ok(users)
}

/// The same for an upload, before its dry run (nothing when it could not be read).
pub async fn of_intake(store: &Store, workspace_url: &str, intake: &crate::intake::Intake) -> Result<Provisioned, StoreError> {
    match &intake.pack {
        Some(pack) => provisioned(store, workspace_url, pack).await,
        None => Ok(Provisioned::default()),
    }
}
