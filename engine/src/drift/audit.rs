//! Who changed it, from the workspace's audit log (`system.access.audit`, read through a SQL
//! warehouse where one is configured): the workspace says who last updated a recipient or
//! share, but nothing about one that was deleted or a grant that was revoked. The latest
//! sharing event on the resource after the pack was applied names the person; an event before
//! it was the apply itself. Reading is best effort: a check without it still reports the drift.

use super::DriftFinding;
use crate::databricks::client::WorkspaceClient;
use crate::databricks::error::ApiError;
use crate::plan::ResourceType;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Sharing's audit events, newest first (names from the request's parameters). Parameters are
/// bound, never spliced into the text.
pub const STATEMENT: &str = "SELECT action_name, user_identity.email, CAST(unix_millis(event_time) AS STRING), to_json(request_params) \
FROM system.access.audit \
WHERE service_name = 'unityCatalog' \
AND action_name IN ('createRecipient', 'updateRecipient', 'deleteRecipient', 'rotateRecipientToken', 'createShare', 'updateShare', 'deleteShare', 'updateSharePermissions') \
AND event_time >= timestamp_millis(CAST(:since AS BIGINT)) \
ORDER BY event_time DESC LIMIT 5000";

/// The request parameters that name the recipient or share an event is about.
const NAME_PARAMETERS: &[&str] = &["name", "name_arg", "share", "share_name", "recipient", "recipient_name"];

/// How far back the log is read at most.
const LOOK_BACK: TimeDelta = TimeDelta::days(30);

/// One sharing event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub action: String,
    pub by: String,
    pub at: DateTime<Utc>,
    /// Lower-case names of what it was about.
    pub names: Vec<String>,
}

impl Event {
    /// Recipient actions (`createRecipient`, `deleteRecipient`, ...), as against share actions.
    fn is_about_recipient(&self) -> bool {
        RECIPIENT_ACTIONS.contains(&self.action.as_str())
    }
}

/// The statement's actions on recipients; the others are on shares.
const RECIPIENT_ACTIONS: &[&str] = &["createRecipient", "updateRecipient", "deleteRecipient", "rotateRecipientToken"];

/// The events since `since` (at most thirty days back).
pub async fn events(client: &WorkspaceClient, warehouse: &str, since: DateTime<Utc>) -> Result<Vec<Event>, ApiError> {
    let since = since.max(Utc::now() - LOOK_BACK);
    let rows = client.query(warehouse, STATEMENT, &[("since", since.timestamp_millis().to_string())]).await?;
    Ok(rows.into_iter().filter_map(event).collect())
}

fn event(row: Vec<Option<String>>) -> Option<Event> {
    let [action, by, at, parameters] = <[Option<String>; 4]>::try_from(row).ok()?;
    let at = DateTime::from_timestamp_millis(at?.parse().ok()?)?;
    let parameters: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&parameters.unwrap_or_default()).unwrap_or_default();
    let names = NAME_PARAMETERS
        .iter()
        .filter_map(|key| parameters.get(*key).and_then(serde_json::Value::as_str))
        .map(crate::model::name_key)
        .collect();
    Some(Event { action: action?, by: by.filter(|by| !by.is_empty())?, at, names })
}

