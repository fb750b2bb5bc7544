//! Validation: the rules Databricks and common sense impose on a decoded pack, each broken rule a
//! located finding with a hint. Pure: no IO, no clock but the one passed in, so the same pack
//! always gives the same findings.
//!
//! Limits come from the Unity Catalog sharing API (see `shared/reference/databricks-api.md`):
//! names of at most 255 characters without `.`, space, `/` or control characters, stored
//! lowercase; IPv4-only access lists of at most 100 entries; 1,000 tables per share.

use crate::finding::{Finding, Location};
use crate::model::*;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr};

/// Most entries in a recipient's IP access list.
pub const MAX_ALLOWED_IPS: usize = 100;
/// Longest name Databricks accepts.
pub const MAX_NAME_LENGTH: usize = 255;

/// Which objects a limit counts.
type Counts = fn(DataObjectType) -> bool;

/// Per-share limits by kind of object.
const SHARE_LIMITS: &[(&str, usize, Counts)] = &[
    ("tables", 1000, DataObjectType::is_table_like),
    ("schemas", 500, |kind| kind == DataObjectType::Schema),
    ("volumes", 1000, |kind| kind == DataObjectType::Volume),
    ("models", 1000, |kind| kind == DataObjectType::Model),
    ("functions", 1000, |kind| kind == DataObjectType::Function),
    ("notebooks", 100, |kind| kind == DataObjectType::NotebookFile),
];

/// Validates against the current time.
pub fn validate(pack: &SharePack) -> Vec<Finding> {
    validate_at(pack, Utc::now())
}

/// Validates as if it were `now` (token expiry dates are judged against it).
pub fn validate_at(pack: &SharePack, now: DateTime<Utc>) -> Vec<Finding> {
    let mut findings = Vec::new();
    metadata(&pack.metadata, &mut findings);
    unique_names("recipient", pack.recipients.iter().map(|r| (r.name.as_str(), r.at("name"))), &mut findings);
    unique_names("share", pack.shares.iter().map(|s| (s.name.as_str(), s.at("name"))), &mut findings);
    unique_names("pipeline", pack.pipelines.iter().map(|p| (p.name.as_str(), p.at("name"))), &mut findings);
    for recipient in &pack.recipients {
        self::recipient(recipient, now, &mut findings);
    }
    let known: HashMap<String, &Recipient> = pack.recipients.iter().map(|r| (name_key(&r.name), r)).collect();
    for share in &pack.shares {
        self::share(share, &known, &mut findings);
    }
    let granted: HashSet<String> = pack.shares.iter().flat_map(|share| share.recipients.iter().map(|name| name_key(name))).collect();
    for recipient in pack.recipients.iter().filter(|r| !r.name.is_empty() && !granted.contains(&name_key(&r.name))) {
        findings.push(
            Finding::warning(
                "unused_recipient",
                recipient.at("name"),
                format!("Recipient `{}` is not granted any share in this pack", recipient.name),
            )
            .hint("Add it to a share's recipients, or remove it if it is not needed"),
        );
    }
    if let Some(first) = pack.pipelines.first() {
        findings.push(Finding::info(
            "pipelines_not_provisioned",
            first.origin.clone(),
            format!("{} pipeline(s) are recorded with the pack; Sharepack does not provision pipelines yet", pack.pipelines.len()),
        ));
    }
    findings
}

/// Longest metadata value kept (the store's name columns are 255 characters).
pub const MAX_METADATA_LENGTH: usize = 255;

