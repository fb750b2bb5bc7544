//! Downloads: the Excel and YAML templates, and the samples shipped with the portal.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sharepack_engine::templates::{excel_template, YAML_TEMPLATE};
use std::sync::OnceLock;

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const YAML: &str = "application/yaml; charset=utf-8";

/// Samples served under `/samples/...`, embedded in the binary.
const SAMPLES: &[(&str, &[u8])] = &[
    ("valid/finance.yaml", include_bytes!("../../samples/valid/finance.yaml")),
    ("valid/finance.xlsx", include_bytes!("../../samples/valid/finance.xlsx")),
    ("valid/sales.yaml", include_bytes!("../../samples/valid/sales.yaml")),
    ("valid/sales.xlsx", include_bytes!("../../samples/valid/sales.xlsx")),
    ("valid/minimal.yaml", include_bytes!("../../samples/valid/minimal.yaml")),
    ("valid/minimal.xlsx", include_bytes!("../../samples/valid/minimal.xlsx")),
    ("invalid/recipients.yaml", include_bytes!("../../samples/invalid/recipients.yaml")),
    ("invalid/shares.yaml", include_bytes!("../../samples/invalid/shares.yaml")),
    ("invalid/excel-problems.xlsx", include_bytes!("../../samples/invalid/excel-problems.xlsx")),
    ("template.yaml", include_bytes!("../../samples/template.yaml")),
];

pub fn attachment(bytes: Vec<u8>, content_type: &'static str, file_name: &str) -> Response {
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")).unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /templates/{file}`.
pub async fn template(Path(file): Path<String>) -> Response {
    static EXCEL: OnceLock<Result<Vec<u8>, String>> = OnceLock::new();
    match file.as_str() {
        "sharepack-template.yaml" => attachment(YAML_TEMPLATE.as_bytes().to_vec(), YAML, &file),
        "sharepack-template.xlsx" => match EXCEL.get_or_init(|| excel_template().map_err(|error| error.to_string())) {
            Ok(bytes) => attachment(bytes.clone(), XLSX, &file),
            Err(error) => {
                tracing::error!(%error, "writing the Excel template failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "The Excel template could not be written").into_response()
            }
        },
        _ => (StatusCode::NOT_FOUND, "No such template: try sharepack-template.xlsx or sharepack-template.yaml").into_response(),
    }
}

/// `GET /samples/{*path}`.
pub async fn sample(Path(path): Path<String>) -> Response {
    match SAMPLES.iter().find(|(name, _)| *name == path) {
        Some((name, bytes)) => {
            let content_type = if name.ends_with(".xlsx") { XLSX } else { YAML };
            let file_name = name.rsplit('/').next().unwrap_or(name);
            attachment(bytes.to_vec(), content_type, file_name)
        }
        None => (StatusCode::NOT_FOUND, "No such sample").into_response(),
    }
}
