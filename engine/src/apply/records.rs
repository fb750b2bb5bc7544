//! Runs, their steps, uploaded pack files, one-time activation links and the audit trail, as
//! the store keeps them (`provisioning_runs`, `provisioning_steps`, `share_pack_files`,
//! `activation_links`, `audit_trail`). Every change to a run or its steps bumps the run's
//! `revision`, so progress pages on any portal instance notice changes by polling one number.

use crate::store::{bind_time, now, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "QUEUED",
            RunStatus::Running => "RUNNING",
            RunStatus::Completed => "COMPLETED",
            RunStatus::Failed => "FAILED",
            RunStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(text: &str) -> Self {
        match text {
            "QUEUED" => RunStatus::Queued,
            "RUNNING" => RunStatus::Running,
            "COMPLETED" => RunStatus::Completed,
            "CANCELLED" => RunStatus::Cancelled,
            _ => RunStatus::Failed,
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, RunStatus::Completed | RunStatus::Failed | RunStatus::Cancelled)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StepStatus {
    Pending,
    Running,
    Done,
    Failed,
    /// Created by this run, then removed again because the run failed (compensation).
    Undone,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Pending => "PENDING",
            StepStatus::Running => "RUNNING",
            StepStatus::Done => "DONE",
            StepStatus::Failed => "FAILED",
            StepStatus::Undone => "UNDONE",
        }
    }

    pub fn parse(text: &str) -> Self {
        match text {
            "RUNNING" => StepStatus::Running,
            "DONE" => StepStatus::Done,
            "FAILED" => StepStatus::Failed,
            "UNDONE" => StepStatus::Undone,
            _ => StepStatus::Pending,
        }
    }
}

/// One run: a share-pack upload's plan applied to a workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub id: Uuid,
    pub share_pack_id: Uuid,
    /// The upload (share-pack file version) the run applies.
    pub upload: i64,
    pub workspace_url: String,
    pub status: RunStatus,
    pub strategy: String,
    pub requested_by: String,
    pub correlation_id: Uuid,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The plan the submitter approved.
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

/// One stored step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    pub step_no: i32,
    pub phase: i32,
    pub kind: String,
    pub target: String,
    pub status: StepStatus,
    pub attempts: i32,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub data: Value,
}

impl StepRecord {
    pub fn work(&self) -> Option<super::Work> {
        serde_json::from_value(self.data.clone()).ok()
    }
}

/// An uploaded share-pack file (one version of the pack).
#[derive(Debug, Clone, PartialEq)]
pub struct PackFile {
    pub share_pack_id: Uuid,
    pub version: i64,
    pub file_name: String,
    pub format: String,
    pub uploaded_at: DateTime<Utc>,
}

/// Activation links nobody took are deleted after this many days (Databricks' own expire too).
pub const ACTIVATION_LINK_DAYS: i64 = 7;

const RUN_COLUMNS: &str = "run_id, share_pack_id, version, workspace_url, status, strategy, requested_by, correlation_id, error, \
    created_at, updated_at, plan, confirm_removals, compensate, cancel_requested, progress, deliveries, revision, started_at, \
    finished_at, claim";

const STEP_COLUMNS: &str = "step_no, phase, kind, target, status, attempts, started_at, finished_at, last_error, data";