fn metadata(metadata: &Metadata, findings: &mut Vec<Finding>) {
    for (field, value) in
        [("requestor", &metadata.requestor), ("project_name", &metadata.project_name), ("business_line", &metadata.business_line)]
    {
        let length = value.chars().count();
        if length > MAX_METADATA_LENGTH {
            findings.push(
                Finding::error(
                    "too_long",
                    metadata.at(field),
                    format!("`{field}` is {length} characters long; at most {MAX_METADATA_LENGTH} are kept"),
                )
                .hint("Shorten it"),
            );
        }
    }
    if !metadata.requestor.is_empty() && !is_email(&metadata.requestor) {
        findings.push(
            Finding::warning(
                "requestor_not_email",
                metadata.at("requestor"),
                format!("Requestor `{}` is not an e-mail address", metadata.requestor),
            )
            .hint("Use the requestor's e-mail address, so that notifications reach them"),
        );
    }
    if let Some(url) = &metadata.workspace_url {
        let host = url.strip_prefix("https://").map(|rest| rest.split('/').next().unwrap_or(""));
        if !host.is_some_and(|host| host.contains('.') && !host.contains(' ')) {
            findings.push(
                Finding::error("invalid_workspace_url", metadata.at("workspace_url"), format!("`{url}` is not a workspace URL"))
                    .hint("Use the workspace's https address, e.g. https://adb-1234567890123456.7.azuredatabricks.net"),
            );
        }
    }
}

/// Name rules and duplicates; names differing only by case are the same name to Databricks.
fn unique_names<'a>(what: &str, names: impl Iterator<Item = (&'a str, Location)>, findings: &mut Vec<Finding>) {
    let mut seen: HashMap<String, (&str, Location)> = HashMap::new();
    for (name, at) in names {
        if name.is_empty() {
            continue;
        }
        check_name(what, name, &at, findings);
        match seen.get(&name_key(name)) {
            Some((first, first_at)) if *first == name => findings.push(
                Finding::error("duplicate_name", at, format!("{} `{name}` is defined twice (first at {first_at})", capitalize(what)))
                    .hint("Keep one definition, or give the second its own name"),
            ),
            Some((first, first_at)) => findings.push(
                Finding::error(
                    "name_case_collision",
                    at,
                    format!("{} `{name}` and `{first}` (at {first_at}) differ only by case", capitalize(what)),
                )
                .hint("Databricks stores names in lowercase, so these would be the same; rename one"),
            ),
            None => {
                seen.insert(name_key(name), (name, at));
            }
        }
    }
}

fn check_name(what: &str, name: &str, at: &Location, findings: &mut Vec<Finding>) {
    if name.chars().count() > MAX_NAME_LENGTH {
        findings.push(
            Finding::error(
                "invalid_name",
                at.clone(),
                format!("{} name is {} characters long; Databricks allows {MAX_NAME_LENGTH}", capitalize(what), name.chars().count()),
            )
            .hint("Shorten the name"),
        );
    }
    if let Some(bad) = name.chars().find(|c| matches!(c, '.' | ' ' | '/') || c.is_control()) {
        let shown = match bad {
            ' ' => "a space".to_string(),
            '.' | '/' => format!("`{bad}`"),
            other => format!("the control character U+{:04X}", u32::from(other)),
        };
        findings.push(
            Finding::error(
                "invalid_name",
                at.clone(),
                format!("{} name `{}` contains {shown}, which Databricks does not allow", capitalize(what), name.escape_debug()),
            )
            .hint("Use letters, digits, `_` and `-`; no `.`, space, `/` or control characters"),
        );
    } else if name.chars().any(char::is_uppercase) {
        findings.push(Finding::info(
            "name_lowercased",
            at.clone(),
            format!("{} `{name}` will be stored as `{}`", capitalize(what), name.to_lowercase()),
        ));
    }
}

