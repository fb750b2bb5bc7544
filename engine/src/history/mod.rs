//! History of what Sharepack keeps (issue 15): every version of a share pack, recipient, share,
//! business line (tenant) or project, who made it, when and why (with the run and upload it came
//! from), its field-by-field changes to the version before, and a comparison of any two
//! versions. [`diff`] is the pure comparison; the reads check visibility like every other read
//! (a business line's history is "not found" to those who do not see it).

pub mod diff;

use crate::plan::FieldChange;
use serde::{Deserialize, Serialize};

/// The kinds of kept entities people browse, named as the REST paths name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    SharePacks,
    Recipients,
    Shares,
    Tenants,
    Projects,
    /// What each run was asked to do (the seed's `requests`).
    Requests,
}

impl Kind {
    pub const ALL: [Kind; 6] = [Kind::SharePacks, Kind::Recipients, Kind::Shares, Kind::Tenants, Kind::Projects, Kind::Requests];

    /// The path segment: `/workflow/{segment}/...`.
    pub fn segment(self) -> &'static str {
        match self {
            Kind::SharePacks => "sharepacks",
            Kind::Recipients => "recipients",
            Kind::Shares => "shares",
            Kind::Tenants => "tenants",
            Kind::Projects => "projects",
            Kind::Requests => "requests",
        }
    }

    /// One of them, in words.
    pub fn words(self) -> &'static str {
        match self {
            Kind::SharePacks => "share pack",
            Kind::Recipients => "recipient",
            Kind::Shares => "share",
            Kind::Tenants => "business line",
            Kind::Projects => "project",
            Kind::Requests => "request",
        }
    }

    pub fn parse(segment: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.segment() == segment)
    }

    #[cfg(feature = "store")]
    pub fn entity(self) -> crate::store::Entity {
        use crate::store::Entity;
        match self {
            Kind::SharePacks => Entity::SharePack,
            Kind::Recipients => Entity::Recipient,
            Kind::Shares => Entity::Share,
            Kind::Tenants => Entity::Tenant,
            Kind::Projects => Entity::Project,
            Kind::Requests => Entity::Request,
        }
    }
}

/// One version in a timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct VersionView {
    pub version: i64,
    /// When it took effect, and until when (`None`: current), RFC 3339.
    pub effective_from: String,
    pub effective_to: Option<String>,
    pub created_by: String,
    pub change_reason: String,
    /// The run and the upload it came from, when a run or a submission made it.
    pub run_id: Option<String>,
    pub upload: Option<i64>,
    pub is_deleted: bool,
    /// What changed from the version before (everything, for the first).
    pub changes: Vec<FieldChange>,
    pub data: serde_json::Value,
}

/// Every version of one entity, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Timeline {
    pub kind: Kind,
    pub id: String,
    pub name: String,
    pub versions: Vec<VersionView>,
}

impl Timeline {
    /// The version in effect at `at`: from its start (inclusive) to the next one's (exclusive).
    pub fn in_effect(&self, at: chrono::DateTime<chrono::Utc>) -> Option<&VersionView> {
        let parse = |text: &str| chrono::DateTime::parse_from_rfc3339(text).ok().map(|time| time.with_timezone(&chrono::Utc));
        self.versions.iter().find(|version| {
            parse(&version.effective_from).is_some_and(|from| from <= at)
                && version.effective_to.as_deref().and_then(parse).is_none_or(|to| to > at)
        })
    }
}

/// Two versions of one entity compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Comparison {
    pub kind: Kind,
    pub id: String,
    pub name: String,
    pub from: i64,
    pub to: i64,
    pub changes: Vec<FieldChange>,
}

pub mod access;
mod lists;
pub mod packs;
#[cfg(feature = "queue")]
pub use lists::{list, share_packs};
pub use lists::{Filter, ListPage, ListRow, PackFilter, PackPage, PackRow};
#[cfg(feature = "queue")]
pub mod export;
#[cfg(feature = "queue")]
mod reads;
#[cfg(feature = "queue")]
pub use reads::{compare, timeline};

/// A moment as people write one: RFC 3339, or a date (midnight UTC).
pub fn moment(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text.trim()).map(|at| at.with_timezone(&chrono::Utc)).ok().or_else(|| {
        chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok().and_then(|date| date.and_hms_opt(0, 0, 0)).map(|at| at.and_utc())
    })
}

/// The run a change reason names (`provisioned by run <uuid> (upload 2)`, `run <uuid> completed`).
pub fn run_in(reason: &str) -> Option<uuid::Uuid> {
    let at = reason.find("run ")? + 4;
    let candidate: String = reason[at..].chars().take(36).collect();
    uuid::Uuid::parse_str(&candidate).ok()
}

/// The upload a change reason names (`upload 2 (finance.yaml)`, `... (upload 2)`).
pub fn upload_in(reason: &str) -> Option<i64> {
    let at = reason.find("upload ")? + 7;
    let digits: String = reason[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_their_run_and_upload() {
        let run = "01a234b5-6f8a-7117-ba3b-d18120283a8e";
        assert_eq!(run_in(&format!("provisioned by run {run} (upload 2)")).map(|id| id.to_string()).as_deref(), Some(run));
        assert_eq!(upload_in(&format!("provisioned by run {run} (upload 2)")), Some(2));
        assert_eq!(upload_in("upload 14 (finance.yaml)"), Some(14));
        assert_eq!(run_in("resolved for a share-pack run"), None);
        assert_eq!(upload_in("no upload here"), None);
        assert_eq!(moment("2026-12-01").map(|at| at.to_rfc3339()), Some("2026-12-01T00:00:00+00:00".into()));
        assert!(moment("2026-12-01T14:30:00Z").is_some() && moment("yesterday").is_none());
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.segment()), Some(kind));
        }
    }

    #[test]
    fn the_version_in_effect_starts_at_its_instant_and_ends_at_the_next() {
        let version = |number: i64, from: &str, to: Option<&str>| VersionView {
            version: number,
            effective_from: from.into(),
            effective_to: to.map(str::to_string),
            created_by: String::new(),
            change_reason: String::new(),
            run_id: None,
            upload: None,
            is_deleted: false,
            changes: Vec::new(),
            data: serde_json::Value::Null,
        };
        let timeline = Timeline {
            kind: Kind::Shares,
            id: String::new(),
            name: String::new(),
            versions: vec![
                version(2, "2026-12-01T10:00:00.000500Z", None),
                version(1, "2026-12-01T10:00:00.000100Z", Some("2026-12-01T10:00:00.000500Z")),
            ],
        };
        let at = |text: &str| moment(text).unwrap();
        let number = |text: &str| timeline.in_effect(at(text)).map(|version| version.version);
        assert_eq!(number("2026-12-01T10:00:00.000099Z"), None, "before the first");
        assert_eq!(number("2026-12-01T10:00:00.000100Z"), Some(1), "the instant it starts");
        assert_eq!(number("2026-12-01T10:00:00.000499Z"), Some(1), "within the same millisecond as the next");
        assert_eq!(number("2026-12-01T10:00:00.000500Z"), Some(2), "the instant the next starts");
        assert_eq!(number("2027-01-01"), Some(2), "the current one has no end");
    }
}
