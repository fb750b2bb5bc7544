//! `GET /workflow/{entity}/{name-or-id}/versions` (the timeline: every version with who, when,
//! why and its field changes) and `GET /workflow/{entity}/{name-or-id}/diff?from=V&to=W`, for
//! `sharepacks`, `recipients`, `shares`, `tenants` and `projects`, as the engine's history reads
//! them for the caller.

use super::extract::Params;
use super::ApiError;
use crate::auth::Caller;
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use sharepack_engine::error::Problem;
use sharepack_engine::history::{self, Comparison, Kind, Timeline};

pub async fn versions(kind: Kind, state: AppState, by: Caller, name: String) -> Result<Json<Timeline>, ApiError> {
    let Caller(by) = by;
    Ok(Json(history::timeline(&state.portal.store, &by, kind, &name).await?))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    from: Option<String>,
    to: Option<String>,
}

pub async fn diff(kind: Kind, state: AppState, by: Caller, name: String, query: DiffQuery) -> Result<Json<Comparison>, ApiError> {
    let Caller(by) = by;
    let (from, to) = version_pair(query)?;
    Ok(Json(history::compare(&state.portal.store, &by, kind, &name, from, to).await?))
}

/// `?from=V&to=W` as two version numbers, each missing or unreadable one located.
fn version_pair(query: DiffQuery) -> Result<(i64, i64), ApiError> {
    let number = |value: Option<String>, field: &str| -> Result<i64, ApiError> {
        let text = value.ok_or_else(|| {
            located(Problem::invalid("version_missing", format!("Say which versions to compare: ?from=V&to=W ({field} is missing)")), field)
        })?;
        text.trim().parse::<i64>().map_err(|_| {
            located(
                Problem::invalid("version_invalid", format!("`{}` is not a version number", text.chars().take(20).collect::<String>())),
                field,
            )
        })
    };
    Ok((number(query.from, "from")?, number(query.to, "to")?))
}

fn located(problem: Problem, field: &str) -> ApiError {
    ApiError(problem.at(field))
}

/// `GET /workflow/{entity}` for recipients, shares, tenants and projects: what the caller sees,
/// by name, filtered like the share-pack list, now or `?as_of=`, a page at a time. The rows are
/// under the entity's name (`{"Recipients": [...], "NextCursor": ...}`).
pub async fn list(kind: Kind, state: AppState, by: Caller, filter: history::Filter) -> Result<Json<serde_json::Value>, ApiError> {
    let Caller(by) = by;
    let page = history::list(&state.portal.store, &by, kind, &filter).await?;
    let key = match kind {
        Kind::SharePacks => "SharePacks",
        Kind::Recipients => "Recipients",
        Kind::Shares => "Shares",
        Kind::Tenants => "Tenants",
        Kind::Projects => "Projects",
        Kind::Requests => "Requests",
    };
    Ok(Json(serde_json::json!({ key: page.rows, "NextCursor": page.next_cursor })))
}

/// The routes of one kind: its list (share packs have their own), timeline and comparison.
pub fn routes(kind: Kind) -> Vec<(&'static str, axum::routing::MethodRouter<AppState>)> {
    use axum::routing::get;
    let (list_path, versions_path, diff_path) = match kind {
        Kind::SharePacks => (None, "/sharepacks/{id}/versions", "/sharepacks/{id}/diff"),
        Kind::Recipients => (Some("/recipients"), "/recipients/{id}/versions", "/recipients/{id}/diff"),
        Kind::Shares => (Some("/shares"), "/shares/{id}/versions", "/shares/{id}/diff"),
        Kind::Tenants => (Some("/tenants"), "/tenants/{id}/versions", "/tenants/{id}/diff"),
        Kind::Projects => (Some("/projects"), "/projects/{id}/versions", "/projects/{id}/diff"),
        Kind::Requests => (Some("/requests"), "/requests/{id}/versions", "/requests/{id}/diff"),
    };
    let mut routes = vec![
        (versions_path, get(move |State(state): State<AppState>, by: Caller, Path(name): Path<String>| versions(kind, state, by, name))),
        (
            diff_path,
            get(move |State(state): State<AppState>, by: Caller, Path(name): Path<String>, Params(query): Params<DiffQuery>| {
                diff(kind, state, by, name, query)
            }),
        ),
    ];
    if let Some(path) = list_path {
        routes.push((
            path,
            get(move |State(state): State<AppState>, by: Caller, Params(filter): Params<history::Filter>| list(kind, state, by, filter)),
        ));
    }
    routes
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// RFC 3339 or a date: the pack as it was then.
    as_of: Option<String>,
    /// `xlsx` (the default) or `yaml`.
    format: Option<String>,
}

