//! Reading a [`Snapshot`] from a live workspace: only what the pack names, plus what pre-flight
//! needs. Tables are listed per schema (one call per page), not looked up one by one, so a pack
//! of thousands of objects costs a handful of calls.

use super::snapshot::{Metastore, Provisioned, ShareState, Snapshot};
use crate::databricks::client::WorkspaceClient;
use crate::databricks::error::{ApiError, ErrorKind};
use crate::model::{name_key, DataObjectType, SharePack};
use futures::stream::{self, StreamExt, TryStreamExt};
use std::collections::BTreeSet;

/// Reads what `pack` names from the workspace, and what earlier versions of it made. Calls that
/// do not depend on each other go out together, as many at once as the workspace's limiter lets
/// through (which every other caller of the workspace shares).
pub async fn read(client: &WorkspaceClient, pack: &SharePack, provisioned: Provisioned) -> Result<Snapshot, ApiError> {
    let width = client.concurrency();
    let mut snapshot = Snapshot::default();
    let (summary, all_recipients, all_shares) =
        futures::try_join!(client.metastore_summary(), client.list_recipients(), client.list_shares())?;
    snapshot.metastore = Metastore {
        global_metastore_id: summary["global_metastore_id"].as_str().unwrap_or_default().to_string(),
        delta_sharing_scope: summary["delta_sharing_scope"].as_str().unwrap_or_default().to_string(),
        recipient_count: all_recipients.len(),
        share_count: all_shares.len(),
    };
    let mut named: BTreeSet<String> = pack.recipients.iter().map(|r| name_key(&r.name)).collect();
    named.extend(provisioned.recipients.keys().cloned());
    for recipient in all_recipients.into_iter().filter(|r| named.contains(&name_key(&r.name))) {
        snapshot.recipients.insert(name_key(&recipient.name), recipient);
    }
    let existing: BTreeSet<String> = all_shares.iter().map(|share| name_key(&share.name)).collect();
    let mut shares: BTreeSet<String> = pack.shares.iter().map(|share| name_key(&share.name)).filter(|name| !name.is_empty()).collect();
    shares.extend(provisioned.shares.keys().cloned());
    let share_reads = share_states(client, shares.into_iter().filter(|key| existing.contains(key)).collect());
    // The catalog objects the pack shares: tables by schema, schemas one by one.
    let mut schemas = BTreeSet::new();
    let mut schema_objects = BTreeSet::new();
    for object in pack.shares.iter().flat_map(|share| &share.data_objects) {
        let name = name_key(&object.name);
        let parts: Vec<&str> = name.split('.').collect();
        match (object.kind, parts.as_slice()) {
            (DataObjectType::Schema, [_, _]) => {
                schema_objects.insert(name.clone());
            }
            (kind, [catalog, schema, _]) if kind.is_table_like() => {
                schemas.insert((catalog.to_string(), schema.to_string()));
            }
            _ => {}
        }
    }
    let schema_reads = stream::iter(schema_objects)
        .map(|name| async move {
            match client.get_schema(&name).await {
                Ok(_) => Ok(Some(name)),
                Err(error) if error.kind == ErrorKind::NotFound => Ok(None),
                Err(error) => Err(error),
            }
        })
        .buffer_unordered(width)
        .try_collect::<Vec<_>>();
    let table_lists = stream::iter(schemas)
        .map(|(catalog, schema)| async move {
            match client.list_tables(&catalog, &schema).await {
                Ok(tables) => Ok(tables
                    .into_iter()
                    .map(|table| {
                        let full = table["full_name"]
                            .as_str()
                            .map(name_key)
                            .unwrap_or_else(|| format!("{catalog}.{schema}.{}", table["name"].as_str().unwrap_or_default()));
                        (full, table["table_type"].as_str().unwrap_or("MANAGED").to_string())
                    })
                    .collect::<Vec<_>>()),
                Err(error) if error.kind == ErrorKind::NotFound => Ok(Vec::new()),
                Err(error) => Err(error),
            }
        })
        .buffer_unordered(width)
        .try_collect::<Vec<_>>();
    let (share_states, found_schemas, tables) = futures::try_join!(share_reads, schema_reads, table_lists)?;
    snapshot.shares.extend(share_states);
    snapshot.catalog.extend(found_schemas.into_iter().flatten().map(|name| (name, "SCHEMA".to_string())));
    snapshot.catalog.extend(tables.into_iter().flatten());
    snapshot.provisioned = provisioned;
    Ok(snapshot)
}

