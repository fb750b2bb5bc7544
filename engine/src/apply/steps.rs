//! From a plan to the steps a run carries out, in phases: resolve the tenant, project and
//! request; create or change recipients; create or change shares; add, change and remove
//! objects in batches of at most 100; grant and revoke; record the result. Steps of one phase
//! are independent of each other (they touch different resources) and may run concurrently.
//! Pure: no IO.

use crate::databricks::client::MAX_UPDATES_PER_PATCH;
use crate::plan::{ActionKind, Plan, ResourceType};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What one step does. Stored as the step's `data`, so a resumed run does exactly the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Work {
    Resolve,
    CreateRecipient {
        recipient: Value,
    },
    UpdateRecipient {
        name: String,
        changes: Value,
    },
    CreateShare {
        name: String,
        comment: Option<String>,
    },
    UpdateShare {
        name: String,
        comment: Option<String>,
    },
    /// Object updates (`{"action": "ADD", "data_object": {...}}`), at most 100.
    ShareObjects {
        share: String,
        updates: Vec<Value>,
    },
    Grants {
        share: String,
        grant: Vec<String>,
        revoke: Vec<String>,
    },
    /// A share the pack no longer lists, with its objects and grants.
    DeleteShare {
        name: String,
    },
    /// A recipient the pack no longer lists.
    DeleteRecipient {
        name: String,
    },
    Record,
}

impl Work {
    pub fn kind(&self) -> &'static str {
        match self {
            Work::Resolve => "resolve",
            Work::CreateRecipient { .. } => "create_recipient",
            Work::UpdateRecipient { .. } => "update_recipient",
            Work::CreateShare { .. } => "create_share",
            Work::UpdateShare { .. } => "update_share",
            Work::ShareObjects { .. } => "share_objects",
            Work::Grants { .. } => "grants",
            Work::DeleteShare { .. } => "delete_share",
            Work::DeleteRecipient { .. } => "delete_recipient",
            Work::Record => "record",
        }
    }

    /// The phase: steps run phase by phase, in any order within one.
    pub fn phase(&self) -> i32 {
        match self {
            Work::Resolve => 0,
            Work::CreateRecipient { .. } | Work::UpdateRecipient { .. } => 1,
            Work::CreateShare { .. } | Work::UpdateShare { .. } => 2,
            Work::ShareObjects { .. } => 3,
            Work::Grants { .. } => 4,
            // After the grants: what goes is no longer granted by anything that stays.
            Work::DeleteShare { .. } | Work::DeleteRecipient { .. } => 5,
            Work::Record => 6,
        }
    }

    /// The step in words, as the progress page and `ProvisioningStatus` show it.
    pub fn describe(&self) -> String {
        match self {
            Work::Resolve => "Resolve tenant, project and request".into(),
            Work::CreateRecipient { recipient } => format!("Create recipient {}", recipient["name"].as_str().unwrap_or("?")),
            Work::UpdateRecipient { name, .. } => format!("Update recipient {name}"),
            Work::CreateShare { name, .. } => format!("Create share {name}"),
            Work::UpdateShare { name, .. } => format!("Update share {name}"),
            Work::ShareObjects { share, updates } => {
                let count = |action: &str| updates.iter().filter(|u| u["action"] == action).count();
                let parts: Vec<String> = [("ADD", "add"), ("UPDATE", "update"), ("REMOVE", "remove")]
                    .into_iter()
                    .filter(|(action, _)| count(action) > 0)
                    .map(|(action, verb)| format!("{verb} {}", count(action)))
                    .collect();
                format!("Share {share}: {} object{}", parts.join(", "), if updates.len() == 1 { "" } else { "s" })
            }
            Work::Grants { share, grant, revoke } => {
                let mut parts = Vec::new();
                if !grant.is_empty() {
                    parts.push(format!("grant {}", grant.join(", ")));
                }
                if !revoke.is_empty() {
                    parts.push(format!("revoke {}", revoke.join(", ")));
                }
                format!("Share {share}: {}", parts.join("; "))
            }
            Work::DeleteShare { name } => format!("Delete share {name}"),
            Work::DeleteRecipient { name } => format!("Delete recipient {name}"),
            Work::Record => "Record the result".into(),
        }
    }

    /// The resource the step is about (for the steps table).
    pub fn target(&self) -> String {
        match self {
            Work::Resolve | Work::Record => String::new(),
            Work::CreateRecipient { recipient } => recipient["name"].as_str().unwrap_or_default().to_string(),
            Work::UpdateRecipient { name, .. }
            | Work::CreateShare { name, .. }
            | Work::UpdateShare { name, .. }
            | Work::DeleteShare { name }
            | Work::DeleteRecipient { name } => name.clone(),
            Work::ShareObjects { share, .. } | Work::Grants { share, .. } => share.clone(),
        }
    }
}

