//! The sandbox's audit log: each sharing change it makes is an event (who, when, what), and
//! its SQL warehouse answers the one statement Sharepack sends (`drift::audit::STATEMENT`) with
//! them, in the Statement Execution API's shape, so who deleted a recipient or revoked a grant
//! is tested end to end. Any other statement is refused: the sandbox is no SQL engine.

use super::{Reply, Request, Sandbox};
use crate::databricks::workspaces::SANDBOX_WAREHOUSE;
use serde_json::{json, Value};
use uuid::Uuid;

/// The audit action a successful call is, and the name it is about.
fn action(request: &Request<'_>, segments: &[&str]) -> Option<(&'static str, String)> {
    let named = |at: usize| segments.get(at).map(|name| name.to_lowercase());
    let body_name = || request.body.as_ref().and_then(|body| body["name"].as_str()).map(str::to_lowercase);
    match (request.method, segments) {
        ("POST", ["recipients"]) => Some(("createRecipient", body_name()?)),
        ("PATCH", ["recipients", _]) => Some(("updateRecipient", named(1)?)),
        ("DELETE", ["recipients", _]) => Some(("deleteRecipient", named(1)?)),
        ("POST", ["recipients", _, "rotate-token"]) => Some(("rotateRecipientToken", named(1)?)),
        ("POST", ["shares"]) => Some(("createShare", body_name()?)),
        ("PATCH", ["shares", _]) => Some(("updateShare", named(1)?)),
        ("DELETE", ["shares", _]) => Some(("deleteShare", named(1)?)),
        ("PATCH", ["shares", _, "permissions"]) => Some(("updateSharePermissions", named(1)?)),
        _ => None,
    }
}

impl Sandbox {
    /// Records a call that changed something as an audit event.
    pub(super) async fn audit(&self, request: &Request<'_>, segments: &[&str]) {
        let Some((action, name)) = action(request, segments) else { return };
        let at = chrono::Utc::now().timestamp_millis();
        let event = json!({"action": action, "email": request.caller, "at": at, "params": {"name": name}});
        if let Err(error) = self.store.insert_doc(&self.space, "audit", &format!("{at:020}-{}", Uuid::now_v7()), &event).await {
            tracing::warn!(error = %crate::store::redact(&error.to_string()), "the sandbox could not record an audit event");
        }
    }

    /// `POST /api/2.0/sql/statements`: Sharepack's audit query, answered from the events.
    pub async fn statement(&self, body: &Value) -> Reply {
        if body["warehouse_id"].as_str() != Some(SANDBOX_WAREHOUSE) {
            return Reply::error(404, "RESOURCE_DOES_NOT_EXIST", format!("SQL warehouse {} does not exist.", body["warehouse_id"]));
        }
        if body["statement"].as_str() != Some(crate::drift::audit::STATEMENT) {
            return Reply::error(400, "INVALID_PARAMETER_VALUE", "The sandbox's warehouse answers only Sharepack's audit query");
        }
        let since = body["parameters"]
            .as_array()
            .and_then(|parameters| parameters.iter().find(|parameter| parameter["name"] == "since"))
            .and_then(|parameter| parameter["value"].as_str())
            .and_then(|value| value.parse::<i64>().ok());
        let Some(since) = since else { return Reply::error(400, "INVALID_PARAMETER_VALUE", "The parameter `since` is required") };
        let events = match self.store.docs_with_prefix(&self.space, "audit", "").await {
            Ok(events) => events,
            Err(error) => return error.into(),
        };
        let rows: Vec<Value> = events
            .iter()
            .rev()
            .map(|doc| &doc.body)
            .filter(|event| event["at"].as_i64().is_some_and(|at| at >= since))
            .take(5000)
            .map(|event| {
                json!([event["action"], event["email"], event["at"].as_i64().map(|at| at.to_string()), event["params"].to_string()])
            })
            .collect();
        Reply {
            status: 200,
            body: json!({
                "statement_id": Uuid::new_v4().to_string(),
                "status": {"state": "SUCCEEDED"},
                "manifest": {"format": "JSON_ARRAY", "schema": {"column_count": 4}, "total_row_count": rows.len()},
                "result": {"row_count": rows.len(), "data_array": rows},
            }),
        }
    }
}
