//! Excel (.xlsx) to a located [`Node`] tree, every value tied to its `Sheet!A1` cell.
//!
//! Sheets are found by name without regard to case or spacing; in each, the header row is the
//! first row (of the first ten) that names a known column, in any order. Cells are streamed with
//! calamine's cell reader rather than loaded as a dense range, so a stray cell at `XFD1048576`
//! costs one cell, not seventeen billion. Before calamine sees the file, the archive is inflated
//! once, within the size limit, into stored members that calamine reads without inflating again;
//! parts calamine does not read (images, binaries) are only counted, so memory stays bounded by
//! the workbook's XML.

use super::decode::{normalize, Entity};
use super::node::{Entry, Node, TextKind, Value};
use super::{IntakeError, Limits};
use crate::finding::{Finding, Location};
use calamine::{DataRef, Reader, Xlsx};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Cursor, Read};

/// The sheets of a share-pack workbook, as written in our template.
const METADATA: &str = "Metadata";
const RECIPIENTS: &str = "Recipients";
const SHARES: &str = "Shares";
const PIPELINES: &str = "Pipelines";
const DATA_OBJECTS: &str = "Data Objects";

/// Reads a workbook into the same tree shape a YAML pack has.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<(Node, Vec<Finding>), IntakeError> {
    let unpacked = unpack(bytes, limits)?;
    let mut workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(unpacked.as_slice())).map_err(|error| IntakeError::Unreadable { detail: error.to_string() })?;
    let mut reader = WorkbookReader { findings: Vec::new(), cells: 0, max_cells: limits.max_cells };
    let sheet_names = workbook.sheet_names();
    let find = |wanted: &[&str]| sheet_names.iter().find(|name| wanted.iter().any(|w| normalize(name) == normalize(w))).cloned();

    let file = Location::file();
    let mut top = Vec::new();
    match find(&[METADATA, "Meta"]) {
        Some(sheet) => {
            let grid = reader.grid(&mut workbook, &sheet)?;
            top.push(entry("metadata", reader.metadata(&sheet, &grid)));
        }
        None => reader.missing_sheet(METADATA, "Field | Value rows with requestor, project_name, business_line and strategy"),
    }
    match find(&[RECIPIENTS, "Recipient"]) {
        Some(sheet) => {
            let grid = reader.grid(&mut workbook, &sheet)?;
            top.push(entry("recipients", reader.table(&sheet, grid, Entity::Recipient)));
        }
        None => reader.missing_sheet(RECIPIENTS, "one row per recipient: name, type, email, metastore_id, allowed_ips, comment"),
    }
    let mut shares = match find(&[SHARES, "Share"]) {
        Some(sheet) => {
            let grid = reader.grid(&mut workbook, &sheet)?;
            reader.table(&sheet, grid, Entity::Share)
        }
        None => {
            reader.missing_sheet(SHARES, "one row per share: name, comment, recipients, data_objects");
            Node::new(Value::Seq(Vec::new()), file.clone())
        }
    };
    if let Some(sheet) = find(&[DATA_OBJECTS, "DataObjects", "Objects", "Tables"]) {
        let grid = reader.grid(&mut workbook, &sheet)?;
        let objects = reader.table(&sheet, grid, Entity::DataObject);
        reader.attach_objects(&mut shares, objects);
    }
    top.push(entry("shares", shares));
    if let Some(sheet) = find(&[PIPELINES, "Pipeline"]) {
        let grid = reader.grid(&mut workbook, &sheet)?;
        top.push(entry("pipelines", reader.table(&sheet, grid, Entity::Pipeline)));
    }
    Ok((Node::new(Value::Map(top), file), reader.findings))
}

pub use crate::history::packs::SheetCells;

