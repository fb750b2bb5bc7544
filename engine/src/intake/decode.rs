//! From a located [`Node`] tree to the [`SharePack`] model, with a finding for every structural
//! problem: missing required fields, wrong kinds of value, unknown keys, dates where text belongs.
//!
//! Field names are matched without regard to case, spaces, `_` or `-` (`Allowed IPs` is
//! `allowed_ips`), and a few common synonyms are accepted, so Excel headers typed by people and
//! YAML keys read the same way.

use super::node::{Entry, Node, TextKind, Value};
use crate::finding::{Finding, Location};
use crate::model::*;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use std::collections::BTreeMap;

/// The kinds of record a pack holds, each with its known fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Pack,
    Metadata,
    Recipient,
    Share,
    DataObject,
    Pipeline,
}

impl Entity {
    /// Canonical field names with their accepted synonyms.
    fn fields(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            Entity::Pack => {
                &[("metadata", &["meta"]), ("recipients", &["recipient"]), ("shares", &["share"]), ("pipelines", &["pipeline"])]
            }
            Entity::Metadata => &[
                ("requestor", &["requester", "requested_by", "owner"]),
                ("project_name", &["project"]),
                ("business_line", &["business_unit", "tenant"]),
                ("strategy", &["provisioning_strategy"]),
                ("description", &["comment"]),
                ("workspace_url", &["workspace", "databricks_workspace", "workspace_host"]),
            ],
            Entity::Recipient => &[
                ("name", &["recipient", "recipient_name"]),
                ("type", &["recipient_type", "authentication_type"]),
                ("email", &["contact", "contact_email"]),
                ("metastore_id", &["data_recipient_global_metastore_id", "sharing_identifier", "metastore"]),
                ("allowed_ips", &["ip_access_list", "allowed_ip_addresses", "ips", "ip_addresses"]),
                ("comment", &["description"]),
                ("token_expiry", &["expiration_time", "token_expiration", "expiry", "expires"]),
                ("properties", &["properties_kvpairs", "custom_properties"]),
            ],
            Entity::Share => &[
                ("name", &["share", "share_name"]),
                ("comment", &["description"]),
                ("recipients", &["recipient", "grants", "granted_to"]),
                ("data_objects", &["objects", "tables", "data_object"]),
            ],
            Entity::DataObject => &[
                ("share", &["share_name"]),
                ("name", &["object", "full_name", "table"]),
                ("type", &["data_object_type", "object_type"]),
                ("shared_as", &["alias"]),
                ("history_sharing", &["history", "history_data_sharing_status", "share_history"]),
                ("cdf_enabled", &["cdf", "change_data_feed"]),
                ("partitions", &["partition"]),
                ("comment", &["description"]),
            ],
            Entity::Pipeline => &[
                ("name", &["pipeline", "pipeline_name"]),
                ("type", &["pipeline_type", "kind"]),
                ("schedule", &["cron"]),
                ("source", &["from", "source_table"]),
                ("destination", &["to", "target", "destination_table"]),
                ("comment", &["description"]),
            ],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Entity::Pack => "share pack",
            Entity::Metadata => "metadata",
            Entity::Recipient => "recipient",
            Entity::Share => "share",
            Entity::DataObject => "data object",
            Entity::Pipeline => "pipeline",
        }
    }

    /// The canonical field a key or header names, if any.
    pub fn canonical_field(self, raw: &str) -> Option<&'static str> {
        // Every key of every record comes through here: the key is normalized once, and the
        // known names (lowercase ASCII and `_`, a test says) compared without building strings.
        let wanted = normalize(raw);
        let same = |known: &str| known.bytes().filter(|&byte| byte != b'_').eq(wanted.bytes());
        self.fields().iter().find(|(name, synonyms)| same(name) || synonyms.iter().any(|s| same(s))).map(|(name, _)| *name)
    }

    pub fn known_fields(self) -> Vec<&'static str> {
        self.fields().iter().map(|(name, _)| *name).collect()
    }

    /// The known field closest to a misspelt one, for "did you mean" hints.
    pub fn suggest(self, raw: &str) -> Option<&'static str> {
        let wanted = normalize(raw);
        self.known_fields()
            .into_iter()
            .map(|name| (strsim::levenshtein(&normalize(name), &wanted), name))
            .filter(|(distance, name)| *distance <= 2.max(name.len() / 4))
            .min()
            .map(|(_, name)| name)
    }
}

