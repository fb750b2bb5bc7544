//! The samples are the contract: every valid sample parses to the model it describes, every
//! invalid one yields exactly the located findings in its `.expected` file, and YAML packs and
//! their Excel twins (ours, openpyxl's, LibreOffice's) parse to the same model.

use sharepack_engine::intake::{read_pack, Intake, IntakeError, Limits};
use sharepack_engine::model::*;
use sharepack_engine::templates::{example_pack, excel_template, write_workbook, write_yaml};
use sharepack_engine::Severity;
use std::path::{Path, PathBuf};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples")
}

fn read(relative: &str) -> Intake {
    let path = samples().join(relative);
    let bytes = std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    read_pack(&bytes, Some(relative), &Limits::default()).unwrap_or_else(|error| panic!("{relative}: {error}"))
}

/// Reads a sample that must be free of errors and warnings, and returns its pack.
fn valid(relative: &str) -> SharePack {
    let intake = read(relative);
    let problems: Vec<String> = intake
        .findings
        .iter()
        .filter(|finding| finding.severity != Severity::Info)
        .map(|finding| format!("{} {} {}: {}", finding.severity.as_str(), finding.code, finding.location, finding.message))
        .collect();
    assert!(problems.is_empty(), "{relative} should be valid, found:\n{}", problems.join("\n"));
    intake.pack.unwrap_or_else(|| panic!("{relative} has no pack"))
}

fn content(mut pack: SharePack) -> SharePack {
    pack.strip_locations();
    pack.format = SourceFormat::Yaml;
    pack
}

#[test]
fn finance_sample_parses_to_the_seed_pack() {
    let pack = valid("valid/finance.yaml");
    assert_eq!(pack.metadata.requestor, "john.doe@jll.com");
    assert_eq!(pack.metadata.project_name, "Corporate Finance Q1 Data Share");
    assert_eq!(pack.metadata.business_line, "Corporate Finance");
    assert_eq!(pack.metadata.strategy, Some(Strategy::New));
    assert_eq!(pack.recipients.len(), 2);
    let auditor = &pack.recipients[0];
    assert_eq!((auditor.name.as_str(), auditor.kind), ("external-auditor", RecipientType::D2O));
    assert_eq!(auditor.email.as_deref(), Some("auditor@external.com"));
    assert_eq!(auditor.allowed_ips, ["203.0.113.0/24", "198.51.100.50"]);
    assert_eq!(auditor.comment.as_deref(), Some("External auditing firm"));
    let analyst = &pack.recipients[1];
    assert_eq!(analyst.kind, RecipientType::D2D);
    assert_eq!(analyst.metastore_id.as_deref(), Some("aws:us-west-2:0b7e1c52-3f4a-4d2e-9a1b-7c8d9e0f1a2b"));
    let names: Vec<_> = pack.shares.iter().map(|share| share.name.as_str()).collect();
    assert_eq!(names, ["finance_q1_share", "audit_log_share"]);
    assert_eq!(pack.shares[0].recipients, ["external-auditor", "internal-analyst"]);
    let objects: Vec<_> = pack.shares[0].data_objects.iter().map(|object| (object.name.as_str(), object.kind)).collect();
    assert_eq!(objects, [("catalog.schema.revenue_table", DataObjectType::Table), ("catalog.schema.expense_table", DataObjectType::Table)]);
    assert_eq!(pack.shares[1].data_objects[0].name, "catalog.audit_schema.activity_log");
    // Every entity knows its line.
    assert_eq!(auditor.origin.line, Some(12));
    assert_eq!(pack.shares[1].origin.line, Some(35));
}

#[test]
fn sales_and_minimal_samples_parse() {
    let sales = valid("valid/sales.yaml");
    assert_eq!(sales.recipients[0].allowed_ips, ["192.168.1.0/24"]);
    assert_eq!(sales.shares[0].data_objects.len(), 2);
    assert_eq!(sales.metadata.description, None);
    let minimal = valid("valid/minimal.yaml");
    assert_eq!(minimal.metadata.strategy, None, "no strategy declared: left to detection");
    assert_eq!(minimal.shares[0].recipients, ["partner"]);
}