fn recipient(recipient: &Recipient, now: DateTime<Utc>, findings: &mut Vec<Finding>) {
    let name = &recipient.name;
    match recipient.kind {
        RecipientType::D2O => {
            match &recipient.email {
                None => findings.push(
                    Finding::error(
                        "required",
                        recipient.at("email"),
                        format!("Open-sharing (D2O) recipient `{name}` needs an e-mail address"),
                    )
                    .hint("Fill in the e-mail of the person who receives the activation link"),
                ),
                Some(email) if !is_email(email) => findings.push(
                    Finding::error("invalid_email", recipient.at("email"), format!("`{email}` is not a valid e-mail address"))
                        .hint("Write it as name@company.com"),
                ),
                Some(_) => {}
            }
            if recipient.metastore_id.is_some() {
                findings.push(
                    Finding::warning(
                        "ignored_field",
                        recipient.at("metastore_id"),
                        format!("Recipient `{name}` is D2O, so its metastore id is ignored"),
                    )
                    .hint("Set type to D2D if the recipient has its own Databricks workspace"),
                );
            }
        }
        RecipientType::D2D => {
            match &recipient.metastore_id {
                None => findings.push(
                    Finding::error(
                        "required",
                        recipient.at("metastore_id"),
                        format!("Databricks-to-Databricks (D2D) recipient `{name}` needs a metastore id"),
                    )
                    .hint("Ask the recipient to run `SELECT CURRENT_METASTORE()`; it looks like azure:westeurope:6f1c2d3e-…"),
                ),
                Some(id) if !is_metastore_id(id) => findings.push(
                    Finding::error("invalid_metastore_id", recipient.at("metastore_id"), format!("`{id}` is not a global metastore id"))
                        .hint("It has the form cloud:region:uuid, e.g. azure:westeurope:6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"),
                ),
                Some(_) => {}
            }
            if let Some(email) = recipient.email.as_ref().filter(|email| !is_email(email)) {
                findings.push(
                    Finding::error("invalid_email", recipient.at("email"), format!("`{email}` is not a valid e-mail address"))
                        .hint("Write it as name@company.com"),
                );
            }
            if !recipient.allowed_ips.is_empty() {
                findings.push(
                    Finding::error(
                        "ips_need_d2o",
                        recipient.at("allowed_ips"),
                        format!("Recipient `{name}` is D2D; IP access lists apply to open sharing (D2O) only"),
                    )
                    .hint("Remove the allowed IPs, or make the recipient D2O"),
                );
            }
            if recipient.token_expiry.is_some() {
                findings.push(Finding::warning(
                    "ignored_field",
                    recipient.at("token_expiry"),
                    format!("Recipient `{name}` is D2D and has no token, so the expiry is ignored"),
                ));
            }
        }
    }
    allowed_ips(recipient, findings);
    if let Some(expiry) = recipient.token_expiry.filter(|expiry| *expiry <= now) {
        findings.push(
            Finding::error(
                "expiry_in_past",
                recipient.at("token_expiry"),
                format!("The token expiry {} is in the past", expiry.format("%Y-%m-%d %H:%M UTC")),
            )
            .hint("Choose a date in the future, or leave it empty for the metastore's default lifetime"),
        );
    }
    for key in recipient.properties.keys() {
        if key.is_empty() {
            findings.push(Finding::error("invalid_property", recipient.at("properties"), "A property has an empty name"));
        } else if key.to_ascii_lowercase().starts_with("databricks.") {
            findings.push(
                Finding::error(
                    "reserved_property",
                    recipient.at("properties"),
                    format!("Property `{key}` is reserved: Databricks sets `databricks.*` properties itself"),
                )
                .hint("Rename the property"),
            );
        }
    }
}

fn allowed_ips(recipient: &Recipient, findings: &mut Vec<Finding>) {
    let ips = &recipient.allowed_ips;
    if ips.len() > MAX_ALLOWED_IPS {
        findings.push(
            Finding::error(
                "too_many_ips",
                recipient.at("allowed_ips"),
                format!("Recipient `{}` lists {} IP entries; Databricks allows {MAX_ALLOWED_IPS}", recipient.name, ips.len()),
            )
            .hint("Combine addresses into CIDR blocks (a block counts as one entry)"),
        );
    }
    let mut seen = HashSet::new();
    for (index, ip) in ips.iter().enumerate() {
        let at = || recipient.item_at("allowed_ips", index);
        match check_ip(ip) {
            Ok(()) => {
                if !seen.insert(ip.as_str()) {
                    findings.push(Finding::warning("duplicate_ip", at(), format!("`{ip}` is listed twice")));
                }
            }
            Err(problem) => findings
                .push(Finding::error("invalid_ip", at(), problem).hint("Use IPv4 addresses (203.0.113.7) or CIDR blocks (203.0.113.0/24)")),
        }
    }
}

