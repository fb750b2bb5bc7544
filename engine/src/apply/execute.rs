//! One step against the workspace. Each is safe to run again: a resumed create that finds its
//! resource already there (made by the attempt that crashed) reads it back instead of failing,
//! a resumed object batch leaves out what the share already holds, and grants, updates and
//! deletes are idempotent by nature.

use super::steps::Work;
use crate::databricks::client::{ObjectUpdate, PermissionChange, SharedObject, UpdateAction, WorkspaceClient};
use crate::databricks::error::{ApiError, ErrorKind};
use crate::model::name_key;
use serde_json::Value;

/// What a step produced besides the change itself.
#[derive(Debug, Default, PartialEq)]
pub struct Effect {
    /// A new token recipient's activation link (recipient, URL): shown once, never logged.
    pub activation_link: Option<(String, String)>,
}

fn malformed(what: &str) -> ApiError {
    ApiError::transport(ErrorKind::Invalid, format!("the stored step is malformed: {what}"))
}

/// Carries out `work`; `resumed` says an earlier attempt of this step may have reached the
/// workspace.
pub async fn execute(work: &Work, client: &WorkspaceClient, resumed: bool) -> Result<Effect, ApiError> {
    match work {
        Work::Resolve | Work::Record => Ok(Effect::default()),
        Work::CreateRecipient { recipient } => {
            let new = serde_json::from_value::<NewRecipientFields>(recipient.clone()).map_err(|_| malformed("recipient"))?.into();
            let created = match client.create_recipient(&new).await {
                Ok(created) => created,
                Err(error) if error.kind == ErrorKind::AlreadyExists && resumed => {
                    let existing = client.get_recipient(&new.name).await?;
                    if existing.authentication_type.as_deref() != Some(new.authentication_type.as_str()) {
                        return Err(error);
                    }
                    existing
                }
                Err(error) => return Err(error),
            };
            let link = created.tokens.iter().find_map(|token| token.activation_url.clone());
            Ok(Effect { activation_link: link.map(|url| (created.name.clone(), url)) })
        }
        Work::UpdateRecipient { name, changes } => client.update_recipient(name, changes).await.map(|_| Effect::default()),
        Work::CreateShare { name, comment } => match client.create_share(name, comment.as_deref()).await {
            Ok(_) => Ok(Effect::default()),
            Err(error) if error.kind == ErrorKind::AlreadyExists && resumed => {
                client.get_share(name, false).await.map(|_| Effect::default())
            }
            Err(error) => Err(error),
        },
        Work::UpdateShare { name, comment } => {
            client.update_share(name, &[], Some(comment.as_deref().unwrap_or(""))).await.map(|_| Effect::default())
        }
        Work::ShareObjects { share, updates } => {
            let mut updates = updates.iter().map(object_update).collect::<Option<Vec<_>>>().ok_or_else(|| malformed("object update"))?;
            if resumed {
                let present: std::collections::BTreeSet<String> =
                    client.get_share(share, true).await?.objects.iter().map(|object| name_key(&object.name)).collect();
                updates.retain(|update| {
                    let there = present.contains(&name_key(&update.data_object.name));
                    match update.action {
                        UpdateAction::Add => !there,
                        UpdateAction::Remove | UpdateAction::Update => there,
                    }
                });
            }
            client.update_share(share, &updates, None).await.map(|_| Effect::default())
        }
        Work::Grants { share, grant, revoke } => {
            let mut changes: Vec<PermissionChange> = grant
                .iter()
                .map(|principal| PermissionChange { principal: principal.clone(), add: vec!["SELECT".into()], remove: Vec::new() })
                .collect();
            changes.extend(revoke.iter().map(|principal| PermissionChange {
                principal: principal.clone(),
                add: Vec::new(),
                remove: vec!["SELECT".into()],
            }));
            client.update_share_permissions(share, &changes).await.map(|_| Effect::default())
        }
        // Already gone is done: a resumed delete, or someone removed it by hand.
        Work::DeleteShare { name } => gone(client.delete_share(name).await),
        Work::DeleteRecipient { name } => gone(client.delete_recipient(name).await),
    }
}

fn gone(result: Result<(), ApiError>) -> Result<Effect, ApiError> {
    match result {
        Ok(()) => Ok(Effect::default()),
        Err(error) if error.kind == ErrorKind::NotFound => Ok(Effect::default()),
        Err(error) => Err(error),
    }
}

/// Removes what a create made (compensation). `Ok(false)` when there was nothing to remove
/// (never created, or already gone).
pub async fn undo(work: &Work, client: &WorkspaceClient) -> Result<bool, ApiError> {
    let result = match work {
        Work::CreateRecipient { recipient } => client.delete_recipient(recipient["name"].as_str().unwrap_or_default()).await,
        Work::CreateShare { name, .. } => client.delete_share(name).await,
        _ => return Ok(false),
    };
    match result {
        Ok(()) => Ok(true),
        Err(error) if error.kind == ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error),
    }
}

fn object_update(value: &Value) -> Option<ObjectUpdate> {
    let action = match value["action"].as_str()? {
        "ADD" => UpdateAction::Add,
        "REMOVE" => UpdateAction::Remove,
        "UPDATE" => UpdateAction::Update,
        _ => return None,
    };
    let data_object: SharedObject = serde_json::from_value(value["data_object"].clone()).ok()?;
    Some(ObjectUpdate { action, data_object })
}

/// The stored create payload (the planner's desired recipient, trimmed to what a create sends).
#[derive(serde::Deserialize)]
struct NewRecipientFields {
    name: String,
    authentication_type: Option<String>,
    comment: Option<String>,
    data_recipient_global_metastore_id: Option<String>,
    ip_access_list: Option<crate::databricks::client::IpAccessList>,
    properties_kvpairs: Option<crate::databricks::client::Properties>,
}

impl From<NewRecipientFields> for crate::databricks::client::NewRecipient {
    fn from(fields: NewRecipientFields) -> Self {
        crate::databricks::client::NewRecipient {
            name: fields.name,
            authentication_type: fields.authentication_type.unwrap_or_else(|| "TOKEN".into()),
            comment: fields.comment,
            data_recipient_global_metastore_id: fields.data_recipient_global_metastore_id,
            ip_access_list: fields.ip_access_list,
            properties_kvpairs: fields.properties_kvpairs,
            expiration_time: None,
        }
    }
}
