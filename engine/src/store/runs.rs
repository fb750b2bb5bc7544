//! Runs (`provisioning_runs`): a share-pack upload's plan applied to a workspace. Every change
//! to a run or its steps bumps `revision`, so progress pages on any portal instance notice
//! changes by polling one number. Status changes are conditional updates, so a late worker
//! never overwrites a terminal status.

use super::{bind_optional_time, bind_time, now, Result, Store, StoreError};
use crate::model::Strategy;
use crate::records::RunStatus;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use uuid::Uuid;

/// One run.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub id: Uuid,
    pub share_pack_id: Uuid,
    /// The upload (share-pack file version) the run applies.
    pub upload: i64,
    pub workspace_url: String,
    pub status: RunStatus,
    pub strategy: Strategy,
    pub requested_by: String,
    pub correlation_id: Uuid,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The plan the submitter approved (replaced by the one recomputed before applying).
    pub plan: Option<Value>,
    pub confirm_removals: bool,
    pub compensate: bool,
    pub cancel_requested: bool,
    /// The current step in words.
    pub progress: String,
    /// How often a worker has taken the run up.
    pub deliveries: i32,
    pub revision: i64,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The submitter's claim on the activation links.
    pub claim: Option<Uuid>,
    /// What approvals are bound to: the digest of the plan and of the workspace state it was
    /// computed from ([`crate::approval::plan_digest`]).
    pub plan_digest: Option<String>,
    /// That workspace state, without secrets ([`crate::approval::state`]).
    pub plan_state: Option<Value>,
    /// The policy's requirement for this plan ([`crate::approval::Requirement`]).
    pub approval: Option<Value>,
    /// What changed when the plan asked for approval again (`added`, `dropped`, `state`).
    pub plan_changes: Option<Value>,
    /// When the run may start at the earliest (scheduled provisioning); `None`: as soon as it can.
    pub start_at: Option<DateTime<Utc>>,
}

/// A run as submitted.
pub struct NewRun<'a> {
    pub id: Uuid,
    pub share_pack_id: Uuid,
    pub upload: i64,
    pub workspace_url: &'a str,
    pub strategy: Strategy,
    pub requested_by: &'a str,
    pub plan: &'a Value,
    pub confirm_removals: bool,
    pub compensate: bool,
    pub claim: Uuid,
    /// `Queued`, `Scheduled` (approved, with a start time), or `AwaitingApproval` when the
    /// policy asks for approvals.
    pub status: RunStatus,
    pub progress: &'a str,
    pub plan_digest: &'a str,
    pub plan_state: &'a Value,
    pub approval: &'a Value,
    pub start_at: Option<DateTime<Utc>>,
}

/// A plan the worker recomputed and that must be approved again.
pub struct AskAgain<'a> {
    pub plan: &'a Value,
    pub strategy: Strategy,
    pub plan_digest: &'a str,
    pub plan_state: &'a Value,
    pub approval: &'a Value,
    pub changes: &'a Value,
    pub progress: &'a str,
}

const RUN_COLUMNS: &str = "run_id, share_pack_id, version, workspace_url, status, strategy, requested_by, correlation_id, error, \
    created_at, updated_at, plan, confirm_removals, compensate, cancel_requested, progress, deliveries, revision, started_at, \
    finished_at, claim, plan_digest, plan_state, approval, plan_changes, start_at";

/// A JSON column: text on SQLite, JSONB on PostgreSQL.
macro_rules! json_at {
    ($row:expr, $index:expr) => {
        match $row.try_get::<Option<String>, _>($index) {
            Ok(text) => text.and_then(|text| serde_json::from_str(&text).ok()),
            Err(_) => $row.try_get::<Option<sqlx::types::Json<Value>>, _>($index)?.map(|json| json.0),
        }
    };
}