/// `GET /workflow/sharepacks/{id}/export`: the share pack's current (or `?as_of=`) pack as an
/// editable workbook in the template's layout; uploading it unchanged plans no change.
#[utoipa::path(get, path = "/sharepacks/{id}/export", tag = "history", operation_id = "export",
    params(("id" = String, Path, description = "The share pack's id"), ExportQuery),
    responses((status = 200, description = "The pack as an Excel workbook (or YAML with format=yaml)",
        content((Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (String = "application/yaml"))),
        (status = 400, body = crate::rest::error::ErrorBody), (status = 404, body = crate::rest::error::ErrorBody), crate::rest::openapi::Refusals))]
pub async fn export(
    State(state): State<AppState>,
    Caller(by): Caller,
    Path(id): Path<String>,
    Params(query): Params<ExportQuery>,
) -> Result<axum::response::Response, ApiError> {
    let id = super::parse_id(&id, "share pack")?;
    let as_of = match query.as_of.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
        None => None,
        Some(text) => Some(history::moment(text).ok_or_else(|| {
            located(
                Problem::invalid(
                    "time_invalid",
                    format!("`{}` is not a time like 2026-12-01 or 2026-12-01T14:30:00Z", text.chars().take(40).collect::<String>()),
                ),
                "as_of",
            )
        })?),
    };
    let yaml = match query.format.as_deref().map(str::trim).map(str::to_ascii_lowercase).as_deref() {
        None | Some("") | Some("xlsx") | Some("excel") => false,
        Some("yaml") | Some("yml") => true,
        Some(other) => {
            return Err(located(
                Problem::invalid(
                    "format_invalid",
                    format!("`{}` is not an export format: xlsx or yaml", other.chars().take(20).collect::<String>()),
                ),
                "format",
            ))
        }
    };
    let (mut pack, upload) = sharepack_engine::history::export::pack_as_of(&state.portal.store, &by, id, as_of).await?;
    // Whoever uploads the file again is its requestor (the claim fills it in), not whoever first did.
    pack.metadata.requestor = String::new();
    let name: String =
        pack.metadata.project_name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if yaml {
        let text = sharepack_engine::templates::write_yaml(&pack);
        return Ok(crate::downloads::attachment(text.into_bytes(), crate::downloads::YAML, &format!("{name}-v{upload}.yaml")));
    }
    let bytes = tokio::task::spawn_blocking(move || sharepack_engine::templates::write_workbook(&pack, false))
        .await
        .map_err(|_| ApiError(Problem::internal("writing the workbook")))?
        .map_err(|error| {
            tracing::error!(%error, "the export workbook could not be written");
            ApiError(Problem::internal("writing the workbook"))
        })?;
    Ok(crate::downloads::attachment(bytes, crate::downloads::XLSX, &format!("{name}-v{upload}.xlsx")))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessQuery {
    table: Option<String>,
    recipient: Option<String>,
    /// RFC 3339 or a date; now when absent.
    at: Option<String>,
}

/// `GET /workflow/access?table=CATALOG.SCHEMA.TABLE&at=TIME` (who could read it) or
/// `?recipient=NAME&at=TIME` (what they could read), from history, with the runs and approvals
/// behind each access.
#[utoipa::path(get, path = "/access", tag = "history", operation_id = "access", params(AccessQuery),
    responses((status = 200, body = sharepack_engine::history::access::AccessAnswer),
        (status = 400, body = crate::rest::error::ErrorBody, description = "`table`, `recipient` or `at` cannot be read"), crate::rest::openapi::Refusals))]
pub async fn access(
    State(state): State<AppState>,
    Caller(by): Caller,
    Params(query): Params<AccessQuery>,
) -> Result<Json<sharepack_engine::history::access::AccessAnswer>, ApiError> {
    use sharepack_engine::history::access::{access, Question};
    let text = |value: Option<String>| value.map(|value| value.trim().to_string()).filter(|value| !value.is_empty());
    let question = match (text(query.table), text(query.recipient)) {
        (Some(table), None) => Question::Table(table),
        (None, Some(recipient)) => Question::Recipient(recipient),
        (Some(_), Some(_)) => {
            return Err(located(Problem::invalid("one_question", "Ask about a table or a recipient, not both"), "recipient"))
        }
        (None, None) => {
            return Err(located(
                Problem::invalid("question_missing", "Say what to ask about: ?table=CATALOG.SCHEMA.TABLE or ?recipient=NAME"),
                "table",
            ))
        }
    };
    let at = match text(query.at) {
        None => chrono::Utc::now(),
        Some(at) => history::moment(&at).ok_or_else(|| {
            located(
                Problem::invalid(
                    "time_invalid",
                    format!("`{}` is not a time like 2026-12-01 or 2026-12-01T14:30:00Z", at.chars().take(40).collect::<String>()),
                ),
                "at",
            )
        })?,
    };
    Ok(Json(access(&state.portal.store, &by, &question, at).await?))
}

