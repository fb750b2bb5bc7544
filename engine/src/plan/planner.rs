//! The planning logic (see the module docs of [`super`]).

use super::snapshot::{ShareState, Snapshot};
use super::types::*;
use crate::databricks::client::{IpAccessList, Properties, RecipientInfo, RecipientToken, ShareInfo, SharedObject};
use crate::finding::{Finding, Location};
use crate::model::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Most tables a share holds, recipients and shares a metastore holds.
const MAX_TABLES_PER_SHARE: usize = 1000;
const MAX_RECIPIENTS: usize = 5000;
const MAX_SHARES: usize = 1000;

#[derive(Debug, Clone, Copy, Default)]
pub struct PlanOptions {
    /// Refuse NEW when named resources exist, instead of switching to UPDATE.
    pub strict: bool,
}

/// Plans `pack` against `snapshot`.
pub fn plan(pack: &SharePack, snapshot: &Snapshot, options: PlanOptions) -> Plan {
    let mut planner = Planner { snapshot, actions: Vec::new(), findings: Vec::new() };
    let strategy = planner.strategy(pack, options);
    for recipient in &pack.recipients {
        planner.recipient(recipient);
    }
    for share in &pack.shares {
        planner.share(share);
    }
    planner.retire(pack);
    planner.limits(pack);
    let summary = summarize(&planner.actions);
    let story = story(pack, &planner.actions);
    Plan { declared: pack.metadata.strategy, strategy, actions: planner.actions, findings: planner.findings, summary, story }
}

/// What an action is about.
struct Target<'a> {
    resource_type: ResourceType,
    name: &'a str,
    share: Option<&'a str>,
}

struct Planner<'a> {
    snapshot: &'a Snapshot,
    actions: Vec<Action>,
    findings: Vec<Finding>,
}

