//! Timelines and comparisons from the SCD2 store, as a principal may see them.

use super::{diff, Comparison, Kind, Timeline, VersionView};
use crate::access::{Act, Owner, Principal};
use crate::error::{Class, Problem};
use crate::store::{Store, Version};
use uuid::Uuid;

/// Every version of the entity `name_or_id` names, newest first, each with its changes.
pub async fn timeline(store: &Store, by: &Principal, kind: Kind, name_or_id: &str) -> Result<Timeline, Problem> {
    let (key, history) = find(store, by, kind, name_or_id).await?;
    let name = history.last().map(|version| version.name.clone()).unwrap_or_default();
    let mut versions = Vec::with_capacity(history.len());
    let empty = serde_json::Value::Object(Default::default());
    for (index, version) in history.iter().enumerate() {
        let before = index.checked_sub(1).map(|previous| &history[previous].data).unwrap_or(&empty);
        versions.push(view(kind, version, diff::changes(before, &version.data)));
    }
    versions.reverse();
    Ok(Timeline { kind, id: key.to_string(), name, versions })
}

/// The changes from version `from` to version `to`.
pub async fn compare(store: &Store, by: &Principal, kind: Kind, name_or_id: &str, from: i64, to: i64) -> Result<Comparison, Problem> {
    let (key, history) = find(store, by, kind, name_or_id).await?;
    let pick = |number: i64, field: &str| {
        history.iter().find(|version| version.version == number).ok_or_else(|| {
            Problem::invalid("no_such_version", format!("This {} has versions 1 to {}, not {number}", kind.words(), history.len()))
                .at(field)
        })
    };
    let (old, new) = (pick(from, "from")?, pick(to, "to")?);
    let mut changes = diff::changes(&old.data, &new.data);
    if old.is_deleted != new.is_deleted {
        let state = |deleted: bool| Some(if deleted { "deleted" } else { "present" }.to_string());
        changes.push(crate::plan::FieldChange { field: "IsDeleted".into(), before: state(old.is_deleted), after: state(new.is_deleted) });
    }
    let name = history.last().map(|version| version.name.clone()).unwrap_or_default();
    Ok(Comparison { kind, id: key.to_string(), name, from, to, changes })
}

fn view(kind: Kind, version: &Version, changes: Vec<crate::plan::FieldChange>) -> VersionView {
    // As precise as the store keeps it, so "in effect at" is decided exactly at the boundaries.
    let time = |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let (run_id, upload) = match kind {
        // A share pack's or request's version says which run and upload it is about.
        Kind::SharePacks | Kind::Requests => (
            version.data["run_id"].as_str().and_then(|id| Uuid::parse_str(id).ok()),
            version.data["upload"].as_i64().or_else(|| super::upload_in(&version.change_reason)),
        ),
        _ => (super::run_in(&version.change_reason), super::upload_in(&version.change_reason)),
    };
    VersionView {
        version: version.version,
        effective_from: time(version.effective_from),
        effective_to: version.effective_to.map(time),
        created_by: version.created_by.clone(),
        change_reason: version.change_reason.clone(),
        run_id: run_id.map(|id| id.to_string()),
        upload,
        is_deleted: version.is_deleted,
        changes,
        data: version.data.clone(),
    }
}

/// The entity an id or name names, and its history, if `by` may see it.
async fn find(store: &Store, by: &Principal, kind: Kind, name_or_id: &str) -> Result<(Uuid, Vec<Version>), Problem> {
    by.require(Act::Read, None)?;
    let what = kind.words();
    let keys = match Uuid::parse_str(name_or_id.trim()) {
        Ok(key) => vec![key],
        Err(_) => store.keys_named(kind.entity(), name_or_id.trim()).await?,
    };
    let mut visible = Vec::new();
    for key in keys {
        let history = store.history(kind.entity(), key).await?;
        let Some(latest) = history.last() else { continue };
        let (line, requested_by) = owner_of(store, kind, key, latest).await?;
        if by.sees(&Owner { business_line: line.as_deref(), requested_by: &requested_by }) {
            visible.push((key, history));
        }
    }
    match visible.len() {
        0 => Err(Problem::not_found(what, name_or_id)),
        1 => Ok(visible.remove(0)),
        _ => {
            let ids: Vec<String> = visible.iter().map(|(key, _)| key.to_string()).collect();
            Err(Problem::new(Class::Conflict, "ambiguous_name", format!("Several {what}s are named {name_or_id}: {}", ids.join(", ")))
                .hint("Ask by id instead"))
        }
    }
}

/// Whose an entity is: its business line (and who asked for it), as visibility needs.
pub(super) async fn owner_of(store: &Store, kind: Kind, key: Uuid, latest: &Version) -> Result<(Option<String>, String), Problem> {
    let by_pack = |pack: Option<Uuid>| async move {
        let Some(pack) = pack else { return Ok::<_, Problem>((None, String::new())) };
        Ok(store.share_pack_owner(pack).await?.map(|owner| (owner.business_line, owner.created_by)).unwrap_or((None, String::new())))
    };
    let pack_of = |version: &Version| version.data["share_pack_id"].as_str().and_then(|id| Uuid::parse_str(id).ok());
    match kind {
        Kind::SharePacks => {
            let (line, by) = by_pack(Some(key)).await?;
            let requested = latest.data["requested_by"].as_str().unwrap_or_default().to_string();
            Ok((line, if by.is_empty() { requested } else { by }))
        }
        Kind::Recipients | Kind::Shares | Kind::Requests => by_pack(pack_of(latest)).await,
        Kind::Tenants => Ok((latest.data["name"].as_str().map(str::to_string), String::new())),
        Kind::Projects => {
            let tenant = latest.data["tenant_id"].as_str().and_then(|id| Uuid::parse_str(id).ok());
            let line = match tenant {
                Some(tenant) => store
                    .history(crate::store::Entity::Tenant, tenant)
                    .await?
                    .last()
                    .and_then(|t| t.data["name"].as_str().map(str::to_string)),
                None => None,
            };
            Ok((line, String::new()))
        }
    }
}
