//! The share pack: one typed model for everything the YAML and Excel formats carry.
//!
//! Every entity remembers where it came from (`origin`, and per field in `fields`), so findings,
//! and later plan lines, can point at the exact cell or line. Names are kept as written; Databricks
//! stores them lowercase, so comparisons go through [`name_key`].

use crate::finding::Location;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The file format a pack was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SourceFormat {
    #[serde(rename = "YAML")]
    Yaml,
    #[serde(rename = "EXCEL")]
    Excel,
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceFormat::Yaml => "YAML",
            SourceFormat::Excel => "Excel",
        })
    }
}

/// A whole share pack, as parsed. In its JSON an optional field that was not given is left out
/// rather than null: a large pack's answer and stored copy carry what was written (absent and
/// null read the same to serde and to the history's comparison).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct SharePack {
    pub format: SourceFormat,
    pub metadata: Metadata,
    pub recipients: Vec<Recipient>,
    pub shares: Vec<Share>,
    pub pipelines: Vec<Pipeline>,
}

impl SharePack {
    /// Forgets every source location, so that two packs can be compared by content alone
    /// (a YAML pack and its Excel twin, say).
    pub fn strip_locations(&mut self) {
        self.metadata.origin = Location::default();
        self.metadata.fields = FieldLocations::default();
        for recipient in &mut self.recipients {
            recipient.origin = Location::default();
            recipient.fields = FieldLocations::default();
        }
        for share in &mut self.shares {
            share.origin = Location::default();
            share.fields = FieldLocations::default();
            for object in &mut share.data_objects {
                object.origin = Location::default();
                object.fields = FieldLocations::default();
            }
        }
        for pipeline in &mut self.pipelines {
            pipeline.origin = Location::default();
            pipeline.fields = FieldLocations::default();
        }
    }

    /// Number of data objects over all shares.
    pub fn data_object_count(&self) -> usize {
        self.shares.iter().map(|share| share.data_objects.len()).sum()
    }
}

/// Where each field of an entity was written. Kept on the server only: the browser gets findings,
/// which already carry their locations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldLocations(BTreeMap<String, Location>);

impl FieldLocations {
    pub fn insert(&mut self, field: impl Into<String>, at: Location) {
        self.0.insert(field.into(), at);
    }

    pub fn get(&self, field: &str) -> Option<&Location> {
        self.0.get(field)
    }
}

/// Something with a source location and per-field locations.
pub trait Located {
    fn origin(&self) -> &Location;
    fn fields(&self) -> &FieldLocations;

    /// Where `field` was written, or where the entity starts when the field was absent.
    fn at(&self, field: &str) -> Location {
        self.fields().get(field).cloned().unwrap_or_else(|| {
            let origin = self.origin();
            let path = if origin.path.is_empty() { field.to_string() } else { format!("{}.{field}", origin.path) };
            origin.with_path(path)
        })
    }

    /// Where element `index` of a list field was written (its own line, or the cell holding the list).
    fn item_at(&self, field: &str, index: usize) -> Location {
        let path =
            if self.origin().path.is_empty() { format!("{field}[{index}]") } else { format!("{}.{field}[{index}]", self.origin().path) };
        self.fields().get(&path).cloned().unwrap_or_else(|| self.at(field).with_path(path))
    }
}

macro_rules! located {
    ($($ty:ty),*) => {$(
        impl Located for $ty {
            fn origin(&self) -> &Location { &self.origin }
            fn fields(&self) -> &FieldLocations { &self.fields }
        }
    )*};
}
located!(Metadata, Recipient, Share, DataObject, Pipeline);

/// NEW creates everything; UPDATE changes what exists and creates the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum Strategy {
    New,
    Update,
}

impl Strategy {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "NEW" => Some(Strategy::New),
            "UPDATE" => Some(Strategy::Update),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::New => "NEW",
            Strategy::Update => "UPDATE",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Metadata {
    pub requestor: String,
    pub project_name: String,
    pub business_line: String,
    /// `None` when the pack leaves it to Sharepack to detect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The Databricks workspace the pack is meant for, when the pack names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_url: Option<String>,
    pub origin: Location,
    #[serde(skip)]
    pub fields: FieldLocations,
}

/// Databricks-to-Open (token, open sharing) or Databricks-to-Databricks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RecipientType {
    D2O,
    D2D,
}

