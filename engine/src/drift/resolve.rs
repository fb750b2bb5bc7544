//! The two ways out of drift for a share pack, each a file Sharepack makes for the pack's next
//! version, which is then planned, shown, approved and run like any upload:
//!
//! - restore: the applied version again; planned afresh, its plan puts the workspace back
//!   (what was added by hand is removed, once confirmed).
//! - adopt: the workspace's state for what the pack manages, written as the pack ([`adopted`],
//!   pure); its plan changes nothing in the workspace, and it becomes what Sharepack records.

use crate::access::{Act, Principal};
use crate::apply::rollback::{source, Source};
use crate::databricks::client::SharedObject;
use crate::databricks::workspaces::Workspaces;
use crate::error::{Class, Problem};
use crate::model::{
    name_key, DataObject, DataObjectType, Partition, PartitionOp, PartitionValue, Recipient, RecipientType, SharePack, Strategy,
};
use crate::plan::snapshot::Snapshot;
use crate::records::PackStatus;
use crate::store::Store;
use std::collections::BTreeSet;
use uuid::Uuid;

/// The version a restore or an adoption starts from: the pack's current version, which a run
/// must have applied (the caller seeing the pack and holding the requester role for it).
async fn applied_version(store: &Store, by: &Principal, id: Uuid) -> Result<(i64, String), Problem> {
    let missing = || Problem::not_found("share pack", &id.to_string());
    let owner = store.share_pack_owner(id).await?.ok_or_else(missing)?;
    by.reveal(&owner.as_owner(), "share pack", &id.to_string())?;
    by.require(Act::Request, Some(&owner.as_owner()))?;
    let pack = store.share_pack(id).await?.ok_or_else(missing)?;
    if pack.record.status != PackStatus::Completed {
        return Err(Problem::new(
            Class::Conflict,
            "not_applied",
            format!(
                "The share pack's current version {} is {}, not applied: there is no recorded state to compare",
                pack.record.upload, pack.record.status
            ),
        )
        .hint("Wait for its run, or roll back to a version a run applied"));
    }
    Ok((pack.record.upload, pack.record.workspace_url))
}

/// The applied version's file again, to put the workspace back as it says.
pub async fn restore_source(store: &Store, by: &Principal, id: Uuid) -> Result<Source, Problem> {
    let (version, _) = applied_version(store, by, id).await?;
    let mut source = source(store, by, id, version).await?;
    source.note = format!("restoring version {version} over drift in the workspace");
    Ok(source)
}

/// Recipients and shares no pack manages, to take into a pack as it adopts the workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Include {
    #[serde(default)]
    pub recipients: Vec<String>,
    #[serde(default)]
    pub shares: Vec<String>,
}

/// Each name to include must be what the last drift check found unmanaged on the workspace:
/// a resource another pack manages is not taken over by this one.
async fn check_unmanaged(store: &Store, by: &Principal, url: &str, include: &Include) -> Result<(), Problem> {
    use crate::plan::ResourceType;
    if include.recipients.is_empty() && include.shares.is_empty() {
        return Ok(());
    }
    // What no pack manages is listed to those who see every business line: only they take it in.
    if by.visibility() != crate::access::Visibility::All {
        return Err(Problem::new(
            Class::Forbidden,
            "role_missing",
            "Unmanaged resources belong to no business line yet: administrators adopt them into a pack",
        ));
    }
    let asked = include
        .recipients
        .iter()
        .enumerate()
        .map(|(index, name)| (ResourceType::Recipient, format!("Recipients[{index}]"), name))
        .chain(include.shares.iter().enumerate().map(|(index, name)| (ResourceType::Share, format!("Shares[{index}]"), name)));
    for (resource_type, at, name) in asked {
        if !is_unmanaged(store, url, resource_type, name).await? {
            let what = if resource_type == ResourceType::Recipient { "recipient" } else { "share" };
            return Err(Problem::new(
                Class::Conflict,
                "not_unmanaged",
                format!("The {what} `{name}` is not among what the last drift check found unmanaged"),
            )
            .hint("Run a drift check; only what no share pack manages can be taken into one")
            .at(at));
        }
    }
    Ok(())
}