impl Planner<'_> {
    fn strategy(&mut self, pack: &SharePack, options: PlanOptions) -> Strategy {
        let existing_recipients: Vec<&Recipient> = pack.recipients.iter().filter(|r| self.snapshot.recipient(&r.name).is_some()).collect();
        let existing_shares: Vec<&Share> = pack.shares.iter().filter(|s| self.snapshot.share(&s.name).is_some()).collect();
        let existing = existing_recipients.len() + existing_shares.len();
        let at = pack.metadata.at("strategy");
        match pack.metadata.strategy {
            Some(Strategy::New) if existing > 0 && options.strict => {
                for recipient in existing_recipients {
                    self.findings.push(
                        Finding::error("already_exists", recipient.at("name"), format!("Recipient '{}' already exists", recipient.name))
                            .hint("Use strategy UPDATE to change it, or give the new recipient another name"),
                    );
                }
                for share in existing_shares {
                    self.findings.push(
                        Finding::error("already_exists", share.at("name"), format!("Share '{}' already exists", share.name))
                            .hint("Use strategy UPDATE to change it, or give the new share another name"),
                    );
                }
                Strategy::New
            }
            Some(Strategy::New) if existing > 0 => {
                self.findings.push(Finding::warning(
                    "strategy_switched",
                    at,
                    format!(
                        "Auto-switched from NEW to UPDATE: {} recipient(s) and {} share(s) already exist. Existing resources will be updated, new ones will be created.",
                        existing_recipients.len(),
                        existing_shares.len()
                    ),
                ));
                Strategy::Update
            }
            Some(Strategy::Update) if existing == 0 => {
                self.findings.push(
                    Finding::warning(
                        "nothing_to_update",
                        at,
                        "Declared UPDATE, but none of the recipients and shares exist yet: everything will be created",
                    )
                    .hint("Use strategy NEW for a first upload"),
                );
                Strategy::Update
            }
            Some(declared) => declared,
            None => {
                let detected = if existing > 0 { Strategy::Update } else { Strategy::New };
                self.findings.push(Finding::info(
                    "strategy_detected",
                    at,
                    format!(
                        "Strategy detected: {} ({existing} of {} named resources exist)",
                        detected.as_str(),
                        pack.recipients.len() + pack.shares.len()
                    ),
                ));
                detected
            }
        }
    }

    fn push(
        &mut self,
        action: ActionKind,
        target: Target<'_>,
        reason: impl Into<String>,
        at: Location,
        changes: Vec<FieldChange>,
        payload: Value,
    ) {
        let Target { resource_type, name, share } = target;
        let needs_confirmation = action.is_removal();
        self.actions.push(Action {
            action,
            resource_type,
            name: name.to_string(),
            share: share.map(str::to_string),
            changes,
            reason: reason.into(),
            location: at.to_string(),
            at,
            needs_confirmation,
            payload,
        });
    }

    fn recipient(&mut self, recipient: &Recipient) {
        if recipient.name.is_empty() {
            return;
        }
        let desired = desired_recipient(recipient);
        let at = recipient.origin.clone();
        if recipient.kind == RecipientType::D2D {
            let own = &self.snapshot.metastore.global_metastore_id;
            if recipient.metastore_id.as_deref().is_some_and(|id| !own.is_empty() && id.eq_ignore_ascii_case(own)) {
                self.findings.push(
                    Finding::error(
                        "own_metastore",
                        recipient.at("metastore_id"),
                        format!("`{}` is this workspace's own metastore; a recipient must be another one", own),
                    )
                    .hint("Ask the recipient for the result of SELECT CURRENT_METASTORE() in their workspace"),
                );
            }
        } else if self.snapshot.metastore.delta_sharing_scope.eq_ignore_ascii_case("INTERNAL") {
            self.findings.push(
                Finding::error(
                    "open_sharing_off",
                    recipient.at("type"),
                    format!(
                        "Recipient `{}` needs open sharing, which this metastore does not allow (delta_sharing_scope INTERNAL)",
                        recipient.name
                    ),
                )
                .hint("Ask a metastore admin to allow external sharing, or make the recipient D2D"),
            );
        }
        let Some(existing) = self.snapshot.recipient(&recipient.name) else {
            let payload = serde_json::to_value(&desired).unwrap_or_default();
            self.push(
                ActionKind::Create,
                Target { resource_type: ResourceType::Recipient, name: &desired.name, share: None },
                "new recipient",
                at,
                Vec::new(),
                payload,
            );
            return;
        };
        let existing_type = existing.authentication_type.as_deref().unwrap_or("TOKEN");
        if !existing_type.eq_ignore_ascii_case(desired.authentication_type.as_deref().unwrap_or("TOKEN")) {
            self.findings.push(
                Finding::error(
                    "cannot_change_type",
                    recipient.at("type"),
                    format!(
                        "Recipient `{}` exists as {existing_type}; Databricks cannot change a recipient's authentication type in place",
                        recipient.name
                    ),
                )
                .hint("Keep the type, or use a new recipient name (and remove the old recipient in Databricks once nobody needs it)"),
            );
            return;
        }
        if existing_type.eq_ignore_ascii_case("DATABRICKS") {
            let before = existing.data_recipient_global_metastore_id.clone().unwrap_or_default();
            let after = desired.data_recipient_global_metastore_id.clone().unwrap_or_default();
            if !before.eq_ignore_ascii_case(&after) {
                self.findings.push(
                    Finding::error(
                        "cannot_change_metastore",
                        recipient.at("metastore_id"),
                        format!("Recipient `{}` is bound to metastore {before}; Databricks cannot change that in place", recipient.name),
                    )
                    .hint("Use a new recipient name for the other metastore"),
                );
                return;
            }
        }
        let changes = recipient_changes(existing, &desired);
        if changes.is_empty() {
            self.push(
                ActionKind::Unchanged,
                Target { resource_type: ResourceType::Recipient, name: &desired.name, share: None },
                "already as the pack says",
                at,
                Vec::new(),
                Value::Null,
            );
        } else {
            let reason = format!(
                "{} differ{} from the workspace",
                list(changes.iter().map(|c| c.field.as_str())),
                if changes.len() == 1 { "s" } else { "" }
            );
            let payload = recipient_patch(&desired, &changes);
            self.push(
                ActionKind::Update,
                Target { resource_type: ResourceType::Recipient, name: &desired.name, share: None },
                reason,
                at,
                changes,
                payload,
            );
        }
    }

    fn share(&mut self, share: &Share) {
        if share.name.is_empty() {
            return;
        }
        let name = name_key(&share.name);
        let empty = ShareState::default();
        let existing = self.snapshot.share(&share.name);
        let state = existing.unwrap_or(&empty);
        match existing {
            None => self.push(
                ActionKind::Create,
                Target { resource_type: ResourceType::Share, name: &name, share: None },
                "new share",
                share.origin.clone(),
                Vec::new(),
                json!({"name": name, "comment": share.comment}),
            ),
            Some(state) if state.info.comment.as_deref().unwrap_or("") != share.comment.as_deref().unwrap_or("") => {
                let change = FieldChange { field: "comment".into(), before: state.info.comment.clone(), after: share.comment.clone() };
                self.push(
                    ActionKind::Update,
                    Target { resource_type: ResourceType::Share, name: &name, share: None },
                    "comment differs from the workspace",
                    share.at("comment"),
                    vec![change],
                    json!({"comment": share.comment}),
                );
            }
            Some(_) => self.push(
                ActionKind::Unchanged,
                Target { resource_type: ResourceType::Share, name: &name, share: None },
                "already as the pack says",
                share.origin.clone(),
                Vec::new(),
                Value::Null,
            ),
        }
        // Objects, as sets keyed by lowercase name.
        let current: BTreeMap<String, &SharedObject> = state.info.objects.iter().map(|object| (name_key(&object.name), object)).collect();
        let mut wanted = BTreeSet::new();
        for object in &share.data_objects {
            if object.name.is_empty() {
                continue;
            }
            let desired = shared_object(object);
            wanted.insert(desired.name.clone());
            self.preflight_object(object, &desired);
            match current.get(&desired.name) {
                None => {
                    let reason = if existing.is_some() { "listed in the pack, not yet in the share" } else { "listed in the pack" };
                    self.push(
                        ActionKind::AddObject,
                        Target { resource_type: ResourceType::DataObject, name: &desired.name, share: Some(&name) },
                        reason,
                        object.origin.clone(),
                        Vec::new(),
                        update_payload("ADD", &desired),
                    );
                }
                Some(now) => {
                    let changes = object_changes(now, &desired);
                    if changes.is_empty() {
                        self.push(
                            ActionKind::Unchanged,
                            Target { resource_type: ResourceType::DataObject, name: &desired.name, share: Some(&name) },
                            "already shared as the pack says",
                            object.origin.clone(),
                            Vec::new(),
                            Value::Null,
                        );
                    } else {
                        let reason = format!("{} differ from the workspace", list(changes.iter().map(|c| c.field.as_str())));
                        self.push(
                            ActionKind::UpdateObject,
                            Target { resource_type: ResourceType::DataObject, name: &desired.name, share: Some(&name) },
                            reason,
                            object.origin.clone(),
                            changes,
                            update_payload("UPDATE", &desired),
                        );
                    }
                }
            }
        }
        for (key, object) in &current {
            if !wanted.contains(key) {
                let removal =
                    SharedObject { name: object.name.clone(), data_object_type: object.data_object_type.clone(), ..Default::default() };
                self.push(
                    ActionKind::RemoveObject,
                    Target { resource_type: ResourceType::DataObject, name: key, share: Some(&name) },
                    "in the share, but no longer listed in the pack",
                    share.at("data_objects"),
                    Vec::new(),
                    update_payload("REMOVE", &removal),
                );
            }
        }
        // Grants, as sets of lowercase recipient names.
        let wanted: BTreeSet<String> = share.recipients.iter().map(|recipient| name_key(recipient)).collect();
        for (index, recipient) in share.recipients.iter().enumerate() {
            let key = name_key(recipient);
            if state.grants.contains(&key) {
                self.push(
                    ActionKind::Unchanged,
                    Target { resource_type: ResourceType::Grant, name: &key, share: Some(&name) },
                    "already granted",
                    share.item_at("recipients", index),
                    Vec::new(),
                    Value::Null,
                );
            } else if !self
                .actions
                .iter()
                .any(|a| a.resource_type == ResourceType::Grant && a.name == key && a.share.as_deref() == Some(name.as_str()))
            {
                self.push(
                    ActionKind::Grant,
                    Target { resource_type: ResourceType::Grant, name: &key, share: Some(&name) },
                    "listed as a recipient of the share",
                    share.item_at("recipients", index),
                    Vec::new(),
                    json!({"principal": key, "add": ["SELECT"]}),
                );
            }
        }
        for granted in state.grants.difference(&wanted) {
            self.push(
                ActionKind::Revoke,
                Target { resource_type: ResourceType::Grant, name: granted, share: Some(&name) },
                "granted in the workspace, but not listed in the pack",
                share.at("recipients"),
                Vec::new(),
                json!({"principal": granted, "remove": ["SELECT"]}),
            );
        }
    }

    /// What an earlier version of the pack made and this one no longer lists is deleted, like any
    /// removal once confirmed, unless another share pack still uses it (then it is kept, and the
    /// plan names who uses it). A share goes with its objects and grants; a token recipient's
    /// credentials cannot be brought back, which the plan says.
    fn retire(&mut self, pack: &SharePack) {
        let listed: BTreeSet<String> = pack.shares.iter().map(|share| name_key(&share.name)).collect();
        for (name, users) in &self.snapshot.provisioned.shares {
            let Some(state) = self.snapshot.shares.get(name).filter(|_| !listed.contains(name)) else { continue };
            if !users.is_empty() {
                self.findings.push(Finding::info(
                    "kept_in_use",
                    Location::file(),
                    format!("Share {name} is no longer listed, but {} still list it, so it is kept", users.join(", ")),
                ));
                continue;
            }
            let (objects, grants) = (state.info.objects.len(), state.grants.len());
            self.push(
                ActionKind::Delete,
                Target { resource_type: ResourceType::Share, name, share: None },
                format!(
                    "an earlier version of this pack made it and this one no longer lists it: the share goes with its {} and {}",
                    count(objects, "object"),
                    count(grants, "grant")
                ),
                Location::file(),
                Vec::new(),
                Value::Null,
            );
        }
        let listed: BTreeSet<String> = pack.recipients.iter().map(|recipient| name_key(&recipient.name)).collect();
        for (name, users) in &self.snapshot.provisioned.recipients {
            let Some(existing) = self.snapshot.recipients.get(name).filter(|_| !listed.contains(name)) else { continue };
            if !users.is_empty() {
                self.findings.push(Finding::info(
                    "kept_in_use",
                    Location::file(),
                    format!("Recipient {name} is no longer listed, but {} still use it, so it is kept", users.join(", ")),
                ));
                continue;
            }
            let token = existing.authentication_type.as_deref().is_some_and(|kind| kind.eq_ignore_ascii_case("TOKEN"));
            let reason = if token {
                "an earlier version of this pack made it and this one no longer lists it; its activation link and credentials cannot be restored (making it again issues new ones)"
            } else {
                "an earlier version of this pack made it and this one no longer lists it"
            };
            self.push(
                ActionKind::Delete,
                Target { resource_type: ResourceType::Recipient, name, share: None },
                reason,
                Location::file(),
                Vec::new(),
                json!({"authentication_type": existing.authentication_type}),
            );
        }
    }

    /// The workspace's object nearest to a name it does not have: first among those of the same
    /// schema the read listed, then among what the last objects sync saw (another schema or
    /// catalog, when those are what is misspelt). Answers the name and whether it is from the sync.
    fn nearest_object(&self, name: &str) -> Option<(&str, bool)> {
        let (schema, _) = name.rsplit_once('.')?;
        let prefix = format!("{schema}.");
        let listed = self.snapshot.catalog.range(prefix.clone()..).take_while(|(known, _)| known.starts_with(&prefix));
        nearest(listed.map(|(known, _)| known.as_str()), name)
            .map(|near| (near, false))
            .or_else(|| nearest(self.snapshot.synced.keys().map(String::as_str), name).map(|near| (near, true)))
    }

    /// The object exists in the catalog with the declared type.
    fn preflight_object(&mut self, object: &DataObject, desired: &SharedObject) {
        let found = self.snapshot.catalog.get(&desired.name);
        let what = object.kind.as_str();
        match (object.kind, found) {
            (DataObjectType::Schema, Some(kind)) if kind == "SCHEMA" => {}
            (_, None) if object.kind.is_table_like() || object.kind == DataObjectType::Schema => {
                let hint = match self.nearest_object(&desired.name) {
                    Some((near, false)) => format!("Did you mean `{near}`? It is in the workspace"),
                    Some((near, true)) => format!("Did you mean `{near}`? It was in the workspace when its objects were last synced"),
                    None => "Check the catalog, schema and name, or ask the data owner to create it first".to_string(),
                };
                self.findings.push(
                    Finding::error(
                        "object_missing",
                        object.at("name"),
                        format!("{} `{}` does not exist in the workspace", capitalize(&what.to_lowercase().replace('_', " ")), object.name),
                    )
                    .hint(hint),
                )
            }
            (kind, Some(table_type)) if kind.is_table_like() && !type_matches(kind, table_type) => self.findings.push(
                Finding::error(
                    "object_type_mismatch",
                    object.at("type"),
                    format!("`{}` is declared {what} but the workspace has a {table_type}", object.name),
                )
                .hint(format!("Set its type to {}", declared_for(table_type))),
            ),
            _ => {}
        }
    }

    /// Per-share and per-metastore limits once the plan is applied (removals not counted).
    fn limits(&mut self, pack: &SharePack) {
        for share in &pack.shares {
            let name = name_key(&share.name);
            let kept = self.snapshot.share(&share.name).map(|state| state.info.objects.len()).unwrap_or(0);
            let added =
                self.actions.iter().filter(|a| a.action == ActionKind::AddObject && a.share.as_deref() == Some(name.as_str())).count();
            if kept + added > MAX_TABLES_PER_SHARE && kept > 0 {
                self.findings.push(
                    Finding::error(
                        "share_limit",
                        share.at("data_objects"),
                        format!(
                            "Share `{name}` would hold {} objects; Databricks allows {MAX_TABLES_PER_SHARE} tables per share",
                            kept + added
                        ),
                    )
                    .hint("Split the objects over several shares, or confirm removals of objects no longer needed"),
                );
            }
        }
        let new_recipients =
            self.actions.iter().filter(|a| a.action == ActionKind::Create && a.resource_type == ResourceType::Recipient).count();
        let new_shares = self.actions.iter().filter(|a| a.action == ActionKind::Create && a.resource_type == ResourceType::Share).count();
        let metastore = &self.snapshot.metastore;
        if metastore.recipient_count + new_recipients > MAX_RECIPIENTS {
            self.findings.push(Finding::error(
                "metastore_limit",
                Location::file(),
                format!(
                    "The metastore would hold {} recipients; the limit is {MAX_RECIPIENTS}",
                    metastore.recipient_count + new_recipients
                ),
            ));
        }
        if metastore.share_count + new_shares > MAX_SHARES {
            self.findings.push(Finding::error(
                "metastore_limit",
                Location::file(),
                format!("The metastore would hold {} shares; the limit is {MAX_SHARES}", metastore.share_count + new_shares),
            ));
        }
    }
}

