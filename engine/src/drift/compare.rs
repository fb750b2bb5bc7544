//! From a plan to differences (pure). The plan of an applied pack against today's workspace is
//! what it would take to restore the pack; read backwards, each action is a difference: a
//! recipient to create was deleted, an object to add was dropped from its share, an object to
//! remove was added by hand, a grant to give was revoked, one to revoke was given, an update is
//! a modified setting (the plan's "before" is the workspace, its "after" the record).

use super::{Difference, DriftField};
use crate::databricks::client::{Reported, SharedObject};
use crate::model::{name_key, SharePack};
use crate::plan::snapshot::Snapshot;
use crate::plan::{Action, ActionKind, Plan, ResourceType};
use crate::records::DriftKind;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// What differs between the applied `pack` and the workspace, given the plan that would
/// restore it.
pub fn differences(pack: &SharePack, snapshot: &Snapshot, plan: &Plan) -> Vec<Difference> {
    let mut out = Vec::new();
    // A share or recipient that is gone takes its objects and grants with it: one finding.
    let gone_shares: BTreeSet<&str> = plan
        .actions
        .iter()
        .filter(|a| a.action == ActionKind::Create && a.resource_type == ResourceType::Share)
        .map(|a| a.name.as_str())
        .collect();
    let gone_recipients: BTreeSet<&str> = plan
        .actions
        .iter()
        .filter(|a| a.action == ActionKind::Create && a.resource_type == ResourceType::Recipient)
        .map(|a| a.name.as_str())
        .collect();
    for action in &plan.actions {
        let share = action.share.as_deref();
        if share.is_some_and(|share| gone_shares.contains(share)) {
            continue;
        }
        if action.resource_type == ResourceType::Grant && gone_recipients.contains(action.name.as_str()) {
            continue;
        }
        if let Some(difference) = difference(action, snapshot) {
            out.push(difference);
        }
    }
    out.extend(changed_in_place(pack, snapshot));
    out
}

fn difference(action: &Action, snapshot: &Snapshot) -> Option<Difference> {
    let share_state = action.share.as_deref().and_then(|share| snapshot.share(share));
    let share_touched = || share_state.map(|state| touched(&state.info.updated_by, &state.info.updated_at)).unwrap_or_default();
    let in_share = action.share.as_deref().unwrap_or_default();
    let (kind, (changed_by, changed_at), summary) = match (action.action, action.resource_type) {
        (ActionKind::Create, ResourceType::Recipient) => {
            (DriftKind::Removed, (None, None), format!("Recipient {} was deleted from the workspace", action.name))
        }
        (ActionKind::Create, _) => (DriftKind::Removed, (None, None), format!("Share {} was deleted from the workspace", action.name)),
        (ActionKind::AddObject, _) => {
            (DriftKind::Removed, share_touched(), format!("{} was removed from share {in_share}", object_words(&action.name)))
        }
        (ActionKind::RemoveObject, _) => {
            let object = share_state.and_then(|state| state.info.objects.iter().find(|object| name_key(&object.name) == action.name));
            let who = object.map(added).unwrap_or_default();
            (DriftKind::Added, who, format!("{} was added to share {in_share}", object_words(&action.name)))
        }
        (ActionKind::Grant, _) => (DriftKind::Removed, (None, None), format!("{}'s access to share {in_share} was revoked", action.name)),
        (ActionKind::Revoke, _) => (DriftKind::Added, (None, None), format!("{} was granted access to share {in_share}", action.name)),
        (ActionKind::Update, ResourceType::Recipient) => {
            let who = snapshot.recipient(&action.name).map(|r| touched(&r.updated_by, &r.updated_at)).unwrap_or_default();
            (DriftKind::Modified, who, format!("Recipient {} was changed: {}", action.name, fields_words(action)))
        }
        (ActionKind::Update, _) => {
            let who = snapshot.share(&action.name).map(|s| touched(&s.info.updated_by, &s.info.updated_at)).unwrap_or_default();
            (DriftKind::Modified, who, format!("Share {} was changed: {}", action.name, fields_words(action)))
        }
        (ActionKind::UpdateObject, _) => (
            DriftKind::Modified,
            share_touched(),
            format!("{} in share {in_share} was changed: {}", object_words(&action.name), fields_words(action)),
        ),
        // Retiring what the pack no longer lists is a plan's business, not drift.
        (ActionKind::Delete | ActionKind::Unchanged, _) => return None,
    };
    // The plan says before (the workspace) and after (the pack).
    let fields = action
        .changes
        .iter()
        .map(|change| DriftField { field: change.field.clone(), recorded: change.after.clone(), workspace: change.before.clone() })
        .collect();
    Some(Difference {
        kind,
        resource_type: action.resource_type,
        name: action.name.clone(),
        share: action.share.clone(),
        fields,
        changed_by,
        changed_at,
        summary,
    })
}

