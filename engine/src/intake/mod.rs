//! Intake: from the bytes a user uploaded to a validated [`SharePack`] and its findings.
//!
//! The format is told from the content (a zip archive is a workbook, anything else must be
//! text), not from the file name, which only earns a warning when it disagrees. Every reader
//! produces the same located tree ([`node::Node`]) and one decoder builds the model from it, so
//! YAML and Excel accept exactly the same things. Files that cannot be read at all are an
//! [`IntakeError`]; everything else, malformed YAML included, is a located [`Finding`].

#[cfg(feature = "intake")]
pub mod decode;
#[cfg(feature = "intake")]
pub mod excel;
#[cfg(feature = "intake")]
pub mod node;
#[cfg(feature = "intake")]
pub mod yaml;

#[cfg(feature = "intake")]
use crate::finding::sort_findings;
use crate::finding::{Finding, FindingCounts, Location};
use crate::model::{SharePack, SourceFormat};
#[cfg(feature = "intake")]
use crate::validate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What one upload may cost. Defaults suit share packs many times larger than real ones.
#[cfg(feature = "intake")]
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_file_bytes: usize,
    /// Largest total a workbook may inflate to.
    pub max_uncompressed_bytes: u64,
    /// Most filled cells in a workbook.
    pub max_cells: usize,
    pub yaml: yaml::YamlLimits,
}

#[cfg(feature = "intake")]
impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 10 * 1024 * 1024,
            max_uncompressed_bytes: 200 * 1024 * 1024,
            max_cells: 2_000_000,
            yaml: yaml::YamlLimits::default(),
        }
    }
}

/// A file that cannot be read as a share pack at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {size} bytes; the limit is {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("the file is {what}; Sharepack reads share packs in YAML (.yaml, .yml) or Excel (.xlsx)")]
    Unsupported { what: String },
    #[error("the file is not UTF-8 text: {detail}")]
    NotText { detail: String },
    #[error("the workbook cannot be read: {detail}")]
    Unreadable { detail: String },
    #[error("{detail}")]
    Limit { at: Option<Location>, detail: String },
}

impl IntakeError {
    /// A stable name for clients.
    pub fn code(&self) -> &'static str {
        match self {
            IntakeError::Empty => "empty_file",
            IntakeError::TooLarge { .. } => "file_too_large",
            IntakeError::Unsupported { .. } => "unsupported_format",
            IntakeError::NotText { .. } => "not_text",
            IntakeError::Unreadable { .. } => "unreadable_workbook",
            IntakeError::Limit { .. } => "limit_exceeded",
        }
    }

    /// The message as a sentence, for people: `The file is empty`.
    pub fn sentence(&self) -> String {
        let message = self.to_string();
        let mut chars = message.chars();
        chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
    }

    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            IntakeError::Empty => "Choose the share pack file again; this one has no content",
            IntakeError::TooLarge { .. } => {
                "Split the pack into smaller packs, or ask an administrator to raise SHAREPACK_MAX_UPLOAD_BYTES"
            }
            IntakeError::Unsupported { .. } => "Save the pack as .xlsx (Excel Workbook) or .yaml; the templates show the layout",
            IntakeError::NotText { .. } => "Save the YAML file with UTF-8 encoding",
            IntakeError::Unreadable { .. } => "Open the file in Excel or LibreOffice and save it again as .xlsx",
            IntakeError::Limit { .. } => "Share packs are small; check that this is the file you meant to upload",
        }
    }
}

/// What intake made of a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Intake {
    pub format: SourceFormat,
    /// The parsed pack; `None` when the file is not a pack at all (findings say why).
    pub pack: Option<SharePack>,
    /// In file order.
    pub findings: Vec<Finding>,
}

impl Intake {
    pub fn counts(&self) -> FindingCounts {
        FindingCounts::of(&self.findings)
    }

    /// True when nothing blocks provisioning.
    pub fn is_valid(&self) -> bool {
        self.pack.is_some() && !self.findings.iter().any(Finding::is_error)
    }
}

impl fmt::Display for Intake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts = self.counts();
        write!(f, "{} pack: {} errors, {} warnings, {} infos", self.format, counts.errors, counts.warnings, counts.infos)
    }
}

#[cfg(feature = "intake")]
/// Reads, decodes and validates a share pack. `file_name` only helps to word warnings.
pub fn read_pack(bytes: &[u8], file_name: Option<&str>, limits: &Limits) -> Result<Intake, IntakeError> {
    if bytes.len() > limits.max_file_bytes {
        return Err(IntakeError::TooLarge { size: bytes.len(), limit: limits.max_file_bytes });
    }
    let format = detect(bytes)?;
    let mut findings = Vec::new();
    if let Some(warning) = name_disagrees(file_name, format) {
        findings.push(warning);
    }
    let tree = match format {
        SourceFormat::Excel => {
            let (tree, excel_findings) = excel::read(bytes, limits)?;
            findings.extend(excel_findings);
            Some(tree)
        }
        SourceFormat::Yaml => {
            let text = decode_text(bytes)?;
            match yaml::parse(&text, limits.yaml) {
                Ok(Some(tree)) => Some(tree),
                Ok(None) => return Err(IntakeError::Empty),
                Err(yaml::YamlError::Syntax { at, message }) => {
                    findings.push(
                        Finding::error("yaml_syntax", at, format!("The YAML is not well-formed: {message}"))
                            .hint("Check the indentation and quoting on this line and the one before it"),
                    );
                    None
                }
                Err(yaml::YamlError::Limit { at, message }) => return Err(IntakeError::Limit { at: Some(at), detail: message }),
            }
        }
    };
    let pack = tree.and_then(|tree| {
        let (pack, decode_findings) = decode::decode(&tree, format);
        findings.extend(decode_findings);
        pack
    });
    if let Some(pack) = &pack {
        findings.extend(validate::validate(pack));
    }
    sort_findings(&mut findings);
    Ok(Intake { format, pack, findings })
}

