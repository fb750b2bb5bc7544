//! The sandbox workspace: a stand-in for a Databricks workspace that follows the Unity Catalog
//! sharing API (`shared/reference/databricks-api.md`), so that the same client code provisions
//! it. Its state lives in the Sharepack database (`sandbox_objects`), so it survives restarts
//! and every portal instance sees the same sandbox.
//!
//! This module is the workspace's behaviour, free of any HTTP framework: a [`Request`] in, a
//! [`Reply`] out. The server mounts it under `/sandbox/api/2.1/unity-catalog/`.

mod audit;
pub mod directory;
pub mod faults;
mod rules;

use crate::store::{Doc, Store, StoreError};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// The tables the seed documents and the samples name; the sandbox's catalog starts with them.
pub const SEED_TABLES: &[&str] = &[
    "catalog.schema.revenue_table",
    "catalog.schema.expense_table",
    "catalog.audit_schema.activity_log",
    "prod_catalog.sales.transactions",
    "prod_catalog.sales.customers",
    "catalog.schema.orders",
    "catalog.schema.customers",
];

/// Most recipients or shares one list page returns.
const PAGE: u32 = 100;
/// Most object updates one share PATCH takes.
pub const MAX_UPDATES: usize = 100;

/// A call to the sandbox: the path is what follows `/api/2.1/unity-catalog`.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    /// Who calls, as the workspace records it in `created_by`, `updated_by` and `added_by`.
    pub caller: &'a str,
}

/// The sandbox's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    fn ok(body: Value) -> Self {
        Reply { status: 200, body }
    }

    /// A Databricks-shaped error body with a request id.
    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Self {
        let request_id = Uuid::new_v4().to_string();
        Reply {
            status,
            body: json!({
                "error_code": code,
                "message": message.into(),
                "details": [{"@type": "type.googleapis.com/google.rpc.RequestInfo", "request_id": request_id, "serving_data": ""}],
            }),
        }
    }

    fn not_found(what: &str, name: &str) -> Self {
        Reply::error(404, "RESOURCE_DOES_NOT_EXIST", format!("{what} '{name}' does not exist."))
    }

    fn invalid(message: impl Into<String>) -> Self {
        Reply::error(400, "INVALID_PARAMETER_VALUE", message)
    }
}

impl From<StoreError> for Reply {
    fn from(error: StoreError) -> Self {
        tracing::error!(error = %crate::store::redact(&error.to_string()), "sandbox storage failed");
        Reply::error(503, "TEMPORARILY_UNAVAILABLE", "The sandbox workspace cannot reach its storage; try again")
    }
}

/// The workspace.
#[derive(Debug, Clone)]
pub struct Sandbox {
    store: Store,
    space: String,
    /// Where the sandbox is served (`http://127.0.0.1:3000/sandbox`), for activation links.
    base_url: String,
}

type Outcome = Result<Reply, Reply>;

