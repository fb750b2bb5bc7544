//! A located value tree: what both readers produce and the decoder consumes.
//!
//! YAML maps onto it directly; an Excel workbook becomes a map of sheets whose rows are maps of
//! header to cell. One decoder then turns either into the model, so the two formats cannot drift
//! apart in what they accept.

use crate::finding::Location;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Where the value was written (line/column or sheet/cell); the decoder fills in the path.
    pub at: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Absent or empty (`~`, `null`, an empty cell).
    Null,
    /// A value that was there but could not be read (a formula without a stored result, an
    /// Excel error). Already reported where it was found; the decoder treats it as absent
    /// without reporting it again.
    Unreadable,
    Text(Text),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub text: String,
    pub kind: TextKind,
}

/// What kind of scalar the source had, so the decoder can complain about a date where a name
/// belongs, or accept `TRUE` where a switch belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// An unquoted YAML scalar or an Excel text cell.
    Plain,
    /// A quoted YAML scalar: always text, never a number or a switch.
    Quoted,
    Number,
    Bool,
    /// An Excel date cell, as `YYYY-MM-DDTHH:MM:SS`.
    Date,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_at: Location,
    pub value: Node,
}

impl Node {
    pub fn new(value: Value, at: Location) -> Self {
        Node { value, at }
    }

    pub fn text(text: impl Into<String>, kind: TextKind, at: Location) -> Self {
        Node { value: Value::Text(Text { text: text.into(), kind }), at }
    }

    pub fn is_null(&self) -> bool {
        match &self.value {
            Value::Null | Value::Unreadable => true,
            Value::Text(text) => text.text.trim().is_empty() && text.kind != TextKind::Quoted,
            _ => false,
        }
    }

    /// A word for the kind of value, for "expected a list, found text" messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Null | Value::Unreadable => "nothing",
            Value::Text(text) => match text.kind {
                TextKind::Number => "a number",
                TextKind::Bool => "true/false",
                TextKind::Date => "a date",
                TextKind::Plain | TextKind::Quoted => "text",
            },
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// Number of nodes in this tree, the node itself included.
    pub fn size(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Node::size).sum(),
            Value::Map(entries) => entries.iter().map(|entry| entry.value.size()).sum(),
            _ => 0,
        }
    }
}
