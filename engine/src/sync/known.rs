//! What the syncs know, put to use when a pack is planned: the workspace's objects as last
//! synced (so a table the pack misspells, even in another schema or catalog, gets "did you
//! mean", and a workspace that cannot be read still gets its names checked), and the directory
//! (so an unknown or disabled requester or D2O recipient e-mail is a located finding). Loading
//! reads the store; the findings are pure.

use super::directory::{users_known_as, DirectoryUser};
use super::objects::{synced, ObjectType};
use crate::finding::{Finding, Location};
use crate::model::{name_key, Located, RecipientType, SharePack};
use crate::records::SyncKind;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// The most synced objects read per catalog (a pack's suggestions come from at most this many).
const MOST: u32 = 50_000;

/// The syncs' knowledge about one pack's names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Known {
    /// Schemas and tables last synced in the pack's catalogs (and the catalogs nearest to those
    /// the workspace does not have), by lowercase full name, with their type (`SCHEMA`, or a
    /// table's type).
    pub objects: BTreeMap<String, String>,
    /// When the workspace's objects were last synced, if ever.
    pub objects_synced: Option<DateTime<Utc>>,
    /// The directory as last synced, if it ever was.
    pub directory: Option<Directory>,
}

/// The pack's e-mail addresses as the directory knows them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Directory {
    pub synced: DateTime<Utc>,
    /// Each lowercase address the pack names, with the users known by it (none: unknown).
    pub people: BTreeMap<String, Vec<DirectoryUser>>,
}

/// The addresses of `pack` checked against the directory: its requester and its D2O
/// recipients' e-mails.
fn addresses(pack: &SharePack) -> Vec<(String, Location, &'static str)> {
    let mut addresses = Vec::new();
    let requestor = pack.metadata.requestor.trim();
    if crate::validate::is_email(requestor) {
        addresses.push((requestor.to_lowercase(), pack.metadata.at("requestor"), "Requestor"));
    }
    for recipient in pack.recipients.iter().filter(|recipient| recipient.kind == RecipientType::D2O) {
        if let Some(email) = recipient.email.as_deref().map(str::trim).filter(|email| crate::validate::is_email(email)) {
            addresses.push((email.to_lowercase(), recipient.at("email"), "Recipient e-mail"));
        }
    }
    addresses
}

/// What the syncs know about `pack`'s names on workspace `url`.
pub async fn load(store: &Store, url: &str, pack: &SharePack) -> Result<Known, StoreError> {
    let mut known = Known { objects_synced: store.last_success(SyncKind::Objects, Some(url)).await?, ..Known::default() };
    if known.objects_synced.is_some() {
        let catalogs: BTreeSet<String> = pack
            .shares
            .iter()
            .flat_map(|share| &share.data_objects)
            .filter_map(|object| name_key(&object.name).split('.').next().map(str::to_string))
            .collect();
        let synced_catalogs: Vec<String> =
            synced(store, url, "", Some(ObjectType::Catalog), MOST).await?.into_iter().map(|object| object.full_name).collect();
        let mut wanted = BTreeSet::new();
        for catalog in catalogs {
            if synced_catalogs.contains(&catalog) {
                wanted.insert(catalog);
            } else if let Some(near) = crate::plan::nearest(synced_catalogs.iter().map(String::as_str), &catalog) {
                wanted.insert(near.to_string());
            }
        }
        for catalog in wanted {
            for object in synced(store, url, &format!("{catalog}."), None, MOST).await? {
                let kind = match object.object_type {
                    ObjectType::Table => object.table_type.unwrap_or_else(|| "MANAGED".into()),
                    ObjectType::Schema => "SCHEMA".into(),
                    ObjectType::Catalog => continue,
                };
                known.objects.insert(object.full_name, kind);
            }
        }
    }
    if let Some(synced) = store.last_success(SyncKind::Directory, None).await? {
        let mut people = BTreeMap::new();
        for (address, _, _) in addresses(pack) {
            if let std::collections::btree_map::Entry::Vacant(entry) = people.entry(address) {
                let users = users_known_as(store, entry.key()).await?;
                entry.insert(users);
            }
        }
        known.directory = Some(Directory { synced, people });
    }
    Ok(known)
}

/// The directory's findings about `pack`: an address nobody in the directory has, or only a
/// disabled account has. Warnings: the directory may lag behind a new joiner.
pub fn directory_findings(pack: &SharePack, known: &Known) -> Vec<Finding> {
    let Some(directory) = &known.directory else { return Vec::new() };
    let when = directory.synced.format("%Y-%m-%d %H:%M UTC");
    let mut findings = Vec::new();
    for (address, at, what) in addresses(pack) {
        let users = directory.people.get(&address).map(Vec::as_slice).unwrap_or_default();
        if users.is_empty() {
            findings.push(
                Finding::warning("directory_unknown", at, format!("{what} `{address}` is not in the directory (as synced {when})"))
                    .hint("Check the spelling; if the person joined since, an administrator can sync the directory again"),
            );
        } else if users.iter().all(|user| !user.account_enabled) {
            let name = users.first().map(|user| user.display_name.clone()).unwrap_or_default();
            findings.push(
                Finding::warning("directory_disabled", at, format!("{what} `{address}` ({name}) has a disabled account in the directory"))
                    .hint("Name someone who is still here, so that notifications reach a person"),
            );
        }
    }
    findings
}