/// A workbook's sheets as their non-empty cells (name like `B3`, text), in sheet order, with the
/// same archive checks and cell limit as reading a pack: for showing a file as it was uploaded.
pub fn sheets(bytes: &[u8], limits: &Limits) -> Result<Vec<SheetCells>, IntakeError> {
    let unpacked = unpack(bytes, limits)?;
    let mut workbook: Xlsx<_> =
        Xlsx::new(Cursor::new(unpacked.as_slice())).map_err(|error| IntakeError::Unreadable { detail: error.to_string() })?;
    let mut reader = WorkbookReader { findings: Vec::new(), cells: 0, max_cells: limits.max_cells };
    let mut out = Vec::new();
    for sheet in workbook.sheet_names() {
        let grid = reader.grid(&mut workbook, &sheet)?;
        let cells = grid
            .cells
            .into_iter()
            .map(|((row, col), cell)| {
                let text = match cell.value.value {
                    Value::Text(text) => text.text,
                    _ => cell.formula.map(|formula| format!("={formula}")).unwrap_or_default(),
                };
                (cell_name(row, col), text)
            })
            .collect();
        out.push((sheet, cells));
    }
    Ok(out)
}

fn entry(key: &str, value: Node) -> Entry {
    Entry { key: key.into(), key_at: value.at.clone(), value }
}

/// Inflates every member of the archive once, counting against the limit as it goes: the XML
/// parts into an archive of stored (uncompressed) members, which calamine then reads without
/// inflating them again, the rest (images, printer settings, macros) into a counting sink. So the
/// zip-bomb guard costs no second inflation, and what is held is the XML calamine would have
/// inflated anyway. Refuses archives that expand past the limit, have absurdly many members, or
/// are not Excel workbooks at all.
fn unpack(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, IntakeError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|error| IntakeError::Unreadable { detail: format!("the zip archive is damaged ({error})") })?;
    if archive.len() > 10_000 {
        return Err(IntakeError::Limit {
            at: None,
            detail: format!("the workbook archive holds {} files; real workbooks hold a few dozen", archive.len()),
        });
    }
    if archive.index_for_name("xl/workbook.xml").is_none() {
        let what = if archive.index_for_name("word/document.xml").is_some() {
            "a Word document"
        } else if archive.index_for_name("content.xml").is_some() {
            "an OpenDocument file (LibreOffice .ods)"
        } else {
            "a zip archive that is not an Excel workbook"
        };
        return Err(IntakeError::Unsupported { what: what.into() });
    }
    let damaged = |error: zip::result::ZipError| IntakeError::Unreadable { detail: format!("the zip archive is damaged ({error})") };
    let mut budget = limits.max_uncompressed_bytes;
    // What the archive says it holds (honest files say it right), never more than the limit.
    let declared = archive.decompressed_size().unwrap_or(bytes.len() as u128 * 8);
    let capacity = declared.min(u128::from(limits.max_uncompressed_bytes)) as usize;
    let mut stored = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(capacity)));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for index in 0..archive.len() {
        let file = archive.by_index(index).map_err(damaged)?;
        let name = file.name().map(|name| name.to_string()).map_err(damaged)?;
        if file.is_dir() {
            continue;
        }
        let xml = [".xml", ".rels"].iter().any(|suffix| name.to_ascii_lowercase().ends_with(suffix));
        let mut member = file.take(budget + 1);
        let read = if xml {
            stored.start_file(name.as_str(), options).map_err(damaged)?;
            std::io::copy(&mut member, &mut stored)
        } else {
            std::io::copy(&mut member, &mut std::io::sink())
        }
        .map_err(|error| IntakeError::Unreadable { detail: format!("`{name}` in the workbook cannot be inflated ({error})") })?;
        if read > budget {
            return Err(IntakeError::Limit {
                at: None,
                detail: format!(
                    "the workbook expands to more than {} MiB when unpacked (`{name}`); it looks like a zip bomb and was not read",
                    limits.max_uncompressed_bytes / (1024 * 1024)
                ),
            });
        }
        budget -= read;
    }
    Ok(stored.finish().map_err(damaged)?.into_inner())
}

/// One cell: its value and whether it came from a formula.
struct Cell {
    value: Node,
    formula: Option<String>,
}

/// A sheet's non-empty cells by (row, column), zero-based, plus its merged regions.
struct Grid {
    cells: BTreeMap<(u32, u32), Cell>,
    merged: Vec<((u32, u32), (u32, u32))>,
}

struct WorkbookReader {
    findings: Vec<Finding>,
    cells: usize,
    max_cells: usize,
}