/// An IPv4 address or CIDR block, as Databricks' IP access lists accept.
pub fn check_ip(entry: &str) -> Result<(), String> {
    let (address, prefix) = match entry.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (entry, None),
    };
    if address.parse::<Ipv6Addr>().is_ok() {
        return Err(format!("`{entry}` is an IPv6 address; Databricks IP access lists accept IPv4 only"));
    }
    if address.parse::<Ipv4Addr>().is_err() {
        return Err(format!("`{entry}` is not an IPv4 address or CIDR block"));
    }
    match prefix.map(str::parse::<u8>) {
        None => Ok(()),
        Some(Ok(bits)) if bits <= 32 => Ok(()),
        Some(_) => Err(format!("`{entry}` has an invalid prefix length; CIDR prefixes run from /0 to /32")),
    }
}

fn share(share: &Share, recipients: &HashMap<String, &Recipient>, findings: &mut Vec<Finding>) {
    let name = &share.name;
    let mut granted = HashSet::new();
    for (index, recipient) in share.recipients.iter().enumerate() {
        let at = || share.item_at("recipients", index);
        if !granted.insert(name_key(recipient)) {
            findings.push(Finding::warning("duplicate_grant", at(), format!("Share `{name}` lists recipient `{recipient}` twice")));
            continue;
        }
        if !recipients.contains_key(&name_key(recipient)) {
            let closest = recipients
                .keys()
                .min_by_key(|known| strsim::levenshtein(known, &name_key(recipient)))
                .filter(|known| strsim::levenshtein(known, &name_key(recipient)) <= 3);
            let hint = match closest {
                Some(known) => format!("Did you mean `{}`? Otherwise add `{recipient}` to the recipients", recipients[known].name),
                None => format!("Add `{recipient}` to the recipients, or correct the name"),
            };
            findings.push(
                Finding::error("unknown_recipient", at(), format!("Share `{name}` grants `{recipient}`, which the pack does not define"))
                    .hint(hint),
            );
        }
    }
    if share.data_objects.is_empty() && !share.name.is_empty() {
        findings.push(
            Finding::warning(
                "empty_share",
                share.at("name"),
                format!("Share `{name}` has no data objects; its recipients would see nothing"),
            )
            .hint("List the tables to share under data_objects"),
        );
    }
    if share.recipients.is_empty() && !share.name.is_empty() {
        findings.push(Finding::info(
            "no_recipients",
            share.at("name"),
            format!("Share `{name}` is granted to nobody; no one can read it until a recipient is added"),
        ));
    }
    let mut objects = HashSet::with_capacity(share.data_objects.len());
    let mut aliases = HashSet::new();
    for object in &share.data_objects {
        data_object(object, findings);
        if !object.name.is_empty() && !objects.insert((object.kind, name_key(&object.name))) {
            findings.push(
                Finding::error("duplicate_object", object.at("name"), format!("`{}` is listed twice in share `{name}`", object.name))
                    .hint("Remove one of them"),
            );
        }
        if let Some(alias) = &object.shared_as {
            if !aliases.insert(name_key(alias)) {
                findings.push(Finding::error(
                    "duplicate_shared_as",
                    object.at("shared_as"),
                    format!("Two objects in share `{name}` are shared as `{alias}`"),
                ));
            }
        }
    }
    for (what, limit, counts) in SHARE_LIMITS {
        let count = share.data_objects.iter().filter(|object| counts(object.kind)).count();
        if count > *limit {
            findings.push(
                Finding::error(
                    "too_many_objects",
                    share.at("data_objects"),
                    format!("Share `{name}` holds {count} {what}; Databricks allows {limit} per share"),
                )
                .hint("Split the objects over several shares"),
            );
        }
    }
}