/// Whether the last drift check found the recipient or share `name` unmanaged.
async fn is_unmanaged(store: &Store, url: &str, resource_type: crate::plan::ResourceType, name: &str) -> Result<bool, Problem> {
    let key = crate::apply::keys::drift_finding(url, resource_type, None, name);
    let open = store.current(crate::store::Entity::DriftFinding, key).await?;
    Ok(open
        .and_then(|version| serde_json::from_value::<super::DriftFinding>(version.data).ok())
        .is_some_and(|finding| finding.difference.kind == crate::records::DriftKind::Unmanaged))
}
/// `pack` with empty entries for the resources to include (the adoption fills them from the
/// workspace: a recipient's settings, a share's objects and grants).
pub fn including(pack: &SharePack, include: &Include) -> SharePack {
    let mut out = pack.clone();
    let has = |names: Vec<String>, name: &str| names.contains(&name_key(name));
    for name in &include.recipients {
        if !has(out.recipients.iter().map(|recipient| name_key(&recipient.name)).collect(), name) {
            out.recipients.push(blank_recipient(name_key(name), RecipientType::D2O));
        }
    }
    for name in &include.shares {
        if !has(out.shares.iter().map(|share| name_key(&share.name)).collect(), name) {
            out.shares.push(crate::model::Share {
                name: name_key(name),
                comment: None,
                recipients: Vec::new(),
                data_objects: Vec::new(),
                origin: Default::default(),
                fields: Default::default(),
            });
        }
    }
    out
}