/// Without the workspace's current state, its objects as last synced: a name the sync did not
/// see is a warning, with the nearest it did.
pub fn object_findings(pack: &SharePack, known: &Known) -> Vec<Finding> {
    let Some(synced) = known.objects_synced else { return Vec::new() };
    let when = synced.format("%Y-%m-%d %H:%M UTC");
    let mut findings = Vec::new();
    for object in pack.shares.iter().flat_map(|share| &share.data_objects) {
        let name = name_key(&object.name);
        if known.objects.contains_key(&name) || !(object.kind.is_table_like() || object.kind == crate::model::DataObjectType::Schema) {
            continue;
        }
        let hint = match crate::plan::nearest(known.objects.keys().map(String::as_str), &name) {
            Some(near) => format!("Did you mean `{near}`? It was in the workspace when last synced"),
            None => "Check the catalog, schema and name".to_string(),
        };
        findings.push(
            Finding::warning(
                "object_unknown",
                object.at("name"),
                format!("`{}` was not in the workspace when last synced ({when})", object.name),
            )
            .hint(hint),
        );
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(requestor: &str, email: &str, table: &str) -> SharePack {
        let yaml = format!(
            "metadata:\n  requestor: {requestor}\n  business_line: Finance\n  project_name: Known\nrecipient:\n  - name: acme\n    type: D2O\n    email: {email}\nshare:\n  - name: sales\n    data_objects:\n      - {table}\n    recipients:\n      - acme\n"
        );
        crate::intake::read_pack(yaml.as_bytes(), Some("known.yaml"), &Default::default()).unwrap().pack.unwrap()
    }

    fn user(address: &str, enabled: bool) -> DirectoryUser {
        DirectoryUser {
            directory_url: "https://graph".into(),
            id: "1".into(),
            display_name: "Someone".into(),
            mail: None,
            user_principal_name: Some(address.into()),
            other_mails: Vec::new(),
            account_enabled: enabled,
        }
    }

    #[test]
    fn people_the_directory_lacks_or_disabled_are_located_warnings() {
        let pack = pack("ann@corp.example", "old@corp.example", "c.s.t");
        assert!(directory_findings(&pack, &Known::default()).is_empty(), "no directory synced: nothing said");
        let people = BTreeMap::from([
            ("ann@corp.example".to_string(), vec![user("ann@corp.example", true)]),
            ("old@corp.example".to_string(), vec![user("old@corp.example", false)]),
        ]);
        let known = Known { directory: Some(Directory { synced: Utc::now(), people }), ..Known::default() };
        let findings = directory_findings(&pack, &known);
        assert_eq!(
            findings.iter().map(|finding| (finding.code.as_str(), finding.at.path.as_str())).collect::<Vec<_>>(),
            [("directory_disabled", "recipients[0].email")]
        );
        let stranger = pack_with_requestor("zed@corp.example");
        let findings = directory_findings(&stranger, &known);
        assert_eq!(findings[0].code, "directory_unknown");
        assert_eq!(findings[0].at.path, "metadata.requestor");
        assert_eq!(findings[0].severity, crate::finding::Severity::Warning);
    }

    fn pack_with_requestor(requestor: &str) -> SharePack {
        pack(requestor, "ann@corp.example", "c.s.t")
    }

    #[test]
    fn without_the_workspace_synced_names_are_checked_with_the_nearest() {
        let pack = pack("ann@corp.example", "ann@corp.example", "sales.gold.ordrs");
        assert!(object_findings(&pack, &Known::default()).is_empty(), "never synced: nothing said");
        let objects =
            BTreeMap::from([("sales.gold.orders".to_string(), "MANAGED".to_string()), ("sales.gold".to_string(), "SCHEMA".to_string())]);
        let known = Known { objects, objects_synced: Some(Utc::now()), ..Known::default() };
        let findings = object_findings(&pack, &known);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].code, "object_unknown");
        assert!(findings[0].hint.as_deref().unwrap().contains("`sales.gold.orders`"), "{:?}", findings[0].hint);
        assert!(object_findings(&pack_with_table("sales.gold.orders"), &known).is_empty());
    }

    fn pack_with_table(table: &str) -> SharePack {
        pack("ann@corp.example", "ann@corp.example", table)
    }

    #[test]
    fn the_nearest_name_is_a_typo_away_not_anything() {
        let names = ["prod.sales.customers", "prod.sales.transactions", "prod.hr.people"];
        assert_eq!(crate::plan::nearest(names, "prod.sale.customers"), Some("prod.sales.customers"));
        assert_eq!(crate::plan::nearest(names, "prod.sales.custmers"), Some("prod.sales.customers"));
        assert_eq!(crate::plan::nearest(names, "prod.sales.ab"), None);
        assert_eq!(crate::plan::nearest(names, "prod.sales.customers"), None, "itself is no suggestion");
    }
}