/// Lowercase with spaces, `_`, `-` and `.` removed: how headers and keys are compared.
pub fn normalize(raw: &str) -> String {
    raw.chars().filter(|c| !matches!(c, ' ' | '_' | '-' | '.' | '\t')).flat_map(char::to_lowercase).collect()
}

/// Decodes a whole pack. `None` when the tree is not a pack at all (the findings say why).
pub fn decode(root: &Node, format: SourceFormat) -> (Option<SharePack>, Vec<Finding>) {
    let mut decoder = Decoder { findings: Vec::new() };
    let pack = decoder.pack(root, format);
    (pack, decoder.findings)
}

struct Decoder {
    findings: Vec<Finding>,
}

/// The fields of one record, keyed by canonical name.
struct Record<'a> {
    entity: Entity,
    path: String,
    origin: Location,
    values: BTreeMap<&'static str, &'a Node>,
    fields: FieldLocations,
}

impl Decoder {
    fn pack(&mut self, root: &Node, format: SourceFormat) -> Option<SharePack> {
        let Some(mut record) = self.record(root, Entity::Pack, String::new()) else {
            self.findings.push(
                Finding::error(
                    "not_a_share_pack",
                    root.at.clone(),
                    format!("The file holds {} where a share pack (metadata, recipients, shares) was expected", root.kind_name()),
                )
                .hint("Start from the YAML template: top-level keys `metadata`, `recipient` and `share`"),
            );
            return None;
        };
        let metadata = match record.take("metadata") {
            Some(node) => self.metadata(node),
            None => {
                self.findings.push(
                    Finding::error("missing_section", root.at.with_path("metadata"), "The pack has no metadata section")
                        .hint("Add `metadata:` with requestor, project_name and business_line (Excel: a Metadata sheet)"),
                );
                Metadata { origin: root.at.with_path("metadata"), ..Default::default() }
            }
        };
        let recipients = self.list(record.take("recipients"), "recipients", |d, node, path| d.recipient(node, path));
        let shares = self.list(record.take("shares"), "shares", |d, node, path| d.share(node, path));
        let pipelines = self.list(record.take("pipelines"), "pipelines", |d, node, path| d.pipeline(node, path));
        if recipients.is_empty() && shares.is_empty() {
            self.findings.push(
                Finding::error(
                    "empty_pack",
                    root.at.clone(),
                    "The pack names no recipients and no shares, so there is nothing to provision",
                )
                .hint("Add at least one recipient and one share"),
            );
        }
        Some(SharePack { format, metadata, recipients, shares, pipelines })
    }

    /// A list section: each item decoded in turn. A single mapping is taken as a list of one.
    fn list<T>(&mut self, node: Option<&Node>, path: &str, mut item: impl FnMut(&mut Self, &Node, String) -> Option<T>) -> Vec<T> {
        let Some(node) = node else { return Vec::new() };
        match &node.value {
            Value::Null | Value::Unreadable => Vec::new(),
            Value::Seq(items) => items.iter().enumerate().filter_map(|(index, node)| item(self, node, indexed(path, index))).collect(),
            Value::Map(_) => item(self, node, format!("{path}[0]")).into_iter().collect(),
            Value::Text(_) => {
                self.findings.push(
                    Finding::error(
                        "wrong_type",
                        node.at.with_path(path),
                        format!("`{path}` should be a list of entries, not {}", node.kind_name()),
                    )
                    .hint("Write each entry on its own line starting with `- `"),
                );
                Vec::new()
            }
        }
    }

