//! `sharepack pack validate|plan|submit|status|wait|approve|reject`: share packs through a
//! portal's REST API, for pipelines (GitOps). The portal does the work (the same engine as the
//! page); this side sends files, follows runs and turns the answers into words or JSON and an
//! exit code a CI step can act on.

mod portal;
mod print;

use crate::rest::approvals::DecisionRequest;
use crate::rest::batch::{BatchItem, BatchResponse, Tally};
use crate::rest::intake::{PlanResponse, ValidateResponse};
use crate::rest::sharepacks::UploadResponse;
use futures::StreamExt;
use portal::{BatchKind, CallError, Portal};
use print::Words;
use serde::Serialize;
use sharepack_engine::records::RunStatus;
use sharepack_engine::views::RunView;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct PackArgs {
    /// The portal's address, e.g. https://sharepack.example.com.
    #[arg(long, env = "SHAREPACK_PORTAL", global = true)]
    portal: Option<String>,
    /// An API token (from the Tokens page or `sharepack tokens create`).
    #[arg(long, env = "SHAREPACK_TOKEN", hide_env_values = true, global = true)]
    token: Option<String>,
    /// The Databricks workspace URL (the portal's default when left out).
    #[arg(long, global = true)]
    workspace: Option<String>,
    /// Print the portal's answers as JSON instead of words.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: PackCommand,
}

#[derive(clap::Subcommand)]
enum PackCommand {
    /// Check share packs (exit code 1 when any has errors).
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Show what submitting the packs would change, nothing changed (exit code 1 on errors).
    Plan {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Refuse NEW packs whose resources exist instead of switching to UPDATE.
        #[arg(long)]
        strict: bool,
        /// Exit with code 3 when a plan would change the workspace (drift checks in CI).
        #[arg(long)]
        fail_on_change: bool,
    },
    /// Submit the packs: each stored as its pack's next version and queued (or waiting for approval).
    Submit {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Apply the removals the plans list.
        #[arg(long)]
        confirm_removals: bool,
        #[arg(long)]
        strict: bool,
        /// Start no earlier than this time (RFC 3339, e.g. 2026-12-24T22:00:00Z); once
        /// approved, the runs wait as SCHEDULED until then.
        #[arg(long, value_name = "TIME")]
        start_at: Option<String>,
        /// Follow the runs until they end and exit with their result.
        #[arg(long)]
        wait: bool,
        /// With --wait: give up after this many seconds (exit code 5).
        #[arg(long, value_name = "SECONDS")]
        timeout: Option<u64>,
        /// Write each run's claim token (`RUN_ID CLAIM_TOKEN` lines, readable by you alone) to
        /// this file: it takes new token recipients' activation links
        /// (POST /workflow/runs/{id}/activation-links). It is never printed, as CI logs are
        /// read by many.
        #[arg(long, value_name = "FILE")]
        claims: Option<PathBuf>,
    },
    /// The status of a share pack (by the id an upload answered).
    Status { share_pack_id: String },
    /// Follow a run (or a share pack's latest run) until it ends; exit with its result.
    Wait {
        id: String,
        #[arg(long, value_name = "SECONDS")]
        timeout: Option<u64>,
    },
    /// Approve the plan a run waits with, after printing it (bound to what was printed).
    Approve {
        run_id: String,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Reject the plan a run waits with.
    Reject {
        run_id: String,
        #[arg(long)]
        comment: String,
    },
}

/// How a command ended, worst last: the exit code is the worst outcome of its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Success,
    /// `plan --fail-on-change` and a plan changes something.
    Changes,
    /// A pack has errors, or a run ended failed, cancelled or rejected.
    Failed,
    TimedOut,
    /// The portal could not be reached or refused the request (or a file of it).
    Refused,
}

impl Outcome {
    fn code(self) -> ExitCode {
        ExitCode::from(match self {
            Outcome::Success => 0,
            Outcome::Failed => 1,
            Outcome::Changes => 3,
            Outcome::Refused => 4,
            Outcome::TimedOut => 5,
        })
    }

    fn of_run(run: &RunView) -> Outcome {
        if run.status == RunStatus::Completed {
            Outcome::Success
        } else {
            Outcome::Failed
        }
    }
}

