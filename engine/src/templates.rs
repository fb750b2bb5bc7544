//! Downloadable templates, and share packs written back out as Excel.
//!
//! The YAML template is a commented file kept in `samples/`; the Excel template is that same
//! example pack written by [`write_workbook`] with notes on every header and dropdowns for the
//! fields that take fixed values. Writing a pack is the inverse of the Excel reader, so a pack
//! read from YAML and written to Excel reads back to the same model (tests hold us to it).

use crate::intake::{read_pack, Limits};
use crate::model::*;
use rust_xlsxwriter::{DataValidation, Format, FormatBorder, Note, Workbook, Worksheet, XlsxError};

/// The commented YAML template users start from.
pub const YAML_TEMPLATE: &str = include_str!("../../samples/template.yaml");

/// One column of a sheet: its header and the note that explains it.
struct Column {
    header: &'static str,
    note: &'static str,
    width: f64,
}

const fn column(header: &'static str, note: &'static str, width: f64) -> Column {
    Column { header, note, width }
}

const METADATA_FIELDS: &[Column] = &[
    column(
        "requestor",
        "Optional. Your e-mail: whoever submits the pack is its requestor (filled in from your sign-in when left empty).",
        0.0,
    ),
    column("project_name", "Required. The project this share pack belongs to.", 0.0),
    column("business_line", "Required. The business line that owns the data.", 0.0),
    column("strategy", "NEW or UPDATE. Leave empty and Sharepack detects it from the workspace.", 0.0),
    column("description", "Optional. What the data is shared for.", 0.0),
    column("workspace_url", "Optional. The Databricks workspace, e.g. https://adb-123.4.azuredatabricks.net", 0.0),
];

const RECIPIENT_COLUMNS: &[Column] = &[
    column("name", "Required. Letters, digits, _ and -; no dots or spaces. Stored lowercase.", 24.0),
    column("type", "Required. D2O: open sharing with a token. D2D: the recipient has its own Databricks workspace.", 8.0),
    column("email", "D2O: required. Who receives the activation link.", 28.0),
    column("metastore_id", "D2D: required. cloud:region:uuid, from SELECT CURRENT_METASTORE() on the recipient's side.", 48.0),
    column("allowed_ips", "D2O only, optional. IPv4 addresses or CIDR blocks, separated by commas; at most 100.", 32.0),
    column("comment", "Optional.", 30.0),
    column("token_expiry", "D2O only, optional. Date the token expires (YYYY-MM-DD).", 14.0),
    column("properties", "Optional. key=value pairs separated by commas, e.g. region=emea, tier=gold", 28.0),
];

const SHARE_COLUMNS: &[Column] = &[
    column("name", "Required. Letters, digits, _ and -; no dots or spaces. Stored lowercase.", 24.0),
    column("comment", "Optional.", 30.0),
    column("recipients", "Recipient names granted read access, separated by commas.", 32.0),
    column("data_objects", "Full names (catalog.schema.table) separated by commas. For options, use the Data Objects sheet.", 60.0),
];

const OBJECT_COLUMNS: &[Column] = &[
    column("share", "Required. The share (from the Shares sheet) this object belongs to.", 22.0),
    column("name", "Required. Full name: catalog.schema.table (catalog.schema for a SCHEMA).", 40.0),
    column("type", "TABLE (default), VIEW, SCHEMA, MATERIALIZED_VIEW, STREAMING_TABLE, VOLUME, MODEL, ...", 18.0),
    column("shared_as", "Optional. The name recipients see: schema.table.", 20.0),
    column("history_sharing", "Optional. true to share history (time travel, streaming).", 10.0),
    column("cdf_enabled", "Optional. true to share the change data feed (not with history_sharing).", 10.0),
    column("partitions", "Optional. e.g. region = 'EU', year LIKE '2024%'. Several partitions separated by ;", 32.0),
    column("comment", "Optional.", 30.0),
];

const PIPELINE_COLUMNS: &[Column] = &[
    column("name", "Required.", 22.0),
    column("type", "Optional. e.g. batch, streaming.", 12.0),
    column("schedule", "Optional. e.g. a cron expression.", 16.0),
    column("source", "Optional.", 30.0),
    column("destination", "Optional.", 30.0),
    column("comment", "Optional. Pipelines are recorded, not provisioned yet.", 30.0),
];

