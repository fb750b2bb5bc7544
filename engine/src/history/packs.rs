//! Two uploads of a share pack compared as packs (YAML or Excel alike): which recipients,
//! shares, objects and grants the later one adds, removes or changes, each with where it is
//! written in both files; and an upload shown as it was written, so those places can be opened.
//! The comparison is pure; the reads check visibility like every other read.

use crate::finding::Location;
use crate::model::{name_key, SharePack};
use crate::plan::{FieldChange, ResourceType};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A sheet's name and its non-empty cells as (`B3`, text).
pub type SheetCells = (String, Vec<(String, String)>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// One thing the later upload adds, removes or changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct PackChange {
    pub change: ChangeKind,
    pub resource_type: ResourceType,
    /// The recipient, share or object; for a grant, the recipient.
    pub name: String,
    pub share: Option<String>,
    pub fields: Vec<FieldChange>,
    /// Where it is written in the earlier and in the later file.
    pub before: Option<Location>,
    pub after: Option<Location>,
}

/// Two uploads compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct PackComparison {
    pub share_pack_id: String,
    pub name: String,
    pub from: i64,
    pub to: i64,
    pub from_file: String,
    pub to_file: String,
    /// Every upload's version, for choosing others.
    pub versions: Vec<i64>,
    pub changes: Vec<PackChange>,
}

/// An upload as it was written: a YAML file's lines, or a workbook's non-empty cells by sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SourceFile {
    pub share_pack_id: String,
    pub version: i64,
    pub file_name: String,
    pub lines: Vec<String>,
    /// (sheet, [(cell, text)]).
    pub sheets: Vec<SheetCells>,
}

/// The anchor a location has in a [`SourceFile`] page: `L12` for a YAML line, `Recipients-B3`
/// for a cell.
pub fn anchor(at: &Location) -> Option<String> {
    match (&at.sheet, &at.cell, at.line) {
        (Some(sheet), Some(cell), _) => Some(format!("{}-{cell}", sheet.replace(' ', "-"))),
        (Some(sheet), None, _) => Some(sheet.replace(' ', "-")),
        (None, _, Some(line)) => Some(format!("L{line}")),
        _ => None,
    }
}

/// A record's fields as JSON, without where they were written and without `skip` (the lists
/// compared item by item elsewhere).
fn fields_of(value: &impl Serialize, skip: &[&str]) -> Value {
    let mut value = serde_json::to_value(value).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.remove("Origin");
        for field in skip {
            map.remove(*field);
        }
    }
    value
}

/// Items by the name Databricks knows them by.
fn by_name<T>(items: &[T], name: impl Fn(&T) -> &String) -> BTreeMap<String, &T> {
    items.iter().map(|item| (name_key(name(item)), item)).collect()
}