impl WorkbookReader {
    fn grid(&mut self, workbook: &mut Xlsx<Cursor<&[u8]>>, sheet: &str) -> Result<Grid, IntakeError> {
        let unreadable =
            |error: calamine::XlsxError| IntakeError::Unreadable { detail: format!("sheet `{sheet}` cannot be read ({error})") };
        let merged = workbook
            .merge_cells_by_sheet_name(sheet)
            .map_err(unreadable)?
            .into_iter()
            .map(|dimensions| (dimensions.start, dimensions.end))
            .collect();
        let mut cells = BTreeMap::new();
        let mut reader = workbook.worksheet_cells_reader(sheet).map_err(unreadable)?;
        while let Some(cell) = reader.next_cell_with_formula().map_err(unreadable)? {
            let (row, col) = cell.pos;
            let at = Location::cell("", sheet, cell_name(row, col));
            let formula = cell.formula.filter(|formula| !formula.trim().is_empty());
            let value = match cell.value {
                DataRef::Empty => {
                    if formula.is_none() {
                        continue;
                    }
                    Node::new(Value::Unreadable, at)
                }
                DataRef::String(text) => Node::text(text, TextKind::Plain, at),
                DataRef::SharedString(text) => Node::text(text, TextKind::Plain, at),
                DataRef::Int(number) => Node::text(number.to_string(), TextKind::Number, at),
                DataRef::Float(number) => Node::text(format_number(number), TextKind::Number, at),
                DataRef::Bool(flag) => Node::text(flag.to_string(), TextKind::Bool, at),
                DataRef::DateTime(date) => match date.as_datetime() {
                    Some(date) if date.time() == chrono::NaiveTime::MIN => {
                        Node::text(date.format("%Y-%m-%d").to_string(), TextKind::Date, at)
                    }
                    Some(date) => Node::text(date.format("%Y-%m-%dT%H:%M:%S").to_string(), TextKind::Date, at),
                    None => Node::text(format_number(date.as_f64()), TextKind::Number, at),
                },
                DataRef::DateTimeIso(text) => Node::text(text, TextKind::Date, at),
                DataRef::DurationIso(text) => Node::text(text, TextKind::Plain, at),
                DataRef::Error(error) => {
                    self.findings.push(
                        Finding::error("cell_error", at.clone(), format!("The cell shows the Excel error {error}"))
                            .hint("Fix or clear the cell; Sharepack reads values, not errors"),
                    );
                    Node::new(Value::Unreadable, at)
                }
            };
            self.cells += 1;
            if self.cells > self.max_cells {
                return Err(IntakeError::Limit {
                    at: Some(value.at),
                    detail: format!("the workbook has more than {} filled cells", self.max_cells),
                });
            }
            cells.insert((row, col), Cell { value, formula });
        }
        Ok(Grid { cells, merged })
    }

    fn missing_sheet(&mut self, sheet: &str, holds: &str) {
        self.findings.push(
            Finding::error("missing_sheet", Location::sheet("", sheet), format!("The workbook has no `{sheet}` sheet"))
                .hint(format!("Add a sheet named {sheet} with {holds} (download the Excel template to start from)")),
        );
    }

    /// Flags formula and merged cells in the rows we read, once per cell or region.
    fn check_cell(&mut self, cell: &Cell) {
        if let Some(formula) = &cell.formula {
            self.findings.push(
                Finding::error(
                    "formula_cell",
                    cell.value.at.clone(),
                    format!("The cell holds a formula (={formula}); Sharepack reads typed values only"),
                )
                .hint("Replace the formula by its value: copy the cell, then Paste Special → Values"),
            );
        }
    }

    fn check_merged(&mut self, sheet: &str, grid: &Grid, first_row: u32) {
        for &(start, end) in &grid.merged {
            if end.0 < first_row {
                continue;
            }
            let range = format!("{}:{}", cell_name(start.0, start.1), cell_name(end.0, end.1));
            self.findings.push(
                Finding::error(
                    "merged_cells",
                    Location::cell("", sheet, cell_name(start.0, start.1)),
                    format!("Cells {range} are merged; every row needs its own values"),
                )
                .hint("Unmerge the cells and fill the value into each of them"),
            );
        }
    }

