//! The workspace state a plan was computed from, as approvals are bound to it: the recipients,
//! shares (objects and grants), catalog objects and metastore facts the pack touches, without
//! secrets (recipient tokens and activation links are left out) and without counters that
//! move with unrelated work elsewhere in the metastore.

use crate::plan::snapshot::Snapshot;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The state as JSON: maps keyed by lower-case name, so equal states are equal values.
pub fn of(snapshot: &Snapshot) -> Value {
    let recipients: Map<String, Value> = snapshot
        .recipients
        .iter()
        .map(|(name, recipient)| {
            let state = json!({
                "authentication_type": recipient.authentication_type,
                "comment": recipient.comment,
                "owner": recipient.owner,
                "data_recipient_global_metastore_id": recipient.data_recipient_global_metastore_id,
                "ip_access_list": recipient.ip_access_list,
                "properties": recipient.properties_kvpairs,
                "activated": recipient.activated,
            });
            (name.clone(), state)
        })
        .collect();
    let shares: Map<String, Value> = snapshot
        .shares
        .iter()
        .map(|(name, share)| {
            let mut objects: Vec<Value> =
                share.info.objects.iter().map(|object| serde_json::to_value(object).unwrap_or_default()).collect();
            objects.sort_by_key(|object| object["name"].as_str().unwrap_or_default().to_lowercase());
            let state = json!({"comment": share.info.comment, "owner": share.info.owner, "objects": objects, "grants": share.grants});
            (name.clone(), state)
        })
        .collect();
    json!({
        "recipients": recipients,
        "shares": shares,
        "catalog": snapshot.catalog,
        "metastore": {
            "global_metastore_id": snapshot.metastore.global_metastore_id,
            "delta_sharing_scope": snapshot.metastore.delta_sharing_scope,
        },
    })
}

/// SHA-256 of the state's RFC 8785 canonical form.
pub fn digest(state: &Value) -> String {
    let canonical = serde_json_canonicalizer::to_string(state).unwrap_or_default();
    Sha256::digest(canonical.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What differs between two states, in words: `share sales (changed)`, `recipient acme (new)`.
pub fn changes(before: &Value, after: &Value) -> Vec<String> {
    let mut changed = Vec::new();
    for (section, label) in [("recipients", "recipient"), ("shares", "share"), ("catalog", "catalog object")] {
        let empty = Map::new();
        let old = before[section].as_object().unwrap_or(&empty);
        let new = after[section].as_object().unwrap_or(&empty);
        let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
        names.sort();
        names.dedup();
        for name in names {
            match (old.get(name), new.get(name)) {
                (Some(a), Some(b)) if a == b => {}
                (Some(_), Some(_)) => changed.push(format!("{label} {name} (changed)")),
                (None, Some(_)) => changed.push(format!("{label} {name} (appeared)")),
                (Some(_), None) => changed.push(format!("{label} {name} (gone)")),
                (None, None) => {}
            }
        }
    }
    if before["metastore"] != after["metastore"] {
        changed.push("the metastore's sharing settings (changed)".into());
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::databricks::client::{RecipientInfo, RecipientToken, ShareInfo, SharedObject};
    use crate::plan::snapshot::ShareState;

    fn snapshot() -> Snapshot {
        let mut snapshot = Snapshot::default();
        let recipient = RecipientInfo {
            name: "acme".into(),
            authentication_type: Some("TOKEN".into()),
            tokens: vec![RecipientToken {
                id: Some("t".into()),
                activation_url: Some("https://secret/activate".into()),
                expiration_time: None,
            }],
            ..RecipientInfo::default()
        };
        snapshot.recipients.insert("acme".into(), recipient);
        let objects = vec![
            SharedObject { name: "c.s.b".into(), ..SharedObject::default() },
            SharedObject { name: "c.s.a".into(), ..SharedObject::default() },
        ];
        let share =
            ShareState { info: ShareInfo { name: "sales".into(), objects, ..ShareInfo::default() }, grants: ["acme".to_string()].into() };
        snapshot.shares.insert("sales".into(), share);
        snapshot.metastore.recipient_count = 10;
        snapshot
    }

    #[test]
    fn the_state_keeps_no_secret_and_ignores_order_and_counters() {
        let state = of(&snapshot());
        assert!(!state.to_string().contains("secret"), "activation links stay out: {state}");
        let mut reordered = snapshot();
        reordered.shares.get_mut("sales").unwrap().info.objects.reverse();
        reordered.metastore.recipient_count = 11;
        assert_eq!(digest(&state), digest(&of(&reordered)), "object order and metastore counters do not matter");
        assert!(changes(&state, &of(&reordered)).is_empty());
    }

    #[test]
    fn a_changed_state_has_another_digest_and_says_what_changed() {
        let before = of(&snapshot());
        let mut moved = snapshot();
        moved.shares.get_mut("sales").unwrap().info.objects.push(SharedObject { name: "c.s.c".into(), ..SharedObject::default() });
        moved.recipients.insert("beta".into(), RecipientInfo { name: "beta".into(), ..RecipientInfo::default() });
        moved.catalog.insert("c.s.c".into(), "MANAGED".into());
        let after = of(&moved);
        assert_ne!(digest(&before), digest(&after));
        assert_eq!(changes(&before, &after), ["recipient beta (appeared)", "share sales (changed)", "catalog object c.s.c (appeared)"]);
        let mut gone = snapshot();
        gone.recipients.clear();
        assert_eq!(changes(&before, &of(&gone)), ["recipient acme (gone)"]);
    }
}
