//! Field-by-field differences between two versions of anything kept as JSON (an entity's
//! SCD2 data, a parsed pack): records in lists are matched by name (a new share reads
//! `Shares[q2_share]: added`, not a changed list), lists of plain values are compared as sets
//! (a share's objects and grants: removed ones before, added ones after), and source locations
//! (`Origin`) are left out, since a line that moved is not a change.

use crate::plan::FieldChange;
use serde_json::Value;

/// The changes from `before` to `after`.
pub fn changes(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    walk("", before, after, &mut changes);
    changes
}

fn walk(path: &str, before: &Value, after: &Value, out: &mut Vec<FieldChange>) {
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            let mut keys: Vec<&String> = old.keys().chain(new.keys()).filter(|key| *key != "Origin").collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let field = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                walk(&field, old.get(key).unwrap_or(&Value::Null), new.get(key).unwrap_or(&Value::Null), out);
            }
        }
        (Value::Array(old), Value::Array(new)) if named(old) && named(new) => {
            let mut names: Vec<String> = old.iter().chain(new).filter_map(name).collect();
            names.sort();
            names.dedup();
            for key in names {
                let find = |items: &[Value]| items.iter().find(|item| name(item).as_deref() == Some(key.as_str())).cloned();
                let field = format!("{path}[{key}]");
                match (find(old), find(new)) {
                    (Some(a), Some(b)) => walk(&field, &a, &b, out),
                    (None, Some(_)) => out.push(FieldChange { field, before: None, after: Some("added".into()) }),
                    (Some(_), None) => out.push(FieldChange { field, before: Some("present".into()), after: Some("removed".into()) }),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(old), Value::Array(new)) => {
            let text: fn(&Value) -> String = |value| plain(value).unwrap_or_default();
            let gone: Vec<String> = old.iter().filter(|item| !new.contains(item)).map(text).collect();
            let came: Vec<String> = new.iter().filter(|item| !old.contains(item)).map(text).collect();
            if !gone.is_empty() || !came.is_empty() {
                let list = |items: Vec<String>| (!items.is_empty()).then(|| items.join(", "));
                out.push(FieldChange { field: path.to_string(), before: list(gone), after: list(came) });
            }
        }
        (old, new) if old != new => out.push(FieldChange { field: path.to_string(), before: plain(old), after: plain(new) }),
        _ => {}
    }
}

/// Lists of records that have names (recipients, shares, data objects).
fn named(items: &[Value]) -> bool {
    !items.is_empty() && items.iter().all(|item| name(item).is_some())
}

fn name(item: &Value) -> Option<String> {
    item.get("Name").and_then(Value::as_str).map(str::to_lowercase)
}

fn plain(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_match_by_name_and_locations_do_not_count() {
        let before = json!({
            "Metadata": {"ProjectName": "Q1", "Origin": {"Line": 2}},
            "Shares": [
                {"Name": "q1", "Comment": "Q1 data", "Recipients": ["a", "b"], "Origin": {"Line": 10}},
                {"Name": "old", "Comment": null},
            ],
        });
        let after = json!({
            "Metadata": {"ProjectName": "Q1", "Origin": {"Line": 3}},
            "Shares": [
                {"Name": "new", "Comment": null},
                {"Name": "Q1", "Comment": "Q1 and Q2 data", "Recipients": ["b", "c"], "Origin": {"Line": 14}},
            ],
        });
        let found: Vec<(String, Option<String>, Option<String>)> =
            changes(&before, &after).into_iter().map(|change| (change.field, change.before, change.after)).collect();
        let text = |value: &str| Some(value.to_string());
        assert_eq!(
            found,
            [
                ("Shares[new]".to_string(), None, text("added")),
                ("Shares[old]".to_string(), text("present"), text("removed")),
                ("Shares[q1].Comment".to_string(), text("Q1 data"), text("Q1 and Q2 data")),
                // Matched without regard to case, as Databricks compares names; the new spelling shows.
                ("Shares[q1].Name".to_string(), text("q1"), text("Q1")),
                ("Shares[q1].Recipients".to_string(), text("a"), text("c")),
            ]
        );
        assert!(changes(&before, &before).is_empty());
    }

    #[test]
    fn a_field_left_out_is_the_same_as_null() {
        // Packs stored before optional fields were left out of their JSON wrote them as null.
        let before = json!({"Shares": [{"Name": "q1", "Comment": null, "DataObjects": [{"Name": "c.s.t", "SharedAs": null}]}]});
        let after = json!({"Shares": [{"Name": "q1", "DataObjects": [{"Name": "c.s.t"}]}]});
        assert!(changes(&before, &after).is_empty());
        assert!(changes(&after, &before).is_empty());
    }
}