#[test]
fn template_shows_every_feature_of_the_format() {
    let pack = valid("template.yaml");
    let partner = &pack.recipients[0];
    assert_eq!(partner.token_expiry.map(|date| date.to_rfc3339()), Some("2030-12-31T00:00:00+00:00".into()));
    assert_eq!(partner.properties.get("region").map(String::as_str), Some("emea"));
    let detailed = &pack.shares[0].data_objects[1];
    assert_eq!(detailed.shared_as.as_deref(), Some("finance.expenses"));
    assert_eq!(detailed.history_sharing, Some(true));
    assert_eq!(detailed.partitions[0].values[0].recipient_property_key.as_deref(), Some("region"));
    assert_eq!(pack.pipelines[0].schedule.as_deref(), Some("0 6 * * *"));
}

#[test]
fn yaml_packs_and_their_excel_twins_parse_to_the_same_model() {
    for (yaml, excel) in [
        ("valid/finance.yaml", "valid/finance.xlsx"),
        ("valid/finance.yaml", "compat/finance.openpyxl.xlsx"),
        ("valid/finance.yaml", "compat/finance.libreoffice.xlsx"),
        ("valid/sales.yaml", "valid/sales.xlsx"),
        ("valid/minimal.yaml", "valid/minimal.xlsx"),
    ] {
        let from_excel = valid(excel);
        assert_eq!(from_excel.format, SourceFormat::Excel);
        assert_eq!(content(valid(yaml)), content(from_excel), "{yaml} and {excel} differ");
    }
}

#[test]
fn excel_findings_name_sheet_and_cell() {
    let pack = valid("valid/finance.xlsx");
    assert_eq!(pack.recipients[1].origin.to_string(), "Recipients!A3");
    assert_eq!(pack.recipients[0].at("email").to_string(), "Recipients!C2");
}

#[test]
fn invalid_samples_yield_their_expected_findings() {
    let dir = samples().join("invalid");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("samples/invalid") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|ext| ext == "expected") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let expected_path = path.with_extension("expected");
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| panic!("{name} has no .expected file"));
        let intake = read(&format!("invalid/{name}"));
        let found: Vec<String> = intake.findings.iter().map(|f| format!("{} {} {}", f.severity.as_str(), f.code, f.location)).collect();
        let expected: Vec<&str> = expected.lines().filter(|line| !line.trim().is_empty()).collect();
        assert_eq!(found, expected, "findings of {name}");
        assert!(!intake.is_valid(), "{name} must not pass as valid");
        for finding in intake.findings.iter().filter(|finding| finding.is_error()) {
            assert!(finding.location != "file" || finding.code == "empty_pack", "{name}: error without a location: {finding:?}");
        }
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} invalid samples found");
}

#[test]
fn the_excel_template_is_the_yaml_template_in_a_workbook() {
    let bytes = excel_template().expect("template");
    let intake = read_pack(&bytes, Some("sharepack-template.xlsx"), &Limits::default()).expect("template reads");
    assert!(intake.findings.iter().all(|finding| finding.severity == Severity::Info), "{:?}", intake.findings);
    assert_eq!(content(intake.pack.expect("pack")), content(example_pack()));
}

#[test]
fn a_pack_written_to_excel_reads_back_the_same() {
    for sample in ["valid/finance.yaml", "template.yaml"] {
        let pack = valid(sample);
        let bytes = write_workbook(&pack, false).expect("writes");
        let again = read_pack(&bytes, None, &Limits::default()).expect("reads").pack.expect("pack");
        assert_eq!(content(pack), content(again), "{sample} round trip");
    }
}

