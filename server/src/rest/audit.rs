//! `GET /workflow/audit`: the audit trail the caller may see, filtered (`actor`, `action`,
//! `business_line`, `correlation_id`, `since`, `until`), newest first, a page at a time
//! (`cursor` from the previous page's `NextCursor`). `Accept: text/csv` (or `?format=csv`)
//! answers CSV for the filter in view, up to 10,000 rows a request, the next page's cursor in
//! `X-Next-Cursor`.

use super::extract::Params;
use super::ApiError;
use crate::auth::Caller;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sharepack_engine::error::Problem;
use sharepack_engine::views::{AuditFilter, AuditPage};

#[derive(Debug, serde::Deserialize)]
pub struct AuditQuery {
    #[serde(flatten)]
    filter: AuditFilter,
    #[serde(default)]
    format: Option<String>,
}

#[utoipa::path(get, path = "/audit", tag = "audit", operation_id = "audit",
    params(AuditFilter, ("format" = Option<String>, Query, description = "`csv` for CSV (as `Accept: text/csv`)")),
    responses((status = 200, description = "JSON, or CSV when asked (with X-Next-Cursor)",
        content((AuditPage = "application/json"), (String = "text/csv"))),
        (status = 400, body = crate::rest::error::ErrorBody, description = "A filter cannot be read"), crate::rest::openapi::Refusals))]
pub async fn list(
    State(state): State<AppState>,
    Caller(by): Caller,
    headers: HeaderMap,
    Params(query): Params<AuditQuery>,
) -> Result<Response, ApiError> {
    let accept = headers.get(header::ACCEPT).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let csv = query.format.as_deref().map(str::trim) == Some("csv") || accept.contains("text/csv");
    let page = sharepack_engine::views::audit(&state.portal.store, &by, &query.filter, if csv { 10_000 } else { 100 }).await?;
    if !csv {
        return Ok(Json(page).into_response());
    }
    let body = to_csv(&page).map_err(|error| {
        tracing::error!(%error, "the audit export could not be written");
        ApiError(Problem::internal("writing the audit export"))
    })?;
    let mut response = (
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"sharepack-audit.csv\"")],
        body,
    )
        .into_response();
    if let Some(Ok(cursor)) = page.next_cursor.as_deref().map(HeaderValue::from_str) {
        response.headers_mut().insert("x-next-cursor", cursor);
    }
    Ok(response)
}

fn to_csv(page: &AuditPage) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "At",
        "Actor",
        "Action",
        "EntityType",
        "EntityId",
        "Version",
        "CorrelationId",
        "BusinessLine",
        "Reason",
        "Details",
    ])?;
    for entry in &page.entries {
        let version = entry.version.map(|version| version.to_string()).unwrap_or_default();
        writer.write_record([
            entry.at.as_str(),
            &guard(&entry.actor),
            entry.action.as_str(),
            entry.entity_type.as_str(),
            entry.entity_id.as_deref().unwrap_or_default(),
            &version,
            entry.correlation_id.as_deref().unwrap_or_default(),
            &guard(entry.business_line.as_deref().unwrap_or_default()),
            &guard(&entry.reason),
            &guard(&entry.details.to_string()),
        ])?;
    }
    writer.into_inner().map_err(|error| csv::Error::from(error.into_error()))
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) starts with an apostrophe:
/// reasons and names come from users (OWASP CSV injection).
fn guard(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_defused() {
        assert_eq!(super::guard("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(super::guard("fine"), "fine");
    }
}