#[cfg(feature = "intake")]
/// Tells the format from the first bytes.
pub(crate) fn detect(bytes: &[u8]) -> Result<SourceFormat, IntakeError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(IntakeError::Empty);
    }
    let unsupported = |what: &str| Err(IntakeError::Unsupported { what: what.into() });
    match bytes {
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => Ok(SourceFormat::Excel),
        [0xD0, 0xCF, 0x11, 0xE0, ..] => unsupported("a legacy Excel 97-2003 workbook (.xls) or a password-protected workbook"),
        [b'%', b'P', b'D', b'F', ..] => unsupported("a PDF document"),
        [0x89, b'P', b'N', b'G', ..] => unsupported("a PNG image"),
        [0xFF, 0xD8, 0xFF, ..] => unsupported("a JPEG image"),
        [b'G', b'I', b'F', b'8', ..] => unsupported("a GIF image"),
        [0x1F, 0x8B, ..] => unsupported("a gzip archive"),
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] | [0xEF, 0xBB, 0xBF, ..] => Ok(SourceFormat::Yaml),
        _ if bytes.iter().take(8192).any(|&byte| byte == 0) => unsupported("a binary file"),
        _ => Ok(SourceFormat::Yaml),
    }
}

#[cfg(feature = "intake")]
/// UTF-8 (with or without a byte-order mark) or UTF-16 with a byte-order mark.
pub(crate) fn decode_text(bytes: &[u8]) -> Result<String, IntakeError> {
    let utf16 = |bytes: &[u8], from: fn([u8; 2]) -> u16| {
        let units: Vec<u16> = bytes.chunks_exact(2).map(|pair| from([pair[0], pair[1]])).collect();
        String::from_utf16(&units).map_err(|_| IntakeError::NotText { detail: "the UTF-16 text is damaged".into() })
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => decode_utf8(rest),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        _ => decode_utf8(bytes),
    }
}

#[cfg(feature = "intake")]
fn decode_utf8(bytes: &[u8]) -> Result<String, IntakeError> {
    String::from_utf8(bytes.to_vec()).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let line = bytes[..offset].iter().filter(|&&byte| byte == b'\n').count() + 1;
        IntakeError::NotText {
            detail: format!("byte {offset} (line {line}) is not valid UTF-8; the file may be saved as Latin-1 or Windows-1252"),
        }
    })
}

#[cfg(feature = "intake")]
fn name_disagrees(file_name: Option<&str>, format: SourceFormat) -> Option<Finding> {
    let name = file_name?.to_ascii_lowercase();
    let extension = name.rsplit_once('.').map(|(_, extension)| extension)?;
    let expected = match extension {
        "xlsx" | "xlsm" => SourceFormat::Excel,
        "yaml" | "yml" | "json" => SourceFormat::Yaml,
        _ => return None,
    };
    (expected != format).then(|| {
        Finding::warning(
            "extension_mismatch",
            Location::file(),
            format!("The file is named .{extension} but holds {format}; it was read as {format}"),
        )
        .hint("Rename the file so its extension matches its content")
    })
}

#[cfg(all(test, feature = "intake"))]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_content() {
        assert_eq!(detect(b"PK\x03\x04rest"), Ok(SourceFormat::Excel));
        assert_eq!(detect(b"metadata: {}"), Ok(SourceFormat::Yaml));
        assert_eq!(detect(b"  \n\t"), Err(IntakeError::Empty));
        assert!(matches!(detect(b"%PDF-1.7"), Err(IntakeError::Unsupported { .. })));
        assert!(matches!(detect(b"\xD0\xCF\x11\xE0more"), Err(IntakeError::Unsupported { .. })));
        assert!(matches!(detect(b"abc\0def"), Err(IntakeError::Unsupported { .. })));
    }

    #[test]
    fn utf16_and_bom_text_is_read() {
        let text = "metadata: x";
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode_text(&utf16).unwrap(), text);
        assert_eq!(decode_text(b"\xEF\xBB\xBFmetadata: x").unwrap(), text);
        let latin1 = decode_text(b"a: caf\xe9\n").unwrap_err();
        assert!(matches!(latin1, IntakeError::NotText { ref detail } if detail.contains("line 1")), "{latin1:?}");
    }
}