macro_rules! run_from_row {
    ($row:expr) => {{
        let row = $row;
        let plan: Option<Value> = json_at!(row, 11);
        let strategy: String = row.try_get(5)?;
        Run {
            id: row.try_get(0)?,
            share_pack_id: row.try_get(1)?,
            upload: row.try_get(2)?,
            workspace_url: row.try_get(3)?,
            status: row.try_get::<String, _>(4)?.parse()?,
            strategy: Strategy::parse(&strategy).ok_or_else(|| StoreError::Corrupt(format!("`{strategy}` is not a strategy")))?,
            requested_by: row.try_get(6)?,
            correlation_id: row.try_get(7)?,
            error: row.try_get(8)?,
            created_at: row.try_get(9)?,
            updated_at: row.try_get(10)?,
            plan,
            confirm_removals: row.try_get(12)?,
            compensate: row.try_get(13)?,
            cancel_requested: row.try_get(14)?,
            progress: row.try_get(15)?,
            deliveries: row.try_get(16)?,
            revision: row.try_get(17)?,
            started_at: row.try_get(18)?,
            finished_at: row.try_get(19)?,
            claim: row.try_get(20)?,
            plan_digest: row.try_get(21)?,
            plan_state: json_at!(row, 22),
            approval: json_at!(row, 23),
            plan_changes: json_at!(row, 24),
            start_at: row.try_get(25)?,
        }
    }};
}

/// The terminal statuses, as the conditional updates below spell them.
const TERMINAL: &str = "('COMPLETED', 'FAILED', 'CANCELLED')";

