//! A workspace's catalogs, schemas and tables, kept in `databricks_objects` with history: what
//! the planner suggests when a pack names a table the workspace does not have, and what the
//! preview offers. Read with a list call per page of catalogs, of each catalog's schemas and of
//! each schema's tables (the fewest the API allows), as many at once as the workspace's limiter
//! lets through. An object first seen gets a version, one that changed (owner, comment, type)
//! another, one no longer listed a deleted version.

use super::SyncError;
use crate::apply::keys;
use crate::databricks::client::WorkspaceClient;
use crate::databricks::error::{ApiError, ErrorKind};
use crate::identity::Actor;
use crate::model::name_key;
use crate::records::SyncKind;
use crate::store::{Change, Entity, Store, StoreError};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;

/// What kind of catalog object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ObjectType {
    Catalog,
    Schema,
    Table,
}

/// One catalog, schema or table as the last sync saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct DatabricksObject {
    pub workspace_url: String,
    /// `catalog`, `catalog.schema` or `catalog.schema.table`, lowercase.
    pub full_name: String,
    #[serde(rename = "Type")]
    pub object_type: ObjectType,
    /// `MANAGED`, `EXTERNAL`, `VIEW`, ... (tables only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// What a sync saw and wrote, kept with its job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Report {
    pub catalogs: usize,
    pub schemas: usize,
    pub tables: usize,
    /// Objects listed in all.
    pub seen: usize,
    /// Versions written: objects first seen, changed, and gone.
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    /// Calls made to the workspace (retries included).
    pub calls: u64,
}

/// Catalogs no share can hold: the system catalog, and catalogs made from shares received.
const UNSHAREABLE_CATALOGS: &[&str] = &["SYSTEM_CATALOG", "DELTASHARING_CATALOG"];

/// Reads the workspace Sharepack knows as `url` and records what changed, as job `job`.
pub async fn sync(store: &Store, url: &str, client: &WorkspaceClient, job: Uuid) -> Result<Report, SyncError> {
    let calls_before = client.calls();
    let listed = read(client, url).await?;
    let mut report = Report::default();
    for object in &listed {
        match object.object_type {
            ObjectType::Catalog => report.catalogs += 1,
            ObjectType::Schema => report.schemas += 1,
            ObjectType::Table => report.tables += 1,
        }
    }
    report.seen = listed.len();
    record(store, url, listed, job, &mut report).await?;
    report.calls = client.calls().saturating_sub(calls_before);
    tracing::info!(workspace = %url, seen = report.seen, added = report.added, changed = report.changed, removed = report.removed, "objects synced");
    Ok(report)
}

/// Every shareable catalog, its schemas (but `information_schema`) and their tables.
async fn read(client: &WorkspaceClient, url: &str) -> Result<Vec<DatabricksObject>, ApiError> {
    let width = client.concurrency();
    let catalogs: Vec<Value> = client
        .list_catalogs()
        .await?
        .into_iter()
        .filter(|catalog| !catalog["catalog_type"].as_str().is_some_and(|kind| UNSHAREABLE_CATALOGS.contains(&kind)))
        .collect();
    let mut objects: Vec<DatabricksObject> =
        catalogs.iter().filter_map(|catalog| Some(object(url, ObjectType::Catalog, text(catalog, "name")?, catalog))).collect();
    let catalog_names: Vec<String> = objects.iter().map(|catalog| catalog.full_name.clone()).collect();
    let schemas: Vec<Vec<DatabricksObject>> = stream::iter(catalog_names)
        .map(|catalog| async move {
            let schemas = gone_is_empty(client.list_schemas(&catalog).await)?;
            Ok::<_, ApiError>(
                schemas
                    .iter()
                    .filter_map(|schema| {
                        let name = text(schema, "name")?;
                        (name != "information_schema").then(|| object(url, ObjectType::Schema, format!("{catalog}.{name}"), schema))
                    })
                    .collect(),
            )
        })
        .buffer_unordered(width)
        .try_collect()
        .await?;
    let schemas: Vec<DatabricksObject> = schemas.into_iter().flatten().collect();
    let schema_names: Vec<String> = schemas.iter().map(|schema| schema.full_name.clone()).collect();
    let tables: Vec<Vec<DatabricksObject>> = stream::iter(schema_names)
        .map(|schema| async move {
            let (catalog, name) = schema.split_once('.').unwrap_or((&schema, ""));
            let tables = gone_is_empty(client.list_tables(catalog, name).await)?;
            Ok::<_, ApiError>(
                tables
                    .iter()
                    .filter_map(|table| {
                        let full = text(table, "full_name").or_else(|| text(table, "name").map(|name| format!("{schema}.{name}")))?;
                        Some(object(url, ObjectType::Table, full, table))
                    })
                    .collect(),
            )
        })
        .buffer_unordered(width)
        .try_collect()
        .await?;
    objects.extend(schemas);
    objects.extend(tables.into_iter().flatten());
    Ok(objects)
}