/// A step before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkStep {
    pub phase: i32,
    pub work: Work,
}

impl WorkStep {
    /// The step as the store keeps it.
    pub fn to_store(&self) -> crate::store::NewStep {
        crate::store::NewStep {
            phase: self.phase,
            kind: self.work.kind(),
            target: self.work.target(),
            data: serde_json::to_value(&self.work).unwrap_or_default(),
        }
    }
}

/// A stored step's work; `None` when the row does not hold one (written by another version).
pub fn stored_work(step: &crate::store::StepRecord) -> Option<Work> {
    serde_json::from_value(step.data.clone()).ok()
}

/// The fields a create sends, from the planner's desired recipient.
fn new_recipient(desired: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for field in ["name", "authentication_type", "comment", "data_recipient_global_metastore_id", "ip_access_list", "properties_kvpairs"] {
        if let Some(value) = desired.get(field).filter(|value| !value.is_null()) {
            out.insert(field.to_string(), value.clone());
        }
    }
    Value::Object(out)
}

/// The steps that carry out `plan`. Removals (objects leaving a share, revoked grants) are
/// included only when the submitter confirmed them.
pub fn steps(plan: &Plan, confirm_removals: bool) -> Vec<WorkStep> {
    let mut works = vec![Work::Resolve];
    let mut objects: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut grants: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for action in &plan.actions {
        let share = action.share.clone().unwrap_or_default();
        match (action.resource_type, action.action) {
            (ResourceType::Recipient, ActionKind::Create) => {
                works.push(Work::CreateRecipient { recipient: new_recipient(&action.payload) })
            }
            (ResourceType::Recipient, ActionKind::Update) => {
                works.push(Work::UpdateRecipient { name: action.name.clone(), changes: action.payload.clone() })
            }
            (ResourceType::Share, ActionKind::Create) => {
                works.push(Work::CreateShare { name: action.name.clone(), comment: action.payload["comment"].as_str().map(str::to_string) })
            }
            (ResourceType::Share, ActionKind::Update) => {
                works.push(Work::UpdateShare { name: action.name.clone(), comment: action.payload["comment"].as_str().map(str::to_string) })
            }
            (ResourceType::DataObject, ActionKind::AddObject | ActionKind::UpdateObject) => {
                objects.entry(share).or_default().push(action.payload.clone())
            }
            (ResourceType::DataObject, ActionKind::RemoveObject) if confirm_removals => {
                objects.entry(share).or_default().push(action.payload.clone())
            }
            (ResourceType::Grant, ActionKind::Grant) => grants.entry(share).or_default().0.push(action.name.clone()),
            (ResourceType::Grant, ActionKind::Revoke) if confirm_removals => grants.entry(share).or_default().1.push(action.name.clone()),
            (ResourceType::Share, ActionKind::Delete) if confirm_removals => works.push(Work::DeleteShare { name: action.name.clone() }),
            (ResourceType::Recipient, ActionKind::Delete) if confirm_removals => {
                works.push(Work::DeleteRecipient { name: action.name.clone() })
            }
            _ => {}
        }
    }
    for (share, updates) in objects {
        for batch in updates.chunks(MAX_UPDATES_PER_PATCH) {
            works.push(Work::ShareObjects { share: share.clone(), updates: batch.to_vec() });
        }
    }
    for (share, (grant, revoke)) in grants {
        works.push(Work::Grants { share, grant, revoke });
    }
    works.push(Work::Record);
    works.sort_by_key(Work::phase);
    works.into_iter().map(|work| WorkStep { phase: work.phase(), work }).collect()
}