/// What `new` adds, removes or changes compared with `old`: recipients, shares (their own
/// fields), objects per share and grants per share, matched by name as Databricks matches them.
pub fn compare_packs(old: &SharePack, new: &SharePack) -> Vec<PackChange> {
    let mut out = Vec::new();
    let change =
        |kind, resource_type, name: &str, share: Option<&str>, fields, before: Option<&Location>, after: Option<&Location>| PackChange {
            change: kind,
            resource_type,
            name: name.to_string(),
            share: share.map(str::to_string),
            fields,
            before: before.cloned(),
            after: after.cloned(),
        };
    let (old_recipients, new_recipients) = (by_name(&old.recipients, |r| &r.name), by_name(&new.recipients, |r| &r.name));
    for (name, before) in &old_recipients {
        match new_recipients.get(name) {
            None => out.push(change(ChangeKind::Removed, ResourceType::Recipient, name, None, Vec::new(), Some(&before.origin), None)),
            Some(after) => {
                let fields = super::diff::changes(&fields_of(*before, &["Name"]), &fields_of(*after, &["Name"]));
                if !fields.is_empty() {
                    out.push(change(
                        ChangeKind::Changed,
                        ResourceType::Recipient,
                        name,
                        None,
                        fields,
                        Some(&before.origin),
                        Some(&after.origin),
                    ));
                }
            }
        }
    }
    for (name, after) in new_recipients.iter().filter(|(name, _)| !old_recipients.contains_key(*name)) {
        out.push(change(ChangeKind::Added, ResourceType::Recipient, name, None, Vec::new(), None, Some(&after.origin)));
    }
    let (old_shares, new_shares) = (by_name(&old.shares, |s| &s.name), by_name(&new.shares, |s| &s.name));
    let names: BTreeSet<&String> = old_shares.keys().chain(new_shares.keys()).collect();
    for name in names {
        let (before, after) = (old_shares.get(name), new_shares.get(name));
        let own = ["Name", "DataObjects", "Recipients"];
        match (before, after) {
            (Some(before), None) => {
                out.push(change(ChangeKind::Removed, ResourceType::Share, name, None, Vec::new(), Some(&before.origin), None))
            }
            (None, Some(after)) => {
                out.push(change(ChangeKind::Added, ResourceType::Share, name, None, Vec::new(), None, Some(&after.origin)))
            }
            (Some(before), Some(after)) => {
                let fields = super::diff::changes(&fields_of(*before, &own), &fields_of(*after, &own));
                if !fields.is_empty() {
                    out.push(change(
                        ChangeKind::Changed,
                        ResourceType::Share,
                        name,
                        None,
                        fields,
                        Some(&before.origin),
                        Some(&after.origin),
                    ));
                }
            }
            (None, None) => {}
        }
        // Objects and grants of a share, as sets (a share that comes or goes brings its own).
        let (old_objects, new_objects) = (
            before.map(|share| by_name(&share.data_objects, |o| &o.name)).unwrap_or_default(),
            after.map(|share| by_name(&share.data_objects, |o| &o.name)).unwrap_or_default(),
        );
        let object_names: BTreeSet<&String> = old_objects.keys().chain(new_objects.keys()).collect();
        for object in object_names {
            match (old_objects.get(object), new_objects.get(object)) {
                (Some(o), None) => {
                    out.push(change(ChangeKind::Removed, ResourceType::DataObject, object, Some(name), Vec::new(), Some(&o.origin), None))
                }
                (None, Some(n)) => {
                    out.push(change(ChangeKind::Added, ResourceType::DataObject, object, Some(name), Vec::new(), None, Some(&n.origin)))
                }
                (Some(o), Some(n)) => {
                    let fields = super::diff::changes(&fields_of(*o, &["Name"]), &fields_of(*n, &["Name"]));
                    if !fields.is_empty() {
                        out.push(change(
                            ChangeKind::Changed,
                            ResourceType::DataObject,
                            object,
                            Some(name),
                            fields,
                            Some(&o.origin),
                            Some(&n.origin),
                        ));
                    }
                }
                (None, None) => {}
            }
        }
        let grants = |share: Option<&&crate::model::Share>| {
            share.map(|share| share.recipients.iter().map(|r| name_key(r)).collect::<BTreeSet<_>>()).unwrap_or_default()
        };
        let (old_grants, new_grants) = (grants(before), grants(after));
        for gone in old_grants.difference(&new_grants) {
            out.push(change(ChangeKind::Removed, ResourceType::Grant, gone, Some(name), Vec::new(), before.map(|s| &s.origin), None));
        }
        for added in new_grants.difference(&old_grants) {
            out.push(change(ChangeKind::Added, ResourceType::Grant, added, Some(name), Vec::new(), None, after.map(|s| &s.origin)));
        }
    }
    out
}

#[cfg(feature = "queue")]
pub use reads::{compare_uploads, source_file};

#[cfg(feature = "queue")]
mod reads {
    use super::*;
    use crate::access::{Act, Principal};
    use crate::error::{Class, Problem};
    use crate::store::{Store, StoreError};
    use uuid::Uuid;

    async fn visible(store: &Store, by: &Principal, id: Uuid) -> Result<(), Problem> {
        by.require(Act::Read, None)?;
        let owner = store.share_pack_owner(id).await?.ok_or_else(|| Problem::not_found("share pack", &id.to_string()))?;
        by.reveal(&owner.as_owner(), "share pack", &id.to_string())
    }

