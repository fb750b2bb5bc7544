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
use uuid::Uuid;

/// Adds an error at each recipient or share of the pack that belongs to a business line `by`
/// may not request for.
pub async fn check_owners(store: &Store, by: &Principal, workspace_url: &str, intake: &mut Intake) -> Result<(), StoreError> {
    let Some(pack) = intake.pack.as_ref() else { return Ok(()) };
    let mut named = Vec::new();
    for recipient in &pack.recipients {
        named.push(("Recipient", recipient.name.clone(), keys::recipient(workspace_url, &recipient.name), recipient.origin().clone()));
    }
    for share in &pack.shares {
        named.push(("Share", share.name.clone(), keys::share(workspace_url, &share.name), share.origin().clone()));
    }
    let mut found = Vec::new();
    for (what, name, key, at) in named {
        let entity = if what == "Share" { Entity::Share } else { Entity::Recipient };
        let Some(version) = store.latest(entity, key).await? else { continue };
        let Some(pack_id) = version.data.get("share_pack_id").and_then(|id| id.as_str()).and_then(|id| Uuid::parse_str(id).ok()) else {
            continue;
        };
        let Some(owner) = store.share_pack_owner(pack_id).await? else { continue };
        let Some(line) = owner.business_line.as_deref() else { continue };
        if by.require(Act::Request, Some(&Owner { business_line: Some(line), requested_by: &by.email })).is_err() {
            let message = if version.is_deleted {
                format!("{what} {name} was another business line's (since deleted); its history is theirs")
            } else {
                format!("{what} {name} belongs to another business line's share pack")
            };
            found.push(
                Finding::error(claim::OWNED_ELSEWHERE, at, message)
                    .hint("Choose a name of your own, or ask that business line to change it"),
            );
        }
    }
    intake.findings.extend(found);
    Ok(())
}