/// Names who changed each finding the workspace did not say of, from the latest event on its
/// recipient or share after its pack was applied (`applied`: by share pack id; unmanaged
/// findings take any event). Events are newest first.
pub fn attribute(found: &mut BTreeMap<Uuid, DriftFinding>, events: &[Event], applied: &BTreeMap<Uuid, DateTime<Utc>>) {
    for finding in found.values_mut().filter(|finding| finding.difference.changed_by.is_none()) {
        let difference = &finding.difference;
        let about = match difference.resource_type {
            ResourceType::Recipient => difference.name.clone(),
            ResourceType::Share => difference.name.clone(),
            _ => difference.share.clone().unwrap_or_else(|| difference.name.clone()),
        };
        // A recipient's finding takes recipient events; a share's, its objects' and grants', share events.
        let on_recipient = difference.resource_type == ResourceType::Recipient;
        let after = finding.share_pack_id.and_then(|pack| applied.get(&pack)).copied();
        let latest = events.iter().find(|event| {
            event.is_about_recipient() == on_recipient && event.names.contains(&about) && after.is_none_or(|after| event.at > after)
        });
        if let Some(event) = latest {
            finding.difference.changed_by = Some(event.by.clone());
            finding.difference.changed_at = Some(event.at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::Difference;
    use crate::records::DriftKind;

    fn finding(resource_type: ResourceType, name: &str, share: Option<&str>, pack: Option<Uuid>) -> DriftFinding {
        DriftFinding {
            id: Uuid::new_v4(),
            difference: Difference {
                kind: DriftKind::Removed,
                resource_type,
                name: name.into(),
                share: share.map(str::to_string),
                fields: Vec::new(),
                changed_by: None,
                changed_at: None,
                summary: String::new(),
            },
            workspace_url: "https://w".into(),
            share_pack_id: pack,
            share_pack: None,
            business_line: None,
            first_seen: Utc::now(),
            check: Uuid::nil(),
        }
    }

    #[test]
    fn the_latest_event_after_the_apply_names_the_person() {
        let pack = Uuid::new_v4();
        let applied_at = Utc::now() - TimeDelta::hours(2);
        let events = vec![
            event(vec![
                Some("deleteRecipient".into()),
                Some("mallory@example.com".into()),
                Some((applied_at + TimeDelta::hours(1)).timestamp_millis().to_string()),
                Some(r#"{"name":"Acme"}"#.into()),
            ])
            .unwrap(),
            event(vec![
                Some("updateSharePermissions".into()),
                Some("eve@example.com".into()),
                Some((applied_at + TimeDelta::minutes(30)).timestamp_millis().to_string()),
                Some(r#"{"name":"sales","changes":"[]"}"#.into()),
            ])
            .unwrap(),
            event(vec![
                Some("createRecipient".into()),
                Some("sharepack-sp".into()),
                Some((applied_at - TimeDelta::minutes(1)).timestamp_millis().to_string()),
                Some(r#"{"name":"beta"}"#.into()),
            ])
            .unwrap(),
        ];
        let mut found: BTreeMap<Uuid, DriftFinding> = [
            finding(ResourceType::Recipient, "acme", None, Some(pack)),
            finding(ResourceType::Grant, "acme", Some("sales"), Some(pack)),
            finding(ResourceType::Recipient, "beta", None, Some(pack)),
            // A share named like a recipient: the recipient's deletion is not about it.
            finding(ResourceType::Share, "acme", None, Some(pack)),
        ]
        .into_iter()
        .map(|finding| (finding.id, finding))
        .collect();
        attribute(&mut found, &events, &BTreeMap::from([(pack, applied_at)]));
        let by: BTreeMap<(ResourceType, String, Option<String>), Option<String>> = found
            .values()
            .map(|finding| {
                let difference = &finding.difference;
                ((difference.resource_type, difference.name.clone(), difference.share.clone()), difference.changed_by.clone())
            })
            .collect();
        assert_eq!(by[&(ResourceType::Recipient, "acme".to_string(), None)].as_deref(), Some("mallory@example.com"));
        assert_eq!(by[&(ResourceType::Grant, "acme".to_string(), Some("sales".to_string()))].as_deref(), Some("eve@example.com"));
        assert_eq!(by[&(ResourceType::Recipient, "beta".to_string(), None)], None, "the apply's own event is not a change behind its back");
        assert_eq!(by[&(ResourceType::Share, "acme".to_string(), None)], None, "a recipient's event is not about a share of its name");
    }

    #[test]
    fn rows_that_cannot_be_read_are_left_out() {
        assert_eq!(event(vec![Some("deleteShare".into()), None, Some("1".into()), None]), None);
        assert_eq!(event(vec![Some("deleteShare".into())]), None);
        assert_eq!(event(vec![Some("deleteShare".into()), Some("a@b".into()), Some("soon".into()), None]), None);
    }
}