/// The workspace's state for what the applied version manages, and the unmanaged resources
/// `include` names, as a YAML file.
pub async fn adopt_source(store: &Store, workspaces: &Workspaces, by: &Principal, id: Uuid, include: &Include) -> Result<Source, Problem> {
    let (version, workspace_url) = applied_version(store, by, id).await?;
    let workspace = workspaces.select(Some(&workspace_url), None).map_err(|unknown| unknown.problem())?;
    check_unmanaged(store, by, &workspace.url, include).await?;
    let parsed = store.pack_file_parsed(id, version).await?.ok_or_else(|| Problem::not_found("version", &format!("{id}/{version}")))?;
    let pack: SharePack = serde_json::from_value(parsed).map_err(|error| {
        tracing::error!(%error, pack = %id, version, "a stored pack cannot be read");
        Problem::internal("reading the applied version")
    })?;
    let pack = including(&pack, include);
    let managed: BTreeSet<String> = pack.shares.iter().map(|share| name_key(&share.name)).collect();
    let snapshot = super::check::read_workspace(&workspace.client, &managed).await.map_err(|error| {
        Problem::new(Class::Unavailable, "workspace_unavailable", format!("The workspace could not be read: {error}"))
            .hint("Nothing was made; try again in a moment")
    })?;
    // An included share granted to a recipient another pack manages would take that recipient
    // into this pack: refused, naming it.
    let defined: BTreeSet<String> = pack.recipients.iter().map(|recipient| name_key(&recipient.name)).collect();
    for (index, share) in include.shares.iter().enumerate() {
        for granted in snapshot.share(share).map(|state| state.grants.clone()).unwrap_or_default() {
            if !defined.contains(&granted) && !is_unmanaged(store, &workspace.url, crate::plan::ResourceType::Recipient, &granted).await? {
                return Err(Problem::new(
                    Class::Conflict,
                    "granted_to_managed",
                    format!("Share `{share}` is granted to recipient `{granted}`, which another share pack manages"),
                )
                .hint("Adopt the share into the pack that manages the recipient, or revoke the grant first")
                .at(format!("Shares[{index}]")));
            }
        }
    }
    let adopted = adopted(&pack, &snapshot);
    let file_name = format!("{}-adopted.yaml", name_key(&pack.metadata.project_name).replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    Ok(Source {
        file_name,
        bytes: crate::templates::write_yaml(&adopted).into_bytes(),
        workspace_url,
        note: format!("adopting the workspace's state over version {version}"),
    })
}

/// `pack` as the workspace has it now: its recipients and shares that still exist, each with
/// the workspace's settings, objects and grants (the pack's own entries kept where they still
/// hold, so names and options read as before). A grant to a recipient the pack does not define
/// is kept; validation then asks for that recipient's details.
pub fn adopted(pack: &SharePack, snapshot: &Snapshot) -> SharePack {
    let mut out = pack.clone();
    out.strip_locations();
    out.metadata.strategy = Some(Strategy::Update);
    out.recipients.retain(|recipient| snapshot.recipient(&recipient.name).is_some());
    for recipient in &mut out.recipients {
        let Some(now) = snapshot.recipient(&recipient.name) else { continue };
        adopt_recipient(recipient, now);
    }
    out.shares.retain(|share| snapshot.share(&share.name).is_some());
    for share in &mut out.shares {
        let Some(now) = snapshot.share(&share.name) else { continue };
        share.comment = now.info.comment.clone().filter(|comment| !comment.is_empty());
        let granted = |name: &String| now.grants.contains(&name_key(name));
        share.recipients.retain(granted);
        let listed: BTreeSet<String> = share.recipients.iter().map(|name| name_key(name)).collect();
        share.recipients.extend(now.grants.iter().filter(|name| !listed.contains(*name)).cloned());
        let objects: Vec<&SharedObject> = now.info.objects.iter().collect();
        share.data_objects.retain(|object| objects.iter().any(|now| name_key(&now.name) == name_key(&object.name)));
        for object in &mut share.data_objects {
            if let Some(now) = objects.iter().find(|now| name_key(&now.name) == name_key(&object.name)) {
                adopt_object(object, now);
            }
        }
        let kept: BTreeSet<String> = share.data_objects.iter().map(|object| name_key(&object.name)).collect();
        for now in objects.into_iter().filter(|now| !kept.contains(&name_key(&now.name))) {
            let mut object = DataObject::table(name_key(&now.name), crate::finding::Location::default());
            adopt_object(&mut object, now);
            share.data_objects.push(object);
        }
    }
    // Recipients granted by hand that the pack does not define, with what the workspace knows.
    let defined: BTreeSet<String> = out.recipients.iter().map(|recipient| name_key(&recipient.name)).collect();
    let granted: BTreeSet<String> = out.shares.iter().flat_map(|share| share.recipients.iter().map(|name| name_key(name))).collect();
    for name in granted.difference(&defined) {
        if let Some(now) = snapshot.recipients.get(name) {
            let kind = RecipientType::parse(now.authentication_type.as_deref().unwrap_or("TOKEN")).unwrap_or(RecipientType::D2O);
            let mut recipient = blank_recipient(name.clone(), kind);
            adopt_recipient(&mut recipient, now);
            out.recipients.push(recipient);
        }
    }
    out
}

/// A recipient with nothing but its name and kind, for the adoption to fill from the workspace.
fn blank_recipient(name: String, kind: RecipientType) -> Recipient {
    Recipient {
        name,
        kind,
        email: None,
        metastore_id: None,
        allowed_ips: Vec::new(),
        comment: None,
        token_expiry: None,
        properties: Default::default(),
        origin: Default::default(),
        fields: Default::default(),
    }
}

fn adopt_recipient(recipient: &mut Recipient, now: &crate::databricks::client::RecipientInfo) {
    if let Some(kind) = now.authentication_type.as_deref().and_then(RecipientType::parse) {
        recipient.kind = kind;
    }
    recipient.metastore_id = now.data_recipient_global_metastore_id.clone().filter(|_| recipient.kind == RecipientType::D2D);
    recipient.comment = now.comment.clone().filter(|comment| !comment.is_empty());
    recipient.allowed_ips = now.ip_access_list.iter().flat_map(|list| list.allowed_ip_addresses.iter().cloned()).collect();
    recipient.properties = crate::plan::pack_properties(now);
}

fn adopt_object(object: &mut DataObject, now: &SharedObject) {
    if let Some(kind) = now.data_object_type.as_deref().and_then(DataObjectType::parse) {
        object.kind = kind;
    }
    object.shared_as = now.shared_as.clone().filter(|alias| !alias.is_empty());
    object.history_sharing = (now.history_data_sharing_status.as_deref() == Some("ENABLED")).then_some(true);
    object.cdf_enabled = now.cdf_enabled.filter(|on| *on);
    object.comment = now.comment.clone().filter(|comment| !comment.is_empty());
    object.partitions =
        now.partitions.as_ref().and_then(|value| value.as_array()).map(|list| list.iter().map(partition).collect()).unwrap_or_default();
}

/// A partition as the API writes it (`{"values": [{"name", "op", "value" | "recipient_property_key"}]}`).
fn partition(value: &serde_json::Value) -> Partition {
    let values = value["values"].as_array().cloned().unwrap_or_default();
    Partition {
        values: values
            .iter()
            .map(|value| PartitionValue {
                name: value["name"].as_str().unwrap_or_default().to_string(),
                op: if value["op"].as_str() == Some("LIKE") { PartitionOp::Like } else { PartitionOp::Equal },
                value: value["value"].as_str().map(str::to_string),
                recipient_property_key: value["recipient_property_key"].as_str().map(str::to_string),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::databricks::client::Reported;
    use crate::intake::read_pack;
    use crate::plan::{plan, ActionKind, PlanOptions};

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
      - name: catalog.schema.customers
        shared_as: crm.customers
    recipients:
      - acme
      - beta
"#;

    #[test]
    fn an_adopted_pack_plans_no_change_to_the_workspace_as_it_is() {
        let (pack, mut workspace) = crate::drift::applied(PACK);
        // By hand: a recipient deleted, a comment changed, an object dropped and one added with
        // options, a grant given to a recipient the pack does not know.
        workspace.recipients.remove("beta");
        workspace.recipients.get_mut("acme").unwrap().comment = Some("by hand".into());
        workspace.recipients.insert(
            "stranger".into(),
            crate::databricks::client::RecipientInfo {
                name: "stranger".into(),
                authentication_type: Some("DATABRICKS".into()),
                data_recipient_global_metastore_id: Some("azure:westeurope:11111111-2222-3333-4444-555555555555".into()),
                ..Default::default()
            },
        );
        let sales = workspace.shares.get_mut("sales").unwrap();
        sales.info.objects.retain(|object| object.name != "catalog.schema.orders");
        sales.info.objects.push(SharedObject {
            name: "catalog.schema.revenue_table".into(),
            data_object_type: Some("TABLE".into()),
            history_data_sharing_status: Some("ENABLED".into()),
            added_by: Reported(Some("mallory@example.com".into())),
            ..Default::default()
        });
        sales.grants.remove("beta");
        sales.grants.insert("stranger".into());

        let adopted = adopted(&pack, &workspace);
        let written = crate::templates::write_yaml(&adopted);
        let read = read_pack(written.as_bytes(), Some("adopted.yaml"), &Default::default()).unwrap();
        assert!(!read.findings.iter().any(|finding| finding.is_error()), "{:?}", read.findings);
        let read = read.pack.unwrap();
        let again = plan(&read, &workspace, PlanOptions::default());
        let changes: Vec<_> = again.actions.iter().filter(|action| action.action != ActionKind::Unchanged).collect();
        assert_eq!(changes, Vec::<&crate::plan::Action>::new(), "adopting changes nothing in the workspace");
        let names: Vec<&str> = read.recipients.iter().map(|recipient| recipient.name.as_str()).collect();
        assert_eq!(names, vec!["acme", "stranger"]);
        let customers = read.shares[0].data_objects.iter().find(|object| object.name == "catalog.schema.customers").unwrap();
        assert_eq!(customers.shared_as.as_deref(), Some("crm.customers"), "the pack's own options stay where they hold");
    }
}
