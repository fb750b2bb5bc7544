//! A run's steps (`provisioning_steps`): stored once when a run is prepared, then marked as
//! they start and end. Every change bumps the run's revision.

use super::{bind_time, json_column, now, Result, Store};
use crate::records::StepStatus;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use uuid::Uuid;

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
    /// The step's work, as the orchestrator wrote it (`apply::Work`).
    pub data: Value,
}

/// A step to store: its phase, kind and target for people, and its work as JSON.
pub struct NewStep {
    pub phase: i32,
    pub kind: &'static str,
    pub target: String,
    pub data: Value,
}

const STEP_COLUMNS: &str = "step_no, phase, kind, target, status, attempts, started_at, finished_at, last_error, data";

impl Store {
    /// Stores a run's steps once; a second worker storing the same steps changes nothing.
    pub async fn insert_steps(&self, run: Uuid, steps: &[NewStep]) -> Result<()> {
        let sql = "INSERT INTO provisioning_steps (run_id, step_no, kind, target, status, attempts, data, phase) \
                   VALUES ($1, $2, $3, $4, $5, 0, $6, $7) ON CONFLICT (run_id, step_no) DO NOTHING";
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for (index, step) in steps.iter().enumerate() {
                let number = i32::try_from(index + 1).unwrap_or(i32::MAX);
                let query = sqlx::query(sql).bind(run).bind(number).bind(step.kind).bind(&step.target).bind(StepStatus::Pending.as_str());
                let query = bind_json!(self, query, step.data);
                query.bind(step.phase).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn load_steps(&self, run: Uuid) -> Result<Vec<StepRecord>> {
        let sql = format!("SELECT {STEP_COLUMNS} FROM provisioning_steps WHERE run_id = $1 ORDER BY step_no");
        on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(run).fetch_all(pool).await?;
            rows.iter()
                .map(|row| -> Result<StepRecord> {
                    Ok(StepRecord {
                        step_no: row.try_get(0)?,
                        phase: row.try_get(1)?,
                        kind: row.try_get(2)?,
                        target: row.try_get(3)?,
                        status: row.try_get::<String, _>(4)?.parse()?,
                        attempts: row.try_get(5)?,
                        started_at: row.try_get(6)?,
                        finished_at: row.try_get(7)?,
                        last_error: row.try_get(8)?,
                        data: json_column(row, 9)?,
                    })
                })
                .collect()
        })
    }

    /// Marks a step running and counts the attempt; returns the attempts before this one.
    pub async fn step_started(&self, run: Uuid, step_no: i32) -> Result<i32> {
        let sql = "UPDATE provisioning_steps SET status = $1, attempts = attempts + 1, started_at = $2, finished_at = NULL \
                   WHERE run_id = $3 AND step_no = $4 RETURNING attempts";
        let attempts: i32 = on_pool!(self, pool => {
            let query = sqlx::query(sql).bind(StepStatus::Running.as_str());
            let row = bind_time(self, query, now()).bind(run).bind(step_no).fetch_one(pool).await?;
            row.try_get(0)?
        });
        self.touch(run).await?;
        Ok(attempts - 1)
    }

    /// Records how a step ended.
    pub async fn step_finished(&self, run: Uuid, step_no: i32, status: StepStatus, error: Option<&str>) -> Result<()> {
        let sql = "UPDATE provisioning_steps SET status = $1, finished_at = $2, last_error = COALESCE($3, last_error) \
                   WHERE run_id = $4 AND step_no = $5";
        on_pool!(self, pool => {
            bind_time(self, sqlx::query(sql).bind(status.as_str()), now()).bind(error).bind(run).bind(step_no).execute(pool).await?;
        });
        self.touch(run).await
    }
}