#[test]
fn a_pack_written_to_yaml_reads_back_the_same() {
    let odd = "metadata:\n  requestor: a@example.com\n  project_name: \"p: #1 'quoted' \\\"x\\\"\"\n  business_line: b\n  description: \"line one\\nline two: - [x]\"\nrecipient:\n  - {name: r, type: D2O, email: r@example.com, comment: \"&anchor *alias !tag %\"}\nshare:\n  - {name: s, recipients: [r], data_objects: [c.s.t]}\n";
    for sample in ["valid/finance.yaml", "template.yaml"] {
        let pack = valid(sample);
        let text = write_yaml(&pack);
        let again = read_pack(text.as_bytes(), Some("export.yaml"), &Limits::default()).expect("reads");
        assert!(again.is_valid(), "{sample}: {:?}\n{text}", again.findings);
        assert_eq!(content(pack), content(again.pack.expect("pack")), "{sample} round trip:\n{text}");
    }
    let pack = read_pack(odd.as_bytes(), None, &Limits::default()).expect("reads").pack.expect("pack");
    let text = write_yaml(&pack);
    let again = read_pack(text.as_bytes(), Some("export.yaml"), &Limits::default()).expect("reads").pack.expect("pack");
    assert_eq!(content(pack), content(again), "values that look like YAML stay values:\n{text}");
}

fn pack_with(recipients: &str, shares: &str) -> String {
    format!("metadata:\n  requestor: a@example.com\n  project_name: p\n  business_line: b\nrecipient:\n{recipients}share:\n{shares}")
}

fn codes(text: &str) -> Vec<String> {
    read_pack(text.as_bytes(), None, &Limits::default()).expect("reads").findings.into_iter().map(|finding| finding.code).collect()
}

#[test]
fn a_share_holds_at_most_a_thousand_tables() {
    let tables: String = (0..1001).map(|index| format!("      - c.s.t{index}\n")).collect();
    let text = pack_with(
        "  - {name: r, type: D2O, email: r@example.com}\n",
        &format!("  - name: big\n    recipients: [r]\n    data_objects:\n{tables}"),
    );
    assert!(codes(&text).contains(&"too_many_objects".to_string()));
    let fine: String = (0..1000).map(|index| format!("      - c.s.t{index}\n")).collect();
    let text = pack_with(
        "  - {name: r, type: D2O, email: r@example.com}\n",
        &format!("  - name: big\n    recipients: [r]\n    data_objects:\n{fine}"),
    );
    assert!(!codes(&text).contains(&"too_many_objects".to_string()));
}

#[test]
fn a_recipient_allows_at_most_a_hundred_ips() {
    let ips = |count: usize| (0..count).map(|index| format!("10.0.{}.{}", index / 256, index % 256)).collect::<Vec<_>>().join(", ");
    let shares = "  - {name: s, recipients: [r], data_objects: [c.s.t]}\n";
    let over = pack_with(&format!("  - {{name: r, type: D2O, email: r@example.com, allowed_ips: [{}]}}\n", ips(101)), shares);
    assert!(codes(&over).contains(&"too_many_ips".to_string()));
    let at = pack_with(&format!("  - {{name: r, type: D2O, email: r@example.com, allowed_ips: [{}]}}\n", ips(100)), shares);
    assert!(codes(&at).is_empty(), "{:?}", codes(&at));
}

#[test]
fn names_are_at_most_255_characters() {
    let shares = "  - {name: s, recipients: [r], data_objects: [c.s.t]}\n";
    let long = "r".repeat(256);
    let text = pack_with(&format!("  - {{name: {long}, type: D2O, email: r@example.com}}\n"), &shares.replace("[r]", &format!("[{long}]")));
    assert!(codes(&text).contains(&"invalid_name".to_string()));
}

#[test]
fn unknown_keys_are_warnings_with_suggestions() {
    let text = pack_with("  - {name: r, type: D2O, emial: r@example.com}\n", "  - {name: s, recipients: [r], data_objects: [c.s.t]}\n");
    let intake = read_pack(text.as_bytes(), None, &Limits::default()).unwrap();
    let unknown = intake.findings.iter().find(|finding| finding.code == "unknown_field").expect("unknown field reported");
    assert_eq!(unknown.severity, Severity::Warning);
    assert_eq!(unknown.hint.as_deref(), Some("Did you mean `email`?"));
    assert_eq!(unknown.location, "line 6, column 26");
}