    /// Reads a mapping into a record, warning about unknown and repeated keys.
    fn record<'a>(&mut self, node: &'a Node, entity: Entity, path: String) -> Option<Record<'a>> {
        let Value::Map(entries) = &node.value else { return None };
        let mut record =
            Record { entity, origin: node.at.with_path(path.clone()), path, values: BTreeMap::new(), fields: FieldLocations::default() };
        for Entry { key, key_at, value } in entries {
            let Some(field) = entity.canonical_field(key) else {
                let mut finding = Finding::warning(
                    "unknown_field",
                    key_at.with_path(record.child(key)),
                    format!("Unknown field `{key}` in {}; it is ignored", entity.label()),
                );
                finding = match entity.suggest(key) {
                    Some(suggestion) => finding.hint(format!("Did you mean `{suggestion}`?")),
                    None => finding.hint(format!("Known fields: {}", entity.known_fields().join(", "))),
                };
                self.findings.push(finding);
                continue;
            };
            if record.values.insert(field, value).is_some() {
                self.findings.push(Finding::warning(
                    "repeated_field",
                    key_at.with_path(record.child(field)),
                    format!("`{field}` is given more than once in this {}; the last one is used", entity.label()),
                ));
            }
            record.fields.insert(field, value.at.with_path(record.child(field)));
        }
        Some(record)
    }

    /// A record for a list item that must be a mapping.
    fn item_record<'a>(&mut self, node: &'a Node, entity: Entity, path: String) -> Option<Record<'a>> {
        if node.is_null() {
            return None;
        }
        let record = self.record(node, entity, path.clone());
        if record.is_none() {
            self.findings.push(
                Finding::error(
                    "wrong_type",
                    node.at.with_path(path),
                    format!("Each {} should be a mapping of fields (name, ...), not {}", entity.label(), node.kind_name()),
                )
                .hint("Indent the fields under `- name: ...`"),
            );
        }
        record
    }

    fn metadata(&mut self, node: &Node) -> Metadata {
        let Some(mut record) = self.record(node, Entity::Metadata, "metadata".into()) else {
            self.findings.push(Finding::error(
                "wrong_type",
                node.at.with_path("metadata"),
                format!("`metadata` should be a mapping of fields, not {}", node.kind_name()),
            ));
            return Metadata { origin: node.at.with_path("metadata"), ..Default::default() };
        };
        // Left out, the requestor is whoever submits (`access::claim`).
        let requestor = self.text(&mut record, "requestor").unwrap_or_default();
        let project_name = self.required_text(&mut record, "project_name", "the project's name");
        let business_line = self.required_text(&mut record, "business_line", "the business line that owns the data");
        let strategy = self.text(&mut record, "strategy").and_then(|text| {
            let parsed = Strategy::parse(&text);
            if parsed.is_none() {
                self.findings.push(
                    Finding::error("unknown_strategy", record.at("strategy"), format!("Unknown strategy `{text}`"))
                        .hint("Use NEW or UPDATE, or leave it out and Sharepack detects it"),
                );
            }
            parsed
        });
        let description = self.text(&mut record, "description");
        let workspace_url = self.text(&mut record, "workspace_url");
        Metadata {
            requestor,
            project_name,
            business_line,
            strategy,
            description,
            workspace_url,
            origin: record.origin,
            fields: record.fields,
        }
    }

    fn recipient(&mut self, node: &Node, path: String) -> Option<Recipient> {
        let mut record = self.item_record(node, Entity::Recipient, path)?;
        let name = self.required_text(&mut record, "name", "a recipient name");
        let metastore_id = self.text(&mut record, "metastore_id");
        let kind = match self.text(&mut record, "type") {
            Some(text) => RecipientType::parse(&text).unwrap_or_else(|| {
                self.findings.push(
                    Finding::error("invalid_recipient_type", record.at("type"), format!("Unknown recipient type `{text}`"))
                        .hint("Use D2O (open sharing, with a token) or D2D (Databricks-to-Databricks, with a metastore id)"),
                );
                guess_type(&metastore_id)
            }),
            None => {
                self.findings.push(
                    Finding::error("required", record.at("type"), format!("Recipient `{name}` has no type"))
                        .hint("Use D2O (open sharing, with a token) or D2D (Databricks-to-Databricks, with a metastore id)"),
                );
                guess_type(&metastore_id)
            }
        };
        let email = self.text(&mut record, "email");
        let allowed_ips = self.list_of_text(&mut record, "allowed_ips");
        let comment = self.text(&mut record, "comment");
        let token_expiry = self.date(&mut record, "token_expiry");
        let properties = self.properties(&mut record, "properties");
        Some(Recipient {
            name,
            kind,
            email,
            metastore_id,
            allowed_ips,
            comment,
            token_expiry,
            properties,
            origin: record.origin,
            fields: record.fields,
        })
    }

    fn share(&mut self, node: &Node, path: String) -> Option<Share> {
        let mut record = self.item_record(node, Entity::Share, path)?;
        let name = self.required_text(&mut record, "name", "a share name");
        let comment = self.text(&mut record, "comment");
        let recipients = self.list_of_text(&mut record, "recipients");
        let data_objects = self.data_objects(&mut record);
        Some(Share { name, comment, recipients, data_objects, origin: record.origin, fields: record.fields })
    }

    /// `data_objects`: full names, detailed mappings, or (from Excel) comma-separated names in a cell.
    fn data_objects(&mut self, record: &mut Record<'_>) -> Vec<DataObject> {
        let Some(node) = record.take("data_objects") else { return Vec::new() };
        let base = record.child("data_objects");
        let items: Vec<&Node> = match &node.value {
            Value::Null | Value::Unreadable => Vec::new(),
            Value::Seq(items) => items.iter().collect(),
            Value::Text(_) | Value::Map(_) => vec![node],
        };
        let mut objects = Vec::with_capacity(items.len());
        for item in items {
            match &item.value {
                Value::Null | Value::Unreadable => {}
                Value::Text(text) => {
                    if text.kind == TextKind::Date {
                        self.date_where_text(&item.at.with_path(format!("{base}[{}]", objects.len())));
                        continue;
                    }
                    // A name in a list or cell has no field locations of its own: its `name` is
                    // where the object is (`Located::at` falls back to the origin).
                    for part in split_parts(&text.text) {
                        objects.push(DataObject::table(part, item.at.with_path(indexed(&base, objects.len()))));
                    }
                }
                Value::Map(_) => {
                    let path = indexed(&base, objects.len());
                    if let Some(object) = self.data_object(item, path) {
                        objects.push(object);
                    }
                }
                Value::Seq(_) => self.findings.push(Finding::error(
                    "wrong_type",
                    item.at.with_path(base.clone()),
                    "A data object is a full name or a mapping with a name, not a list",
                )),
            }
        }
        objects
    }

    fn data_object(&mut self, node: &Node, path: String) -> Option<DataObject> {
        let mut record = self.item_record(node, Entity::DataObject, path)?;
        record.take("share"); // the Excel link column, already used to place the row
        let name = self.required_text(&mut record, "name", "the object's full name (catalog.schema.table)");
        let kind = match self.text(&mut record, "type") {
            Some(text) => DataObjectType::parse(&text).unwrap_or_else(|| {
                self.findings.push(
                    Finding::error("invalid_object_type", record.at("type"), format!("Unknown data object type `{text}`")).hint(format!(
                        "Use one of {}",
                        DataObjectType::ALL.iter().map(|kind| kind.as_str()).collect::<Vec<_>>().join(", ")
                    )),
                );
                DataObjectType::Table
            }),
            None => DataObjectType::Table,
        };
        let shared_as = self.text(&mut record, "shared_as");
        let history_sharing = self.switch(&mut record, "history_sharing");
        let cdf_enabled = self.switch(&mut record, "cdf_enabled");
        let partitions = self.partitions(&mut record);
        let comment = self.text(&mut record, "comment");
        Some(DataObject {
            name,
            kind,
            shared_as,
            history_sharing,
            cdf_enabled,
            partitions,
            comment,
            origin: record.origin,
            fields: record.fields,
        })
    }

    fn pipeline(&mut self, node: &Node, path: String) -> Option<Pipeline> {
        let mut record = self.item_record(node, Entity::Pipeline, path)?;
        let name = self.required_text(&mut record, "name", "a pipeline name");
        let kind = self.text(&mut record, "type");
        let schedule = self.text(&mut record, "schedule");
        let source = self.text(&mut record, "source");
        let destination = self.text(&mut record, "destination");
        let comment = self.text(&mut record, "comment");
        Some(Pipeline { name, kind, schedule, source, destination, comment, origin: record.origin, fields: record.fields })
    }

    fn required_text(&mut self, record: &mut Record<'_>, field: &str, what: &str) -> String {
        // A value that is there but unusable is reported once, where it is, not again as missing.
        let already_reported = record.values.get(field).is_some_and(|node| match &node.value {
            Value::Unreadable | Value::Seq(_) | Value::Map(_) => true,
            Value::Text(text) => text.kind == TextKind::Date,
            Value::Null => false,
        });
        match self.text(record, field) {
            Some(text) => text,
            None if already_reported => String::new(),
            None => {
                self.findings.push(
                    Finding::error("required", record.at(field), format!("`{field}` is required in {}", record.entity.label()))
                        .hint(format!("Fill in {what}")),
                );
                String::new()
            }
        }
    }

    /// A text field: any scalar but a date; `None` when absent or blank.
    fn text(&mut self, record: &mut Record<'_>, field: &str) -> Option<String> {
        let node = record.take(field)?;
        match &node.value {
            Value::Null | Value::Unreadable => None,
            Value::Text(text) if text.kind == TextKind::Date => {
                self.date_where_text(&record.at(field));
                None
            }
            Value::Text(text) => Some(text.text.trim().to_string()).filter(|text| !text.is_empty()),
            Value::Seq(_) | Value::Map(_) => {
                self.findings.push(Finding::error(
                    "wrong_type",
                    record.at(field),
                    format!("`{field}` should be a single value, not {}", node.kind_name()),
                ));
                None
            }
        }
    }

    fn date_where_text(&mut self, at: &Location) {
        self.findings.push(
            Finding::error("date_where_text", at.clone(), "This cell holds a date where text is expected")
                .hint("Format the cell as Text (or type an apostrophe before the value) and enter it again"),
        );
    }

    /// A list: a YAML sequence of scalars, or text separated by commas, semicolons or new lines.
    fn list_of_text(&mut self, record: &mut Record<'_>, field: &str) -> Vec<String> {
        let Some(node) = record.take(field) else { return Vec::new() };
        let base = record.child(field);
        let mut values = Vec::new();
        let mut push = |decoder: &mut Self, node: &Node| match &node.value {
            Value::Null | Value::Unreadable => {}
            Value::Text(text) if text.kind == TextKind::Date => decoder.date_where_text(&node.at.with_path(base.clone())),
            Value::Text(text) => {
                for part in split_list(&text.text) {
                    let path = indexed(&base, values.len());
                    record.fields.insert(path.clone(), node.at.with_path(path));
                    values.push(part);
                }
            }
            _ => decoder.findings.push(Finding::error(
                "wrong_type",
                node.at.with_path(base.clone()),
                format!("`{field}` should list plain values, not {}", node.kind_name()),
            )),
        };
        match &node.value {
            Value::Seq(items) => items.iter().for_each(|item| push(self, item)),
            _ => push(self, node),
        }
        values
    }

    /// A yes/no switch: true/false, yes/no, on/off, enabled/disabled, 1/0.
    fn switch(&mut self, record: &mut Record<'_>, field: &str) -> Option<bool> {
        let text = self.text(record, field)?;
        match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "on" | "enabled" | "1" => Some(true),
            "false" | "no" | "n" | "off" | "disabled" | "0" => Some(false),
            _ => {
                self.findings.push(
                    Finding::error("invalid_switch", record.at(field), format!("`{field}` should be true or false, not `{text}`"))
                        .hint("Use true or false (yes/no also work)"),
                );
                None
            }
        }
    }

    /// A date or date-time: an Excel date cell, `YYYY-MM-DD`, or RFC 3339 (`2026-12-31T18:00:00Z`).
    fn date(&mut self, record: &mut Record<'_>, field: &str) -> Option<DateTime<Utc>> {
        let node = record.take(field)?;
        let text = match &node.value {
            Value::Null | Value::Unreadable => return None,
            Value::Text(text) => text.text.trim().to_string(),
            _ => {
                self.findings.push(Finding::error(
                    "wrong_type",
                    record.at(field),
                    format!("`{field}` should be a date, not {}", node.kind_name()),
                ));
                return None;
            }
        };
        let parsed = DateTime::parse_from_rfc3339(&text)
            .map(|date| date.with_timezone(&Utc))
            .ok()
            .or_else(|| NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S").ok().map(|date| Utc.from_utc_datetime(&date)))
            .or_else(|| {
                NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .ok()
                    .and_then(|date| date.and_hms_opt(0, 0, 0))
                    .map(|date| Utc.from_utc_datetime(&date))
            });
        if parsed.is_none() {
            self.findings.push(
                Finding::error("invalid_date", record.at(field), format!("`{text}` is not a date"))
                    .hint("Write the date as YYYY-MM-DD, or a time as 2026-12-31T18:00:00Z"),
            );
        }
        parsed
    }

    /// Recipient properties: a mapping, or `key=value` pairs separated by commas or semicolons.
    fn properties(&mut self, record: &mut Record<'_>, field: &str) -> BTreeMap<String, String> {
        let Some(node) = record.take(field) else { return BTreeMap::new() };
        let mut properties = BTreeMap::new();
        match &node.value {
            Value::Null | Value::Unreadable => {}
            Value::Map(entries) => {
                for entry in entries {
                    match &entry.value.value {
                        Value::Text(text) => {
                            properties.insert(entry.key.trim().to_string(), text.text.trim().to_string());
                        }
                        Value::Null | Value::Unreadable => {
                            properties.insert(entry.key.trim().to_string(), String::new());
                        }
                        _ => self.findings.push(Finding::error(
                            "wrong_type",
                            entry.value.at.with_path(format!("{}.{}", record.child(field), entry.key)),
                            format!("Property `{}` should have a plain value, not {}", entry.key, entry.value.kind_name()),
                        )),
                    }
                }
            }
            Value::Text(text) => {
                for pair in split_list(&text.text) {
                    match pair.split_once(['=', ':']) {
                        Some((key, value)) => {
                            properties.insert(key.trim().to_string(), value.trim().to_string());
                        }
                        None => self.findings.push(
                            Finding::error("invalid_property", record.at(field), format!("Property `{pair}` has no value"))
                                .hint("Write properties as key=value, separated by commas"),
                        ),
                    }
                }
            }
            Value::Seq(_) => self.findings.push(
                Finding::error("wrong_type", record.at(field), "`properties` should be a mapping of key: value")
                    .hint("For example `properties: {region: emea}`, or in Excel `region=emea, tier=gold`"),
            ),
        }
        properties
    }

    /// Partition filters: SQL-like text (`region = 'EU', year LIKE '2024%'`), or mappings of
    /// column to value. In a cell, several partitions are separated by semicolons.
    fn partitions(&mut self, record: &mut Record<'_>) -> Vec<Partition> {
        let Some(node) = record.take("partitions") else { return Vec::new() };
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Null | Value::Unreadable => Vec::new(),
            _ => vec![node],
        };
        let mut partitions = Vec::new();
        for item in items {
            let at = item.at.with_path(format!("{}[{}]", record.child("partitions"), partitions.len()));
            match &item.value {
                Value::Null | Value::Unreadable => {}
                Value::Text(text) => {
                    for spec in text.text.split([';', '\n']).map(str::trim).filter(|spec| !spec.is_empty()) {
                        match parse_partition(spec) {
                            Ok(partition) => partitions.push(partition),
                            Err(problem) => self.findings.push(
                                Finding::error("invalid_partition", at.clone(), format!("Partition `{spec}`: {problem}"))
                                    .hint("Write it as column = 'value', column LIKE 'pattern%' or column = CURRENT_RECIPIENT().property"),
                            ),
                        }
                    }
                }
                Value::Map(entries) => {
                    let values = entries
                        .iter()
                        .map(|entry| PartitionValue {
                            name: entry.key.trim().to_string(),
                            op: PartitionOp::Equal,
                            value: match &entry.value.value {
                                Value::Text(text) => Some(text.text.clone()),
                                _ => None,
                            },
                            recipient_property_key: None,
                        })
                        .collect();
                    partitions.push(Partition { values });
                }
                Value::Seq(_) => self.findings.push(Finding::error("wrong_type", at, "A partition is text or a mapping, not a list")),
            }
        }
        partitions
    }
}

