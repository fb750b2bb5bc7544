//! The open drift findings a principal may see: those of share packs on business lines they
//! hold (or packs they asked for); resources no pack manages belong to no business line, so
//! only those who see every business line see them.

use super::{DriftFilter, DriftFinding};
use crate::access::{Act, Owner, Principal, Visibility};
use crate::error::{Class, Problem};
use crate::records::DriftKind;
use crate::store::{Entity, Store};
use std::str::FromStr;

/// What to list: drift (added, removed, modified) or the unmanaged resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    Drift,
    Unmanaged,
}

pub async fn open_findings(store: &Store, by: &Principal, filter: &DriftFilter, listed: Listed) -> Result<Vec<DriftFinding>, Problem> {
    by.require(Act::Read, None)?;
    let visibility = by.visibility();
    if listed == Listed::Unmanaged && visibility != Visibility::All {
        return Err(Problem::new(
            Class::Forbidden,
            "role_missing",
            "Resources no share pack manages belong to no business line: administrators and auditors of every business line see them",
        ));
    }
    let text = |value: &Option<String>| value.as_deref().map(str::trim).filter(|value| !value.is_empty()).map(str::to_string);
    let kind = match text(&filter.kind) {
        None => None,
        Some(kind) => match DriftKind::from_str(&kind.to_uppercase()) {
            Ok(DriftKind::Unmanaged) | Err(_) => {
                return Err(Problem::invalid("bad_filter", format!("`{kind}` is not a kind of drift"))
                    .hint("Use ADDED, REMOVED or MODIFIED")
                    .at("kind"))
            }
            Ok(kind) => Some(kind),
        },
    };
    let versions = match text(&filter.workspace) {
        Some(workspace) => store.current_with(Entity::DriftFinding, "WorkspaceUrl", workspace.trim_end_matches('/')).await?,
        None => store.current_all(Entity::DriftFinding).await?,
    };
    let name = text(&filter.name).map(|name| crate::model::name_key(&name));
    let share_pack = text(&filter.share_pack);
    let business_line = text(&filter.business_line);
    let mut findings: Vec<DriftFinding> = versions
        .into_iter()
        .filter_map(|version| match serde_json::from_value::<DriftFinding>(version.data) {
            Ok(finding) => Some(finding),
            Err(error) => {
                tracing::error!(%error, finding = %version.key, "a stored drift finding cannot be read; left out of the list");
                None
            }
        })
        .filter(|finding| (finding.difference.kind == DriftKind::Unmanaged) == (listed == Listed::Unmanaged))
        .filter(|finding| kind.is_none_or(|kind| finding.difference.kind == kind))
        .filter(|finding| {
            name.as_deref().is_none_or(|name| finding.difference.name == name || finding.difference.share.as_deref() == Some(name))
        })
        .filter(|finding| {
            share_pack.as_deref().is_none_or(|wanted| {
                finding.share_pack_id.is_some_and(|id| id.to_string().eq_ignore_ascii_case(wanted))
                    || finding.share_pack.as_deref().is_some_and(|name| name.eq_ignore_ascii_case(wanted))
            })
        })
        .filter(|finding| {
            business_line.as_deref().is_none_or(|wanted| {
                finding.business_line.as_deref().is_some_and(|line| crate::store::normal_line(line) == crate::store::normal_line(wanted))
            })
        })
        .filter(|finding| visibility.sees(&Owner { business_line: finding.business_line.as_deref(), requested_by: "" }))
        .collect();
    findings.sort_by(|a, b| {
        (&a.workspace_url, &a.share_pack, a.difference.resource_type, &a.difference.share, &a.difference.name).cmp(&(
            &b.workspace_url,
            &b.share_pack,
            b.difference.resource_type,
            &b.difference.share,
            &b.difference.name,
        ))
    });
    Ok(findings)
}

/// The drift page for `by`: findings under `filter`, unmanaged resources when they may see
/// them, and the latest checks (of every workspace for those who see every business line; of
/// the workspaces in view otherwise).
pub async fn overview(
    store: &Store,
    by: &Principal,
    filter: &DriftFilter,
    workspaces: Vec<String>,
) -> Result<super::DriftOverview, Problem> {
    let findings = open_findings(store, by, filter, Listed::Drift).await?;
    let everything = by.visibility() == Visibility::All;
    let unmanaged = if everything { Some(open_findings(store, by, filter, Listed::Unmanaged).await?) } else { None };
    let jobs = store
        .sync_jobs(Some(crate::records::SyncKind::Drift), filter.workspace.as_deref().filter(|url| !url.trim().is_empty()), 10)
        .await?;
    let time = |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let checks = jobs
        .into_iter()
        .map(|job| {
            let figure = |name: &str| job.data[name].as_u64().unwrap_or(0);
            super::CheckSummary {
                id: job.id,
                workspace_url: job.workspace_url.clone(),
                status: job.status,
                // Who asked is for those who see everything, and for the asker.
                requested_by: if everything || job.requested_by == "scheduler" || job.requested_by.eq_ignore_ascii_case(by.actor().name()) {
                    job.requested_by.clone()
                } else {
                    "another person".to_string()
                },
                queued_at: time(job.queued_at),
                finished_at: job.finished_at.map(time),
                new: figure("New"),
                resolved: figure("Resolved"),
                error: job.error.clone(),
            }
        })
        .collect();
    let mut adoptable = Vec::new();
    let unmanaged_on: std::collections::BTreeSet<&str> = unmanaged.iter().flatten().map(|finding| finding.workspace_url.as_str()).collect();
    for url in unmanaged_on {
        for version in store.current_with(crate::store::Entity::SharePack, "workspace_url", url).await? {
            let version = crate::store::SharePackVersion::try_from(version)?;
            if version.record.status == crate::records::PackStatus::Completed {
                adoptable.push(super::AdoptablePack {
                    id: version.id,
                    name: version.name,
                    project: version.record.project_name.clone().unwrap_or_default(),
                    workspace_url: url.to_string(),
                });
            }
        }
    }
    let may_check = by.holds(crate::access::Role::Requester, None);
    Ok(super::DriftOverview { findings, unmanaged, checks, workspaces, may_check, adoptable })
}
