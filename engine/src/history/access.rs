//! "Who could read table T on date D" and "what could recipient R read on date D", answered
//! from history alone (the shares' SCD2 versions: their objects and their recipients), each
//! answer naming since when the access held, the run that granted it and who approved that run.

use serde::{Deserialize, Serialize};

/// One recipient reading one table through one share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Access {
    pub recipient: String,
    pub table: String,
    pub share: String,
    pub business_line: Option<String>,
    /// Since when it held without a break (RFC 3339), and the run and upload that granted it.
    pub since: String,
    pub run_id: Option<String>,
    pub upload: Option<i64>,
    /// Who approved that run.
    pub approved_by: Vec<String>,
}

/// The answer to one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct AccessAnswer {
    pub question: String,
    /// The moment asked about (RFC 3339).
    pub at: String,
    pub access: Vec<Access>,
}

/// What to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// Who could read this table (full name).
    Table(String),
    /// What this recipient could read.
    Recipient(String),
}

#[cfg(feature = "queue")]
pub use reads::access;

#[cfg(feature = "queue")]
mod reads {
    use super::super::{reads::owner_of, run_in, Kind};
    use super::{Access, AccessAnswer, Question};
    use crate::access::{Act, Owner, Principal};
    use crate::error::Problem;
    use crate::model::name_key;
    use crate::records::Decision;
    use crate::store::{Entity, Store, Version};
    use chrono::{DateTime, Utc};

    /// Answers `question` at `at`, from the shares `by` may see.
    pub async fn access(store: &Store, by: &Principal, question: &Question, at: DateTime<Utc>) -> Result<AccessAnswer, Problem> {
        by.require(Act::Read, None)?;
        let time = |at: DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let (wanted_table, wanted_recipient) = match question {
            Question::Table(table) => (Some(name_key(table)), None),
            Question::Recipient(recipient) => (None, Some(name_key(recipient))),
        };
        let mut found = Vec::new();
        // Only versions that name what is asked about can answer it: the database narrows them.
        let needle = format!("\"{}\"", wanted_table.as_ref().or(wanted_recipient.as_ref()).cloned().unwrap_or_default());
        for share in store.all_as_of_mentioning(Entity::Share, at, Some(&needle)).await? {
            let (line, requested_by) = owner_of(store, Kind::Shares, share.key, &share).await?;
            if !by.sees(&Owner { business_line: line.as_deref(), requested_by: &requested_by }) {
                continue;
            }
            let tables = names(&share, "objects");
            let recipients = names(&share, "recipients");
            let matches = |name: &String, wanted: &Option<String>| wanted.as_ref().is_none_or(|wanted| wanted == name);
            if !tables.iter().any(|table| matches(table, &wanted_table))
                || !recipients.iter().any(|recipient| matches(recipient, &wanted_recipient))
            {
                continue;
            }
            let history = store.history(Entity::Share, share.key).await?;
            for table in tables.iter().filter(|table| wanted_table.as_ref().is_none_or(|wanted| wanted == *table)) {
                for recipient in recipients.iter().filter(|recipient| wanted_recipient.as_ref().is_none_or(|wanted| wanted == *recipient)) {
                    let granted = since(&history, share.version, table, recipient);
                    let run = granted.and_then(|version| run_in(&version.change_reason));
                    let approved_by = match run {
                        Some(run) => store
                            .decisions(run)
                            .await?
                            .into_iter()
                            .filter(|decision| decision.decision == Decision::Approved)
                            .map(|decision| decision.decided_by)
                            .collect(),
                        None => Vec::new(),
                    };
                    found.push(Access {
                        recipient: recipient.clone(),
                        table: table.clone(),
                        share: share.name.clone(),
                        business_line: line.clone(),
                        since: time(granted.map(|version| version.effective_from).unwrap_or(share.effective_from)),
                        run_id: run.map(|run| run.to_string()),
                        upload: granted.and_then(|version| crate::history::upload_in(&version.change_reason)),
                        approved_by,
                    });
                }
            }
        }
        found.sort_by(|a, b| (&a.recipient, &a.table, &a.share).cmp(&(&b.recipient, &b.table, &b.share)));
        let question = match question {
            Question::Table(table) => format!("Who could read {table}?"),
            Question::Recipient(recipient) => format!("What could {recipient} read?"),
        };
        Ok(AccessAnswer { question, at: time(at), access: found })
    }

    /// The lower-case names a share version lists under `field`.
    fn names(version: &Version, field: &str) -> Vec<String> {
        version.data[field]
            .as_array()
            .map(|items| items.iter().filter_map(|item| item.as_str()).map(name_key).collect())
            .unwrap_or_default()
    }

    /// The first version of the unbroken streak, up to version `upto`, in which the share held both
    /// `table` and `recipient`: when the access began, and what made it.
    fn since<'a>(history: &'a [Version], upto: i64, table: &str, recipient: &str) -> Option<&'a Version> {
        let holds = |version: &Version| {
            !version.is_deleted
                && names(version, "objects").iter().any(|t| t == table)
                && names(version, "recipients").iter().any(|r| r == recipient)
        };
        let mut first = None;
        for version in history.iter().filter(|version| version.version <= upto).rev() {
            if !holds(version) {
                break;
            }
            first = Some(version);
        }
        first
    }
}