impl RecipientType {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_uppercase().replace(['-', '_', ' '], "").as_str() {
            "D2O" | "TOKEN" | "OPEN" => Some(RecipientType::D2O),
            "D2D" | "DATABRICKS" => Some(RecipientType::D2D),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RecipientType::D2O => "D2O",
            RecipientType::D2D => "D2D",
        }
    }

    /// Databricks' `authentication_type` for this kind of recipient.
    pub fn authentication_type(self) -> &'static str {
        match self {
            RecipientType::D2O => "TOKEN",
            RecipientType::D2D => "DATABRICKS",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Recipient {
    pub name: String,
    #[serde(rename = "Type")]
    pub kind: RecipientType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Global metastore id `cloud:region:uuid` (D2D only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metastore_id: Option<String>,
    /// IPv4 addresses or CIDR blocks (D2O only).
    pub allowed_ips: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// When the recipient's bearer token expires (D2O only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expiry: Option<DateTime<Utc>>,
    pub properties: BTreeMap<String, String>,
    pub origin: Location,
    #[serde(skip)]
    pub fields: FieldLocations,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Share {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Names of the recipients granted SELECT on this share.
    pub recipients: Vec<String>,
    pub data_objects: Vec<DataObject>,
    pub origin: Location,
    #[serde(skip)]
    pub fields: FieldLocations,
}

/// The kinds of object Databricks can put in a share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DataObjectType {
    Table,
    View,
    Schema,
    MaterializedView,
    StreamingTable,
    ForeignTable,
    Volume,
    Model,
    Function,
    NotebookFile,
    FeatureSpec,
}

impl DataObjectType {
    pub const ALL: [DataObjectType; 11] = [
        DataObjectType::Table,
        DataObjectType::View,
        DataObjectType::Schema,
        DataObjectType::MaterializedView,
        DataObjectType::StreamingTable,
        DataObjectType::ForeignTable,
        DataObjectType::Volume,
        DataObjectType::Model,
        DataObjectType::Function,
        DataObjectType::NotebookFile,
        DataObjectType::FeatureSpec,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DataObjectType::Table => "TABLE",
            DataObjectType::View => "VIEW",
            DataObjectType::Schema => "SCHEMA",
            DataObjectType::MaterializedView => "MATERIALIZED_VIEW",
            DataObjectType::StreamingTable => "STREAMING_TABLE",
            DataObjectType::ForeignTable => "FOREIGN_TABLE",
            DataObjectType::Volume => "VOLUME",
            DataObjectType::Model => "MODEL",
            DataObjectType::Function => "FUNCTION",
            DataObjectType::NotebookFile => "NOTEBOOK_FILE",
            DataObjectType::FeatureSpec => "FEATURE_SPEC",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let wanted = text.trim().to_ascii_uppercase().replace([' ', '-'], "_");
        Self::ALL.into_iter().find(|kind| kind.as_str() == wanted)
    }

    /// Tables and their kin, which may carry `shared_as`, history and partitions.
    pub fn is_table_like(self) -> bool {
        matches!(
            self,
            DataObjectType::Table
                | DataObjectType::View
                | DataObjectType::MaterializedView
                | DataObjectType::StreamingTable
                | DataObjectType::ForeignTable
        )
    }

    /// How many dot-separated parts a full name of this kind has (`None`: a path, not a name).
    pub fn name_parts(self) -> Option<usize> {
        match self {
            DataObjectType::Schema => Some(2),
            DataObjectType::NotebookFile => None,
            _ => Some(3),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct DataObject {
    /// Full name: `catalog.schema.table` (`catalog.schema` for a schema).
    pub name: String,
    #[serde(rename = "Type")]
    pub kind: DataObjectType,
    /// The name recipients see (`schema.table`), when it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_as: Option<String>,
    /// Share the table's history (time travel and streaming reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_sharing: Option<bool>,
    /// Share the change data feed (the older switch; not together with history sharing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdf_enabled: Option<bool>,
    pub partitions: Vec<Partition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub origin: Location,
    #[serde(skip)]
    pub fields: FieldLocations,
}

impl DataObject {
    /// A table given only by name, as in the seed's `data_objects: [catalog.schema.table]`.
    pub fn table(name: impl Into<String>, origin: Location) -> Self {
        DataObject {
            name: name.into(),
            kind: DataObjectType::Table,
            shared_as: None,
            history_sharing: None,
            cdf_enabled: None,
            partitions: Vec::new(),
            comment: None,
            origin,
            fields: FieldLocations::default(),
        }
    }
}

/// One partition filter of a shared table: all its values must hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Partition {
    pub values: Vec<PartitionValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct PartitionValue {
    pub name: String,
    pub op: PartitionOp,
    /// A literal value, or
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// the name of a recipient property whose value is used (`CURRENT_RECIPIENT().region`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_property_key: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum PartitionOp {
    Equal,
    Like,
}

impl fmt::Display for Partition {
    /// The SQL-like form users write: `region = 'EU', year LIKE '2024%'`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, value) in self.values.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            let op = match value.op {
                PartitionOp::Equal => "=",
                PartitionOp::Like => "LIKE",
            };
            match (&value.value, &value.recipient_property_key) {
                (_, Some(key)) => write!(f, "{} {op} CURRENT_RECIPIENT().{key}", value.name)?,
                (Some(literal), None) => write!(f, "{} {op} '{}'", value.name, literal.replace('\'', "''"))?,
                (None, None) => write!(f, "{} {op} NULL", value.name)?,
            }
        }
        Ok(())
    }
}

/// A data pipeline. Parsed, kept and shown; nothing provisions pipelines yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Pipeline {
    pub name: String,
    #[serde(rename = "Type")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub origin: Location,
    #[serde(skip)]
    pub fields: FieldLocations,
}

/// The key under which Databricks knows a name: it stores names lowercase, so `Sales` and
/// `sales` are the same recipient.
pub fn name_key(name: &str) -> String {
    // Most names are ASCII, whose lowercase needs no Unicode tables (the same result).
    let name = name.trim();
    if name.is_ascii() {
        name.to_ascii_lowercase()
    } else {
        name.to_lowercase()
    }
}
