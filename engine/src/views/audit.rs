//! The audit trail as the audit page and `GET /workflow/audit` show it: every action by who,
//! what, when, business line and correlation id, newest first, a page at a time, each entry
//! linking to what it touched.

use serde::{Deserialize, Serialize};

/// One entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct AuditEntryView {
    pub id: String,
    /// RFC 3339 with milliseconds.
    pub at: String,
    pub actor: String,
    /// The column value (`run_approved`) and in words (`run approved`).
    pub action: String,
    pub action_words: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub version: Option<i64>,
    pub correlation_id: Option<String>,
    pub business_line: Option<String>,
    pub reason: String,
    pub details: serde_json::Value,
    /// The portal page of what it touched (the run, the share pack), when there is one.
    pub link: Option<String>,
}

/// A page of entries; `next_cursor` asks for the one after.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    pub next_cursor: Option<String>,
}

/// The filters, as a page or a query string gives them (all text, checked by [`audit`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct AuditFilter {
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub business_line: Option<String>,
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// RFC 3339, or a date (`2026-12-01`, midnight UTC).
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
    /// Entries per page (text, as a query string has it).
    #[serde(default)]
    pub limit: Option<String>,
}

#[cfg(feature = "queue")]
pub use reads::audit;

#[cfg(feature = "queue")]
mod reads {
    use super::*;
    use crate::access::{Act, Principal};
    use crate::error::Problem;
    use crate::records::AuditAction;
    use crate::store::{AuditLine, AuditSearch, Store};
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    /// A page of the audit trail `by` may see, filtered; 400 naming the filter that is wrong.
    pub async fn audit(store: &Store, by: &Principal, filter: &AuditFilter, default_limit: u32) -> Result<AuditPage, Problem> {
        by.require(Act::Read, None)?;
        let text = |value: &Option<String>| value.as_deref().map(str::trim).filter(|value| !value.is_empty()).map(str::to_string);
        let action = match text(&filter.action) {
            Some(action) => Some(action.parse::<AuditAction>().map_err(|_| {
                located(
                    "action_invalid",
                    format!("`{}` is not an audit action (e.g. run_approved, signed_in, create)", short(&action)),
                    "action",
                )
            })?),
            None => None,
        };
        let id = |value: &Option<String>, field: &str| -> Result<Option<Uuid>, Problem> {
            text(value)
                .map(|value| Uuid::parse_str(&value).map_err(|_| located("id_invalid", format!("`{}` is not an id", short(&value)), field)))
                .transpose()
        };
        let limit = match text(&filter.limit) {
            Some(limit) => limit
                .parse::<u32>()
                .map_err(|_| located("limit_invalid", format!("`{}` is not a number of entries", short(&limit)), "limit"))?,
            None => default_limit,
        }
        .clamp(1, 100_000);
        let search = AuditSearch {
            actor: text(&filter.actor),
            action,
            business_line: text(&filter.business_line),
            correlation_id: id(&filter.correlation_id, "correlation_id")?,
            since: time(text(&filter.since), "since")?,
            until: time(text(&filter.until), "until")?,
            after: id(&filter.cursor, "cursor")?,
            // One more than asked, to know whether there is a next page.
            limit: limit + 1,
        };
        let mut lines = store.search_audit(&by.visibility(), &search).await?;
        let more = lines.len() > limit as usize;
        lines.truncate(limit as usize);
        let next_cursor = if more { lines.last().map(|line| line.id.to_string()) } else { None };
        Ok(AuditPage { entries: lines.into_iter().map(view).collect(), next_cursor })
    }

    fn view(line: AuditLine) -> AuditEntryView {
        let link = match (line.entity_type.as_str(), line.entity_id, line.correlation_id) {
            (_, _, Some(run)) => Some(format!("/runs/{run}")),
            ("share_pack", Some(pack), None) => Some(format!("/sharepacks/{pack}")),
            _ => None,
        };
        AuditEntryView {
            id: line.id.to_string(),
            at: line.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            actor: line.actor,
            action: line.action.as_str().to_string(),
            action_words: line.action.words(),
            entity_type: line.entity_type,
            entity_id: line.entity_id.map(|id| id.to_string()),
            version: line.version,
            correlation_id: line.correlation_id.map(|id| id.to_string()),
            business_line: line.business_line,
            reason: line.reason,
            details: line.details,
            link,
        }
    }

    /// RFC 3339 or a plain date (midnight UTC).
    fn time(value: Option<String>, field: &str) -> Result<Option<DateTime<Utc>>, Problem> {
        let Some(value) = value else { return Ok(None) };
        crate::history::moment(&value).map(Some).ok_or_else(|| {
            located("time_invalid", format!("`{}` is not a time like 2026-12-01 or 2026-12-01T14:30:00Z", short(&value)), field)
        })
    }

    fn located(code: &str, message: String, field: &str) -> Problem {
        Problem::invalid(code, message).at(field)
    }

    fn short(text: &str) -> String {
        text.chars().take(60).collect()
    }
}