impl Store {
    /// How many runs there are in each status (for metrics).
    pub async fn run_counts(&self) -> Result<Vec<(RunStatus, u64)>> {
        let sql = "SELECT status, count(*) FROM provisioning_runs GROUP BY status";
        let rows: Vec<(String, i64)> = on_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(status, count)| {
                let status = status.parse::<RunStatus>().map_err(|_| StoreError::Corrupt(format!("run status {status}")))?;
                Ok((status, count.max(0) as u64))
            })
            .collect()
    }

    pub async fn insert_run(&self, run: &NewRun<'_>) -> Result<()> {
        let sql = "INSERT INTO provisioning_runs (run_id, share_pack_id, version, workspace_url, status, strategy, requested_by, \
                   correlation_id, created_at, updated_at, plan, confirm_removals, compensate, claim, progress, plan_digest, \
                   plan_state, approval, start_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                   $17, $18, $19)";
        let at = now();
        on_pool!(self, pool => {
            let query = sqlx::query(sql)
                .bind(run.id)
                .bind(run.share_pack_id)
                .bind(run.upload)
                .bind(run.workspace_url)
                .bind(run.status.as_str())
                .bind(run.strategy.as_str())
                .bind(run.requested_by)
                .bind(run.id);
            let query = bind_time(self, bind_time(self, query, at), at);
            let query = bind_json!(self, query, run.plan);
            let query = query.bind(run.confirm_removals).bind(run.compensate).bind(run.claim).bind(run.progress).bind(run.plan_digest);
            let query = bind_json!(self, query, run.plan_state);
            let query = bind_json!(self, query, run.approval);
            bind_optional_time(self, query, run.start_at).execute(pool).await?;
        });
        Ok(())
    }

    pub async fn load_run(&self, id: Uuid) -> Result<Option<Run>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM provisioning_runs WHERE run_id = $1");
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?;
            row.map(|row| -> Result<Run> { Ok(run_from_row!(&row)) }).transpose()
        })
    }

    /// Runs of a share pack, newest first.
    pub async fn runs_of_pack(&self, share_pack_id: Uuid) -> Result<Vec<Run>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM provisioning_runs WHERE share_pack_id = $1 ORDER BY created_at DESC, run_id DESC");
        self.select_runs(sql, Some(share_pack_id), 1000).await
    }

    /// The newest runs of all share packs.
    pub async fn recent_runs(&self, limit: u32) -> Result<Vec<Run>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM provisioning_runs ORDER BY created_at DESC, run_id DESC LIMIT $1");
        self.select_runs(sql, None, limit).await
    }

    async fn select_runs(&self, sql: String, pack: Option<Uuid>, limit: u32) -> Result<Vec<Run>> {
        on_pool!(self, pool => {
            let query = sqlx::query(sqlx::AssertSqlSafe(sql));
            let query = match pack {
                Some(pack) => query.bind(pack),
                None => query.bind(i64::from(limit)),
            };
            let rows = query.fetch_all(pool).await?;
            rows.iter().map(|row| -> Result<Run> { Ok(run_from_row!(row)) }).collect()
        })
    }

    /// Changes a run's status (and what it is doing, and why it failed); terminal states stamp
    /// `finished_at`. Returns false when the run was already terminal (nothing changed), so
    /// that a late worker never overwrites a cancellation or a result.
    pub async fn set_run_status(&self, id: Uuid, status: RunStatus, progress: &str, error: Option<&str>) -> Result<bool> {
        let sql = format!(
            "UPDATE provisioning_runs SET status = $1, progress = $2, error = $3, updated_at = $4, revision = revision + 1, \
             finished_at = CASE WHEN $5 THEN $4 ELSE finished_at END \
             WHERE run_id = $6 AND status NOT IN {TERMINAL}"
        );
        let changed = on_pool!(self, pool => {
            let query = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(status.as_str()).bind(progress).bind(error);
            bind_time(self, query, now()).bind(status.is_terminal()).bind(id).execute(pool).await?.rows_affected()
        });
        Ok(changed > 0)
    }

    /// A worker takes the run up: RUNNING, one more delivery.
    pub async fn start_delivery(&self, id: Uuid) -> Result<bool> {
        let sql = "UPDATE provisioning_runs SET status = $1, deliveries = deliveries + 1, updated_at = $2, \
                   started_at = COALESCE(started_at, $2), revision = revision + 1 \
                   WHERE run_id = $3 AND status IN ($4, $1)";
        let changed = on_pool!(self, pool => {
            let query = sqlx::query(sql).bind(RunStatus::Running.as_str());
            bind_time(self, query, now()).bind(id).bind(RunStatus::Queued.as_str()).execute(pool).await?.rows_affected()
        });
        Ok(changed > 0)
    }

    /// Updates what the run is doing, in words.
    pub async fn set_progress(&self, id: Uuid, progress: &str) -> Result<()> {
        let sql = "UPDATE provisioning_runs SET progress = $1, updated_at = $2, revision = revision + 1 WHERE run_id = $3";
        on_pool!(self, pool => {
            bind_time(self, sqlx::query(sql).bind(progress), now()).bind(id).execute(pool).await?;
        });
        Ok(())
    }

    /// Replaces the approved plan by the one recomputed before applying.
    pub async fn set_run_plan(&self, id: Uuid, plan: &Value, strategy: Strategy) -> Result<()> {
        let sql = "UPDATE provisioning_runs SET plan = $1, strategy = $2, revision = revision + 1 WHERE run_id = $3";
        on_pool!(self, pool => {
            let query = bind_json!(self, sqlx::query(sql), plan);
            query.bind(strategy.as_str()).bind(id).execute(pool).await?;
        });
        Ok(())
    }

    /// Asks a run to stop. A queued run, or a running one with no step in flight, is cancelled
    /// at once; otherwise the worker stops it after the steps in flight.
    /// Returns the status after the request, `None` for an unknown run.
    pub async fn request_cancel(&self, id: Uuid) -> Result<Option<RunStatus>> {
        let sql = "UPDATE provisioning_runs SET status = 'CANCELLED', progress = 'Cancelled before it started', updated_at = $1, \
                   finished_at = $1, revision = revision + 1 WHERE run_id = $2 AND status IN ('QUEUED', 'SCHEDULED', 'AWAITING_APPROVAL')";
        on_pool!(self, pool => {
            bind_time(self, sqlx::query(sql), now()).bind(id).execute(pool).await?;
        });
        // Running, but no step in flight (between deliveries, e.g. waiting to retry): stop now.
        let sql = "UPDATE provisioning_runs SET status = 'CANCELLED', progress = 'Cancelled between steps; finished steps stay applied', \
                   updated_at = $1, finished_at = $1, revision = revision + 1 WHERE run_id = $2 AND status = 'RUNNING' \
                   AND NOT EXISTS (SELECT 1 FROM provisioning_steps WHERE run_id = $2 AND status = 'RUNNING')";
        on_pool!(self, pool => {
            bind_time(self, sqlx::query(sql), now()).bind(id).execute(pool).await?;
        });
        let sql = "UPDATE provisioning_runs SET cancel_requested = TRUE, progress = 'Cancelling after the current step', \
                   revision = revision + 1 WHERE run_id = $1 AND status = 'RUNNING'";
        on_pool!(self, pool => {
            sqlx::query(sql).bind(id).execute(pool).await?;
        });
        Ok(self.load_run(id).await?.map(|run| run.status))
    }

    /// Puts a failed run back in the queue's hands, from the failed step (and whatever
    /// compensation removed). Returns false when the run is not failed.
    pub async fn reset_for_retry(&self, id: Uuid) -> Result<bool> {
        let sql = "UPDATE provisioning_runs SET status = 'QUEUED', error = NULL, cancel_requested = FALSE, finished_at = NULL, \
                   progress = 'Waiting for a worker (retry)', updated_at = $1, revision = revision + 1 \
                   WHERE run_id = $2 AND status = 'FAILED'";
        let changed = on_pool!(self, pool => {
            bind_time(self, sqlx::query(sql), now()).bind(id).execute(pool).await?.rows_affected()
        });
        if changed > 0 {
            // Steps compensation undid are done again, with the failed one and those after it.
            let sql = "UPDATE provisioning_steps SET status = 'PENDING' WHERE run_id = $1 AND status IN ('FAILED', 'RUNNING', 'UNDONE')";
            on_pool!(self, pool => {
                sqlx::query(sql).bind(id).execute(pool).await?;
            });
        }
        Ok(changed > 0)
    }

    /// An approved plan goes to the workers: AWAITING_APPROVAL to QUEUED (or SCHEDULED, when
    /// it starts later), only while the run still waits with the digest that was approved.
    /// False when it no longer does.
    pub async fn release_run(&self, id: Uuid, digest: &str, to: RunStatus, progress: &str) -> Result<bool> {
        let sql = "UPDATE provisioning_runs SET status = $4, progress = $5, updated_at = $1, \
                   revision = revision + 1 WHERE run_id = $2 AND status = 'AWAITING_APPROVAL' AND plan_digest = $3";
        let changed = on_pool!(self, pool => {
            bind_time(self, sqlx::query(sql), now()).bind(id).bind(digest).bind(to.as_str()).bind(progress).execute(pool).await?.rows_affected()
        });
        Ok(changed > 0)
    }

    /// Scheduled runs whose start time has come, oldest first.
    pub async fn due_runs(&self, at: DateTime<Utc>) -> Result<Vec<Uuid>> {
        let sql = "SELECT run_id FROM provisioning_runs WHERE status = 'SCHEDULED' AND start_at <= $1 ORDER BY start_at, run_id";
        on_pool!(self, pool => {
            let rows = bind_time(self, sqlx::query(sql), at).fetch_all(pool).await?;
            rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
        })
    }

    /// A due scheduled run goes to the workers: SCHEDULED to QUEUED, once (false when another
    /// process did it, or the run was cancelled meanwhile).
    pub async fn start_scheduled(&self, id: Uuid) -> Result<bool> {
        let sql = "UPDATE provisioning_runs SET status = 'QUEUED', progress = 'Its start time came; waiting for a worker', \
                   updated_at = $1, revision = revision + 1 WHERE run_id = $2 AND status = 'SCHEDULED'";
        let changed = on_pool!(self, pool => {
            bind_time(self, sqlx::query(sql), now()).bind(id).execute(pool).await?.rows_affected()
        });
        Ok(changed > 0)
    }

    /// A scheduled run the queue refused goes back to waiting (QUEUED to SCHEDULED, only if no
    /// worker moved it meanwhile), for the scheduler's next tick.
    pub async fn reschedule(&self, id: Uuid, progress: &str) -> Result<bool> {
        let sql = "UPDATE provisioning_runs SET status = 'SCHEDULED', progress = $1, updated_at = $2, revision = revision + 1 \
                   WHERE run_id = $3 AND status = 'QUEUED'";
        let changed = on_pool!(self, pool => {
            bind_time(self, sqlx::query(sql).bind(progress), now()).bind(id).execute(pool).await?.rows_affected()
        });
        Ok(changed > 0)
    }

    /// A rejected plan: AWAITING_APPROVAL to FAILED with the rejection as the error, only while
    /// the run still waits with the digest that was rejected.
    pub async fn reject_run(&self, id: Uuid, digest: &str, progress: &str, error: &str) -> Result<bool> {
        let sql = "UPDATE provisioning_runs SET status = 'FAILED', progress = $1, error = $2, updated_at = $3, finished_at = $3, \
                   revision = revision + 1 WHERE run_id = $4 AND status = 'AWAITING_APPROVAL' AND plan_digest = $5";
        let changed = on_pool!(self, pool => {
            let query = sqlx::query(sql).bind(progress).bind(error);
            bind_time(self, query, now()).bind(id).bind(digest).execute(pool).await?.rows_affected()
        });
        Ok(changed > 0)
    }

    /// The worker found a different plan than the one approved: RUNNING back to
    /// AWAITING_APPROVAL with the new plan, its digest and state, and what changed.
    pub async fn ask_again(&self, id: Uuid, again: &AskAgain<'_>) -> Result<bool> {
        let sql = "UPDATE provisioning_runs SET status = 'AWAITING_APPROVAL', plan = $1, strategy = $2, plan_digest = $3, \
                   plan_state = $4, approval = $5, plan_changes = $6, progress = $7, updated_at = $8, revision = revision + 1 \
                   WHERE run_id = $9 AND status = 'RUNNING'";
        let changed = on_pool!(self, pool => {
            let query = bind_json!(self, sqlx::query(sql), again.plan).bind(again.strategy.as_str()).bind(again.plan_digest);
            let query = bind_json!(self, query, again.plan_state);
            let query = bind_json!(self, query, again.approval);
            let query = bind_json!(self, query, again.changes).bind(again.progress);
            bind_time(self, query, now()).bind(id).execute(pool).await?.rows_affected()
        });
        Ok(changed > 0)
    }

    /// Runs waiting for approval, oldest first, of the business lines `visibility` sees (the
    /// filter is in the query).
    pub async fn awaiting_runs(&self, visibility: &crate::access::Visibility) -> Result<Vec<Run>> {
        use crate::access::Visibility;
        let columns: Vec<String> = RUN_COLUMNS.split(", ").map(|column| format!("r.{}", column.trim())).collect();
        let columns = columns.join(", ");
        let base = format!("SELECT {columns} FROM provisioning_runs r WHERE r.status = 'AWAITING_APPROVAL'");
        on_pool!(self, pool => {
            let rows = match visibility {
                Visibility::All => {
                    let sql = format!("{base} ORDER BY r.created_at, r.run_id LIMIT 1000");
                    sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
                }
                Visibility::Some { business_lines, person } => {
                    let lines: Vec<String> = business_lines.iter().map(|line| super::owners::normal_line(line)).collect();
                    let placeholders: Vec<String> = (0..lines.len()).map(|index| format!("${}", index + 2)).collect();
                    let in_lines = if lines.is_empty() { String::new() } else { format!(" OR lower(o.business_line) IN ({})", placeholders.join(", ")) };
                    let sql = format!(
                        "{base} AND r.share_pack_id IN (SELECT o.share_pack_id FROM share_pack_owners o WHERE lower(o.created_by) = $1{in_lines}) \
                         ORDER BY r.created_at, r.run_id LIMIT 1000"
                    );
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(person.to_lowercase());
                    for line in lines {
                        query = query.bind(line);
                    }
                    query.fetch_all(pool).await?
                }
            };
            rows.iter().map(|row| -> Result<Run> { Ok(run_from_row!(row)) }).collect()
        })
    }

    /// Bumps a run's revision (a step changed).
    pub(super) async fn touch(&self, run: Uuid) -> Result<()> {
        let sql = "UPDATE provisioning_runs SET revision = revision + 1, updated_at = $1 WHERE run_id = $2";
        on_pool!(self, pool => {
            bind_time(self, sqlx::query(sql), now()).bind(run).execute(pool).await?;
        });
        Ok(())
    }

    /// A run's revision: changes whenever the run or one of its steps does.
    pub async fn run_revision(&self, run: Uuid) -> Result<Option<i64>> {
        let sql = "SELECT revision FROM provisioning_runs WHERE run_id = $1";
        Ok(on_pool!(self, pool => sqlx::query_scalar(sql).bind(run).fetch_optional(pool).await?))
    }
}
