//! The portal's answers in words, for a person reading a pipeline's log: findings where they
//! are, the plan's story as the upload page tells it, runs step by step as the run page shows
//! them.

use crate::rest::batch::{BatchItem, BatchSummary};
use crate::rest::intake::{PlanResponse, ValidateResponse};
use crate::rest::sharepacks::UploadResponse;
use sharepack_engine::records::{RunStatus, StepStatus};
use sharepack_engine::views::{ApprovalRow, PackProgress, RunView};
use sharepack_engine::Finding;
use std::fmt::Write;

/// What a batch item is, in words.
pub trait Words {
    fn words(&self, file: &str) -> String;
}

impl Words for ValidateResponse {
    fn words(&self, file: &str) -> String {
        let verdict = if self.valid { "valid" } else { "not valid" };
        let mut text = format!("{file}: {verdict} ({} pack, {})", self.format, counts(&self.findings));
        findings(&mut text, &self.findings);
        text
    }
}

impl Words for PlanResponse {
    fn words(&self, file: &str) -> String {
        let summary = &self.summary;
        let strategy = self.strategy.map_or("no strategy", |strategy| strategy.as_str());
        let mut text = if self.validation_errors.is_empty() {
            format!(
                "{file}: {strategy} plan on {} ({}): {} to create, {} to update, {} to remove, {} unchanged",
                self.workspace.name, self.workspace.url, summary.create, summary.update, summary.remove, summary.unchanged
            )
        } else {
            format!("{file}: cannot be planned ({})", counts(&self.findings))
        };
        findings(&mut text, &self.findings);
        for line in &self.story {
            let _ = write!(text, "\n  {line}");
        }
        text
    }
}

impl Words for UploadResponse {
    fn words(&self, file: &str) -> String {
        let mut text = match (self.run_id, self.run_status) {
            (Some(run), Some(status)) => {
                format!("{file}: {} — share pack {} ({}), run {run} {status}", self.message, self.share_pack_name, self.share_pack_id)
            }
            _ => format!("{file}: {}", self.message),
        };
        if let Some(approval) = &self.approval {
            let whose = if approval.admin { ", one an administrator's" } else { "" };
            let _ = write!(text, "\n  waits for {} approval(s){whose}: {}", approval.approvals, approval.why.join("; "));
        }
        findings(&mut text, &self.findings);
        text
    }
}

/// One batch item: its answer in words, or why it was refused.
pub fn item<T: Words>(item: &BatchItem<T>) -> String {
    match (&item.answer, &item.error) {
        (Some(answer), _) => answer.words(&item.file),
        (None, Some(error)) => {
            let mut text = format!("{}: refused ({}): {}", item.file, item.status, error.message);
            if let Some(hint) = &error.hint {
                let _ = write!(text, "\n  {hint}");
            }
            text
        }
        (None, None) => format!("{}: answered {} without a body", item.file, item.status),
    }
}

pub fn summary(summary: &BatchSummary, succeeded: &str) -> String {
    let mut text = format!(
        "{} file(s): {} {succeeded}, {} with errors, {} refused",
        summary.files, summary.succeeded, summary.failed, summary.refused
    );
    if let Some(changes) = summary.with_changes {
        let _ = write!(text, "; {changes} would change the workspace");
    }
    text
}

pub fn status(progress: &PackProgress) -> String {
    let mut text = format!("{} ({}): {}", progress.share_pack_name, progress.share_pack_id, progress.status);
    if let (Some(run), Some(status)) = (&progress.run_id, progress.run_status) {
        let _ = write!(text, ", run {run} {status}");
    }
    if !progress.provisioning_status.is_empty() {
        let _ = write!(text, "\n  {}", progress.provisioning_status);
    }
    if !progress.error_message.is_empty() {
        let _ = write!(text, "\n  error: {}", progress.error_message);
    }
    let _ =
        write!(text, "\n  requested by {}, created {}, last updated {}", progress.requested_by, progress.created_at, progress.last_updated);
    text
}

/// A plan waiting for approval, as the approvals page lists it.
pub fn approval(row: &ApprovalRow) -> String {
    let summary = &row.summary;
    let mut text = format!(
        "run {} of {} ({}), requested by {} on {}: {} to create, {} to update, {} to remove; {} of {} approval(s)",
        row.run_id,
        row.share_pack_name,
        row.business_line,
        row.requested_by,
        row.workspace_url,
        summary.create,
        summary.update,
        summary.remove,
        row.approved,
        row.needed
    );
    for why in &row.why {
        let _ = write!(text, "\n  needs approval: {why}");
    }
    for line in &row.story {
        let _ = write!(text, "\n  {line}");
    }
    text
}

/// Follows a run's views and says what changed since the last one: steps that started,
/// finished or failed, and the run's status.
#[derive(Default)]
pub struct Progress {
    steps: std::collections::HashMap<i32, StepStatus>,
    status: Option<RunStatus>,
}

impl Progress {
    pub fn lines(&mut self, run: &RunView) -> Vec<String> {
        let short = run.id.get(..8).unwrap_or(&run.id);
        let total = run.steps.len();
        let mut lines = Vec::new();
        if self.status != Some(run.status) {
            self.status = Some(run.status);
            lines.push(format!("[{short}] {}: {}", run.status, run.progress));
        }
        for step in &run.steps {
            if self.steps.insert(step.no, step.status) == Some(step.status) || step.status == StepStatus::Pending {
                continue;
            }
            let mut line = format!("[{short}] step {}/{total} {}: {}", step.no, step.status, step.description);
            if let Some(ms) = step.duration_ms {
                let _ = write!(line, " ({ms} ms)");
            }
            if step.attempts > 1 {
                let _ = write!(line, " after {} attempts", step.attempts);
            }
            if let Some(error) = &step.error {
                let _ = write!(line, ": {error}");
            }
            lines.push(line);
        }
        if run.is_terminal() {
            if let Some(error) = &run.error {
                lines.push(format!("[{short}] {}: {error}", run.status));
            }
        }
        lines
    }
}

fn counts(findings: &[Finding]) -> String {
    let counts = sharepack_engine::FindingCounts::of(findings);
    format!("{} error(s), {} warning(s)", counts.errors, counts.warnings)
}

fn findings(text: &mut String, findings: &[Finding]) {
    for finding in findings {
        let _ = write!(text, "\n  {} at {}: [{}] {}", finding.severity.as_str(), finding.location, finding.code, finding.message);
        if let Some(hint) = &finding.hint {
            let _ = write!(text, "\n    {hint}");
        }
    }
}