    /// The Metadata sheet: `Field | Value` rows.
    fn metadata(&mut self, sheet: &str, grid: &Grid) -> Node {
        self.check_merged(sheet, grid, 0);
        let mut entries = Vec::new();
        let rows: BTreeMap<u32, Vec<&Cell>> = grid.cells.iter().fold(BTreeMap::new(), |mut rows, (&(row, _), cell)| {
            rows.entry(row).or_insert_with(Vec::new).push(cell);
            rows
        });
        for (row, cells) in rows {
            let Some(key_cell) = grid.cells.get(&(row, first_col(grid, row))) else { continue };
            let Value::Text(key) = &key_cell.value.value else { continue };
            if normalize(&key.text) == "field" {
                continue; // the header row
            }
            cells.iter().for_each(|cell| self.check_cell(cell));
            let value_col = first_col(grid, row) + 1;
            let value = grid
                .cells
                .get(&(row, value_col))
                .map(|cell| cell.value.clone())
                .unwrap_or_else(|| Node::new(Value::Null, Location::cell("", sheet, cell_name(row, value_col))));
            let field = Entity::Metadata.canonical_field(&key.text).map(str::to_string).unwrap_or_else(|| key.text.clone());
            entries.push(Entry { key: field, key_at: key_cell.value.at.clone(), value });
        }
        Node::new(Value::Map(entries), Location::sheet("", sheet))
    }

    /// A sheet of records: a header row, then one record per non-empty row.
    /// The rows under the header as records; the grid's cells move into them.
    fn table(&mut self, sheet: &str, mut grid: Grid, entity: Entity) -> Node {
        let Some((header_row, columns)) = self.header(sheet, &grid, entity) else {
            self.findings.push(
                Finding::error(
                    "missing_header",
                    Location::sheet("", sheet),
                    format!("Sheet `{sheet}` has no header row naming its columns"),
                )
                .hint(format!("Put the column names in the first row: {}", entity.known_fields().join(", "))),
            );
            return Node::new(Value::Seq(Vec::new()), Location::sheet("", sheet));
        };
        self.check_merged(sheet, &grid, header_row + 1);
        let last_row = grid.cells.keys().map(|&(row, _)| row).max().unwrap_or(header_row);
        let mut records = Vec::new();
        for row in header_row + 1..=last_row {
            let in_row: Vec<&Cell> = grid.cells.range((row, 0)..(row + 1, 0)).map(|(_, cell)| cell).collect();
            if in_row.iter().all(|cell| cell.value.is_null() && cell.formula.is_none()) {
                continue;
            }
            let mut entries = Vec::new();
            for (&col, field) in &columns {
                let value = match grid.cells.remove(&(row, col)) {
                    Some(cell) => {
                        self.check_cell(&cell);
                        cell.value
                    }
                    None => Node::new(Value::Null, Location::cell("", sheet, cell_name(row, col))),
                };
                entries.push(Entry { key: (*field).into(), key_at: value.at.clone(), value });
            }
            records.push(Node::new(Value::Map(entries), Location::cell("", sheet, cell_name(row, 0))));
        }
        Node::new(Value::Seq(records), Location::sheet("", sheet))
    }

    /// Finds the header row among the first ten rows: the first naming a known column. Warns once
    /// per unknown column.
    fn header(&mut self, sheet: &str, grid: &Grid, entity: Entity) -> Option<(u32, BTreeMap<u32, &'static str>)> {
        let first = grid.cells.keys().next().map(|&(row, _)| row)?;
        for row in first..first + 10 {
            let headers: Vec<(u32, &Cell)> = grid.cells.range((row, 0)..(row + 1, 0)).map(|(&(_, col), cell)| (col, cell)).collect();
            let known: BTreeMap<u32, &'static str> = headers
                .iter()
                .filter_map(|(col, cell)| match &cell.value.value {
                    Value::Text(text) => entity.canonical_field(&text.text).map(|field| (*col, field)),
                    _ => None,
                })
                .collect();
            if known.is_empty() {
                continue;
            }
            for (col, cell) in headers {
                if known.contains_key(&col) {
                    continue;
                }
                if let Value::Text(text) = &cell.value.value {
                    let mut finding = Finding::warning(
                        "unknown_column",
                        Location::cell(format!("{}.{}", sheet.to_lowercase(), text.text), sheet, cell_name(row, col)),
                        format!("Unknown column `{}` in sheet {sheet}; it is ignored", text.text),
                    );
                    finding = match entity.suggest(&text.text) {
                        Some(suggestion) => finding.hint(format!("Did you mean `{suggestion}`?")),
                        None => finding.hint(format!("Known columns: {}", entity.known_fields().join(", "))),
                    };
                    self.findings.push(finding);
                }
            }
            return Some((row, known));
        }
        None
    }

