//! The sandbox's directory: a stand-in for Microsoft Graph's users and groups (v1.0), following
//! its documented shapes (camelCase resources in `value`, `$select`, `$top`, `@odata.nextLink`
//! with a `$skiptoken`, `{"error": {"code", "message"}}` errors), so the directory sync is tested
//! end to end. Users and groups are kept as documents beside the sandbox workspace's; people
//! (and tests) add, change and remove them with Graph's own POST, PATCH and DELETE.

use super::Reply;
use crate::store::{Store, StoreError};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// Most resources one page holds (Graph's own bound for users and groups).
const MOST: u32 = 999;
/// A page when `$top` is not given.
const DEFAULT_PAGE: u32 = 100;

/// The directory, in the sandbox's store.
#[derive(Debug, Clone)]
pub struct Graph {
    store: Store,
    space: String,
    /// Where Graph is served (`http://127.0.0.1:3000/sandbox/graph`), for next links.
    base_url: String,
}

/// A Graph-shaped error.
pub fn error(status: u16, code: &str, message: impl Into<String>) -> Reply {
    Reply {
        status,
        body: json!({"error": {"code": code, "message": message.into(), "innerError": {"request-id": Uuid::new_v4().to_string()}}}),
    }
}

impl Graph {
    pub fn new(store: Store, space: impl Into<String>, base_url: impl Into<String>) -> Self {
        Graph { store, space: format!("{}:directory", space.into()), base_url: base_url.into().trim_end_matches('/').to_string() }
    }

    /// Answers `method` on `/v1.0/{path}`.
    pub async fn handle(&self, method: &str, path: &str, query: &[(String, String)], body: Option<Value>) -> Reply {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let outcome = match (method, segments.as_slice()) {
            ("GET", [collection @ ("users" | "groups")]) => self.list(collection, query).await,
            ("POST", [collection @ ("users" | "groups")]) => self.create(collection, body.unwrap_or_else(|| json!({}))).await,
            ("GET", [collection @ ("users" | "groups"), id]) => self.get(collection, id).await.map(|(_, body)| Reply { status: 200, body }),
            ("PATCH", [collection @ ("users" | "groups"), id]) => self.update(collection, id, body.unwrap_or_else(|| json!({}))).await,
            ("DELETE", [collection @ ("users" | "groups"), id]) => match self.store.delete_doc(&self.space, collection, id).await {
                Ok(true) => Ok(Reply { status: 204, body: Value::Null }),
                Ok(false) => Err(not_found(id)),
                Err(failure) => Err(unavailable(failure)),
            },
            _ => Err(error(400, "BadRequest", format!("Resource not found for the segment '{}'.", segments.first().unwrap_or(&"")))),
        };
        outcome.unwrap_or_else(|reply| reply)
    }

    async fn list(&self, collection: &str, query: &[(String, String)]) -> Result<Reply, Reply> {
        let find = |key: &str| query.iter().find(|(name, _)| name == key).map(|(_, value)| value.clone());
        let top = match find("$top").map(|top| top.parse::<u32>()) {
            None => DEFAULT_PAGE,
            Some(Ok(top)) if (1..=MOST).contains(&top) => top,
            Some(_) => {
                return Err(error(
                    400,
                    "Request_UnsupportedQuery",
                    format!("Invalid page size specified: '{}'. Must be between 1 and {MOST} inclusive.", find("$top").unwrap_or_default()),
                ))
            }
        };
        let select: Option<Vec<String>> = find("$select").map(|fields| fields.split(',').map(|field| field.trim().to_string()).collect());
        let after = find("$skiptoken");
        let mut docs = self.store.list_docs(&self.space, collection, after.as_deref(), top + 1).await.map_err(unavailable)?;
        let more = docs.len() > top as usize;
        docs.truncate(top as usize);
        let value: Vec<Value> = docs.iter().map(|doc| selected(&doc.body, select.as_deref())).collect();
        let mut body = json!({"@odata.context": format!("{}/v1.0/$metadata#{collection}", self.base_url), "value": value});
        if let (true, Some(last)) = (more, docs.last()) {
            let mut link = format!("{}/v1.0/{collection}?$top={top}&$skiptoken={}", self.base_url, last.name);
            if let Some(fields) = find("$select") {
                link.push_str(&format!("&$select={fields}"));
            }
            body["@odata.nextLink"] = json!(link);
        }
        Ok(Reply { status: 200, body })
    }

    async fn get(&self, collection: &str, id: &str) -> Result<(i64, Value), Reply> {
        match self.store.get_doc(&self.space, collection, id).await.map_err(unavailable)? {
            Some(doc) => Ok((doc.revision, doc.body)),
            None => Err(not_found(id)),
        }
    }

    async fn create(&self, collection: &str, body: Value) -> Result<Reply, Reply> {
        let Value::Object(mut fields) = body else {
            return Err(error(400, "Request_BadRequest", "The request body must be a JSON object."));
        };
        let required: &[&str] = match collection {
            "users" => &["displayName", "userPrincipalName", "accountEnabled"],
            _ => &["displayName", "mailEnabled", "securityEnabled"],
        };
        if let Some(missing) = required.iter().find(|field| !fields.contains_key(**field)) {
            return Err(error(
                400,
                "Request_BadRequest",
                format!("A value is required for property '{missing}' of resource '{}'.", &collection[..collection.len() - 1]),
            ));
        }
        let id = Uuid::new_v4().to_string();
        fields.insert("id".into(), json!(id));
        if collection == "users" {
            fields.entry("otherMails").or_insert_with(|| json!([]));
            fields.entry("mail").or_insert(Value::Null);
        }
        let body = Value::Object(fields);
        self.store.insert_doc(&self.space, collection, &id, &body).await.map_err(unavailable)?;
        Ok(Reply { status: 201, body })
    }

    async fn update(&self, collection: &str, id: &str, changes: Value) -> Result<Reply, Reply> {
        let Value::Object(changes) = changes else {
            return Err(error(400, "Request_BadRequest", "The request body must be a JSON object."));
        };
        let (revision, mut body) = self.get(collection, id).await?;
        if let Some(fields) = body.as_object_mut() {
            fields.extend(changes.into_iter().filter(|(field, _)| field != "id"));
        }
        match self.store.update_doc(&self.space, collection, id, &body, revision).await.map_err(unavailable)? {
            true => Ok(Reply { status: 204, body: Value::Null }),
            false => Err(error(409, "Request_Conflict", "Another change to this object was made at the same time; try again.")),
        }
    }
}

/// The fields `$select` asks for (`id` always), or all of them.
fn selected(resource: &Value, select: Option<&[String]>) -> Value {
    match (resource, select) {
        (Value::Object(fields), Some(select)) => Value::Object(
            fields
                .iter()
                .filter(|(field, _)| *field == "id" || select.contains(field))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Map<_, _>>(),
        ),
        _ => resource.clone(),
    }
}

fn not_found(id: &str) -> Reply {
    error(
        404,
        "Request_ResourceNotFound",
        format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
    )
}

fn unavailable(failure: StoreError) -> Reply {
    tracing::error!(error = %crate::store::redact(&failure.to_string()), "sandbox directory storage failed");
    error(503, "serviceNotAvailable", "The sandbox directory cannot reach its storage; try again")
}