/// What the planner refuses to plan (Databricks cannot change it in place) still differs: a
/// recipient made again by hand with another authentication type or metastore.
fn changed_in_place(pack: &SharePack, snapshot: &Snapshot) -> Vec<Difference> {
    let mut out = Vec::new();
    for recipient in &pack.recipients {
        let Some(existing) = snapshot.recipient(&recipient.name) else { continue };
        let desired = crate::plan::desired_recipient(recipient);
        let kind = |auth: &Option<String>| auth.clone().unwrap_or_else(|| "TOKEN".into()).to_uppercase();
        let mut fields = Vec::new();
        if kind(&existing.authentication_type) != kind(&desired.authentication_type) {
            fields.push(DriftField {
                field: "authentication type".into(),
                recorded: Some(kind(&desired.authentication_type)),
                workspace: Some(kind(&existing.authentication_type)),
            });
        } else {
            let metastore = |id: &Option<String>| id.as_ref().map(|id| id.to_lowercase());
            if metastore(&existing.data_recipient_global_metastore_id) != metastore(&desired.data_recipient_global_metastore_id) {
                fields.push(DriftField {
                    field: "metastore".into(),
                    recorded: metastore(&desired.data_recipient_global_metastore_id),
                    workspace: metastore(&existing.data_recipient_global_metastore_id),
                });
            }
        }
        if fields.is_empty() {
            continue;
        }
        let (changed_by, changed_at) = touched(&existing.updated_by, &existing.updated_at);
        out.push(Difference {
            kind: DriftKind::Modified,
            resource_type: ResourceType::Recipient,
            name: desired.name.clone(),
            share: None,
            summary: format!("Recipient {} was made again with another {}", desired.name, fields[0].field),
            fields,
            changed_by,
            changed_at,
        });
    }
    out
}

/// Recipients and shares in the workspace that no share pack manages (`managed` holds the
/// lower-case names of those that one does).
pub fn unmanaged(snapshot: &Snapshot, managed_recipients: &BTreeSet<String>, managed_shares: &BTreeSet<String>) -> Vec<Difference> {
    let recipients = snapshot.recipients.iter().filter(|(key, _)| !managed_recipients.contains(*key)).map(|(key, recipient)| {
        let (changed_by, changed_at) = touched(&recipient.updated_by, &recipient.updated_at);
        Difference {
            kind: DriftKind::Unmanaged,
            resource_type: ResourceType::Recipient,
            name: key.clone(),
            share: None,
            fields: Vec::new(),
            changed_by,
            changed_at,
            summary: format!("Recipient {key} is in the workspace, but no share pack manages it"),
        }
    });
    let shares = snapshot.shares.iter().filter(|(key, _)| !managed_shares.contains(*key)).map(|(key, share)| {
        let (changed_by, changed_at) = touched(&share.info.updated_by, &share.info.updated_at);
        Difference {
            kind: DriftKind::Unmanaged,
            resource_type: ResourceType::Share,
            name: key.clone(),
            share: None,
            fields: Vec::new(),
            changed_by,
            changed_at,
            summary: format!("Share {key} is in the workspace, but no share pack manages it"),
        }
    });
    recipients.chain(shares).collect()
}

fn touched(by: &Reported<String>, at: &Reported<i64>) -> (Option<String>, Option<DateTime<Utc>>) {
    (by.get().filter(|by| !by.is_empty()), at.get().and_then(DateTime::from_timestamp_millis))
}

fn added(object: &SharedObject) -> (Option<String>, Option<DateTime<Utc>>) {
    touched(&object.added_by, &object.added_at)
}

fn object_words(name: &str) -> String {
    format!("Object {name}")
}

