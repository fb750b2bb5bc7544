//! One reconciliation of one workspace. The workspace is read once (every recipient and share
//! listed, each managed share's objects and grants), then each share pack whose current
//! version was applied is planned against it; what those plans would change is the drift. Findings are written as versions of their SCD2 entity:
//! new ones, changed ones, and those the workspace no longer shows closed as resolved.

use super::compare::{differences, unmanaged};
use super::{Difference, DriftFinding};
use crate::apply::keys;
use crate::databricks::client::{ShareInfo, WorkspaceClient};
use crate::databricks::error::ApiError;
use crate::identity::Actor;
use crate::model::{name_key, SharePack};
use crate::plan::read::share_states;
use crate::plan::snapshot::{Metastore, ShareState, Snapshot};
use crate::plan::{plan, PlanOptions};
use crate::records::{DriftKind, PackStatus};
use crate::store::{Change, Entity, SharePackVersion, Store, StoreError};
use crate::sync::SyncError;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// What a check found and did, kept with its sync job.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Report {
    /// Share packs compared (their current version applied).
    pub packs: usize,
    /// Share packs left out, and why (a run in flight, a failed run).
    pub skipped: Vec<String>,
    /// Recipients, shares, objects and grants compared.
    pub compared: usize,
    /// Open findings by kind after the check.
    pub added: usize,
    pub removed: usize,
    pub modified: usize,
    pub unmanaged: usize,
    /// Findings this check saw first, changed, and closed.
    pub new: usize,
    pub changed: usize,
    pub resolved: usize,
    /// Calls made to the workspace (retries included).
    pub calls: u64,
    /// Why the audit log (who changed what) could not be read, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_error: Option<String>,
    /// The share packs with findings this check saw first or changed, for their requesters.
    #[serde(default)]
    pub drifted: Vec<crate::notify::DriftedPack>,
}

/// A pack to compare: its applied version, and who it belongs to.
struct Applied {
    version: SharePackVersion,
    pack: SharePack,
}

/// Reconciles the workspace Sharepack knows as `url` (reached through `client`) now, as check
/// `check` (its sync job's id).
pub async fn reconcile(store: &Store, url: &str, client: &WorkspaceClient, check: Uuid) -> Result<Report, SyncError> {
    let calls_before = client.calls();
    let mut report = Report::default();
    let (applied, mut managed_recipients, mut managed_shares) = packs_on(store, url, &mut report).await?;
    // What runs made is managed too, even once no current version lists it.
    let recorded = |entity| async move { store.current_with(entity, "workspace_url", url).await };
    managed_recipients.extend(recorded(Entity::Recipient).await?.into_iter().map(|version| name_key(&version.name)));
    managed_shares.extend(recorded(Entity::Share).await?.into_iter().map(|version| name_key(&version.name)));
    let snapshot = read_workspace(client, &managed_shares).await?;
    let mut found: BTreeMap<Uuid, DriftFinding> = BTreeMap::new();
    let now = crate::store::now();
    // What earlier versions made and the applied one no longer lists is a plan's to retire, not
    // drift, so the snapshot carries no provisioned set: the plans hold no deletions to read.
    for Applied { version, pack } in &applied {
        let plan = plan(pack, &snapshot, PlanOptions::default());
        report.compared += plan.actions.len();
        for difference in differences(pack, &snapshot, &plan) {
            let id = keys::drift_finding(url, difference.resource_type, difference.share.as_deref(), &difference.name);
            found.entry(id).or_insert_with(|| finding(id, difference, url, Some(version), check, now));
        }
    }
    for difference in unmanaged(&snapshot, &managed_recipients, &managed_shares) {
        let id = keys::drift_finding(url, difference.resource_type, None, &difference.name);
        found.entry(id).or_insert_with(|| finding(id, difference, url, None, check, now));
    }
    if let Some(warehouse) = client.audit_warehouse() {
        let applied_at: BTreeMap<Uuid, chrono::DateTime<chrono::Utc>> =
            applied.iter().map(|Applied { version, .. }| (version.id, version.effective_from)).collect();
        let since = applied_at.values().min().copied().unwrap_or(now);
        match super::audit::events(client, warehouse, since).await {
            Ok(events) => super::audit::attribute(&mut found, &events, &applied_at),
            Err(error) => {
                tracing::warn!(%error, workspace = %url, "the audit log could not be read; drift is reported without it");
                report.audit_error = Some(crate::store::redact(&error.to_string()));
            }
        }
    }
    let packs: BTreeMap<Uuid, (String, String)> =
        applied.iter().map(|a| (a.version.id, (a.version.name.clone(), a.version.record.requested_by.clone()))).collect();
    record(store, url, found, check, &packs, &mut report).await?;
    report.packs = applied.len();
    report.calls = client.calls().saturating_sub(calls_before);
    Ok(report)
}