impl<'a> Record<'a> {
    fn take(&mut self, field: &str) -> Option<&'a Node> {
        self.values.remove(field)
    }

    fn child(&self, field: &str) -> String {
        if self.path.is_empty() {
            field.to_string()
        } else {
            format!("{}.{field}", self.path)
        }
    }

    /// Where a field is, or where the record starts when the field is absent.
    fn at(&self, field: &str) -> Location {
        self.fields.get(field).cloned().unwrap_or_else(|| self.origin.with_path(self.child(field)))
    }
}

fn guess_type(metastore_id: &Option<String>) -> RecipientType {
    if metastore_id.is_some() {
        RecipientType::D2D
    } else {
        RecipientType::D2O
    }
}

/// Splits a cell or string list on commas, semicolons and new lines, dropping blanks.
pub fn split_list(text: &str) -> Vec<String> {
    split_parts(text).map(str::to_string).collect()
}

fn split_parts(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', ';', '\n']).map(str::trim).filter(|part| !part.is_empty())
}

/// `base[index]`: the path of a list element, built for every one of a large pack's objects
/// (without the formatting machinery).
fn indexed(base: &str, index: usize) -> String {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(index);
    let mut path = String::with_capacity(base.len() + digits.len() + 2);
    path.push_str(base);
    path.push('[');
    path.push_str(digits);
    path.push(']');
    path
}