fn fields_words(action: &Action) -> String {
    let fields: Vec<String> = action
        .changes
        .iter()
        .map(|change| {
            let show = |value: &Option<String>| value.clone().unwrap_or_else(|| "nothing".into());
            format!("{} is {} (recorded: {})", change.field, show(&change.before), show(&change.after))
        })
        .collect();
    fields.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::databricks::client::{RecipientInfo, ShareInfo};
    use crate::plan::snapshot::ShareState;
    use crate::plan::{plan, PlanOptions};

    const PACK: &str = r#"
metadata:
  requestor: ann@example.com
  business_line: Finance
  project_name: Drift
  strategy: NEW
recipient:
  - name: acme
    type: D2O
    email: ops@acme.example
    comment: Acme
  - name: beta
    type: D2O
    email: ops@beta.example
share:
  - name: sales
    data_objects:
      - catalog.schema.orders
      - catalog.schema.customers
    recipients:
      - acme
      - beta
"#;

    fn applied() -> (SharePack, Snapshot) {
        crate::drift::applied(PACK)
    }

    fn found(pack: &SharePack, snapshot: &Snapshot) -> Vec<Difference> {
        differences(pack, snapshot, &plan(pack, snapshot, PlanOptions::default()))
    }

    #[test]
    fn an_applied_pack_on_an_untouched_workspace_has_no_drift() {
        let (pack, snapshot) = applied();
        assert_eq!(found(&pack, &snapshot), Vec::new());
    }

    #[test]
    fn each_change_behind_sharepacks_back_is_one_difference() {
        let (pack, mut snapshot) = applied();
        let sales: &mut ShareState = snapshot.shares.get_mut("sales").unwrap();
        sales.info.objects.retain(|object| object.name != "catalog.schema.orders");
        sales.info.objects.push(SharedObject {
            name: "catalog.schema.revenue_table".into(),
            added_by: Reported(Some("mallory@example.com".into())),
            added_at: Reported(Some(1_767_225_600_000)),
            ..Default::default()
        });
        sales.info.updated_by = Reported(Some("mallory@example.com".into()));
        sales.grants.remove("beta");
        sales.grants.insert("stranger".into());
        let acme: &mut RecipientInfo = snapshot.recipients.get_mut("acme").unwrap();
        acme.comment = Some("changed by hand".into());
        acme.updated_by = Reported(Some("bob@example.com".into()));
        let mut differences = found(&pack, &snapshot);
        differences.sort_by(|a, b| a.summary.cmp(&b.summary));
        let seen: Vec<(DriftKind, ResourceType, &str, Option<&str>)> =
            differences.iter().map(|d| (d.kind, d.resource_type, d.name.as_str(), d.changed_by.as_deref())).collect();
        assert_eq!(
            seen,
            vec![
                (DriftKind::Removed, ResourceType::DataObject, "catalog.schema.orders", Some("mallory@example.com")),
                (DriftKind::Added, ResourceType::DataObject, "catalog.schema.revenue_table", Some("mallory@example.com")),
                (DriftKind::Modified, ResourceType::Recipient, "acme", Some("bob@example.com")),
                (DriftKind::Removed, ResourceType::Grant, "beta", None),
                (DriftKind::Added, ResourceType::Grant, "stranger", None),
            ]
        );
        let modified = differences.iter().find(|d| d.kind == DriftKind::Modified).unwrap();
        assert_eq!(
            modified.fields,
            vec![DriftField { field: "comment".into(), recorded: Some("Acme".into()), workspace: Some("changed by hand".into()) }]
        );
        let added = differences.iter().find(|d| d.kind == DriftKind::Added && d.resource_type == ResourceType::DataObject).unwrap();
        assert_eq!(added.changed_at, DateTime::from_timestamp_millis(1_767_225_600_000));
    }

    #[test]
    fn a_deleted_share_or_recipient_is_one_finding_not_one_per_object_and_grant() {
        let (pack, mut snapshot) = applied();
        snapshot.shares.remove("sales");
        snapshot.recipients.remove("beta");
        let mut differences = found(&pack, &snapshot);
        differences.sort_by(|a, b| a.summary.cmp(&b.summary));
        let seen: Vec<(DriftKind, ResourceType, &str)> = differences.iter().map(|d| (d.kind, d.resource_type, d.name.as_str())).collect();
        assert_eq!(seen, vec![(DriftKind::Removed, ResourceType::Recipient, "beta"), (DriftKind::Removed, ResourceType::Share, "sales")]);
    }

    #[test]
    fn a_recipient_made_again_with_another_type_differs() {
        let (pack, mut snapshot) = applied();
        let acme = snapshot.recipients.get_mut("acme").unwrap();
        acme.authentication_type = Some("DATABRICKS".into());
        let differences = found(&pack, &snapshot);
        assert_eq!(differences.len(), 1, "{differences:?}");
        assert_eq!(differences[0].fields[0].recorded.as_deref(), Some("TOKEN"));
        assert_eq!(differences[0].fields[0].workspace.as_deref(), Some("DATABRICKS"));
    }

    #[test]
    fn what_no_pack_manages_is_unmanaged_not_drift() {
        let (_, mut snapshot) = applied();
        snapshot.recipients.insert("outsider".into(), RecipientInfo { name: "outsider".into(), ..Default::default() });
        snapshot.shares.insert(
            "side".into(),
            ShareState { info: ShareInfo { name: "side".into(), ..Default::default() }, grants: Default::default() },
        );
        let managed_recipients: BTreeSet<String> = ["acme".to_string(), "beta".to_string()].into();
        let managed_shares: BTreeSet<String> = ["sales".to_string()].into();
        let names: Vec<(ResourceType, String)> =
            unmanaged(&snapshot, &managed_recipients, &managed_shares).into_iter().map(|d| (d.resource_type, d.name)).collect();
        assert_eq!(names, vec![(ResourceType::Recipient, "outsider".to_string()), (ResourceType::Share, "side".to_string())]);
    }
}