/// A field's text, when it has some.
fn text(value: &Value, field: &str) -> Option<String> {
    value[field].as_str().filter(|text| !text.is_empty()).map(str::to_string)
}

/// An object as the API lists it, as Sharepack keeps it.
fn object(url: &str, object_type: ObjectType, full_name: String, value: &Value) -> DatabricksObject {
    DatabricksObject {
        workspace_url: url.to_string(),
        full_name: name_key(&full_name),
        object_type,
        table_type: (object_type == ObjectType::Table).then(|| text(value, "table_type").unwrap_or_else(|| "MANAGED".into())),
        owner: text(value, "owner"),
        comment: text(value, "comment"),
    }
}

/// A catalog or schema dropped while the sync read it has nothing in it.
fn gone_is_empty(listed: Result<Vec<Value>, ApiError>) -> Result<Vec<Value>, ApiError> {
    match listed {
        Err(error) if error.kind == ErrorKind::NotFound => Ok(Vec::new()),
        other => other,
    }
}

/// Writes what changed since the workspace's current versions.
async fn record(store: &Store, url: &str, listed: Vec<DatabricksObject>, job: Uuid, report: &mut Report) -> Result<(), StoreError> {
    let reason = super::change_reason(SyncKind::Objects, job);
    let change = Change { by: &Actor::Worker, reason: &reason };
    let mut listed: BTreeMap<Uuid, DatabricksObject> =
        listed.into_iter().map(|object| (keys::databricks_object(url, &object.full_name), object)).collect();
    for version in store.current_with(Entity::DatabricksObject, "WorkspaceUrl", url).await? {
        match listed.remove(&version.key) {
            Some(seen) if serde_json::from_value::<DatabricksObject>(version.data.clone()).ok().as_ref() == Some(&seen) => {}
            Some(seen) => {
                write(store, version.key, &seen, &change).await?;
                report.changed += 1;
            }
            None => {
                let gone = format!("no longer in the workspace at objects sync {job}");
                store.delete(Entity::DatabricksObject, version.key, &Change { by: &Actor::Worker, reason: &gone }).await?;
                report.removed += 1;
            }
        }
    }
    for (key, object) in listed {
        write(store, key, &object, &change).await?;
        report.added += 1;
    }
    Ok(())
}

async fn write(store: &Store, key: Uuid, object: &DatabricksObject, change: &Change<'_>) -> Result<(), StoreError> {
    let data = serde_json::to_value(object).map_err(|error| StoreError::Corrupt(error.to_string()))?;
    store.write(Entity::DatabricksObject, key, &object.full_name, &data, change).await.map(|_| ())
}

/// The objects of `url` last synced whose full name starts with `prefix` (`""` for all), of
/// one type when given, by name, at most `limit`: what the planner suggests from, and what the
/// preview offers.
pub async fn synced(
    store: &Store,
    url: &str,
    prefix: &str,
    object_type: Option<ObjectType>,
    limit: u32,
) -> Result<Vec<DatabricksObject>, StoreError> {
    // The type as the records spell it (its serde name).
    let wanted = object_type.and_then(|kind| serde_json::to_value(kind).ok()).and_then(|value| value.as_str().map(str::to_string));
    let mut fields = vec![("WorkspaceUrl", url)];
    fields.extend(wanted.as_deref().map(|kind| ("Type", kind)));
    let versions = store.current_named_with(Entity::DatabricksObject, &name_key(prefix), &fields, limit).await?;
    Ok(versions.into_iter().filter_map(|version| serde_json::from_value(version.data).ok()).collect())
}