fn finding(
    id: Uuid,
    difference: Difference,
    url: &str,
    pack: Option<&SharePackVersion>,
    check: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> DriftFinding {
    DriftFinding {
        id,
        difference,
        workspace_url: url.to_string(),
        share_pack_id: pack.map(|pack| pack.id),
        share_pack: pack.map(|pack| pack.name.clone()),
        business_line: pack.and_then(|pack| pack.record.business_line.clone()),
        first_seen: now,
        check,
    }
}

/// The share packs on the workspace: those whose current version was applied, to compare, and
/// the names every pack lists (applied or not), which are managed rather than unmanaged.
async fn packs_on(store: &Store, url: &str, report: &mut Report) -> Result<(Vec<Applied>, BTreeSet<String>, BTreeSet<String>), StoreError> {
    let mut applied = Vec::new();
    let (mut recipients, mut shares) = (BTreeSet::new(), BTreeSet::new());
    for version in store.current_with(Entity::SharePack, "workspace_url", url).await? {
        let version = SharePackVersion::try_from(version)?;
        let parsed = store.pack_file_parsed(version.id, version.record.upload).await?;
        let Some(pack) = parsed.and_then(|parsed| serde_json::from_value::<SharePack>(parsed).ok()) else {
            tracing::warn!(pack = %version.id, upload = version.record.upload, "a share pack's stored file cannot be read; left out of the drift check");
            report.skipped.push(format!("{}: its stored file cannot be read", version.name));
            continue;
        };
        recipients.extend(pack.recipients.iter().map(|recipient| name_key(&recipient.name)));
        shares.extend(pack.shares.iter().map(|share| name_key(&share.name)));
        match version.record.status {
            PackStatus::Completed => applied.push(Applied { version, pack }),
            status => report.skipped.push(format!("{}: its current version is {}, not applied", version.name, status.as_str())),
        }
    }
    Ok((applied, recipients, shares))
}

/// Every recipient and share the workspace holds, and the objects and grants of those a pack
/// manages: a list call per page of each, and two calls per managed share, the fewest the API
/// allows (no list returns a share's objects or grants). Shares are read as soon as their list
/// is in, while the recipients' pages (one after another, as page tokens chain) still come.
pub(crate) async fn read_workspace(client: &WorkspaceClient, managed_shares: &BTreeSet<String>) -> Result<Snapshot, ApiError> {
    let shares = async {
        let listed: BTreeMap<String, ShareInfo> =
            client.list_shares().await?.into_iter().map(|share| (name_key(&share.name), share)).collect();
        let to_read: Vec<String> = listed.keys().filter(|key| managed_shares.contains(*key)).cloned().collect();
        let states = share_states(client, to_read).await?;
        Ok::<_, ApiError>((listed, states))
    };
    let (summary, recipients, (listed, states)) = futures::try_join!(client.metastore_summary(), client.list_recipients(), shares)?;
    let mut snapshot = Snapshot {
        metastore: Metastore {
            global_metastore_id: summary["global_metastore_id"].as_str().unwrap_or_default().to_string(),
            delta_sharing_scope: summary["delta_sharing_scope"].as_str().unwrap_or_default().to_string(),
            recipient_count: recipients.len(),
            share_count: listed.len(),
        },
        ..Snapshot::default()
    };
    snapshot.recipients = recipients.into_iter().map(|recipient| (name_key(&recipient.name), recipient)).collect();
    snapshot.shares = listed.into_iter().map(|(key, info)| (key, ShareState { info, grants: BTreeSet::new() })).collect();
    snapshot.shares.extend(states);
    Ok(snapshot)
}

/// Writes what changed: a finding first seen or differing from its current version gets a new
/// version (keeping when it was first seen), one no longer found is closed.
async fn record(
    store: &Store,
    url: &str,
    mut found: BTreeMap<Uuid, DriftFinding>,
    check: Uuid,
    packs: &BTreeMap<Uuid, (String, String)>,
    report: &mut Report,
) -> Result<(), StoreError> {
    let reason = format!("found by drift check {check}");
    let change = Change { by: &Actor::Worker, reason: &reason };
    let current = store.current_with(Entity::DriftFinding, "WorkspaceUrl", url).await?;
    let existing: BTreeSet<Uuid> = current.iter().map(|version| version.key).collect();
    for version in current {
        let open = serde_json::from_value::<DriftFinding>(version.data.clone()).ok();
        match (open, found.get_mut(&version.key)) {
            (Some(open), Some(now)) => {
                now.first_seen = open.first_seen;
                if open.difference == now.difference && open.share_pack_id == now.share_pack_id {
                    found.remove(&version.key);
                }
            }
            (_, Some(_)) => {}
            (_, None) => {
                let closing = format!("resolved: drift check {check} found the workspace as recorded");
                store.delete(Entity::DriftFinding, version.key, &Change { by: &Actor::Worker, reason: &closing }).await?;
                report.resolved += 1;
            }
        }
    }
    for (id, finding) in found {
        let data = serde_json::to_value(&finding).map_err(|error| StoreError::Corrupt(error.to_string()))?;
        let label = finding
            .difference
            .share
            .as_ref()
            .map_or_else(|| finding.difference.name.clone(), |share| format!("{share}/{}", finding.difference.name));
        store.write(Entity::DriftFinding, id, &label, &data, &change).await?;
        if existing.contains(&id) {
            report.changed += 1;
        } else {
            report.new += 1;
        }
        if let Some((pack, (name, requested_by))) = finding.share_pack_id.and_then(|pack| packs.get(&pack).map(|known| (pack, known))) {
            match report.drifted.iter_mut().find(|drifted| drifted.id == pack) {
                Some(drifted) => drifted.findings += 1,
                None => report.drifted.push(crate::notify::DriftedPack {
                    id: pack,
                    name: name.clone(),
                    requested_by: requested_by.clone(),
                    findings: 1,
                }),
            }
        }
    }
    for version in store.current_with(Entity::DriftFinding, "WorkspaceUrl", url).await? {
        match serde_json::from_value::<DriftFinding>(version.data).map(|finding| finding.difference.kind) {
            Ok(DriftKind::Added) => report.added += 1,
            Ok(DriftKind::Removed) => report.removed += 1,
            Ok(DriftKind::Modified) => report.modified += 1,
            Ok(DriftKind::Unmanaged) => report.unmanaged += 1,
            Err(_) => {}
        }
    }
    Ok(())
}
