//! Lists of kept entities (`GET /workflow/{entity}` and the Browse pages): search, filters,
//! now or as of a moment, a page at a time by name with a cursor.

use super::Kind;
use serde::{Deserialize, Serialize};

/// One entity in a list: its version in effect (now or then).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct ListRow {
    pub id: String,
    pub name: String,
    /// The business line it belongs to (empty when none is known).
    pub business_line: String,
    pub version: i64,
    /// When this version took effect, RFC 3339.
    pub effective_from: String,
    pub created_by: String,
    pub change_reason: String,
    pub is_deleted: bool,
    /// What it is in a few words ("TOKEN, partner@example.com"; "3 objects, 2 recipients").
    pub summary: String,
    pub data: serde_json::Value,
}

/// A page of one kind; `next_cursor` asks for the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct ListPage {
    pub kind: Kind,
    pub rows: Vec<ListRow>,
    pub next_cursor: Option<String>,
}

/// A share pack in a list (`GET /workflow/sharepacks`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct PackRow {
    pub id: String,
    pub name: String,
    pub project: String,
    pub business_line: String,
    pub status: String,
    pub strategy: Option<String>,
    pub requested_by: String,
    pub version: i64,
    /// When this version took effect (RFC 3339).
    pub effective_from: String,
}

/// A page of share packs; `next_cursor` asks for the next.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct PackPage {
    pub share_packs: Vec<PackRow>,
    pub next_cursor: Option<String>,
}

impl From<ListPage> for PackPage {
    fn from(page: ListPage) -> Self {
        let share_packs = page
            .rows
            .into_iter()
            .map(|row| {
                let field = |name: &str| row.data[name].as_str().unwrap_or_default().to_string();
                PackRow {
                    project: field("project_name"),
                    status: field("status"),
                    strategy: row.data["strategy"].as_str().filter(|strategy| !strategy.is_empty()).map(str::to_string),
                    requested_by: field("requested_by"),
                    id: row.id,
                    name: row.name,
                    business_line: row.business_line,
                    version: row.version,
                    effective_from: row.effective_from,
                }
            })
            .collect();
        PackPage { share_packs, next_cursor: page.next_cursor }
    }
}

/// The filters as text, as a query string or a plain form has them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct Filter {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub business_line: Option<String>,
    /// A share pack's status; for the others `ACTIVE` (the default), `DELETED` or `ALL`.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub changed_since: Option<String>,
    #[serde(default)]
    pub as_of: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub limit: Option<String>,
}

/// The share-pack list's filters (the same fields).
pub type PackFilter = Filter;

/// What a row says in a few words.
#[cfg(feature = "queue")]
fn summary(kind: Kind, data: &serde_json::Value) -> String {
    let text = |field: &str| data[field].as_str().unwrap_or_default().to_string();
    let count = |field: &str, what: &str| {
        let n = data[field].as_array().map_or(0, Vec::len);
        format!("{n} {what}{}", if n == 1 { "" } else { "s" })
    };
    match kind {
        Kind::SharePacks => {
            [text("status"), text("project_name")].into_iter().filter(|part| !part.is_empty()).collect::<Vec<_>>().join(", ")
        }
        Kind::Recipients => {
            [text("authentication_type"), text("email")].into_iter().filter(|part| !part.is_empty()).collect::<Vec<_>>().join(", ")
        }
        Kind::Shares => format!("{}, {}", count("objects", "object"), count("recipients", "recipient")),
        Kind::Requests => {
            [text("requested_by"), text("workspace_url")].into_iter().filter(|part| !part.is_empty()).collect::<Vec<_>>().join(", ")
        }
        Kind::Tenants | Kind::Projects => String::new(),
    }
}

#[cfg(feature = "queue")]
pub use reads::{list, share_packs};

#[cfg(feature = "queue")]
mod reads {
    use super::*;
    use crate::access::{Act, Principal};
    use crate::error::Problem;
    use crate::store::{Listing, Presence, Store};

