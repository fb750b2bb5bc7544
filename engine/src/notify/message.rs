//! An event in words (an e-mail's subject and text) and as a webhook's JSON payload. Pure: the
//! event holds names and ids only, so nothing secret can be written.

use super::Event;
use crate::records::{Decision, RunStatus};
use serde_json::{json, Value};
use uuid::Uuid;

/// The subject and plain text of the e-mail to `to` (empty for a webhook's summary line).
pub fn email(event: &Event, to: &str, portal: &str) -> (String, String) {
    let portal = portal.trim_end_matches('/');
    let (subject, body) = match event {
        Event::ApprovalRequested { run_id, share_pack, business_line, requested_by } => (
            format!("Approval requested: {share_pack}"),
            format!(
                "{requested_by} submitted {share_pack}{} and its plan waits for approval.\n\nSee the plan and decide: {portal}/runs/{run_id}",
                business_line.as_deref().map(|line| format!(" ({line})")).unwrap_or_default()
            ),
        ),
        Event::PlanDecided { run_id, share_pack, decision, decided_by, comment, .. } => {
            let (verb, next) = match decision {
                Decision::Approved => ("approved", "It is queued and runs now (or at its start time)."),
                Decision::Rejected => ("rejected", "Nothing was changed in the workspace."),
            };
            let why = if comment.trim().is_empty() { String::new() } else { format!("\n\nTheir comment: {}", comment.trim()) };
            (format!("Plan {verb}: {share_pack}"), format!("{decided_by} {verb} the plan of {share_pack}. {next}{why}\n\n{portal}/runs/{run_id}"))
        }
        Event::RunFinished { run_id, share_pack, status, error, .. } => match status {
            RunStatus::Completed => (format!("Run completed: {share_pack}"), format!("The run of {share_pack} completed: the workspace is as the pack says.\n\n{portal}/runs/{run_id}")),
            _ => (
                format!("Run failed: {share_pack}"),
                format!(
                    "The run of {share_pack} failed{}.\n\nSee its steps, and retry it once the cause is fixed: {portal}/runs/{run_id}",
                    error.as_deref().map(|error| format!(": {error}")).unwrap_or_default()
                ),
            ),
        },
        Event::DriftFound { workspace_url, packs, .. } => {
            // Each person hears of their own packs; a webhook of all of them.
            let mine: Vec<_> = packs.iter().filter(|pack| to.is_empty() || pack.requested_by.eq_ignore_ascii_case(to)).collect();
            let count: usize = mine.iter().map(|pack| pack.findings).sum();
            let lines: Vec<String> = mine.iter().map(|pack| format!("- {}: {} new finding(s), {portal}/sharepacks/{}", pack.name, pack.findings, pack.id)).collect();
            (
                format!("Drift found: {count} change(s) behind Sharepack's back"),
                format!(
                    "A check of {workspace_url} found that the workspace no longer matches what was applied:\n{}\n\nRestore the pack's state or adopt the workspace's: {portal}/drift",
                    lines.join("\n")
                ),
            )
        }
        Event::TokenExpiring { name, expires_at, .. } => (
            format!("API token \"{name}\" expires soon"),
            format!(
                "Your API token \"{name}\" expires on {}. Make a new one before then and replace it where it is used: {portal}/tokens",
                expires_at.format("%Y-%m-%d %H:%M UTC")
            ),
        ),
    };
    (subject, format!("{body}\n\n-- \nSharepack. Choose which notifications you receive on {portal}/tokens.\n"))
}

/// A webhook's body: the event's fields, its kind, id and links.
pub fn payload(event: &Event, id: Uuid, portal: &str) -> Value {
    let mut body = serde_json::to_value(event).unwrap_or_default();
    body["event_id"] = json!(id);
    body["portal"] = json!(portal.trim_end_matches('/'));
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::DriftedPack;

    #[test]
    fn each_person_hears_of_their_own_packs_and_a_webhook_of_all() {
        let event = Event::DriftFound {
            check: Uuid::nil(),
            workspace_url: "https://adb-1.azuredatabricks.net".into(),
            packs: vec![
                DriftedPack { id: Uuid::from_u128(1), name: "Finance".into(), requested_by: "ann@example.com".into(), findings: 2 },
                DriftedPack { id: Uuid::from_u128(2), name: "Legal".into(), requested_by: "lee@example.com".into(), findings: 3 },
            ],
        };
        let (subject, text) = email(&event, "ann@example.com", "https://portal/");
        assert_eq!(subject, "Drift found: 2 change(s) behind Sharepack's back");
        assert!(text.contains("Finance") && !text.contains("Legal"), "{text}");
        assert!(text.contains("https://portal/drift"), "{text}");
        assert!(email(&event, "", "https://portal").1.contains("Legal"));
        assert_eq!(payload(&event, Uuid::nil(), "https://portal")["kind"], "DRIFT_FOUND");
    }
}