/// Removals in a plan, which need the submitter's confirmation.
pub fn removals(plan: &Plan) -> usize {
    plan.actions.iter().filter(|action| action.needs_confirmation).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, Summary};
    use crate::Location;
    use serde_json::json;

    fn action(action: ActionKind, resource_type: ResourceType, name: &str, share: Option<&str>, payload: Value) -> Action {
        Action {
            action,
            resource_type,
            name: name.into(),
            share: share.map(str::to_string),
            changes: Vec::new(),
            reason: String::new(),
            location: String::new(),
            at: Location::file(),
            needs_confirmation: action.is_removal(),
            payload,
        }
    }

    fn plan_with(objects: usize) -> Plan {
        let mut actions = vec![
            action(
                ActionKind::Create,
                ResourceType::Recipient,
                "p",
                None,
                json!({"name": "p", "authentication_type": "TOKEN", "tokens": []}),
            ),
            action(ActionKind::Create, ResourceType::Share, "s", None, json!({"name": "s", "comment": "c"})),
            action(ActionKind::Grant, ResourceType::Grant, "p", Some("s"), Value::Null),
            action(ActionKind::Revoke, ResourceType::Grant, "old", Some("s"), Value::Null),
            action(
                ActionKind::RemoveObject,
                ResourceType::DataObject,
                "c.s.gone",
                Some("s"),
                json!({"action": "REMOVE", "data_object": {"name": "c.s.gone"}}),
            ),
            action(ActionKind::Unchanged, ResourceType::Recipient, "q", None, Value::Null),
        ];
        for index in 0..objects {
            let name = format!("c.s.t{index}");
            actions.push(action(
                ActionKind::AddObject,
                ResourceType::DataObject,
                &name,
                Some("s"),
                json!({"action": "ADD", "data_object": {"name": name}}),
            ));
        }
        Plan {
            declared: None,
            strategy: crate::model::Strategy::New,
            actions,
            findings: Vec::new(),
            summary: Summary::default(),
            story: Vec::new(),
        }
    }

    #[test]
    fn phases_run_in_order_and_objects_go_in_batches_of_at_most_100() {
        let steps = steps(&plan_with(250), true);
        let kinds: Vec<&str> = steps.iter().map(|step| step.work.kind()).collect();
        assert_eq!(
            kinds,
            ["resolve", "create_recipient", "create_share", "share_objects", "share_objects", "share_objects", "grants", "record"]
        );
        assert!(steps.windows(2).all(|pair| pair[0].phase <= pair[1].phase));
        let sizes: Vec<usize> = steps
            .iter()
            .filter_map(|step| match &step.work {
                Work::ShareObjects { updates, .. } => Some(updates.len()),
                _ => None,
            })
            .collect();
        assert_eq!(sizes, [100, 100, 51], "250 additions and 1 removal");
        let Work::CreateRecipient { recipient } = &steps[1].work else { panic!() };
        assert!(recipient.get("tokens").is_none(), "only what a create sends: {recipient}");
    }

    #[test]
    fn removals_need_confirmation() {
        let unconfirmed = steps(&plan_with(1), false);
        let grants = unconfirmed.iter().find_map(|step| match &step.work {
            Work::Grants { grant, revoke, .. } => Some((grant.clone(), revoke.clone())),
            _ => None,
        });
        assert_eq!(grants, Some((vec!["p".to_string()], Vec::new())), "no revoke without confirmation");
        let objects: Vec<&Value> = unconfirmed
            .iter()
            .flat_map(|step| match &step.work {
                Work::ShareObjects { updates, .. } => updates.iter().collect(),
                _ => Vec::new(),
            })
            .collect();
        assert!(objects.iter().all(|update| update["action"] == "ADD"), "no removal without confirmation: {objects:?}");
        let confirmed = steps(&plan_with(1), true);
        assert!(confirmed.iter().any(|step| matches!(&step.work, Work::Grants { revoke, .. } if revoke == &["old".to_string()])));
        assert_eq!(removals(&plan_with(1)), 2);
    }
}