#[test]
fn files_that_are_not_packs_are_refused_with_the_reason() {
    let limits = Limits::default();
    assert_eq!(read_pack(b"", None, &limits).unwrap_err(), IntakeError::Empty);
    assert_eq!(read_pack(b"# nothing but a comment\n", None, &limits).unwrap_err(), IntakeError::Empty);
    assert!(matches!(read_pack(b"%PDF-1.4 ...", None, &limits), Err(IntakeError::Unsupported { .. })));
    assert!(matches!(read_pack(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", None, &limits), Err(IntakeError::Unsupported { .. })));
    assert!(matches!(read_pack(b"PK\x03\x04 not really a zip", None, &limits), Err(IntakeError::Unreadable { .. })));
    assert!(matches!(read_pack(b"metadata:\n  requestor: Jos\xe9\n", None, &limits), Err(IntakeError::NotText { .. })));
    let small = Limits { max_file_bytes: 10, ..limits };
    assert!(matches!(read_pack(b"metadata: {requestor: someone}", None, &small), Err(IntakeError::TooLarge { size: 30, limit: 10 })));
}

fn zip_with(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn zip_bombs_are_refused_before_they_are_parsed() {
    let bomb = zip_with(&[("xl/workbook.xml", b"<workbook/>".to_vec()), ("xl/worksheets/sheet1.xml", vec![b' '; 8 * 1024 * 1024])]);
    assert!(bomb.len() < 64 * 1024, "the bomb compresses well ({} bytes)", bomb.len());
    let limits = Limits { max_uncompressed_bytes: 4 * 1024 * 1024, ..Limits::default() };
    let error = read_pack(&bomb, Some("bomb.xlsx"), &limits).unwrap_err();
    assert!(matches!(error, IntakeError::Limit { ref detail, .. } if detail.contains("zip bomb")), "{error:?}");
}

#[test]
fn zip_bombs_outside_the_xml_are_refused_too() {
    // Parts calamine does not read are counted, not kept: they still count against the limit.
    let bomb = zip_with(&[("xl/workbook.xml", b"<workbook/>".to_vec()), ("xl/media/image1.png", vec![0; 8 * 1024 * 1024])]);
    let limits = Limits { max_uncompressed_bytes: 4 * 1024 * 1024, ..Limits::default() };
    let error = read_pack(&bomb, Some("bomb.xlsx"), &limits).unwrap_err();
    assert!(
        matches!(error, IntakeError::Limit { ref detail, .. } if detail.contains("zip bomb") && detail.contains("image1.png")),
        "{error:?}"
    );
}

#[test]
fn zip_archives_that_are_not_workbooks_are_named() {
    let docx = zip_with(&[("word/document.xml", b"<doc/>".to_vec())]);
    let error = read_pack(&docx, Some("pack.docx"), &Limits::default()).unwrap_err();
    assert_eq!(error, IntakeError::Unsupported { what: "a Word document".into() });
}

#[test]
fn a_stray_far_away_cell_costs_one_cell() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet().set_name("Recipients").unwrap();
    sheet.write_string(0, 0, "name").unwrap();
    sheet.write_string(1_048_575, 16_383, "far away").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let intake = read_pack(&bytes, None, &Limits::default()).expect("reads");
    assert!(intake.findings.iter().any(|finding| finding.code == "missing_sheet"));
}

#[test]
fn an_xlsx_named_file_holding_yaml_is_read_as_yaml_with_a_warning() {
    let text = std::fs::read(samples().join("valid/minimal.yaml")).unwrap();
    let intake = read_pack(&text, Some("pack.xlsx"), &Limits::default()).unwrap();
    assert_eq!(intake.format, SourceFormat::Yaml);
    assert_eq!(intake.findings[0].code, "extension_mismatch");
}
