//! Field-by-field differences between two versions' data, for "what changed?" views.

use serde_json::Value;

/// One field that differs: its dotted path, and the value before and after (`None`: absent).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Compares two JSON values: objects field by field (recursively, `a.b.c` paths), everything
/// else (lists included) as a whole.
pub fn diff_json(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    walk("", before, after, &mut changes);
    changes
}

fn walk(path: &str, before: &Value, after: &Value, changes: &mut Vec<FieldChange>) {
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            let mut keys: Vec<&String> = old.keys().chain(new.keys().filter(|key| !old.contains_key(*key))).collect();
            keys.sort();
            for key in keys {
                let field = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                match (old.get(key), new.get(key)) {
                    (Some(a), Some(b)) => walk(&field, a, b, changes),
                    (a, b) => changes.push(FieldChange { field, before: a.cloned(), after: b.cloned() }),
                }
            }
        }
        _ if before != after => {
            changes.push(FieldChange { field: path.to_string(), before: Some(before.clone()), after: Some(after.clone()) })
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_fields_are_compared_one_by_one() {
        let before = json!({"email": "a@x.com", "ips": ["1.1.1.1"], "meta": {"tier": "gold", "region": "eu"}});
        let after = json!({"email": "b@x.com", "ips": ["1.1.1.1"], "meta": {"tier": "gold"}, "comment": "new"});
        let fields: Vec<_> = diff_json(&before, &after).into_iter().map(|change| change.field).collect();
        assert_eq!(fields, ["comment", "email", "meta.region"]);
        assert!(diff_json(&before, &before).is_empty());
    }
}