/// The example pack of the YAML template.
pub fn example_pack() -> SharePack {
    read_pack(YAML_TEMPLATE.as_bytes(), Some("template.yaml"), &Limits::default())
        .ok()
        .and_then(|intake| intake.pack)
        .expect("the YAML template is a valid share pack (tested)")
}

/// The Excel template: the example pack, with notes, dropdowns and an instructions sheet.
pub fn excel_template() -> Result<Vec<u8>, XlsxError> {
    write_workbook(&example_pack(), true)
}

/// Writes a pack as a workbook in the layout the Excel reader expects. With `guide`, adds an
/// instructions sheet and dropdowns for every fixed-value column.
pub fn write_workbook(pack: &SharePack, guide: bool) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let header = Format::new().set_bold().set_background_color("#DCE6F1").set_border_bottom(FormatBorder::Thin);
    if guide {
        instructions(workbook.add_worksheet())?;
    }

    let sheet = workbook.add_worksheet().set_name("Metadata")?;
    sheet.write_string_with_format(0, 0, "Field", &header)?.write_string_with_format(0, 1, "Value", &header)?;
    sheet.set_column_width(0, 18)?.set_column_width(1, 60)?;
    let meta = &pack.metadata;
    let values = [
        meta.requestor.clone(),
        meta.project_name.clone(),
        meta.business_line.clone(),
        meta.strategy.map(|s| s.as_str().to_string()).unwrap_or_default(),
        meta.description.clone().unwrap_or_default(),
        meta.workspace_url.clone().unwrap_or_default(),
    ];
    for (row, (field, value)) in (1u32..).zip(METADATA_FIELDS.iter().zip(values)) {
        sheet.write_string(row, 0, field.header)?;
        sheet.insert_note(row, 0, &Note::new(field.note).set_author("Sharepack"))?;
        if !value.is_empty() {
            sheet.write_string(row, 1, value)?;
        }
    }
    if guide {
        let strategy = DataValidation::new()
            .allow_list_strings(&["NEW", "UPDATE"])?
            .set_input_title("Strategy")?
            .set_input_message("NEW, UPDATE, or empty to let Sharepack detect it")?;
        sheet.add_data_validation(4, 1, 4, 1, &strategy)?;
    }

    let sheet = table_sheet(&mut workbook, "Recipients", RECIPIENT_COLUMNS, &header)?;
    for (row, recipient) in (1u32..).zip(&pack.recipients) {
        let cells = [
            recipient.name.clone(),
            recipient.kind.as_str().to_string(),
            recipient.email.clone().unwrap_or_default(),
            recipient.metastore_id.clone().unwrap_or_default(),
            recipient.allowed_ips.join(", "),
            recipient.comment.clone().unwrap_or_default(),
            recipient.token_expiry.map(format_date).unwrap_or_default(),
            recipient.properties.iter().map(|(key, value)| format!("{key}={value}")).collect::<Vec<_>>().join(", "),
        ];
        write_cells(sheet, row, &cells)?;
    }
    if guide {
        let kinds = DataValidation::new()
            .allow_list_strings(&["D2O", "D2D"])?
            .set_error_message("Choose D2O (open sharing) or D2D (Databricks-to-Databricks)")?;
        sheet.add_data_validation(1, 1, 5000, 1, &kinds)?;
    }

    let detailed: Vec<&Share> = pack.shares.iter().filter(|share| share.data_objects.iter().any(is_detailed)).collect();
    let sheet = table_sheet(&mut workbook, "Shares", SHARE_COLUMNS, &header)?;
    for (row, share) in (1u32..).zip(&pack.shares) {
        let objects = if detailed.iter().any(|d| d.name == share.name) {
            String::new()
        } else {
            share.data_objects.iter().map(|object| object.name.as_str()).collect::<Vec<_>>().join(", ")
        };
        let cells = [share.name.clone(), share.comment.clone().unwrap_or_default(), share.recipients.join(", "), objects];
        write_cells(sheet, row, &cells)?;
    }

    let sheet = table_sheet(&mut workbook, "Data Objects", OBJECT_COLUMNS, &header)?;
    let mut row = 1u32;
    for share in &detailed {
        for object in &share.data_objects {
            let switch = |value: Option<bool>| value.map(|flag| flag.to_string()).unwrap_or_default();
            let cells = [
                share.name.clone(),
                object.name.clone(),
                object.kind.as_str().to_string(),
                object.shared_as.clone().unwrap_or_default(),
                switch(object.history_sharing),
                switch(object.cdf_enabled),
                object.partitions.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
                object.comment.clone().unwrap_or_default(),
            ];
            write_cells(sheet, row, &cells)?;
            row += 1;
        }
    }
    if guide {
        let kinds: Vec<&str> = DataObjectType::ALL.iter().map(|kind| kind.as_str()).collect();
        sheet.add_data_validation(1, 2, 5000, 2, &DataValidation::new().allow_list_strings(&kinds)?)?;
        let switch = DataValidation::new().allow_list_strings(&["true", "false"])?;
        sheet.add_data_validation(1, 4, 5000, 5, &switch)?;
    }

    let sheet = table_sheet(&mut workbook, "Pipelines", PIPELINE_COLUMNS, &header)?;
    for (row, pipeline) in (1u32..).zip(&pack.pipelines) {
        let cells = [
            pipeline.name.clone(),
            pipeline.kind.clone().unwrap_or_default(),
            pipeline.schedule.clone().unwrap_or_default(),
            pipeline.source.clone().unwrap_or_default(),
            pipeline.destination.clone().unwrap_or_default(),
            pipeline.comment.clone().unwrap_or_default(),
        ];
        write_cells(sheet, row, &cells)?;
    }
    workbook.save_to_buffer()
}