    /// Uploads `from` and `to` of share pack `id` compared as packs.
    pub async fn compare_uploads(store: &Store, by: &Principal, id: Uuid, from: i64, to: i64) -> Result<PackComparison, Problem> {
        visible(store, by, id).await?;
        let files = store.pack_files(id).await?;
        let versions: Vec<i64> = files.iter().map(|file| file.version).rev().collect();
        let file_of = |number: i64, field: &str| {
            files.iter().find(|file| file.version == number).ok_or_else(|| {
                Problem::invalid("no_such_version", format!("This share pack has versions {}, not {number}", list(&versions))).at(field)
            })
        };
        let (old_file, new_file) = (file_of(from, "from")?, file_of(to, "to")?);
        let pack = |number: i64, field: &'static str| async move {
            let parsed = store.pack_file_parsed(id, number).await?;
            match parsed.filter(|value| !value.is_null()).map(serde_json::from_value::<SharePack>) {
                Some(Ok(pack)) => Ok(pack),
                Some(Err(error)) => Err(Problem::from(StoreError::Corrupt(format!("stored pack {id}/{number}: {error}")))),
                None => Err(Problem::new(
                    Class::Conflict,
                    "not_a_pack",
                    format!("Version {number} could not be read as a share pack, so there is nothing to compare it by"),
                )
                .hint("Open the file to see why it was refused")
                .at(field)),
            }
        };
        let (old, new) = (pack(from, "from").await?, pack(to, "to").await?);
        let name = store.share_pack(id).await?.map(|pack| pack.name).unwrap_or_default();
        Ok(PackComparison {
            share_pack_id: id.to_string(),
            name,
            from,
            to,
            from_file: old_file.file_name.clone(),
            to_file: new_file.file_name.clone(),
            versions,
            changes: compare_packs(&old, &new),
        })
    }

    /// Upload `version` of share pack `id` as it was written.
    pub async fn source_file(
        store: &Store,
        by: &Principal,
        id: Uuid,
        version: i64,
        limits: &crate::intake::Limits,
    ) -> Result<SourceFile, Problem> {
        visible(store, by, id).await?;
        let (file_name, bytes) =
            store.pack_file_content(id, version).await?.ok_or_else(|| Problem::not_found("version", &format!("{id}/{version}")))?;
        let mut source = SourceFile { share_pack_id: id.to_string(), version, file_name, lines: Vec::new(), sheets: Vec::new() };
        // Told and decoded as intake tells and decodes it, so lines and cells are the ones findings name.
        match crate::intake::detect(&bytes).map_err(Problem::from)? {
            crate::model::SourceFormat::Excel => {
                let limits = *limits;
                source.sheets = tokio::task::spawn_blocking(move || crate::intake::excel::sheets(&bytes, &limits))
                    .await
                    .map_err(|_| Problem::internal("reading the workbook"))?
                    .map_err(Problem::from)?;
            }
            crate::model::SourceFormat::Yaml => {
                source.lines = crate::intake::decode_text(&bytes).map_err(Problem::from)?.lines().map(str::to_string).collect();
            }
        }
        Ok(source)
    }

    fn list(versions: &[i64]) -> String {
        versions.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(all(test, feature = "intake"))]
mod tests {
    use super::*;
    use crate::intake::{read_pack, Limits};

    fn pack(text: &str) -> SharePack {
        read_pack(text.as_bytes(), None, &Limits::default()).unwrap().pack.unwrap()
    }