/// Parses `region = 'EU', year LIKE '2024%', tier = CURRENT_RECIPIENT().tier`.
pub fn parse_partition(spec: &str) -> Result<Partition, String> {
    let mut values = Vec::new();
    for term in split_outside_quotes(spec) {
        let term = term.trim();
        let upper = term.to_ascii_uppercase();
        let (name, op, rest) = if let Some(index) = upper.find(" LIKE ") {
            (&term[..index], PartitionOp::Like, &term[index + 6..])
        } else if let Some(index) = term.find('=') {
            (&term[..index], PartitionOp::Equal, &term[index + 1..])
        } else {
            return Err(format!("`{term}` has no `=` or `LIKE`"));
        };
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(format!("`{name}` is not a column name"));
        }
        let rest = rest.trim();
        let value = if let Some(key) = rest.strip_prefix("CURRENT_RECIPIENT().").or_else(|| rest.strip_prefix("current_recipient().")) {
            PartitionValue { name: name.into(), op, value: None, recipient_property_key: Some(key.trim().to_string()) }
        } else {
            let literal = rest
                .strip_prefix('\'')
                .and_then(|inner| inner.strip_suffix('\''))
                .map(|inner| inner.replace("''", "'"))
                .unwrap_or_else(|| rest.to_string());
            if literal.is_empty() {
                return Err(format!("`{name}` has no value"));
            }
            PartitionValue { name: name.into(), op, value: Some(literal), recipient_property_key: None }
        };
        values.push(value);
    }
    if values.is_empty() {
        return Err("it is empty".into());
    }
    Ok(Partition { values })
}