fn table_sheet<'a>(workbook: &'a mut Workbook, name: &str, columns: &[Column], header: &Format) -> Result<&'a mut Worksheet, XlsxError> {
    let sheet = workbook.add_worksheet().set_name(name)?;
    for (col, column) in (0u16..).zip(columns) {
        sheet.write_string_with_format(0, col, column.header, header)?;
        sheet.insert_note(0, col, &Note::new(column.note).set_author("Sharepack").set_width(300))?;
        sheet.set_column_width(col, column.width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(sheet)
}

fn write_cells(sheet: &mut Worksheet, row: u32, cells: &[String]) -> Result<(), XlsxError> {
    for (col, value) in (0u16..).zip(cells) {
        if !value.is_empty() {
            sheet.write_string(row, col, value)?;
        }
    }
    Ok(())
}

/// An object that needs the Data Objects sheet: anything more than a plain table name.
fn is_detailed(object: &DataObject) -> bool {
    object.kind != DataObjectType::Table
        || object.shared_as.is_some()
        || object.history_sharing.is_some()
        || object.cdf_enabled.is_some()
        || !object.partitions.is_empty()
        || object.comment.is_some()
}

fn format_date(date: chrono::DateTime<chrono::Utc>) -> String {
    if date.time() == chrono::NaiveTime::MIN {
        date.format("%Y-%m-%d").to_string()
    } else {
        date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

fn instructions(sheet: &mut Worksheet) -> Result<(), XlsxError> {
    sheet.set_name("Instructions")?;
    sheet.set_column_width(0, 110)?;
    let title = Format::new().set_bold().set_font_size(14);
    let lines = [
        "How to fill in a Sharepack share pack",
        "",
        "1. Metadata: who asks (requestor e-mail), for which project and business line. Strategy NEW or UPDATE, or empty to let Sharepack detect it.",
        "2. Recipients: one row per recipient. D2O recipients get a token and an activation link (e-mail required);",
        "   D2D recipients have their own Databricks workspace (metastore id cloud:region:uuid required).",
        "3. Shares: one row per share, with the recipients it is granted to and the tables it exposes (catalog.schema.table, comma-separated).",
        "4. Data Objects (optional): one row per object when you need options: type, shared_as, history sharing, partitions.",
        "5. Pipelines (optional): recorded with the pack, not provisioned yet.",
        "",
        "Lists go in one cell, separated by commas. Column headers may be in any order; every header has a note explaining it.",
        "Type values, do not paste formulas; do not merge cells. Upload the file on the Sharepack portal to see every problem, cell by cell.",
    ];
    for (row, line) in (0u32..).zip(lines) {
        if row == 0 {
            sheet.write_string_with_format(row, 0, line, &title)?;
        } else if !line.is_empty() {
            sheet.write_string(row, 0, line)?;
        }
    }
    Ok(())
}

/// A pack written as YAML in the template's layout (`metadata`, `recipient`, `share`,
/// `pipelines`), which reads back to the same model. The layout is written here, but every
/// scalar is a JSON string (serde_json's escaping), which YAML reads as a double-quoted
/// scalar: no value, however odd, can change the document's structure.
pub fn write_yaml(pack: &SharePack) -> String {
    fn scalar(text: &str) -> String {
        serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
    }
    fn field(out: &mut String, indent: &str, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            out.push_str(&format!("{indent}{key}: {}\n", scalar(value)));
        }
    }
    fn flag(out: &mut String, indent: &str, key: &str, value: Option<bool>) {
        if let Some(value) = value {
            out.push_str(&format!("{indent}{key}: {value}\n"));
        }
    }
    fn list(out: &mut String, indent: &str, key: &str, values: &[String]) {
        if !values.is_empty() {
            out.push_str(&format!("{indent}{key}:\n"));
            for value in values {
                out.push_str(&format!("{indent}  - {}\n", scalar(value)));
            }
        }
    }
    let meta = &pack.metadata;
    let mut out = String::from("# Exported by Sharepack: edit and upload it again; unchanged, it plans no change.\nmetadata:\n");
    // Left out when empty: whoever submits the file is then its requestor.
    field(&mut out, "  ", "requestor", Some(meta.requestor.as_str()).filter(|requestor| !requestor.is_empty()));
    field(&mut out, "  ", "project_name", Some(&meta.project_name));
    field(&mut out, "  ", "business_line", Some(&meta.business_line));
    field(&mut out, "  ", "strategy", meta.strategy.map(|strategy| strategy.as_str()));
    field(&mut out, "  ", "description", meta.description.as_deref());
    field(&mut out, "  ", "workspace_url", meta.workspace_url.as_deref());
    out.push_str("\nrecipient:\n");
    for recipient in &pack.recipients {
        out.push_str(&format!("  - name: {}\n", scalar(&recipient.name)));
        field(&mut out, "    ", "type", Some(recipient.kind.as_str()));
        field(&mut out, "    ", "email", recipient.email.as_deref());
        field(&mut out, "    ", "metastore_id", recipient.metastore_id.as_deref());
        list(&mut out, "    ", "allowed_ips", &recipient.allowed_ips);
        field(&mut out, "    ", "comment", recipient.comment.as_deref());
        field(&mut out, "    ", "token_expiry", recipient.token_expiry.map(format_date).as_deref());
        if !recipient.properties.is_empty() {
            out.push_str("    properties:\n");
            for (key, value) in &recipient.properties {
                out.push_str(&format!("      {}: {}\n", scalar(key), scalar(value)));
            }
        }
    }
    out.push_str("\nshare:\n");
    for share in &pack.shares {
        out.push_str(&format!("  - name: {}\n", scalar(&share.name)));
        field(&mut out, "    ", "comment", share.comment.as_deref());
        list(&mut out, "    ", "recipients", &share.recipients);
        if !share.data_objects.is_empty() {
            out.push_str("    data_objects:\n");
        }
        for object in &share.data_objects {
            out.push_str(&format!("      - name: {}\n", scalar(&object.name)));
            field(&mut out, "        ", "type", Some(object.kind.as_str()));
            field(&mut out, "        ", "shared_as", object.shared_as.as_deref());
            flag(&mut out, "        ", "history_sharing", object.history_sharing);
            flag(&mut out, "        ", "cdf_enabled", object.cdf_enabled);
            let partitions: Vec<String> = object.partitions.iter().map(ToString::to_string).collect();
            list(&mut out, "        ", "partitions", &partitions);
            field(&mut out, "        ", "comment", object.comment.as_deref());
        }
    }
    if !pack.pipelines.is_empty() {
        out.push_str("\npipelines:\n");
        for pipeline in &pack.pipelines {
            out.push_str(&format!("  - name: {}\n", scalar(&pipeline.name)));
            field(&mut out, "    ", "type", pipeline.kind.as_deref());
            field(&mut out, "    ", "schedule", pipeline.schedule.as_deref());
            field(&mut out, "    ", "source", pipeline.source.as_deref());
            field(&mut out, "    ", "destination", pipeline.destination.as_deref());
            field(&mut out, "    ", "comment", pipeline.comment.as_deref());
        }
    }
    out
}