fn data_object(object: &DataObject, findings: &mut Vec<Finding>) {
    let name = &object.name;
    if name.is_empty() {
        return;
    }
    if let Some(parts) = object.kind.name_parts() {
        let found = name.split('.').count();
        if found != parts || name.split('.').any(|part| part.trim().is_empty()) {
            let form = if parts == 2 { "catalog.schema" } else { "catalog.schema.name" };
            findings.push(
                Finding::error(
                    "object_name_parts",
                    object.at("name"),
                    format!("`{name}` has {found} part(s); a {} is named {form}", object.kind.as_str()),
                )
                .hint(format!("Write the full name, {form}")),
            );
        }
    }
    if let Some(alias) = &object.shared_as {
        if object.kind.is_table_like() {
            let parts: Vec<&str> = alias.split('.').collect();
            if parts.len() != 2 || parts.iter().any(|part| part.is_empty() || !part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            {
                findings.push(
                    Finding::error("invalid_shared_as", object.at("shared_as"), format!("`{alias}` is not a valid shared name"))
                        .hint("Use schema.table with letters, digits and `_` only"),
                );
            }
        }
    }
    if object.history_sharing == Some(true) && object.cdf_enabled == Some(true) {
        findings.push(
            Finding::error("history_and_cdf", object.at("cdf_enabled"), format!("`{name}` turns on both history sharing and CDF"))
                .hint("History sharing includes the change data feed; keep history_sharing and drop cdf_enabled"),
        );
    }
    if !object.kind.is_table_like() {
        for field in ["history_sharing", "cdf_enabled", "partitions"] {
            let set = match field {
                "history_sharing" => object.history_sharing.is_some(),
                "cdf_enabled" => object.cdf_enabled.is_some(),
                _ => !object.partitions.is_empty(),
            };
            if set {
                findings.push(Finding::error(
                    "not_for_type",
                    object.at(field),
                    format!("`{field}` applies to tables and views, not to a {}", object.kind.as_str()),
                ));
            }
        }
    }
}

/// A pragmatic e-mail check: one `@`, a local part, a dotted domain, no spaces.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else { return false };
    let labels: Vec<&str> = domain.split('.').collect();
    !local.is_empty()
        && local.len() <= 64
        && !local.contains(['@', ' ', ',', ';', '<', '>'])
        && labels.len() >= 2
        && labels.iter().all(|label| !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(char::is_alphabetic))
}

/// `cloud:region:uuid`, the form of `CURRENT_METASTORE()`.
pub fn is_metastore_id(text: &str) -> bool {
    let parts: Vec<&str> = text.trim().split(':').collect();
    let [cloud, region, uuid] = parts.as_slice() else { return false };
    let uuid_ok = uuid.len() == 36
        && uuid.char_indices().all(|(index, c)| if matches!(index, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() });
    matches!(cloud.to_ascii_lowercase().as_str(), "aws" | "azure" | "gcp")
        && !region.is_empty()
        && region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && uuid_ok
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ips_are_ipv4_addresses_or_cidr_blocks() {
        assert!(check_ip("203.0.113.7").is_ok());
        assert!(check_ip("203.0.113.0/24").is_ok());
        assert!(check_ip("0.0.0.0/0").is_ok());
        assert!(check_ip("2001:db8::1").unwrap_err().contains("IPv6"));
        assert!(check_ip("2001:db8::/32").unwrap_err().contains("IPv6"));
        assert!(check_ip("203.0.113.0/33").unwrap_err().contains("prefix"));
        assert!(check_ip("300.1.1.1").is_err());
        assert!(check_ip("example.com").is_err());
    }

    #[test]
    fn metastore_ids_have_cloud_region_and_uuid() {
        assert!(is_metastore_id("azure:westeurope:6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"));
        assert!(is_metastore_id("aws:us-west-2:6F1C2D3E-4B5A-4C6D-8E7F-0A1B2C3D4E5F"));
        assert!(!is_metastore_id("aws:us-west-2:abc-123-def"));
        assert!(!is_metastore_id("oracle:x:6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"));
        assert!(!is_metastore_id("6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"));
    }

    #[test]
    fn emails_need_a_domain() {
        assert!(is_email("auditor@external.com"));
        assert!(is_email("john.doe+q1@jll.co.uk"));
        assert!(!is_email("auditor"));
        assert!(!is_email("auditor@localhost"));
        assert!(!is_email("a b@x.com"));
        assert!(!is_email("@x.com"));
    }
}