/// Runs a `pack` command; usage errors are clap's (exit code 2).
pub fn run(args: PackArgs) -> ExitCode {
    let (Some(url), Some(token)) = (args.portal.as_deref(), args.token.as_deref()) else {
        eprintln!("sharepack: say which portal and token: --portal URL --token TOKEN, or SHAREPACK_PORTAL and SHAREPACK_TOKEN");
        return ExitCode::from(2);
    };
    let portal = match Portal::new(url, token, args.workspace.clone()) {
        Ok(portal) => portal,
        Err(error) => {
            eprintln!("sharepack: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("sharepack: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let out = Out { words: !args.json, json: args.json };
    match runtime.block_on(command(&portal, &out, args.command)) {
        Ok(outcome) => outcome.code(),
        Err(error) => {
            eprintln!("sharepack: {error}");
            match error {
                CallError::File { .. } => ExitCode::from(2),
                _ => Outcome::Refused.code(),
            }
        }
    }
}

/// Where answers go: words or JSON on standard output (never both, so `--json` output parses).
struct Out {
    words: bool,
    json: bool,
}

impl Out {
    /// Prints nothing: for a part of the answer that is printed later as a whole.
    const SILENT: Out = Out { words: false, json: false };

    fn json(&self, value: &impl Serialize) {
        if !self.json {
            return;
        }
        match serde_json::to_string_pretty(value) {
            Ok(text) => println!("{text}"),
            Err(error) => eprintln!("sharepack: cannot print the answer as JSON: {error}"),
        }
    }

    fn words(&self, text: impl AsRef<str>) {
        if self.words {
            println!("{}", text.as_ref());
        }
    }
}

async fn command(portal: &Portal, out: &Out, command: PackCommand) -> Result<Outcome, CallError> {
    match command {
        PackCommand::Validate { files } => {
            let batch: BatchResponse<ValidateResponse> = portal.batch(BatchKind::Validate, &files, &[]).await?;
            Ok(report(out, &batch, "valid", |_| Outcome::Success))
        }
        PackCommand::Plan { files, strict, fail_on_change } => {
            let batch: BatchResponse<PlanResponse> = portal.batch(BatchKind::Plan, &files, &[("strict", strict.to_string())]).await?;
            Ok(report(out, &batch, "planned", |plan| {
                let changes = plan.summary.create + plan.summary.update + plan.summary.remove > 0;
                if fail_on_change && changes {
                    Outcome::Changes
                } else {
                    Outcome::Success
                }
            }))
        }
        PackCommand::Submit { files, confirm_removals, strict, start_at, wait, timeout, claims } => {
            let mut query = vec![("confirm_removals", confirm_removals.to_string()), ("strict", strict.to_string())];
            query.extend(start_at.map(|at| ("start_at", at)));
            // Opened before anything is submitted: a path that cannot be written stops here.
            let claims = claims.as_deref().map(|path| claims_file(path).map(|file| (path, file))).transpose()?;
            let mut batch: BatchResponse<UploadResponse> = portal.batch(BatchKind::Upload, &files, &query).await?;
            keep_claims(&mut batch, claims);
            if !wait {
                return Ok(report(out, &batch, "submitted", |_| Outcome::Success));
            }
            // With --json the submission and the runs are printed together at the end.
            let mut outcome = report(if out.json { &Out::SILENT } else { out }, &batch, "submitted", |_| Outcome::Success);
            let deadline = timeout.map(|seconds| Instant::now() + Duration::from_secs(seconds));
            let mut runs = Vec::new();
            for run in batch.results.iter().filter_map(|item| item.answer.as_ref().and_then(|answer| answer.run_id)) {
                let (ended, last) = follow(portal, out, &run.to_string(), deadline).await?;
                outcome = outcome.max(ended);
                runs.extend(last);
            }
            out.json(&serde_json::json!({ "Submitted": batch, "Runs": runs }));
            Ok(outcome)
        }
        PackCommand::Status { share_pack_id } => {
            let progress = portal.status(&share_pack_id).await?;
            out.json(&progress);
            out.words(print::status(&progress));
            Ok(Outcome::Success)
        }
        PackCommand::Wait { id, timeout } => {
            // A share pack's id follows its latest run; anything else is taken as a run's id.
            let run = match portal.status(&id).await {
                Ok(progress) => progress.run_id.unwrap_or(id),
                Err(CallError::Refused { status: 404, .. }) => id,
                Err(error) => return Err(error),
            };
            let deadline = timeout.map(|seconds| Instant::now() + Duration::from_secs(seconds));
            let (outcome, last) = follow(portal, out, &run, deadline).await?;
            out.json(&last);
            Ok(outcome)
        }
        PackCommand::Approve { run_id, comment } => decide(portal, out, &run_id, true, comment).await,
        PackCommand::Reject { run_id, comment } => decide(portal, out, &run_id, false, Some(comment)).await,
    }
}

/// Takes the claim tokens out of the answer, writing them to `path` when given.
/// The claims file, readable by its owner alone.
fn claims_file(path: &std::path::Path) -> Result<std::fs::File, CallError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|error| CallError::File { path: path.display().to_string(), reason: format!("cannot write: {error}") })
}

/// Takes the claim tokens out of the answer, writing them to the claims file when there is one.
/// The packs are submitted by now, so a write that fails is said and the command goes on.
fn keep_claims(batch: &mut BatchResponse<UploadResponse>, file: Option<(&std::path::Path, std::fs::File)>) {
    let mut lines = String::new();
    for answer in batch.results.iter_mut().filter_map(|item| item.answer.as_mut()) {
        if let (Some(run), Some(claim)) = (answer.run_id, answer.claim_token.take()) {
            lines.push_str(&format!("{run} {claim}\n"));
        }
    }
    if let Some((path, mut file)) = file {
        use std::io::Write as _;
        if let Err(error) = file.write_all(lines.as_bytes()) {
            eprintln!("sharepack: {}: cannot write the claims: {error}", path.display());
        }
    }
}

/// Prints a batch (each file, then the summary) and gives its worst outcome; `judge` says what
/// a file with an answer and no errors means (a plan with changes, say).
fn report<T: Words + Serialize + Tally>(out: &Out, batch: &BatchResponse<T>, succeeded: &str, judge: impl Fn(&T) -> Outcome) -> Outcome {
    out.json(batch);
    let mut worst = Outcome::Success;
    for item in &batch.results {
        out.words(print::item(item));
        worst = worst.max(outcome_of(item, &judge));
    }
    if batch.results.len() > 1 {
        out.words(print::summary(&batch.summary, succeeded));
    }
    worst
}

fn outcome_of<T: Tally>(item: &BatchItem<T>, judge: impl Fn(&T) -> Outcome) -> Outcome {
    match &item.answer {
        Some(answer) if !answer.succeeded() => Outcome::Failed,
        Some(answer) => judge(answer),
        None => Outcome::Refused,
    }
}

/// Follows a run over its event stream, printing each change, until it ends or the deadline
/// passes. A stream that ends early or breaks (the portal restarting, a proxy cutting long
/// connections, a 5xx on the way) is opened again, with a pause that grows while nothing arrives.
async fn follow(portal: &Portal, out: &Out, run: &str, deadline: Option<Instant>) -> Result<(Outcome, Option<RunView>), CallError> {
    let mut progress = print::Progress::default();
    let mut last: Option<RunView> = None;
    let mut failures = 0u32;
    loop {
        let mut heard = false;
        let following = async {
            let mut events = std::pin::pin!(portal.run_events(run).await?);
            while let Some(view) = events.next().await {
                let view = view?;
                heard = true;
                for line in progress.lines(&view) {
                    out.words(line);
                }
                let ended = view.is_terminal();
                last = Some(view);
                if ended {
                    break;
                }
            }
            Ok::<(), CallError>(())
        };
        let followed = match deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline.into(), following).await {
                Ok(followed) => followed,
                Err(_) => {
                    eprintln!("sharepack: run {run} did not end in time");
                    return Ok((Outcome::TimedOut, last));
                }
            },
            None => following.await,
        };
        if let Some(view) = last.as_ref().filter(|view| view.is_terminal()) {
            return Ok((Outcome::of_run(view), last));
        }
        let passing = match &followed {
            Ok(()) => true,
            Err(CallError::Unreachable { .. } | CallError::Unreadable(_)) => true,
            Err(CallError::Refused { status, .. }) => *status >= 500,
            Err(CallError::File { .. }) => false,
        };
        failures = if heard { 1 } else { failures + 1 };
        match followed {
            Err(error) if !passing || failures > 30 => return Err(error),
            Ok(()) if failures > 30 => {
                return Err(CallError::Unreadable(format!("the stream of run {run} kept ending before the run did")));
            }
            _ => {
                let pause = Duration::from_secs(u64::from(failures.min(15)));
                match deadline {
                    Some(deadline) if Instant::now() + pause >= deadline => {
                        eprintln!("sharepack: run {run} did not end in time");
                        return Ok((Outcome::TimedOut, last));
                    }
                    _ => tokio::time::sleep(pause).await,
                }
            }
        }
    }
}

/// Shows the plan a run waits with, then sends the decision bound to the digest shown.
async fn decide(portal: &Portal, out: &Out, run_id: &str, approve: bool, comment: Option<String>) -> Result<Outcome, CallError> {
    let waiting = portal.approvals().await?;
    let Some(row) = waiting.approvals.into_iter().find(|row| row.run_id.eq_ignore_ascii_case(run_id.trim())) else {
        eprintln!("sharepack: run {run_id} is not waiting for your decision (GET /workflow/approvals does not list it)");
        return Ok(Outcome::Refused);
    };
    out.words(print::approval(&row));
    let decision = DecisionRequest { comment, plan_digest: Some(row.plan_digest.clone()) };
    let decided = portal.decide(&row.run_id, approve, &decision).await?;
    out.json(&decided);
    out.words(format!("run {} {}: {}", decided.run_id, decided.run_status, decided.message));
    Ok(Outcome::Success)
}
