//! The share-pack record: what each SCD2 version of a share pack (`share_packs.data`) says
//! about it. Written by submission and by runs as they end; read by the pages and the seed's
//! status endpoint.

use super::status::PackStatus;
use crate::model::Strategy;
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharePackRecord {
    pub status: PackStatus,
    /// The strategy that applies; `None` when the pack never got as far as a plan.
    #[serde(default, deserialize_with = "blank_is_none")]
    pub strategy: Option<Strategy>,
    pub requested_by: String,
    pub workspace_url: String,
    /// The upload (share-pack file version) this version is about.
    pub upload: i64,
    #[serde(default)]
    pub file_name: String,
    /// The run working on (or that last worked on) this upload.
    #[serde(default)]
    pub run_id: Option<Uuid>,
    /// Why the pack failed, empty otherwise.
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub business_line: Option<String>,
    #[serde(default)]
    pub project_name: Option<String>,
}

/// Older versions wrote an empty string for "no strategy".
fn blank_is_none<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Strategy>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => Strategy::parse(text).map(Some).ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a strategy"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_stored_shape() {
        let stored = serde_json::json!({
            "status": "VALIDATION_FAILED", "strategy": "", "requested_by": "ada@example.com", "workspace_url": "http://w",
            "upload": 2, "file_name": "p.yaml", "run_id": null, "error": "bad", "business_line": null, "project_name": "p",
        });
        let record: SharePackRecord = serde_json::from_value(stored).unwrap();
        assert_eq!((record.status, record.strategy, record.upload), (PackStatus::ValidationFailed, None, 2));
        let again: SharePackRecord = serde_json::from_value(serde_json::to_value(&record).unwrap()).unwrap();
        assert_eq!(again, record);
    }
}