/// The candidate nearest to `name` (a typo: at most a third of its last part's length, and
/// three edits, away), the first by name among equals; `None` when none is that near.
pub fn nearest<'a>(candidates: impl IntoIterator<Item = &'a str>, name: &str) -> Option<&'a str> {
    let last = name.rsplit('.').next().unwrap_or(name);
    let most = (last.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|known| (strsim::levenshtein(known, name), known))
        .filter(|(distance, known)| *distance <= most && *known != name)
        .min()
        .map(|(_, known)| known)
}

/// The recipient as Databricks should have it.
pub fn desired_recipient(recipient: &Recipient) -> RecipientInfo {
    let mut ips: Vec<String> = recipient.allowed_ips.iter().map(|ip| ip.trim().to_string()).collect();
    ips.sort();
    ips.dedup();
    RecipientInfo {
        name: name_key(&recipient.name),
        authentication_type: Some(recipient.kind.authentication_type().to_string()),
        comment: recipient.comment.clone(),
        owner: None,
        data_recipient_global_metastore_id: recipient.metastore_id.as_ref().map(|id| id.to_lowercase()),
        ip_access_list: (!ips.is_empty()).then_some(IpAccessList { allowed_ip_addresses: ips }),
        properties_kvpairs: (!recipient.properties.is_empty()).then(|| Properties { properties: recipient.properties.clone() }),
        tokens: recipient
            .token_expiry
            .map(|expiry| vec![RecipientToken { expiration_time: Some(expiry.timestamp_millis()), ..Default::default() }])
            .unwrap_or_default(),
        ..RecipientInfo::default()
    }
}

