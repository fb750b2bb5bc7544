//! Business lines own Databricks objects too: a recipient or share that Sharepack created for one
//! business line's share pack may not be changed (or read through a plan) by a pack of another.
//! Objects Sharepack never recorded (made by hand in the workspace) belong to nobody yet: the
//! first pack to provision them adopts them. A name Sharepack deleted stays its business line's:
//! its history is theirs, and another line taking the name would see it.

use super::{claim, Act, Owner, Principal};
use crate::apply::keys;
use crate::finding::Finding;
use crate::intake::Intake;
use crate::model::Located;
use crate::store::{Entity, Store, StoreError};
use std::collections::HashMap;
use uuid::Uuid;

/// Adds an error at each recipient or share of the pack that belongs to a business line `by`
/// may not request for. The pack's names are looked up together (a query per kind and 500
/// names, one per share pack found), not one by one.
pub async fn check_owners(store: &Store, by: &Principal, workspace_url: &str, intake: &mut Intake) -> Result<(), StoreError> {
    let Some(pack) = intake.pack.as_ref() else { return Ok(()) };
    let recipients =
        pack.recipients.iter().map(|recipient| (keys::recipient(workspace_url, &recipient.name), &recipient.name, recipient.origin()));
    let shares = pack.shares.iter().map(|share| (keys::share(workspace_url, &share.name), &share.name, share.origin()));
    let mut found = Vec::new();
    let mut owners: HashMap<Uuid, Option<String>> = HashMap::new();
    for (entity, named) in [(Entity::Recipient, recipients.collect::<Vec<_>>()), (Entity::Share, shares.collect())] {
        let keys: Vec<Uuid> = named.iter().map(|(key, _, _)| *key).collect();
        let versions: HashMap<Uuid, crate::store::Version> =
            store.latest_many(entity, &keys).await?.into_iter().map(|version| (version.key, version)).collect();
        for (key, name, at) in named {
            let Some(version) = versions.get(&key) else { continue };
            let Some(pack_id) = version.data.get("share_pack_id").and_then(|id| id.as_str()).and_then(|id| Uuid::parse_str(id).ok()) else {
                continue;
            };
            let line = match owners.get(&pack_id) {
                Some(line) => line.clone(),
                None => {
                    let line = store.share_pack_owner(pack_id).await?.and_then(|owner| owner.business_line);
                    owners.insert(pack_id, line.clone());
                    line
                }
            };
            let Some(line) = line else { continue };
            if by.require(Act::Request, Some(&Owner { business_line: Some(&line), requested_by: &by.email })).is_err() {
                let what = if entity == Entity::Share { "Share" } else { "Recipient" };
                let message = if version.is_deleted {
                    format!("{what} {name} was another business line's (since deleted); its history is theirs")
                } else {
                    format!("{what} {name} belongs to another business line's share pack")
                };
                found.push(
                    Finding::error(claim::OWNED_ELSEWHERE, at.clone(), message)
                        .hint("Choose a name of your own, or ask that business line to change it"),
                );
            }
        }
    }
    intake.findings.extend(found);
    Ok(())
}