/// `GET /workflow/sharepacks/{id}/uploads/{version}`: the file of one upload (a draft too), as
/// it was uploaded, for whoever may see the share pack.
#[utoipa::path(get, path = "/sharepacks/{id}/uploads/{version}", tag = "history", operation_id = "upload_file",
    params(("id" = String, Path, description = "The share pack's id"), ("version" = i64, Path, description = "The upload's version")),
    responses((status = 200, description = "The file as it was uploaded",
        content((String = "application/yaml"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = crate::rest::error::ErrorBody), (status = 404, body = crate::rest::error::ErrorBody), crate::rest::openapi::Refusals))]
pub async fn upload_file(
    State(state): State<AppState>,
    Caller(by): Caller,
    Path((id, version)): Path<(String, String)>,
) -> Result<axum::response::Response, ApiError> {
    let id = super::parse_id(&id, "share pack")?;
    let missing = || ApiError(Problem::not_found("upload", &format!("{id}/{version}")));
    let number: i64 =
        version.trim().parse().map_err(|_| located(Problem::invalid("version_invalid", "The upload's version is a number"), "version"))?;
    let store = &state.portal.store;
    let owner = store.share_pack_owner(id).await?.ok_or_else(missing)?;
    by.reveal(&owner.as_owner(), "share pack", &id.to_string())?;
    let (name, bytes) = store.pack_file_content(id, number).await?.ok_or_else(missing)?;
    let content_type = if name.to_ascii_lowercase().ends_with(".xlsx") { crate::downloads::XLSX } else { crate::downloads::YAML };
    let safe: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    Ok(crate::downloads::attachment(bytes, content_type, &safe))
}

/// `GET /workflow/sharepacks`: share packs the caller sees, by name, filtered (`q`,
/// `business_line`, `status`, `created_by`, `changed_since`), now or `?as_of=` a moment, a page
/// at a time (`cursor` from `NextCursor`, `limit` up to 1000).
#[utoipa::path(get, path = "/sharepacks", tag = "history", operation_id = "share_packs",
    params(sharepack_engine::history::Filter),
    responses((status = 200, body = sharepack_engine::history::PackPage), (status = 400, body = crate::rest::error::ErrorBody), crate::rest::openapi::Refusals))]
pub async fn share_packs(
    State(state): State<AppState>,
    Caller(by): Caller,
    Params(filter): Params<sharepack_engine::history::PackFilter>,
) -> Result<Json<sharepack_engine::history::PackPage>, ApiError> {
    Ok(Json(history::share_packs(&state.portal.store, &by, &filter).await?))
}

/// `GET /workflow/sharepacks/{id}/compare?from=V&to=W`: two uploads compared as packs (what the
/// later adds, removes or changes), each change with where it is written in both files.
#[utoipa::path(get, path = "/sharepacks/{id}/compare", tag = "history", operation_id = "compare_uploads",
    params(("id" = String, Path, description = "The share pack's id"), DiffQuery),
    responses((status = 200, body = sharepack_engine::history::packs::PackComparison), (status = 400, body = crate::rest::error::ErrorBody),
        (status = 404, body = crate::rest::error::ErrorBody), crate::rest::openapi::Refusals))]
pub async fn compare_uploads(
    State(state): State<AppState>,
    Caller(by): Caller,
    Path(id): Path<String>,
    Params(query): Params<DiffQuery>,
) -> Result<Json<sharepack_engine::history::packs::PackComparison>, ApiError> {
    let id = super::parse_id(&id, "share pack")?;
    let (from, to) = version_pair(query)?;
    Ok(Json(sharepack_engine::history::packs::compare_uploads(&state.portal.store, &by, id, from, to).await?))
}

/// `DELETE /workflow/sharepacks/{id}/uploads/{version}`: the uploader deletes a draft (an upload
/// no run took); 204. Submitted versions are history and stay (409).
#[utoipa::path(delete, path = "/sharepacks/{id}/uploads/{version}", tag = "history", operation_id = "delete_draft",
    params(("id" = String, Path, description = "The share pack's id"), ("version" = i64, Path, description = "The draft's version")),
    responses((status = 204, description = "Deleted"), (status = 404, body = crate::rest::error::ErrorBody),
        (status = 409, body = crate::rest::error::ErrorBody, description = "Submitted versions are history and stay"), crate::rest::openapi::Refusals))]
pub async fn delete_draft(
    State(state): State<AppState>,
    Caller(by): Caller,
    Path((id, version)): Path<(String, String)>,
) -> Result<axum::http::StatusCode, ApiError> {
    let id = super::parse_id(&id, "share pack")?;
    let number: i64 =
        version.trim().parse().map_err(|_| located(Problem::invalid("version_invalid", "The upload's version is a number"), "version"))?;
    sharepack_engine::history::packs::delete_draft(&state.portal.store, &by, id, number).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