/// Each share (lower-case names) with its objects and the recipients granted SELECT on it: two
/// calls a share, as many shares at once as the workspace's limiter lets through.
pub async fn share_states(client: &WorkspaceClient, keys: Vec<String>) -> Result<Vec<(String, ShareState)>, ApiError> {
    stream::iter(keys)
        .map(|key| async move {
            let (info, grants) = futures::try_join!(client.get_share(&key, true), client.share_permissions(&key))?;
            let grants =
                grants.into_iter().filter(|grant| grant.privileges.iter().any(|p| p == "SELECT")).map(|grant| name_key(&grant.principal));
            Ok::<_, ApiError>((key, ShareState { info, grants: grants.collect() }))
        })
        .buffer_unordered(client.concurrency())
        .try_collect::<Vec<_>>()
        .await
}

/// What a dry run found: the plan, or why there is none, with every finding (intake's and the
/// plan's) in one list.
#[derive(Debug, Clone)]
pub struct DryRun {
    pub declared: Option<crate::model::Strategy>,
    pub strategy: Option<crate::model::Strategy>,
    pub plan: Option<super::Plan>,
    pub findings: Vec<crate::finding::Finding>,
    /// The workspace as it was read, which the plan was computed from.
    pub snapshot: Option<super::snapshot::Snapshot>,
    /// The pack was valid but the workspace could not be read.
    pub unreachable: bool,
}

/// Intake, then the workspace, then the plan. A pack with errors is not planned; a workspace
/// that cannot be read keeps the declared strategy and blocks the plan, saying why. `synced` is
/// what the last objects sync saw near the pack's names, for suggestions.
pub async fn dry_run(
    intake: crate::intake::Intake,
    client: &WorkspaceClient,
    options: super::PlanOptions,
    provisioned: Provisioned,
    synced: std::collections::BTreeMap<String, String>,
) -> DryRun {
    let mut findings = intake.findings.clone();
    let format = intake.format;
    let Some(pack) = intake.pack.filter(|_| !findings.iter().any(crate::finding::Finding::is_error)) else {
        crate::telemetry::upload_read(format, "invalid");
        return DryRun { declared: None, strategy: None, plan: None, findings, snapshot: None, unreachable: false };
    };
    let declared = pack.metadata.strategy;
    match read(client, &pack, provisioned).await {
        Ok(mut snapshot) => {
            snapshot.synced = synced;
            let plan = super::plan(&pack, &snapshot, options);
            crate::telemetry::upload_read(format, "planned");
            crate::telemetry::planned(&plan);
            findings.extend(plan.findings.iter().cloned());
            crate::finding::sort_findings(&mut findings);
            DryRun { declared, strategy: Some(plan.strategy), plan: Some(plan), findings, snapshot: Some(snapshot), unreachable: false }
        }
        Err(error) => {
            crate::telemetry::upload_read(format, "workspace_unreachable");
            findings.push(crate::finding::Finding::warning(
                "workspace_unreachable",
                crate::finding::Location::file(),
                format!("The workspace could not be read ({error}); the strategy stays as declared"),
            ));
            findings.push(
                crate::finding::Finding::error(
                    "plan_unavailable",
                    crate::finding::Location::file(),
                    "Without the workspace's current state there is no safe plan, so the pack cannot be submitted yet",
                )
                .hint("Try again in a moment; if it persists, check the workspace's URL and credentials"),
            );
            DryRun { declared, strategy: declared, plan: None, findings, snapshot: None, unreachable: true }
        }
    }
}