    #[test]
    fn packs_compare_by_name_with_where_each_change_is_written() {
        let old = pack("metadata: {requestor: a@example.com, project_name: p, business_line: b}\nrecipient:\n  - {name: r1, type: D2O, email: r1@example.com}\n  - {name: r2, type: D2O, email: r2@example.com}\nshare:\n  - name: s\n    comment: old\n    recipients: [r1, r2]\n    data_objects: [c.s.a, c.s.b]\n");
        let new = pack("metadata: {requestor: a@example.com, project_name: p, business_line: b}\nrecipient:\n  - {name: R1, type: D2O, email: new@example.com}\n  - {name: r3, type: D2O, email: r3@example.com}\nshare:\n  - name: S\n    comment: new\n    recipients: [r1, r3]\n    data_objects: [c.s.b, c.s.c]\n");
        let changes = compare_packs(&old, &new);
        let said: Vec<String> = changes
            .iter()
            .map(|c| {
                format!(
                    "{:?} {:?} {}{}",
                    c.change,
                    c.resource_type,
                    c.name,
                    c.share.as_ref().map(|s| format!(" in {s}")).unwrap_or_default()
                )
            })
            .collect();
        assert_eq!(
            said,
            [
                "Changed Recipient r1",
                "Removed Recipient r2",
                "Added Recipient r3",
                "Changed Share s",
                "Removed DataObject c.s.a in s",
                "Added DataObject c.s.c in s",
                "Removed Grant r2 in s",
                "Added Grant r3 in s",
            ]
        );
        let email = &changes[0].fields;
        assert_eq!((email[0].before.as_deref(), email[0].after.as_deref()), (Some("r1@example.com"), Some("new@example.com")), "{email:?}");
        assert_eq!(changes[1].before.as_ref().and_then(anchor).as_deref(), Some("L4"), "the removed recipient's line in the old file");
        assert_eq!(changes[2].after.as_ref().and_then(anchor).as_deref(), Some("L4"), "the added one's line in the new file");
        assert!(compare_packs(&old, &old).is_empty(), "a pack compared with itself changes nothing");
        assert_eq!(anchor(&Location::cell("", "Data Objects", "B3")).as_deref(), Some("Data-Objects-B3"));
    }
}

#[cfg(feature = "queue")]
pub use drafts::delete_draft;

#[cfg(feature = "queue")]
mod drafts {
    use crate::access::{Act, Principal};
    use crate::error::{Class, Problem};
    use crate::records::AuditAction;
    use crate::store::{AuditEntry, Store};
    use uuid::Uuid;

    /// Deletes version `version` of share pack `id` if it is a draft (no run ever took it) and
    /// `by` uploaded it; what was submitted is history and stays.
    pub async fn delete_draft(store: &Store, by: &Principal, id: Uuid, version: i64) -> Result<(), Problem> {
        let missing = || Problem::not_found("version", &format!("{id}/{version}"));
        let owner = store.share_pack_owner(id).await?.ok_or_else(|| Problem::not_found("share pack", &id.to_string()))?;
        by.reveal(&owner.as_owner(), "share pack", &id.to_string())?;
        by.require(Act::Request, Some(&owner.as_owner()))?;
        let file = store.pack_files(id).await?.into_iter().find(|file| file.version == version).ok_or_else(missing)?;
        if store.runs_of_pack(id).await?.iter().any(|run| run.upload == version) {
            return Err(Problem::new(
                Class::Conflict,
                "not_a_draft",
                format!("Version {version} was submitted: it is part of the pack's history"),
            )
            .hint("Only drafts (uploads that never passed validation) can be deleted"));
        }
        if store.share_pack(id).await?.is_some_and(|pack| pack.record.upload == version) {
            return Err(Problem::new(Class::Conflict, "only_version", format!("Version {version} is what this share pack is so far"))
                .hint("Upload a version that passes validation first; the draft can be deleted then"));
        }
        let me = by.actor();
        if !file.uploaded_by.eq_ignore_ascii_case(me.name()) {
            return Err(Problem::new(Class::Forbidden, "not_your_draft", format!("Version {version} was uploaded by someone else"))
                .hint("Only the person who uploaded a draft can delete it"));
        }
        if !store.delete_pack_file(id, version, me.name()).await? {
            return Err(missing());
        }
        store
            .audit(&AuditEntry {
                actor: &me,
                action: AuditAction::DraftDeleted,
                entity_type: "share_pack",
                entity_id: Some(id),
                version: Some(version),
                correlation_id: None,
                reason: &format!("draft {version} ({}) deleted", file.file_name),
                details: serde_json::json!({"file_name": file.file_name}),
            })
            .await?;
        Ok(())
    }
}