impl Sandbox {
    pub fn new(store: Store, space: impl Into<String>, base_url: impl Into<String>) -> Self {
        Sandbox { store, space: space.into(), base_url: base_url.into().trim_end_matches('/').to_string() }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Adds tables (and their schemas and catalogs) to the catalog; existing ones stay.
    pub async fn seed(&self, tables: &[&str]) -> Result<(), StoreError> {
        for table in tables {
            let parts: Vec<&str> = table.split('.').collect();
            let [catalog, schema, name] = parts.as_slice() else { continue };
            let full = table.to_lowercase();
            self.store.insert_doc(&self.space, "catalog", &catalog.to_lowercase(), &json!({"name": catalog.to_lowercase()})).await?;
            self.store
                .insert_doc(
                    &self.space,
                    "schema",
                    &format!("{catalog}.{schema}").to_lowercase(),
                    &json!({"name": schema.to_lowercase(), "catalog_name": catalog.to_lowercase()}),
                )
                .await?;
            let info = json!({
                "name": name.to_lowercase(), "schema_name": schema.to_lowercase(), "catalog_name": catalog.to_lowercase(),
                "full_name": full, "table_type": "MANAGED", "data_source_format": "DELTA",
            });
            self.store.insert_doc(&self.space, "table", &full, &info).await?;
        }
        Ok(())
    }

    /// Answers one API call.
    pub async fn handle(&self, request: Request<'_>) -> Reply {
        match self.route(&request).await {
            Ok(reply) => {
                let segments: Vec<String> = request.path.trim_matches('/').split('/').map(percent_decode).collect();
                self.audit(&request, &segments.iter().map(String::as_str).collect::<Vec<_>>()).await;
                reply
            }
            Err(reply) => reply,
        }
    }

    async fn route(&self, request: &Request<'_>) -> Outcome {
        let segments: Vec<String> = request.path.trim_matches('/').split('/').map(percent_decode).collect();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let body = request.body.clone().unwrap_or_else(|| json!({}));
        if !body.is_object() {
            return Err(Reply::error(400, "MALFORMED_REQUEST", "The request body must be a JSON object"));
        }
        match (request.method, segments.as_slice()) {
            ("POST", ["recipients"]) => self.create_recipient(body, request.caller).await,
            ("GET", ["recipients"]) => self.list("recipient", "recipients", request).await,
            ("GET", ["recipients", name]) => Ok(Reply::ok(self.recipient(name).await?.body)),
            ("PATCH", ["recipients", name]) => self.update_recipient(name, body, request.caller).await,
            ("DELETE", ["recipients", name]) => self.delete_recipient(name).await,
            ("POST", ["recipients", name, "rotate-token"]) => self.rotate_token(name, body).await,
            ("GET", ["recipients", name, "share-permissions"]) => self.recipient_permissions(name).await,
            ("POST", ["shares"]) => self.create_share(body, request.caller).await,
            ("GET", ["shares"]) => self.list("share", "shares", request).await,
            ("GET", ["shares", name]) => {
                let with_objects = request.query.iter().any(|(key, value)| key == "include_shared_data" && value == "true");
                let mut share = self.share(name).await?.body;
                if !with_objects {
                    share.as_object_mut().map(|map| map.remove("objects"));
                }
                Ok(Reply::ok(share))
            }
            ("PATCH", ["shares", name]) => self.update_share(name, body, request.caller).await,
            ("DELETE", ["shares", name]) => self.delete_share(name).await,
            ("GET", ["shares", name, "permissions"]) => self.share_permissions(name).await,
            ("PATCH", ["shares", name, "permissions"]) => self.update_permissions(name, body).await,
            ("GET", ["tables"]) => self.list_tables(request).await,
            ("GET", ["catalogs"]) => self.list("catalog", "catalogs", request).await,
            ("GET", ["schemas"]) => self.list_schemas(request).await,
            ("GET", ["tables", full_name, "exists"]) => {
                let exists = self.store.get_doc(&self.space, "table", &full_name.to_lowercase()).await?.is_some();
                Ok(Reply::ok(json!({"table_exists": exists})))
            }
            ("GET", ["tables", full_name]) => self.catalog_object("table", "Table", full_name).await,
            ("DELETE", ["tables", full_name]) => match self.store.delete_doc(&self.space, "table", &full_name.to_lowercase()).await? {
                true => Ok(Reply::ok(json!({}))),
                false => Err(Reply::error(404, "TABLE_DOES_NOT_EXIST", format!("Table '{full_name}' does not exist."))),
            },
            ("GET", ["schemas", full_name]) => self.catalog_object("schema", "Schema", full_name).await,
            ("GET", ["catalogs", name]) => self.catalog_object("catalog", "Catalog", name).await,
            ("GET", ["metastore_summary"]) => Ok(Reply::ok(self.metastore_summary())),
            (method, _) => Err(Reply::error(
                404,
                "ENDPOINT_NOT_FOUND",
                format!("No API found for '{method} /api/2.1/unity-catalog/{}'", request.path.trim_matches('/')),
            )),
        }
    }

    /// The sandbox's metastore: Azure, West Europe, open sharing allowed.
    pub fn metastore_summary(&self) -> Value {
        let id = Uuid::new_v5(&Uuid::NAMESPACE_URL, self.space.as_bytes());
        json!({
            "metastore_id": id.to_string(),
            "name": "sharepack-sandbox",
            "cloud": "azure",
            "region": "westeurope",
            "global_metastore_id": format!("azure:westeurope:{id}"),
            "delta_sharing_scope": "INTERNAL_AND_EXTERNAL",
            "delta_sharing_recipient_token_lifetime_in_seconds": 0,
            "delta_sharing_organization_name": "Sharepack Sandbox",
        })
    }

    async fn catalog_object(&self, kind: &str, what: &str, name: &str) -> Outcome {
        match self.store.get_doc(&self.space, kind, &name.to_lowercase()).await? {
            Some(doc) => Ok(Reply::ok(doc.body)),
            None => Err(Reply::error(404, &format!("{}_DOES_NOT_EXIST", what.to_uppercase()), format!("{what} '{name}' does not exist."))),
        }
    }

    async fn list(&self, kind: &str, field: &str, request: &Request<'_>) -> Outcome {
        let query = |key: &str| request.query.iter().find(|(k, _)| k == key).map(|(_, value)| value.clone());
        let limit = match query("max_results").map(|value| value.parse::<u32>()) {
            None | Some(Ok(0)) => PAGE,
            Some(Ok(limit)) => limit.min(PAGE),
            Some(Err(_)) => return Err(Reply::invalid("max_results must be a whole number")),
        };
        let after = query("page_token").filter(|token| !token.is_empty());
        let mut docs = self.store.list_docs(&self.space, kind, after.as_deref(), limit + 1).await?;
        let more = docs.len() > limit as usize;
        docs.truncate(limit as usize);
        let mut body = Map::new();
        let items: Vec<Value> = docs
            .iter()
            .map(|doc| {
                let mut item = doc.body.clone();
                item.as_object_mut().map(|map| map.remove("objects"));
                item
            })
            .collect();
        body.insert(field.into(), Value::Array(items));
        if more {
            if let Some(last) = docs.last() {
                body.insert("next_page_token".into(), Value::String(last.name.clone()));
            }
        }
        Ok(Reply::ok(Value::Object(body)))
    }

    /// `GET /tables?catalog_name=&schema_name=`: the schema's tables in name order, paged.
    async fn list_tables(&self, request: &Request<'_>) -> Outcome {
        let query = |key: &str| request.query.iter().find(|(k, _)| k == key).map(|(_, value)| value.to_lowercase());
        let (Some(catalog), Some(schema)) = (query("catalog_name"), query("schema_name")) else {
            return Err(Reply::invalid("catalog_name and schema_name are required"));
        };
        if self.store.get_doc(&self.space, "schema", &format!("{catalog}.{schema}")).await?.is_none() {
            return Err(Reply::error(404, "SCHEMA_DOES_NOT_EXIST", format!("Schema '{catalog}.{schema}' does not exist.")));
        }
        self.list_within("table", "tables", &format!("{catalog}.{schema}."), request).await
    }

    /// `GET /schemas?catalog_name=`: the catalog's schemas in name order, paged.
    async fn list_schemas(&self, request: &Request<'_>) -> Outcome {
        let Some(catalog) = request.query.iter().find(|(key, _)| key == "catalog_name").map(|(_, value)| value.to_lowercase()) else {
            return Err(Reply::invalid("catalog_name is required"));
        };
        if self.store.get_doc(&self.space, "catalog", &catalog).await?.is_none() {
            return Err(Reply::error(404, "CATALOG_DOES_NOT_EXIST", format!("Catalog '{catalog}' does not exist.")));
        }
        self.list_within("schema", "schemas", &format!("{catalog}."), request).await
    }

    /// The docs of `kind` named `prefix...` in name order, paged as the list calls are.
    async fn list_within(&self, kind: &str, field: &str, prefix: &str, request: &Request<'_>) -> Outcome {
        let query = |key: &str| request.query.iter().find(|(k, _)| k == key).map(|(_, value)| value.to_lowercase());
        let limit = match query("max_results").map(|value| value.parse::<u32>()) {
            None | Some(Ok(0)) => PAGE,
            Some(Ok(limit)) => limit.min(PAGE),
            Some(Err(_)) => return Err(Reply::invalid("max_results must be a whole number")),
        };
        let after = query("page_token").filter(|token| !token.is_empty()).unwrap_or_else(|| prefix.to_string());
        let mut docs: Vec<Doc> = self.store.list_docs(&self.space, kind, Some(&after), limit + 1).await?;
        docs.retain(|doc| doc.name.starts_with(prefix));
        let more = docs.len() > limit as usize;
        docs.truncate(limit as usize);
        let mut body = json!({field: docs.iter().map(|doc| doc.body.clone()).collect::<Vec<_>>()});
        if more {
            body["next_page_token"] = json!(docs.last().map(|doc| doc.name.clone()));
        }
        Ok(Reply::ok(body))
    }

    async fn recipient(&self, name: &str) -> Result<Doc, Reply> {
        self.store.get_doc(&self.space, "recipient", &name.to_lowercase()).await?.ok_or_else(|| Reply::not_found("Recipient", name))
    }

    async fn share(&self, name: &str) -> Result<Doc, Reply> {
        self.store.get_doc(&self.space, "share", &name.to_lowercase()).await?.ok_or_else(|| Reply::not_found("Share", name))
    }

    /// Writes a document back, or tells the caller someone changed it meanwhile.
    async fn save(&self, kind: &str, doc: &Doc, body: &Value) -> Result<(), Reply> {
        if self.store.update_doc(&self.space, kind, &doc.name, body, doc.revision).await? {
            Ok(())
        } else {
            Err(Reply::error(409, "ABORTED", format!("'{}' was changed by another request; try again", doc.name)))
        }
    }

    async fn create_recipient(&self, body: Value, caller: &str) -> Outcome {
        let name = rules::name(&body, "Recipient")?;
        let auth = body.get("authentication_type").and_then(Value::as_str).unwrap_or("TOKEN").to_string();
        let metastore = body.get("data_recipient_global_metastore_id").and_then(Value::as_str);
        match (auth.as_str(), metastore) {
            ("DATABRICKS", None) => return Err(Reply::invalid("data_recipient_global_metastore_id is required for DATABRICKS recipients")),
            ("DATABRICKS", Some(id)) if !crate::validate::is_metastore_id(id) => {
                return Err(Reply::invalid(format!(
                    "Invalid data_recipient_global_metastore_id '{id}': expected cloud:region:metastore-uuid"
                )))
            }
            ("DATABRICKS", Some(id))
                if id.eq_ignore_ascii_case(self.metastore_summary()["global_metastore_id"].as_str().unwrap_or_default()) =>
            {
                return Err(Reply::invalid("A recipient cannot be the provider's own metastore"))
            }
            ("TOKEN", Some(_)) => {
                return Err(Reply::invalid("data_recipient_global_metastore_id is only allowed for DATABRICKS recipients"))
            }
            ("TOKEN" | "DATABRICKS", _) => {}
            (other, _) => return Err(Reply::invalid(format!("Unsupported authentication_type '{other}'"))),
        }
        let ips = rules::ip_access_list(&body, &auth)?;
        let properties = rules::properties(&body)?;
        let now = rules::epoch_ms();
        let mut recipient = json!({
            "name": name, "authentication_type": auth, "owner": body.get("owner").cloned().unwrap_or(json!("sharepack-sandbox-admin")),
            "comment": body.get("comment").cloned().unwrap_or(Value::Null), "created_at": now, "created_by": caller, "updated_at": now, "updated_by": caller,
            "id": Uuid::new_v4().to_string(), "metastore_id": self.metastore_summary()["metastore_id"], "activated": false,
            "properties_kvpairs": {"properties": properties},
        });
        if let Some(ips) = ips {
            recipient["ip_access_list"] = json!({"allowed_ip_addresses": ips});
        }
        if let Some(id) = metastore {
            recipient["data_recipient_global_metastore_id"] = json!(id.to_lowercase());
            recipient["activated"] = json!(true);
        } else {
            let expiration = body.get("expiration_time").and_then(Value::as_i64);
            recipient["tokens"] = json!([self.token(expiration)]);
        }
        if !self.store.insert_doc(&self.space, "recipient", &name, &recipient).await? {
            return Err(Reply::error(409, "RESOURCE_ALREADY_EXISTS", format!("Recipient '{name}' already exists")));
        }
        Ok(Reply::ok(recipient))
    }

    fn token(&self, expiration: Option<i64>) -> Value {
        let now = rules::epoch_ms();
        json!({
            "id": Uuid::new_v4().to_string(),
            "activation_url": format!("{}/delta_sharing/retrieve_config.html?{}", self.base_url, Uuid::new_v4().simple()),
            "created_at": now, "created_by": "sandbox", "updated_at": now, "updated_by": "sandbox",
            "expiration_time": expiration.unwrap_or(now + 365 * 24 * 3600 * 1000),
        })
    }

    async fn update_recipient(&self, name: &str, body: Value, caller: &str) -> Outcome {
        let doc = self.recipient(name).await?;
        let mut recipient = doc.body.clone();
        let auth = recipient["authentication_type"].as_str().unwrap_or("TOKEN").to_string();
        let fields = ["comment", "owner", "ip_access_list", "properties_kvpairs", "expiration_time", "new_name"];
        if !fields.iter().any(|field| body.get(*field).is_some()) {
            return Err(Reply::invalid("UpdateRecipient no fields to update."));
        }
        for field in ["comment", "owner"] {
            if let Some(value) = body.get(field) {
                recipient[field] = value.clone();
            }
        }
        if body.get("ip_access_list").is_some() {
            match rules::ip_access_list(&body, &auth)? {
                Some(ips) if !ips.is_empty() => recipient["ip_access_list"] = json!({"allowed_ip_addresses": ips}),
                _ => {
                    recipient.as_object_mut().map(|map| map.remove("ip_access_list"));
                }
            }
        }
        if body.get("properties_kvpairs").is_some() {
            recipient["properties_kvpairs"] = json!({"properties": rules::properties(&body)?});
        }
        if let Some(expiration) = body.get("expiration_time").and_then(Value::as_i64) {
            if let Some(token) = recipient.get_mut("tokens").and_then(Value::as_array_mut).and_then(|tokens| tokens.last_mut()) {
                token["expiration_time"] = json!(expiration);
            }
        }
        recipient["updated_at"] = json!(rules::epoch_ms());
        recipient["updated_by"] = json!(caller);
        if let Some(new_name) = body.get("new_name").and_then(Value::as_str) {
            let new_name = rules::name(&json!({"name": new_name}), "Recipient")?;
            recipient["name"] = json!(new_name);
            if !self.store.insert_doc(&self.space, "recipient", &new_name, &recipient).await? {
                return Err(Reply::error(409, "RESOURCE_ALREADY_EXISTS", format!("Recipient '{new_name}' already exists")));
            }
            self.store.delete_doc(&self.space, "recipient", &doc.name).await?;
            return Ok(Reply::ok(recipient));
        }
        self.save("recipient", &doc, &recipient).await?;
        Ok(Reply::ok(recipient))
    }

    async fn delete_recipient(&self, name: &str) -> Outcome {
        let doc = self.recipient(name).await?;
        self.store.delete_doc(&self.space, "recipient", &doc.name).await?;
        for grant in self.grants_of_recipient(&doc.name).await? {
            self.store.delete_doc(&self.space, "grant", &grant).await?;
        }
        Ok(Reply::ok(json!({})))
    }

    async fn rotate_token(&self, name: &str, body: Value) -> Outcome {
        let doc = self.recipient(name).await?;
        let mut recipient = doc.body.clone();
        if recipient["authentication_type"] != "TOKEN" {
            return Err(Reply::invalid(format!("Cannot rotate the token of recipient '{name}': it does not use token authentication")));
        }
        let Some(expire_in) = body.get("existing_token_expire_in_seconds").and_then(Value::as_i64) else {
            return Err(Reply::invalid("existing_token_expire_in_seconds is required"));
        };
        if expire_in < 0 {
            return Err(Reply::invalid("existing_token_expire_in_seconds must not be negative"));
        }
        let now = rules::epoch_ms();
        let tokens =
            recipient.get_mut("tokens").and_then(Value::as_array_mut).ok_or_else(|| Reply::invalid("the recipient has no tokens"))?;
        tokens.retain(|token| token["expiration_time"].as_i64().unwrap_or(0) > now);
        if tokens.len() >= 2 {
            return Err(Reply::invalid(format!("There are already two active tokens for recipient {name}")));
        }
        for token in tokens.iter_mut() {
            let current = token["expiration_time"].as_i64().unwrap_or(now);
            token["expiration_time"] = json!(current.min(now.saturating_add(expire_in.saturating_mul(1000))));
        }
        tokens.push(self.token(None));
        self.save("recipient", &doc, &recipient).await?;
        Ok(Reply::ok(recipient))
    }

    async fn create_share(&self, body: Value, caller: &str) -> Outcome {
        let name = rules::name(&body, "Share")?;
        let now = rules::epoch_ms();
        let share = json!({
            "name": name, "comment": body.get("comment").cloned().unwrap_or(Value::Null), "owner": body.get("owner").cloned().unwrap_or(json!("sharepack-sandbox-admin")),
            "created_at": now, "created_by": caller, "updated_at": now, "updated_by": caller, "objects": [],
        });
        if !self.store.insert_doc(&self.space, "share", &name, &share).await? {
            return Err(Reply::error(409, "RESOURCE_ALREADY_EXISTS", format!("Share '{name}' already exists")));
        }
        let mut reply = share;
        reply.as_object_mut().map(|map| map.remove("objects"));
        Ok(Reply::ok(reply))
    }

    async fn update_share(&self, name: &str, body: Value, caller: &str) -> Outcome {
        let doc = self.share(name).await?;
        let mut share = doc.body.clone();
        let updates = body.get("updates").and_then(Value::as_array).cloned().unwrap_or_default();
        let other = ["comment", "owner", "new_name"].iter().any(|field| body.get(*field).is_some());
        if updates.is_empty() && !other {
            return Err(Reply::invalid("UpdateShare no fields to update."));
        }
        if updates.len() > MAX_UPDATES {
            return Err(Reply::invalid(format!("UpdateShare number of data objects to update exceeds limit {MAX_UPDATES}")));
        }
        let mut objects: Vec<Value> = share["objects"].as_array().cloned().unwrap_or_default();
        let mut touched = std::collections::HashSet::new();
        for update in &updates {
            let action = update.get("action").and_then(Value::as_str).unwrap_or("");
            let object = update.get("data_object").cloned().ok_or_else(|| Reply::invalid("each update needs a data_object"))?;
            let object = rules::data_object(&object)?;
            let key = object["name"].as_str().unwrap_or_default().to_string();
            if !touched.insert(key.clone()) {
                return Err(Reply::invalid(format!(
                    "UpdateShare duplicate updates on the same data object with data object type: {}, names: [{key}]",
                    object["data_object_type"].as_str().unwrap_or("TABLE")
                )));
            }
            let position = objects.iter().position(|existing| existing["name"].as_str() == Some(key.as_str()));
            match (action, position) {
                ("ADD", Some(_)) => {
                    return Err(Reply::error(409, "RESOURCE_ALREADY_EXISTS", format!("Shared Table '{key}' already exists")))
                }
                ("ADD", None) => {
                    self.check_object_exists(&object).await?;
                    let mut added = object;
                    added["added_at"] = json!(rules::epoch_ms());
                    added["added_by"] = json!(caller);
                    added["status"] = json!("ACTIVE");
                    objects.push(added);
                }
                ("REMOVE" | "UPDATE", None) => return Err(Reply::not_found("Shared object", &key)),
                ("REMOVE", Some(index)) => {
                    objects.remove(index);
                }
                ("UPDATE", Some(index)) => {
                    let mut updated = object;
                    for field in ["added_at", "added_by", "status"] {
                        updated[field] = objects[index][field].clone();
                    }
                    objects[index] = updated;
                }
                (other, _) => return Err(Reply::invalid(format!("Unknown update action '{other}'; use ADD, REMOVE or UPDATE"))),
            }
        }
        let tables = objects.iter().filter(|object| rules::is_table_like(object)).count();
        if tables > 1000 {
            return Err(Reply::invalid(format!("A share can hold at most 1000 tables; this update would make {tables}")));
        }
        share["objects"] = Value::Array(objects);
        for field in ["comment", "owner"] {
            if let Some(value) = body.get(field) {
                share[field] = value.clone();
            }
        }
        share["updated_at"] = json!(rules::epoch_ms());
        share["updated_by"] = json!(caller);
        if let Some(new_name) = body.get("new_name").and_then(Value::as_str) {
            let new_name = rules::name(&json!({"name": new_name}), "Share")?;
            share["name"] = json!(new_name);
            if !self.store.insert_doc(&self.space, "share", &new_name, &share).await? {
                return Err(Reply::error(409, "RESOURCE_ALREADY_EXISTS", format!("Share '{new_name}' already exists")));
            }
            self.store.delete_doc(&self.space, "share", &doc.name).await?;
            for grant in self.grants_of_share(&doc.name).await? {
                let body = self.store.get_doc(&self.space, "grant", &grant).await?.map(|doc| doc.body).unwrap_or_default();
                let recipient = body["principal"].as_str().unwrap_or_default().to_string();
                self.store.delete_doc(&self.space, "grant", &grant).await?;
                self.store
                    .insert_doc(
                        &self.space,
                        "grant",
                        &grant_name(&new_name, &recipient),
                        &json!({"share": new_name, "principal": recipient}),
                    )
                    .await?;
            }
            return Ok(Reply::ok(share));
        }
        self.save("share", &doc, &share).await?;
        Ok(Reply::ok(share))
    }

    /// Tables and views must be in the catalog; schemas too. Other kinds are taken on trust.
    async fn check_object_exists(&self, object: &Value) -> Result<(), Reply> {
        let name = object["name"].as_str().unwrap_or_default().to_lowercase();
        let kind = object["data_object_type"].as_str().unwrap_or("TABLE");
        let (doc_kind, what) = match kind {
            "SCHEMA" => ("schema", "Schema"),
            _ if rules::is_table_like(object) => ("table", "Table"),
            _ => return Ok(()),
        };
        match self.store.get_doc(&self.space, doc_kind, &name).await? {
            Some(_) => Ok(()),
            None => Err(Reply::error(404, &format!("{}_DOES_NOT_EXIST", what.to_uppercase()), format!("{what} '{name}' does not exist."))),
        }
    }

    async fn delete_share(&self, name: &str) -> Outcome {
        let doc = self.share(name).await?;
        self.store.delete_doc(&self.space, "share", &doc.name).await?;
        for grant in self.grants_of_share(&doc.name).await? {
            self.store.delete_doc(&self.space, "grant", &grant).await?;
        }
        Ok(Reply::ok(json!({})))
    }

    async fn share_permissions(&self, name: &str) -> Outcome {
        let doc = self.share(name).await?;
        Ok(Reply::ok(json!({"privilege_assignments": self.assignments(&doc.name).await?})))
    }

    async fn assignments(&self, share: &str) -> Result<Vec<Value>, Reply> {
        let prefix = format!("{share}/");
        let grants = self.store.docs_with_prefix(&self.space, "grant", &prefix).await?;
        Ok(grants.into_iter().map(|doc| json!({"principal": doc.body["principal"], "privileges": ["SELECT"]})).collect())
    }

    async fn update_permissions(&self, name: &str, body: Value) -> Outcome {
        let doc = self.share(name).await?;
        let changes = body.get("changes").and_then(Value::as_array).cloned().unwrap_or_default();
        for change in &changes {
            let principal = change
                .get("principal")
                .and_then(Value::as_str)
                .ok_or_else(|| Reply::invalid("each change needs a principal"))?
                .to_lowercase();
            let list = |field: &str| change.get(field).and_then(Value::as_array).cloned().unwrap_or_default();
            let (add, remove) = (list("add"), list("remove"));
            for privilege in add.iter().chain(&remove) {
                if privilege.as_str() != Some("SELECT") {
                    return Err(Reply::invalid(format!("Privilege {privilege} is not applicable to a share; only SELECT is")));
                }
            }
            if !add.is_empty() && !remove.is_empty() {
                return Err(Reply::invalid(format!("Duplicate privileges to add and delete for principal {principal}")));
            }
            if !add.is_empty() {
                self.recipient(&principal).await?;
                self.store
                    .insert_doc(
                        &self.space,
                        "grant",
                        &grant_name(&doc.name, &principal),
                        &json!({"share": doc.name, "principal": principal}),
                    )
                    .await?;
            }
            if !remove.is_empty() {
                self.store.delete_doc(&self.space, "grant", &grant_name(&doc.name, &principal)).await?;
            }
        }
        Ok(Reply::ok(json!({"privilege_assignments": self.assignments(&doc.name).await?})))
    }

    async fn recipient_permissions(&self, name: &str) -> Outcome {
        let doc = self.recipient(name).await?;
        let mut out = Vec::new();
        for grant in self.grants_of_recipient(&doc.name).await? {
            if let Some(grant) = self.store.get_doc(&self.space, "grant", &grant).await? {
                out.push(json!({"share_name": grant.body["share"], "privilege_assignments": [{"principal": doc.name, "privileges": ["SELECT"]}]}));
            }
        }
        Ok(Reply::ok(json!({"permissions_out": out})))
    }

    /// Grant documents are named `share/recipient`.
    async fn grants_of_share(&self, share: &str) -> Result<Vec<String>, Reply> {
        // One query for the share's grants, not a walk through every grant of the workspace.
        let prefix = format!("{share}/");
        Ok(self
            .store
            .docs_with_prefix(&self.space, "grant", &prefix)
            .await?
            .into_iter()
            .map(|doc| doc.name)
            .filter(|name| name.starts_with(&prefix))
            .collect())
    }

    async fn grants_of_recipient(&self, recipient: &str) -> Result<Vec<String>, Reply> {
        let suffix = format!("/{recipient}");
        Ok(self.all_grants().await?.into_iter().filter(|name| name.ends_with(&suffix)).collect())
    }

    async fn all_grants(&self) -> Result<Vec<String>, Reply> {
        let mut names = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.store.list_docs(&self.space, "grant", after.as_deref(), 1000).await?;
            let done = page.len() < 1000;
            after = page.last().map(|doc| doc.name.clone());
            names.extend(page.into_iter().map(|doc| doc.name));
            if done {
                return Ok(names);
            }
        }
    }
}

fn grant_name(share: &str, recipient: &str) -> String {
    format!("{share}/{recipient}")
}

/// `%2E` and friends in path segments (full names may arrive encoded).
fn percent_decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment).decode_utf8_lossy().into_owned()
}