fn recipient_changes(existing: &RecipientInfo, desired: &RecipientInfo) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let comment = |r: &RecipientInfo| r.comment.clone().filter(|c| !c.is_empty());
    if comment(existing) != comment(desired) {
        changes.push(FieldChange { field: "comment".into(), before: comment(existing), after: comment(desired) });
    }
    let ips = |r: &RecipientInfo| -> BTreeSet<String> {
        r.ip_access_list.iter().flat_map(|list| list.allowed_ip_addresses.iter().cloned()).collect()
    };
    if ips(existing) != ips(desired) {
        let show = |set: BTreeSet<String>| Some(set.into_iter().collect::<Vec<_>>().join(", ")).filter(|text| !text.is_empty());
        changes.push(FieldChange { field: "allowed IPs".into(), before: show(ips(existing)), after: show(ips(desired)) });
    }
    let properties = pack_properties;
    if properties(existing) != properties(desired) {
        let show = |map: BTreeMap<String, String>| {
            Some(map.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")).filter(|text| !text.is_empty())
        };
        changes.push(FieldChange { field: "properties".into(), before: show(properties(existing)), after: show(properties(desired)) });
    }
    changes
}

/// A recipient's properties that are the pack's: Databricks sets `databricks.*` itself.
pub fn pack_properties(recipient: &RecipientInfo) -> BTreeMap<String, String> {
    recipient
        .properties_kvpairs
        .iter()
        .flat_map(|kv| kv.properties.iter())
        .filter(|(key, _)| !key.to_ascii_lowercase().starts_with("databricks."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The PATCH body for the changed fields (lists and maps are replaced whole, as the API does).
fn recipient_patch(desired: &RecipientInfo, changes: &[FieldChange]) -> Value {
    let mut patch = serde_json::Map::new();
    for change in changes {
        match change.field.as_str() {
            "comment" => {
                patch.insert("comment".into(), json!(desired.comment.clone().unwrap_or_default()));
            }
            "allowed IPs" => {
                patch.insert(
                    "ip_access_list".into(),
                    json!({"allowed_ip_addresses": desired.ip_access_list.clone().unwrap_or_default().allowed_ip_addresses}),
                );
            }
            _ => {
                patch.insert(
                    "properties_kvpairs".into(),
                    json!({"properties": desired.properties_kvpairs.clone().unwrap_or_default().properties}),
                );
            }
        }
    }
    Value::Object(patch)
}

/// A pack's data object as a Databricks shared object.
pub fn shared_object(object: &DataObject) -> SharedObject {
    let partitions = (!object.partitions.is_empty()).then(|| {
        json!(object
            .partitions
            .iter()
            .map(|partition| json!({"values": partition.values.iter().map(|value| {
                let mut out = json!({"name": value.name, "op": match value.op { PartitionOp::Equal => "EQUAL", PartitionOp::Like => "LIKE" }});
                if let Some(key) = &value.recipient_property_key { out["recipient_property_key"] = json!(key); }
                if let Some(literal) = &value.value { out["value"] = json!(literal); }
                out
            }).collect::<Vec<_>>()}))
            .collect::<Vec<_>>())
    });
    SharedObject {
        name: name_key(&object.name),
        data_object_type: Some(object.kind.as_str().to_string()),
        shared_as: object.shared_as.as_ref().map(|alias| alias.to_lowercase()),
        cdf_enabled: object.cdf_enabled.filter(|enabled| *enabled),
        history_data_sharing_status: object.history_sharing.filter(|enabled| *enabled).map(|_| "ENABLED".to_string()),
        partitions,
        comment: object.comment.clone(),
        ..SharedObject::default()
    }
}

fn object_changes(existing: &SharedObject, desired: &SharedObject) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let mut compare = |field: &str, before: Option<String>, after: Option<String>| {
        if before != after {
            changes.push(FieldChange { field: field.into(), before, after });
        }
    };
    let kind = |o: &SharedObject| Some(o.data_object_type.clone().unwrap_or_else(|| "TABLE".into()));
    compare("type", kind(existing), kind(desired));
    compare("shared as", existing.shared_as.clone().map(|s| s.to_lowercase()), desired.shared_as.clone());
    let history = |o: &SharedObject| (o.history_data_sharing_status.as_deref() == Some("ENABLED")).then(|| "ENABLED".to_string());
    compare("history sharing", history(existing), history(desired));
    let cdf = |o: &SharedObject| o.cdf_enabled.filter(|on| *on).map(|_| "true".to_string());
    compare("change data feed", cdf(existing), cdf(desired));
    let partitions =
        |o: &SharedObject| o.partitions.clone().filter(|p| p.as_array().is_some_and(|list| !list.is_empty())).map(|p| p.to_string());
    compare("partitions", partitions(existing), partitions(desired));
    compare("comment", existing.comment.clone().filter(|c| !c.is_empty()), desired.comment.clone().filter(|c| !c.is_empty()));
    changes
}

fn update_payload(action: &str, object: &SharedObject) -> Value {
    json!({"action": action, "data_object": object})
}

fn type_matches(kind: DataObjectType, table_type: &str) -> bool {
    match kind {
        DataObjectType::Table => matches!(table_type, "MANAGED" | "EXTERNAL" | "MANAGED_SHALLOW_CLONE" | "EXTERNAL_SHALLOW_CLONE"),
        DataObjectType::View => table_type == "VIEW",
        DataObjectType::MaterializedView => table_type == "MATERIALIZED_VIEW",
        DataObjectType::StreamingTable => table_type == "STREAMING_TABLE",
        DataObjectType::ForeignTable => table_type == "FOREIGN",
        _ => true,
    }
}

fn declared_for(table_type: &str) -> &'static str {
    match table_type {
        "VIEW" => "VIEW",
        "MATERIALIZED_VIEW" => "MATERIALIZED_VIEW",
        "STREAMING_TABLE" => "STREAMING_TABLE",
        "FOREIGN" => "FOREIGN_TABLE",
        _ => "TABLE",
    }
}

fn summarize(actions: &[Action]) -> Summary {
    actions.iter().fold(Summary::default(), |mut summary, action| {
        match action.action {
            ActionKind::Create | ActionKind::AddObject | ActionKind::Grant => summary.create += 1,
            ActionKind::Update | ActionKind::UpdateObject => summary.update += 1,
            ActionKind::RemoveObject | ActionKind::Revoke | ActionKind::Delete => summary.remove += 1,
            ActionKind::Unchanged => summary.unchanged += 1,
        }
        summary
    })
}

/// "Partner X gains read access to 12 tables; 1 table leaves share Y", one line per fact.
fn story(pack: &SharePack, actions: &[Action]) -> Vec<String> {
    let mut lines = Vec::new();
    for share in &pack.shares {
        let name = name_key(&share.name);
        let objects = share.data_objects.len();
        for action in actions.iter().filter(|a| a.action == ActionKind::Grant && a.share.as_deref() == Some(name.as_str())) {
            lines.push(format!("{} gains read access to {} through share {name}", action.name, count(objects, "object")));
        }
        let added = actions.iter().filter(|a| a.action == ActionKind::AddObject && a.share.as_deref() == Some(name.as_str())).count();
        let existing_share =
            !actions.iter().any(|a| a.action == ActionKind::Create && a.resource_type == ResourceType::Share && a.name == name);
        if added > 0 && existing_share {
            lines.push(format!("{} join{} share {name}", count(added, "object"), if added == 1 { "s" } else { "" }));
        }
        let removed = actions.iter().filter(|a| a.action == ActionKind::RemoveObject && a.share.as_deref() == Some(name.as_str())).count();
        if removed > 0 {
            lines.push(format!(
                "{} leave{} share {name} (once you confirm)",
                count(removed, "object"),
                if removed == 1 { "s" } else { "" }
            ));
        }
        for action in actions.iter().filter(|a| a.action == ActionKind::Revoke && a.share.as_deref() == Some(name.as_str())) {
            lines.push(format!("{} loses access to share {name} (once you confirm)", action.name));
        }
    }
    for action in actions.iter().filter(|a| a.resource_type == ResourceType::Recipient && a.action == ActionKind::Create) {
        lines.push(format!("New recipient {} is created", action.name));
    }
    for action in actions.iter().filter(|a| a.action == ActionKind::Delete) {
        lines.push(match action.resource_type {
            ResourceType::Share => format!("Share {} is deleted, no longer listed (once you confirm)", action.name),
            _ if action.payload["authentication_type"].as_str().is_some_and(|kind| kind.eq_ignore_ascii_case("TOKEN")) => {
                format!("Recipient {} is deleted, no longer listed (once you confirm); its credentials cannot be restored", action.name)
            }
            _ => format!("Recipient {} is deleted, no longer listed (once you confirm)", action.name),
        });
    }
    if lines.is_empty() {
        lines.push("Nothing changes: the workspace already matches the pack".into());
    }
    lines
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    capitalize(&items.join(", "))
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The workspace after `plan` is carried out (removals only when `confirmed`): what the workers
/// are expected to produce, and how tests check that a plan converges.
pub fn apply(snapshot: &Snapshot, pack: &SharePack, plan: &Plan, confirmed: bool) -> Snapshot {
    let mut next = snapshot.clone();
    for recipient in &pack.recipients {
        let key = name_key(&recipient.name);
        if plan.actions.iter().any(|a| {
            a.resource_type == ResourceType::Recipient && a.name == key && matches!(a.action, ActionKind::Create | ActionKind::Update)
        }) {
            next.recipients.insert(key, desired_recipient(recipient));
        }
    }
    for action in &plan.actions {
        let share = action.share.clone().unwrap_or_default();
        match (action.resource_type, action.action) {
            (ResourceType::Share, ActionKind::Create) => {
                let comment = action.payload["comment"].as_str().map(str::to_string);
                next.shares.insert(
                    action.name.clone(),
                    ShareState { info: ShareInfo { name: action.name.clone(), comment, ..Default::default() }, grants: BTreeSet::new() },
                );
            }
            (ResourceType::Share, ActionKind::Update) => {
                if let Some(state) = next.shares.get_mut(&action.name) {
                    state.info.comment = action.payload["comment"].as_str().map(str::to_string);
                }
            }
            (ResourceType::DataObject, ActionKind::AddObject | ActionKind::UpdateObject) => {
                if let (Some(state), Ok(object)) =
                    (next.shares.get_mut(&share), serde_json::from_value::<SharedObject>(action.payload["data_object"].clone()))
                {
                    state.info.objects.retain(|existing| name_key(&existing.name) != object.name);
                    state.info.objects.push(object);
                }
            }
            (ResourceType::DataObject, ActionKind::RemoveObject) if confirmed => {
                if let Some(state) = next.shares.get_mut(&share) {
                    state.info.objects.retain(|existing| name_key(&existing.name) != action.name);
                }
            }
            (ResourceType::Grant, ActionKind::Grant) => {
                if let Some(state) = next.shares.get_mut(&share) {
                    state.grants.insert(action.name.clone());
                }
            }
            (ResourceType::Grant, ActionKind::Revoke) if confirmed => {
                if let Some(state) = next.shares.get_mut(&share) {
                    state.grants.remove(&action.name);
                }
            }
            (ResourceType::Share, ActionKind::Delete) if confirmed => {
                next.shares.remove(&action.name);
            }
            (ResourceType::Recipient, ActionKind::Delete) if confirmed => {
                next.recipients.remove(&action.name);
                for state in next.shares.values_mut() {
                    state.grants.remove(&action.name);
                }
            }
            _ => {}
        }
    }
    next
}
