//! Runs (`provisioning_runs`): a share-pack upload's plan applied to a workspace. Every change
//! to a run or its steps bumps `revision`, so progress pages on any portal instance notice
//! changes by polling one number. Status changes are conditional updates, so a late worker
//! never overwrites a terminal status.

use super::{bind_time, now, Result, Store, StoreError};
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
}

const RUN_COLUMNS: &str = "run_id, share_pack_id, version, workspace_url, status, strategy, requested_by, correlation_id, error, \
    created_at, updated_at, plan, confirm_removals, compensate, cancel_requested, progress, deliveries, revision, started_at, \
    finished_at, claim";

macro_rules! run_from_row {
    ($row:expr) => {{
        let row = $row;
        let plan: Option<Value> = match row.try_get::<Option<String>, _>(11) {
            Ok(text) => text.and_then(|text| serde_json::from_str(&text).ok()),
            Err(_) => row.try_get::<Option<sqlx::types::Json<Value>>, _>(11)?.map(|json| json.0),
        };
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
        }
    }};
}

/// The terminal statuses, as the conditional updates below spell them.
const TERMINAL: &str = "('COMPLETED', 'FAILED', 'CANCELLED')";

impl Store {
    pub async fn insert_run(&self, run: &NewRun<'_>) -> Result<()> {
        let sql = "INSERT INTO provisioning_runs (run_id, share_pack_id, version, workspace_url, status, strategy, requested_by, \
                   correlation_id, created_at, updated_at, plan, confirm_removals, compensate, claim, progress) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'Waiting for a worker')";
        let at = now();
        on_pool!(self, pool => {
            let query = sqlx::query(sql)
                .bind(run.id)
                .bind(run.share_pack_id)
                .bind(run.upload)
                .bind(run.workspace_url)
                .bind(RunStatus::Queued.as_str())
                .bind(run.strategy.as_str())
                .bind(run.requested_by)
                .bind(run.id);
            let query = bind_time(self, bind_time(self, query, at), at);
            let query = bind_json!(self, query, run.plan);
            query.bind(run.confirm_removals).bind(run.compensate).bind(run.claim).execute(pool).await?;
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
                   finished_at = $1, revision = revision + 1 WHERE run_id = $2 AND status = 'QUEUED'";
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
