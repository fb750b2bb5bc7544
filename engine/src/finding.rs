//! Findings: what intake and validation say about a share pack, each tied to the cell or line it
//! concerns. Everything a user sees about a file's problems is a [`Finding`], so the page, the REST
//! API and (later) the planner speak the same language.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How much a finding matters. Errors block provisioning; warnings and infos do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Where something is in the uploaded file: a YAML line and column, or an Excel sheet and cell.
/// `path` is the logical place in the pack (`recipients[1].email`), the same for both formats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Location {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
}

impl Location {
    /// The whole file, for findings that have no better place.
    pub fn file() -> Self {
        Location::default()
    }

    /// A YAML position; `line` and `column` are 1-based.
    pub fn yaml(path: impl Into<String>, line: u32, column: u32) -> Self {
        Location { path: path.into(), line: Some(line), column: Some(column), ..Default::default() }
    }

    /// An Excel cell, `cell` in A1 notation.
    pub fn cell(path: impl Into<String>, sheet: impl Into<String>, cell: impl Into<String>) -> Self {
        Location { path: path.into(), sheet: Some(sheet.into()), cell: Some(cell.into()), ..Default::default() }
    }

    /// An Excel sheet as a whole (a missing header, say).
    pub fn sheet(path: impl Into<String>, sheet: impl Into<String>) -> Self {
        Location { path: path.into(), sheet: Some(sheet.into()), ..Default::default() }
    }

    /// The same place, described under another logical path (a list element inside a cell).
    pub fn with_path(&self, path: impl Into<String>) -> Self {
        Location { path: path.into(), ..self.clone() }
    }

    /// A short key that sorts findings in file order: sheet then row then column, or line then column.
    pub fn sort_key(&self) -> (String, u32, u32) {
        match (&self.sheet, &self.cell, self.line) {
            (Some(sheet), Some(cell), _) => {
                let (col, row) = split_cell(cell);
                (sheet.clone(), row, col)
            }
            (Some(sheet), None, _) => (sheet.clone(), 0, 0),
            (None, _, Some(line)) => (String::new(), line, self.column.unwrap_or(0)),
            _ => (String::new(), 0, 0),
        }
    }
}

/// Splits `AB12` into (column number 1-based, row 12).
fn split_cell(cell: &str) -> (u32, u32) {
    let letters: String = cell.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let row = cell[letters.len()..].parse().unwrap_or(0);
    let col = letters.bytes().fold(0u32, |acc, b| acc * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1));
    (col, row)
}

/// `Recipients!C4`, `line 12, column 5`, `Recipients` or `file`.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.sheet, &self.cell, self.line, self.column) {
            (Some(sheet), Some(cell), _, _) => write!(f, "{sheet}!{cell}"),
            (Some(sheet), None, _, _) => write!(f, "sheet {sheet}"),
            (None, _, Some(line), Some(column)) => write!(f, "line {line}, column {column}"),
            (None, _, Some(line), None) => write!(f, "line {line}"),
            _ if !self.path.is_empty() => f.write_str(&self.path),
            _ => f.write_str("file"),
        }
    }
}

/// One thing worth telling the user about the pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Finding {
    pub severity: Severity,
    /// A stable machine-readable name for the rule (`invalid_email`), for clients and tests.
    pub code: String,
    /// The human form of `at`: `Recipients!C4` or `line 12, column 5`.
    pub location: String,
    /// The structured place, for links and sorting.
    pub at: Location,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Finding {
    pub fn new(severity: Severity, code: &str, at: Location, message: impl Into<String>) -> Self {
        Finding { severity, code: code.to_string(), location: at.to_string(), at, message: message.into(), hint: None }
    }

    pub fn error(code: &str, at: Location, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, at, message)
    }

    pub fn warning(code: &str, at: Location, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, at, message)
    }

    pub fn info(code: &str, at: Location, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, code, at, message)
    }

    /// Adds how to fix it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Counts by severity, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct FindingCounts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl FindingCounts {
    pub fn of(findings: &[Finding]) -> Self {
        findings.iter().fold(FindingCounts::default(), |mut counts, finding| {
            match finding.severity {
                Severity::Error => counts.errors += 1,
                Severity::Warning => counts.warnings += 1,
                Severity::Info => counts.infos += 1,
            }
            counts
        })
    }
}

/// Sorts findings into file order, errors first within one place.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.at.sort_key().cmp(&b.at.sort_key()).then(a.severity.cmp(&b.severity)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_read_like_spreadsheet_and_editor_positions() {
        assert_eq!(Location::cell("recipients[0].email", "Recipients", "C4").to_string(), "Recipients!C4");
        assert_eq!(Location::yaml("recipients[0].email", 12, 5).to_string(), "line 12, column 5");
        assert_eq!(Location::sheet("metadata", "Metadata").to_string(), "sheet Metadata");
        assert_eq!(Location::file().to_string(), "file");
    }

    #[test]
    fn cells_sort_by_row_then_column() {
        let mut findings = vec![
            Finding::error("x", Location::cell("", "Shares", "AA2"), "a"),
            Finding::error("x", Location::cell("", "Shares", "C10"), "b"),
            Finding::error("x", Location::cell("", "Shares", "B2"), "c"),
        ];
        sort_findings(&mut findings);
        let order: Vec<_> = findings.iter().map(|f| f.location.as_str()).collect();
        assert_eq!(order, ["Shares!B2", "Shares!AA2", "Shares!C10"]);
    }
}