    /// Moves each Data Objects row under the share it names, after that share's own
    /// `data_objects` cell.
    fn attach_objects(&mut self, shares: &mut Node, objects: Node) {
        let (Value::Seq(shares), Value::Seq(objects)) = (&mut shares.value, objects.value) else { return };
        let text_of = |node: &Node| match &node.value {
            Value::Text(text) => Some(text.text.trim().to_lowercase()),
            _ => None,
        };
        // Share name (lowercase, as Databricks compares) to its row; the first row wins.
        let mut by_name = std::collections::HashMap::new();
        for (index, share) in shares.iter().enumerate() {
            if let Value::Map(entries) = &share.value {
                if let Some(name) = entries.iter().find(|entry| entry.key == "name").and_then(|entry| text_of(&entry.value)) {
                    by_name.entry(name).or_insert(index);
                }
            }
        }
        for object in objects {
            let Value::Map(fields) = &object.value else { continue };
            let share_cell = fields.iter().find(|entry| entry.key == "share");
            let share_name = share_cell.and_then(|entry| text_of(&entry.value));
            let target = share_name.as_ref().and_then(|name| by_name.get(name)).map(|&index| &mut shares[index]);
            let Some(Node { value: Value::Map(entries), at }) = target else {
                let at = share_cell.map(|entry| entry.value.at.clone()).unwrap_or_else(|| object.at.clone());
                self.findings.push(match share_name {
                    Some(name) => Finding::error(
                        "unknown_share",
                        at,
                        format!("This data object names share `{name}`, which the Shares sheet does not list"),
                    )
                    .hint("Add the share to the Shares sheet, or correct the name"),
                    None => Finding::error("required", at, "This data object does not say which share it belongs to")
                        .hint("Fill in the share column"),
                });
                continue;
            };
            match entries.iter_mut().find(|entry| entry.key == "data_objects") {
                Some(entry) => {
                    if !matches!(entry.value.value, Value::Seq(_)) {
                        let cell = std::mem::replace(&mut entry.value, Node::new(Value::Null, Location::default()));
                        let seq_at = cell.at.clone();
                        entry.value = Node::new(Value::Seq(if cell.is_null() { Vec::new() } else { vec![cell] }), seq_at);
                    }
                    if let Value::Seq(items) = &mut entry.value.value {
                        items.push(object);
                    }
                }
                None => {
                    let key_at = at.clone();
                    entries.push(Entry {
                        key: "data_objects".into(),
                        key_at: key_at.clone(),
                        value: Node::new(Value::Seq(vec![object]), key_at),
                    });
                }
            }
        }
    }
}

fn first_col(grid: &Grid, row: u32) -> u32 {
    grid.cells.range((row, 0)..(row + 1, 0)).next().map(|(&(_, col), _)| col).unwrap_or(0)
}

/// Whole numbers without a trailing `.0`, as a person typed them.
fn format_number(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{}", number as i64)
    } else {
        number.to_string()
    }
}

/// `A1` notation from zero-based row and column.
pub fn cell_name(row: u32, col: u32) -> String {
    // One per cell read: built in place. Excel stops at XFD (3 letters); a hostile file's column
    // may go to u32's 7 letters and is still named right.
    let mut letters = [0u8; 7];
    let (mut start, mut n) = (letters.len(), u64::from(col) + 1);
    while n > 0 {
        start -= 1;
        letters[start] = b'A' + ((n - 1) % 26) as u8;
        n = (n - 1) / 26;
    }
    let mut name = String::with_capacity(10);
    name.extend(letters[start..].iter().map(|&letter| char::from(letter)));
    let _ = write!(name, "{}", u64::from(row) + 1);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_names_follow_excel() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(3, 2), "C4");
        assert_eq!(cell_name(9, 25), "Z10");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
        // Past Excel's grid, as a hostile file may claim: still named, never wrapped or cut.
        assert_eq!(cell_name(0, 18_278), "AAAA1");
        assert_eq!(cell_name(u32::MAX, u32::MAX), "MWLQKWV4294967296");
    }
}