fn split_outside_quotes(spec: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (index, c) in spec.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&spec[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&spec[start..]);
    parts.into_iter().filter(|part| !part.trim().is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_without_regard_to_case_spacing_or_synonyms() {
        assert_eq!(Entity::Recipient.canonical_field("Allowed IPs"), Some("allowed_ips"));
        assert_eq!(Entity::Recipient.canonical_field("METASTORE_ID"), Some("metastore_id"));
        assert_eq!(Entity::Share.canonical_field("Data Objects"), Some("data_objects"));
        assert_eq!(Entity::Pack.canonical_field("recipient"), Some("recipients"));
        assert_eq!(Entity::Recipient.canonical_field("colour"), None);
        assert_eq!(Entity::Recipient.suggest("emial"), Some("email"));
    }

    #[test]
    fn known_names_are_lowercase_ascii_with_underscores() {
        // `canonical_field` compares them byte by byte, leaving out only `_`.
        for entity in [Entity::Pack, Entity::Metadata, Entity::Recipient, Entity::Share, Entity::DataObject, Entity::Pipeline] {
            for (name, synonyms) in entity.fields() {
                for known in std::iter::once(name).chain(synonyms.iter()) {
                    assert!(known.bytes().all(|byte| byte.is_ascii_lowercase() || byte == b'_'), "{known}");
                }
            }
        }
    }

    #[test]
    fn partitions_read_like_sql() {
        let partition = parse_partition("region = 'EU', year LIKE '2024%', tier = CURRENT_RECIPIENT().tier").unwrap();
        assert_eq!(partition.values.len(), 3);
        assert_eq!(partition.values[1].op, PartitionOp::Like);
        assert_eq!(partition.values[2].recipient_property_key.as_deref(), Some("tier"));
        assert_eq!(partition.to_string(), "region = 'EU', year LIKE '2024%', tier = CURRENT_RECIPIENT().tier");
        assert!(parse_partition("region").is_err());
        assert_eq!(parse_partition("name = 'O''Brien, Ltd'").unwrap().values[0].value.as_deref(), Some("O'Brien, Ltd"));
    }
}
