//! The hash an approval is bound to: what the plan will do (each action's kind, resource,
//! name, share, field changes and the payload sent to Databricks; not its wording or where in
//! the file it came from), the workspace, and a digest of the workspace state the plan was
//! computed from. Actions are canonicalised (RFC 8785 JSON, `serde_json_canonicalizer`: key
//! order cannot drift, whatever serde_json's features) and sorted, so neither field nor list
//! order changes the hash; any change to what happens does.

use crate::plan::Plan;
use sha2::{Digest, Sha256};

/// SHA-256, hex, of the plan as approved.
pub fn plan_digest(plan: &Plan, workspace_url: &str, state_digest: &str) -> String {
    let mut actions: Vec<String> = plan
        .actions
        .iter()
        .map(|action| {
            let what = serde_json::json!({
                "action": action.action,
                "resource_type": action.resource_type,
                "name": action.name.to_lowercase(),
                "share": action.share.as_deref().map(str::to_lowercase),
                "changes": action.changes,
                "payload": action.payload,
                "needs_confirmation": action.needs_confirmation,
            });
            serde_json_canonicalizer::to_string(&what).unwrap_or_default()
        })
        .collect();
    actions.sort();
    let mut hasher = Sha256::new();
    for part in [plan.strategy.as_str(), workspace_url.trim_end_matches('/'), state_digest] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    for action in &actions {
        hasher.update(action.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Location;
    use crate::model::Strategy;
    use crate::plan::{Action, ActionKind, FieldChange, ResourceType, Summary};

    fn action(name: &str, payload: serde_json::Value) -> Action {
        Action {
            action: ActionKind::AddObject,
            resource_type: ResourceType::DataObject,
            name: name.into(),
            share: Some("s".into()),
            changes: vec![FieldChange { field: "cdf".into(), before: None, after: Some("true".into()) }],
            reason: "listed in the pack".into(),
            location: "line 3".into(),
            at: Location::file(),
            needs_confirmation: false,
            payload,
        }
    }

    fn plan(actions: Vec<Action>) -> Plan {
        Plan { declared: None, strategy: Strategy::Update, actions, findings: Vec::new(), summary: Summary::default(), story: Vec::new() }
    }

    #[test]
    fn the_digest_ignores_order_and_wording_and_sees_every_change() {
        let a = action("cat.sch.a", serde_json::json!({"name": "cat.sch.a", "cdf": true}));
        let b = action("cat.sch.b", serde_json::json!({"cdf": true, "name": "cat.sch.b"}));
        let base = plan_digest(&plan(vec![a.clone(), b.clone()]), "https://w/", "state-1");
        assert_eq!(base.len(), 64);
        assert_eq!(base, plan_digest(&plan(vec![b.clone(), a.clone()]), "https://w", "state-1"), "list order");
        let reordered = action("cat.sch.a", serde_json::json!({"cdf": true, "name": "cat.sch.a"}));
        assert_eq!(base, plan_digest(&plan(vec![reordered, b.clone()]), "https://w", "state-1"), "field order");
        let mut reworded = a.clone();
        reworded.reason = "another reason".into();
        reworded.location = "line 9".into();
        assert_eq!(base, plan_digest(&plan(vec![reworded, b.clone()]), "https://w", "state-1"), "wording and place");

        let mut other_payload = a.clone();
        other_payload.payload = serde_json::json!({"name": "cat.sch.a", "cdf": false});
        let mut other_change = a.clone();
        other_change.changes[0].after = Some("false".into());
        let mut confirmed = a.clone();
        confirmed.needs_confirmation = true;
        for (what, changed) in [
            ("payload", plan(vec![other_payload, b.clone()])),
            ("field change", plan(vec![other_change, b.clone()])),
            ("confirmation", plan(vec![confirmed, b.clone()])),
            ("one action fewer", plan(vec![a.clone()])),
        ] {
            assert_ne!(base, plan_digest(&changed, "https://w", "state-1"), "{what}");
        }
        assert_ne!(base, plan_digest(&plan(vec![a.clone(), b.clone()]), "https://other", "state-1"), "workspace");
        assert_ne!(base, plan_digest(&plan(vec![a, b]), "https://w", "state-2"), "the workspace state it was computed from");
    }
}