    /// A page of `kind` as `by` may see it.
    pub async fn list(store: &Store, by: &Principal, kind: Kind, filter: &Filter) -> Result<ListPage, Problem> {
        by.require(Act::Read, None)?;
        let located = |code: &str, message: String, field: &str| Problem::invalid(code, message).at(field);
        // PostgreSQL refuses NUL in text: say so here, for every filter, rather than fail there.
        let fields = [
            ("q", &filter.q),
            ("business_line", &filter.business_line),
            ("status", &filter.status),
            ("created_by", &filter.created_by),
            ("changed_since", &filter.changed_since),
            ("as_of", &filter.as_of),
            ("cursor", &filter.cursor),
            ("limit", &filter.limit),
        ];
        if let Some((field, _)) = fields.iter().find(|(_, value)| value.as_deref().is_some_and(|value| value.contains('\0'))) {
            return Err(located("text_invalid", format!("`{field}` holds a NUL character"), field));
        }
        let text = |value: &Option<String>| value.as_deref().map(str::trim).filter(|value| !value.is_empty()).map(str::to_string);
        let time = |value: &Option<String>, field: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, Problem> {
            text(value)
                .map(|value| {
                    super::super::moment(&value).ok_or_else(|| {
                        located(
                            "time_invalid",
                            format!(
                                "`{}` is not a time like 2026-12-01 or 2026-12-01T14:30:00Z",
                                value.chars().take(40).collect::<String>()
                            ),
                            field,
                        )
                    })
                })
                .transpose()
        };
        let (status, presence) = match (kind, text(&filter.status).map(|status| status.to_uppercase())) {
            (_, None) => (None, Presence::Present),
            (Kind::SharePacks, Some(status)) => {
                let status = status.parse::<crate::records::PackStatus>().map_err(|_| {
                    located(
                        "status_invalid",
                        format!(
                            "`{}` is not a share-pack status (IN_PROGRESS, COMPLETED, FAILED, CANCELLED, VALIDATION_FAILED)",
                            status.chars().take(30).collect::<String>()
                        ),
                        "status",
                    )
                })?;
                (Some(status.as_str().to_string()), Presence::Present)
            }
            (_, Some(status)) => match status.as_str() {
                "ACTIVE" => (None, Presence::Present),
                "DELETED" => (None, Presence::Removed),
                "ALL" => (None, Presence::Either),
                _ => {
                    return Err(located(
                        "status_invalid",
                        format!("`{}` is not a status here (ACTIVE, DELETED or ALL)", status.chars().take(30).collect::<String>()),
                        "status",
                    ))
                }
            },
        };
        let limit = match text(&filter.limit) {
            Some(limit) => {
                limit.parse::<u32>().map_err(|_| located("limit_invalid", format!("`{limit}` is not a number of rows"), "limit"))?
            }
            None => 50,
        }
        .clamp(1, 1000);
        // The cursor is the last row's id and name, as the previous page gave it.
        let after = match text(&filter.cursor) {
            Some(cursor) => {
                let invalid = || located("cursor_invalid", "The cursor is not one this API gave".into(), "cursor");
                let (id, name) = cursor.split_once('.').ok_or_else(invalid)?;
                let id = uuid::Uuid::parse_str(id).map_err(|_| invalid())?;
                let name = percent_decode(name);
                if name.contains('\0') {
                    return Err(invalid());
                }
                Some((name, id))
            }
            None => None,
        };
        let listing = Listing {
            search: text(&filter.q),
            business_line: text(&filter.business_line),
            status,
            presence,
            created_by: text(&filter.created_by),
            changed_since: time(&filter.changed_since, "changed_since")?,
            as_of: time(&filter.as_of, "as_of")?,
            after,
            limit: limit + 1,
        };
        let mut listed = store.entity_page(kind.entity(), &by.visibility(), &listing).await?;
        let more = listed.len() > limit as usize;
        listed.truncate(limit as usize);
        let next_cursor =
            if more { listed.last().map(|last| format!("{}.{}", last.version.key, percent_encode(&last.version.name))) } else { None };
        let rows = listed
            .into_iter()
            .map(|listed| {
                let version = listed.version;
                ListRow {
                    id: version.key.to_string(),
                    summary: summary(kind, &version.data),
                    name: version.name,
                    business_line: listed.business_line,
                    version: version.version,
                    effective_from: version.effective_from.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    created_by: version.created_by,
                    change_reason: version.change_reason,
                    is_deleted: version.is_deleted,
                    data: version.data,
                }
            })
            .collect();
        Ok(ListPage { kind, rows, next_cursor })
    }

    /// The share-pack list in its own shape.
    pub async fn share_packs(store: &Store, by: &Principal, filter: &Filter) -> Result<PackPage, Problem> {
        Ok(list(store, by, Kind::SharePacks, filter).await?.into())
    }

    /// Names in cursors: only what a URL keeps as is stays as is.
    fn percent_encode(text: &str) -> String {
        const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'~');
        percent_encoding::utf8_percent_encode(text, KEEP).to_string()
    }

    fn percent_decode(text: &str) -> String {
        percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
    }
}