macro_rules! run_from_row {
    ($row:expr) => {{
        let row = $row;
        let status: String = row.try_get(4)?;
        let plan: Option<Value> = match row.try_get::<Option<String>, _>(11) {
            Ok(text) => text.and_then(|text| serde_json::from_str(&text).ok()),
            Err(_) => row.try_get::<Option<sqlx::types::Json<Value>>, _>(11)?.map(|json| json.0),
        };
        Run {
            id: row.try_get(0)?,
            share_pack_id: row.try_get(1)?,
            upload: row.try_get(2)?,
            workspace_url: row.try_get(3)?,
            status: RunStatus::parse(&status),
            strategy: row.try_get(5)?,
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

/// Binds JSON the way the backend stores it (`JSONB` or text).
macro_rules! bind_json {
    ($store:expr, $query:expr, $value:expr) => {
        match $store {
            Store::Postgres(_) => $query.bind(sqlx::types::Json($value.clone())),
            Store::Sqlite(_) => $query.bind($value.to_string()),
        }
    };
}

/// A run as submitted.
pub struct NewRun<'a> {
    pub id: Uuid,
    pub share_pack_id: Uuid,
    pub upload: i64,
    pub workspace_url: &'a str,
    pub strategy: &'a str,
    pub requested_by: &'a str,
    pub plan: &'a Value,
    pub confirm_removals: bool,
    pub compensate: bool,
    pub claim: Uuid,
}

impl Store {
    pub async fn insert_run(&self, run: &NewRun<'_>) -> Result<()> {
        let sql = "INSERT INTO provisioning_runs (run_id, share_pack_id, version, workspace_url, status, strategy, requested_by, \
                   correlation_id, created_at, updated_at, plan, confirm_removals, compensate, claim, progress) \
                   VALUES ($1, $2, $3, $4, 'QUEUED', $5, $6, $7, $8, $9, $10, $11, $12, $13, 'Waiting for a worker')";
        let at = now();
        on_store!(self, pool => {
            let query = sqlx::query(sql)
                .bind(run.id)
                .bind(run.share_pack_id)
                .bind(run.upload)
                .bind(run.workspace_url)
                .bind(run.strategy)
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
        on_store!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?;
            row.map(|row| -> std::result::Result<Run, sqlx::Error> { Ok(run_from_row!(&row)) }).transpose().map_err(StoreError::from)
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
        on_store!(self, pool => {
            let query = sqlx::query(sqlx::AssertSqlSafe(sql));
            let query = match pack {
                Some(pack) => query.bind(pack),
                None => query.bind(i64::from(limit)),
            };
            let rows = query.fetch_all(pool).await?;
            rows.iter().map(|row| -> std::result::Result<Run, sqlx::Error> { Ok(run_from_row!(row)) }).collect::<std::result::Result<Vec<_>, _>>().map_err(StoreError::from)
        })
    }

    /// Changes a run's status (and what it is doing, and why it failed); terminal states stamp
    /// `finished_at`. Returns false when the run was already terminal (nothing changed), so
    /// that a late worker never overwrites a cancellation or a result.
    pub async fn set_run_status(&self, id: Uuid, status: RunStatus, progress: &str, error: Option<&str>) -> Result<bool> {
        let sql = "UPDATE provisioning_runs SET status = $1, progress = $2, error = $3, updated_at = $4, revision = revision + 1, \
                   finished_at = CASE WHEN $5 THEN $4 ELSE finished_at END \
                   WHERE run_id = $6 AND status NOT IN ('COMPLETED', 'FAILED', 'CANCELLED')";
        let changed = on_store!(self, pool => {
            let query = sqlx::query(sql).bind(status.as_str()).bind(progress).bind(error);
            bind_time(self, query, now()).bind(status.is_terminal()).bind(id).execute(pool).await?.rows_affected()
        });
        Ok(changed > 0)
    }

    /// A worker takes the run up: RUNNING, one more delivery.
    pub async fn start_delivery(&self, id: Uuid) -> Result<bool> {
        let sql = "UPDATE provisioning_runs SET status = 'RUNNING', deliveries = deliveries + 1, updated_at = $1, \
                   started_at = COALESCE(started_at, $1), revision = revision + 1 \
                   WHERE run_id = $2 AND status IN ('QUEUED', 'RUNNING')";
        let changed = on_store!(self, pool => {
            bind_time(self, sqlx::query(sql), now()).bind(id).execute(pool).await?.rows_affected()
        });
        Ok(changed > 0)
    }

    /// Updates what the run is doing, in words.
    pub async fn set_progress(&self, id: Uuid, progress: &str) -> Result<()> {
        let sql = "UPDATE provisioning_runs SET progress = $1, updated_at = $2, revision = revision + 1 WHERE run_id = $3";
        on_store!(self, pool => {
            bind_time(self, sqlx::query(sql).bind(progress), now()).bind(id).execute(pool).await?;
        });
        Ok(())
    }

    /// Replaces the approved plan by the one recomputed before applying.
    pub async fn set_run_plan(&self, id: Uuid, plan: &Value, strategy: &str) -> Result<()> {
        let sql = "UPDATE provisioning_runs SET plan = $1, strategy = $2, revision = revision + 1 WHERE run_id = $3";
        on_store!(self, pool => {
            let query = bind_json!(self, sqlx::query(sql), plan);
            query.bind(strategy).bind(id).execute(pool).await?;
        });
        Ok(())
    }

    /// Asks a run to stop. A queued run, or a running one with no step in flight, is cancelled
    /// at once; otherwise the worker stops it after the steps in flight.
    /// Returns the status after the request, `None` for an unknown run.
    pub async fn request_cancel(&self, id: Uuid) -> Result<Option<RunStatus>> {
        let sql = "UPDATE provisioning_runs SET status = 'CANCELLED', progress = 'Cancelled before it started', updated_at = $1, \
                   finished_at = $1, revision = revision + 1 WHERE run_id = $2 AND status = 'QUEUED'";
        on_store!(self, pool => {
            bind_time(self, sqlx::query(sql), now()).bind(id).execute(pool).await?;
        });
        // Running, but no step in flight (between deliveries, e.g. waiting to retry): stop now.
        let sql = "UPDATE provisioning_runs SET status = 'CANCELLED', progress = 'Cancelled between steps; finished steps stay applied', \
                   updated_at = $1, finished_at = $1, revision = revision + 1 WHERE run_id = $2 AND status = 'RUNNING' \
                   AND NOT EXISTS (SELECT 1 FROM provisioning_steps WHERE run_id = $2 AND status = 'RUNNING')";
        on_store!(self, pool => {
            bind_time(self, sqlx::query(sql), now()).bind(id).execute(pool).await?;
        });
        let sql = "UPDATE provisioning_runs SET cancel_requested = TRUE, progress = 'Cancelling after the current step', \
                   revision = revision + 1 WHERE run_id = $1 AND status = 'RUNNING'";
        on_store!(self, pool => {
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
        let changed = on_store!(self, pool => {
            bind_time(self, sqlx::query(sql), now()).bind(id).execute(pool).await?.rows_affected()
        });
        if changed > 0 {
            // Steps compensation undid are done again, with the failed one and those after it.
            let sql = "UPDATE provisioning_steps SET status = 'PENDING' WHERE run_id = $1 AND status IN ('FAILED', 'RUNNING', 'UNDONE')";
            on_store!(self, pool => {
                sqlx::query(sql).bind(id).execute(pool).await?;
            });
        }
        Ok(changed > 0)
    }

    /// Stores a run's steps once; a second worker storing the same steps changes nothing.
    pub async fn insert_steps(&self, run: Uuid, steps: &[super::WorkStep]) -> Result<()> {
        let sql = "INSERT INTO provisioning_steps (run_id, step_no, kind, target, status, attempts, data, phase) \
                   VALUES ($1, $2, $3, $4, 'PENDING', 0, $5, $6) ON CONFLICT (run_id, step_no) DO NOTHING";
        on_store!(self, pool => {
            let mut tx = pool.begin().await?;
            for (index, step) in steps.iter().enumerate() {
                let data = serde_json::to_value(&step.work).unwrap_or_default();
                let query = sqlx::query(sql).bind(run).bind(index as i32 + 1).bind(step.work.kind()).bind(step.work.target());
                let query = bind_json!(self, query, data);
                query.bind(step.phase).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn load_steps(&self, run: Uuid) -> Result<Vec<StepRecord>> {
        let sql = format!("SELECT {STEP_COLUMNS} FROM provisioning_steps WHERE run_id = $1 ORDER BY step_no");
        on_store!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(run).fetch_all(pool).await?;
            rows.iter()
                .map(|row| -> std::result::Result<StepRecord, sqlx::Error> {
                    let status: String = row.try_get(4)?;
                    Ok(StepRecord {
                        step_no: row.try_get(0)?,
                        phase: row.try_get(1)?,
                        kind: row.try_get(2)?,
                        target: row.try_get(3)?,
                        status: StepStatus::parse(&status),
                        attempts: row.try_get(5)?,
                        started_at: row.try_get(6)?,
                        finished_at: row.try_get(7)?,
                        last_error: row.try_get(8)?,
                        data: crate::store::json_column(row, 9)?,
                    })
                })
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(StoreError::from)
        })
    }

    /// Marks a step running and counts the attempt; returns the attempts before this one.
    pub async fn step_started(&self, run: Uuid, step_no: i32) -> Result<i32> {
        let sql = "UPDATE provisioning_steps SET status = 'RUNNING', attempts = attempts + 1, started_at = $1, finished_at = NULL \
                   WHERE run_id = $2 AND step_no = $3 RETURNING attempts";
        let attempts: i32 = on_store!(self, pool => {
            let row = bind_time(self, sqlx::query(sql), now()).bind(run).bind(step_no).fetch_one(pool).await?;
            row.try_get(0)?
        });
        self.touch(run).await?;
        Ok(attempts - 1)
    }

    /// Records how a step ended.
    pub async fn step_finished(&self, run: Uuid, step_no: i32, status: StepStatus, error: Option<&str>) -> Result<()> {
        let sql = "UPDATE provisioning_steps SET status = $1, finished_at = $2, last_error = COALESCE($3, last_error) \
                   WHERE run_id = $4 AND step_no = $5";
        on_store!(self, pool => {
            bind_time(self, sqlx::query(sql).bind(status.as_str()), now()).bind(error).bind(run).bind(step_no).execute(pool).await?;
        });
        self.touch(run).await
    }

    async fn touch(&self, run: Uuid) -> Result<()> {
        let sql = "UPDATE provisioning_runs SET revision = revision + 1, updated_at = $1 WHERE run_id = $2";
        on_store!(self, pool => {
            bind_time(self, sqlx::query(sql), now()).bind(run).execute(pool).await?;
        });
        Ok(())
    }

    /// A run's revision: changes whenever the run or one of its steps does.
    pub async fn run_revision(&self, run: Uuid) -> Result<Option<i64>> {
        let sql = "SELECT revision FROM provisioning_runs WHERE run_id = $1";
        Ok(on_store!(self, pool => sqlx::query_scalar(sql).bind(run).fetch_optional(pool).await?))
    }

    /// Keeps a new token recipient's activation link until its submitter has seen it, and
    /// forgets links nobody took within [`ACTIVATION_LINK_DAYS`].
    pub async fn save_activation_link(&self, run: Uuid, recipient: &str, url: &str) -> Result<()> {
        let sql = "INSERT INTO activation_links (run_id, recipient, url, created_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (run_id, recipient) DO NOTHING";
        let expired = "DELETE FROM activation_links WHERE created_at < $1";
        let cutoff = now() - chrono::TimeDelta::days(ACTIVATION_LINK_DAYS);
        on_store!(self, pool => {
            bind_time(self, sqlx::query(sql).bind(run).bind(recipient).bind(url), now()).execute(pool).await?;
            bind_time(self, sqlx::query(expired), cutoff).execute(pool).await?;
        });
        Ok(())
    }

    /// Hands the activation links to whoever holds the run's claim, once: they are deleted as
    /// they are read.
    pub async fn take_activation_links(&self, run: Uuid, claim: Uuid) -> Result<Vec<(String, String)>> {
        let Some(stored) = self.load_run(run).await? else { return Ok(Vec::new()) };
        if stored.claim != Some(claim) {
            return Ok(Vec::new());
        }
        let sql = "DELETE FROM activation_links WHERE run_id = $1 RETURNING recipient, url";
        on_store!(self, pool => {
            let rows = sqlx::query(sql).bind(run).fetch_all(pool).await?;
            let mut links = rows
                .iter()
                .map(|row| -> std::result::Result<(String, String), sqlx::Error> { Ok((row.try_get(0)?, row.try_get(1)?)) })
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(StoreError::from)?;
            links.sort();
            Ok(links)
        })
    }

    /// How many activation links wait for a run's submitter.
    pub async fn pending_activation_links(&self, run: Uuid) -> Result<i64> {
        let sql = "SELECT count(*) FROM activation_links WHERE run_id = $1";
        Ok(on_store!(self, pool => sqlx::query_scalar(sql).bind(run).fetch_one(pool).await?))
    }

    /// Keeps an uploaded pack file as the share pack's next version; returns that version.
    pub async fn save_pack_file(&self, pack: Uuid, file_name: &str, format: &str, content: &[u8], parsed: &Value) -> Result<i64> {
        let next = "SELECT COALESCE(MAX(version), 0) + 1 FROM share_pack_files WHERE share_pack_id = $1";
        let insert = "INSERT INTO share_pack_files (share_pack_id, version, file_name, format, content, parsed, uploaded_at) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7)";
        for _ in 0..crate::store::MAX_ATTEMPTS {
            let result: std::result::Result<i64, sqlx::Error> = on_store!(self, pool => async {
                let version: i64 = sqlx::query_scalar(next).bind(pack).fetch_one(pool).await?;
                let query = sqlx::query(insert).bind(pack).bind(version).bind(file_name).bind(format).bind(content);
                let query = bind_json!(self, query, parsed);
                bind_time(self, query, now()).execute(pool).await?;
                Ok(version)
            }.await);
            match result {
                Ok(version) => return Ok(version),
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Conflict { entity: "share pack file", key: pack, attempts: crate::store::MAX_ATTEMPTS })
    }

    /// The bytes of one uploaded version.
    pub async fn pack_file_content(&self, pack: Uuid, version: i64) -> Result<Option<(String, Vec<u8>)>> {
        let sql = "SELECT file_name, content FROM share_pack_files WHERE share_pack_id = $1 AND version = $2";
        on_store!(self, pool => {
            let row = sqlx::query(sql).bind(pack).bind(version).fetch_optional(pool).await?;
            row.map(|row| -> std::result::Result<(String, Vec<u8>), sqlx::Error> { Ok((row.try_get(0)?, row.try_get(1)?)) })
                .transpose()
                .map_err(StoreError::from)
        })
    }

    /// Every uploaded version of a share pack, newest first.
    pub async fn pack_files(&self, pack: Uuid) -> Result<Vec<PackFile>> {
        let sql = "SELECT share_pack_id, version, file_name, format, uploaded_at FROM share_pack_files WHERE share_pack_id = $1 \
                   ORDER BY version DESC";
        on_store!(self, pool => {
            let rows = sqlx::query(sql).bind(pack).fetch_all(pool).await?;
            rows.iter()
                .map(|row| -> std::result::Result<PackFile, sqlx::Error> {
                    Ok(PackFile {
                        share_pack_id: row.try_get(0)?,
                        version: row.try_get(1)?,
                        file_name: row.try_get(2)?,
                        format: row.try_get(3)?,
                        uploaded_at: row.try_get(4)?,
                    })
                })
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(StoreError::from)
        })
    }

    /// Appends to the audit trail.
    pub async fn audit(&self, entry: &AuditEntry<'_>) -> Result<()> {
        self.audit_all(std::slice::from_ref(entry)).await
    }

    /// Appends several entries in one transaction: all of them or none.
    pub async fn audit_all(&self, entries: &[AuditEntry<'_>]) -> Result<()> {
        let sql = "INSERT INTO audit_trail (audit_id, occurred_at, actor, action, entity_type, entity_id, version, correlation_id, reason, details) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        on_store!(self, pool => {
            let mut tx = pool.begin().await?;
            for entry in entries {
                let query = bind_time(self, sqlx::query(sql).bind(Uuid::now_v7()), now())
                    .bind(entry.actor)
                    .bind(entry.action)
                    .bind(entry.entity_type)
                    .bind(entry.entity_id)
                    .bind(entry.version)
                    .bind(entry.correlation_id)
                    .bind(crate::store::truncate(entry.reason, 500));
                bind_json!(self, query, entry.details).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The audit entries of one correlation id (a run), oldest first.
    pub async fn audit_of(&self, correlation_id: Uuid) -> Result<Vec<AuditRecord>> {
        let sql = "SELECT occurred_at, actor, action, entity_type, reason, details FROM audit_trail WHERE correlation_id = $1 \
                   ORDER BY occurred_at, audit_id";
        on_store!(self, pool => {
            let rows = sqlx::query(sql).bind(correlation_id).fetch_all(pool).await?;
            rows.iter()
                .map(|row| -> std::result::Result<AuditRecord, sqlx::Error> {
                    Ok(AuditRecord {
                        at: row.try_get(0)?,
                        actor: row.try_get(1)?,
                        action: row.try_get(2)?,
                        entity_type: row.try_get(3)?,
                        reason: row.try_get(4)?,
                        details: crate::store::json_column(row, 5)?,
                    })
                })
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(StoreError::from)
        })
    }
}

/// One line of the audit trail to write.
pub struct AuditEntry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<Uuid>,
    pub version: Option<i64>,
    pub correlation_id: Option<Uuid>,
    pub reason: &'a str,
    pub details: Value,
}

/// One line of the audit trail as read.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub reason: String,
    pub details: Value,
}
