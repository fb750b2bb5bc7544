//! Sync and reconciliation jobs (`sync_jobs`): one row per job, queued, then running, then
//! succeeded or failed, with its counts, its last error and how many deliveries it took.

use super::{bind_optional_time, bind_time, json_column, Result, Store};
use crate::records::{SyncKind, SyncStatus};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use uuid::Uuid;

/// One job as its row has it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SyncJob {
    pub id: Uuid,
    pub kind: SyncKind,
    pub workspace_url: String,
    /// The person who asked for it, or `scheduler`.
    pub requested_by: String,
    pub status: SyncStatus,
    pub queued_at: DateTime<Utc>,
    /// When the last delivery started (the queue time until one does).
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// What the job went through (resources compared, for drift).
    pub items: i64,
    /// Why the last delivery failed.
    pub error: Option<String>,
    pub attempts: i32,
    /// The job's figures (findings by kind, calls made).
    pub data: Value,
}

const COLUMNS: &str =
    "sync_job_id, kind, workspace_url, requested_by, status, queued_at, started_at, finished_at, items, error, attempts, data";

fn job_from<R: Row>(row: &R) -> Result<SyncJob>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> Uuid: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<DateTime<Utc>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> sqlx::types::Json<Value>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let started_at: DateTime<Utc> = row.try_get(6)?;
    Ok(SyncJob {
        id: row.try_get(0)?,
        kind: row.try_get::<String, _>(1)?.parse()?,
        workspace_url: row.try_get(2)?,
        requested_by: row.try_get(3)?,
        status: row.try_get::<String, _>(4)?.parse()?,
        queued_at: row.try_get::<Option<DateTime<Utc>>, _>(5)?.unwrap_or(started_at),
        started_at,
        finished_at: row.try_get(7)?,
        items: row.try_get(8)?,
        error: row.try_get(9)?,
        attempts: row.try_get(10)?,
        data: json_column(row, 11)?,
    })
}

impl Store {
    /// Queues a job under `id`; false when a job with that id exists (a scheduled slot another
    /// process claimed first).
    pub async fn queue_sync_job(&self, id: Uuid, kind: SyncKind, workspace_url: &str, requested_by: &str) -> Result<bool> {
        let sql = "INSERT INTO sync_jobs (sync_job_id, kind, workspace_url, requested_by, status, queued_at, started_at, items, data) \
                   VALUES ($1, $2, $3, $4, $5, $6, $6, 0, $7) ON CONFLICT (sync_job_id) DO NOTHING";
        let at = super::now();
        let data = serde_json::json!({});
        let added = on_pool!(self, pool => {
            let query = sqlx::query(sql)
                .bind(id)
                .bind(kind.as_str())
                .bind(workspace_url)
                .bind(super::truncate(requested_by, 255))
                .bind(SyncStatus::Queued.as_str());
            let query = bind_time(self, query, at);
            bind_json!(self, query, data).execute(pool).await?.rows_affected()
        });
        Ok(added > 0)
    }

    pub async fn sync_job(&self, id: Uuid) -> Result<Option<SyncJob>> {
        let sql = format!("SELECT {COLUMNS} FROM sync_jobs WHERE sync_job_id = $1");
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(job_from).transpose()
        })
    }

    /// The newest job of `kind` for the workspace still queued or running, if any.
    pub async fn open_sync_job(&self, kind: SyncKind, workspace_url: &str) -> Result<Option<SyncJob>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM sync_jobs WHERE kind = $1 AND workspace_url = $2 AND status IN ($3, $4) ORDER BY queued_at DESC LIMIT 1"
        );
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(kind.as_str())
                .bind(workspace_url)
                .bind(SyncStatus::Queued.as_str())
                .bind(SyncStatus::Running.as_str())
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(job_from).transpose()
        })
    }

    /// Jobs newest first, of one kind and workspace when given.
    pub async fn sync_jobs(&self, kind: Option<SyncKind>, workspace_url: Option<&str>, limit: u32) -> Result<Vec<SyncJob>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM sync_jobs WHERE ($1 = '' OR kind = $1) AND ($2 = '' OR workspace_url = $2) \
             ORDER BY queued_at DESC, sync_job_id LIMIT $3"
        );
        on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(kind.map(SyncKind::as_str).unwrap_or_default())
                .bind(workspace_url.unwrap_or_default())
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            rows.iter().map(job_from).collect()
        })
    }

    /// A delivery starts the job: running, one more attempt.
    pub async fn start_sync_job(&self, id: Uuid) -> Result<()> {
        let sql = "UPDATE sync_jobs SET status = $1, started_at = $2, attempts = attempts + 1 WHERE sync_job_id = $3";
        on_pool!(self, pool => {
            let query = bind_time(self, sqlx::query(sql).bind(SyncStatus::Running.as_str()), super::now());
            query.bind(id).execute(pool).await?;
        });
        Ok(())
    }

    /// The job ended (succeeded or failed for good) or goes back to the queue (queued, with why
    /// this delivery failed).
    pub async fn settle_sync_job(&self, id: Uuid, status: SyncStatus, items: i64, error: Option<&str>, data: &Value) -> Result<()> {
        let sql = "UPDATE sync_jobs SET status = $1, finished_at = $2, items = $3, error = $4, data = $5 WHERE sync_job_id = $6";
        let finished = (!status.is_open()).then(super::now);
        on_pool!(self, pool => {
            let query = bind_optional_time(self, sqlx::query(sql).bind(status.as_str()), finished);
            let query = query.bind(items).bind(error.map(|text| super::truncate(text, 2000)));
            bind_json!(self, query, data).bind(id).execute(pool).await?;
        });
        Ok(())
    }

    /// When the last job of `kind` for `target` (any, for `None`) that succeeded finished.
    pub async fn last_success(&self, kind: SyncKind, target: Option<&str>) -> Result<Option<DateTime<Utc>>> {
        let sql = "SELECT finished_at FROM sync_jobs WHERE kind = $1 AND ($2 = '' OR workspace_url = $2) AND status = $3 \
                   ORDER BY finished_at DESC LIMIT 1";
        on_pool!(self, pool => {
            let row = sqlx::query(sql)
                .bind(kind.as_str())
                .bind(target.unwrap_or_default())
                .bind(SyncStatus::Succeeded.as_str())
                .fetch_optional(pool)
                .await?;
            Ok(row.map(|row| row.try_get::<Option<DateTime<Utc>>, _>(0)).transpose()?.flatten())
        })
    }

    /// When the last job of `kind` for the workspace was queued.
    pub async fn last_sync_job_at(&self, kind: SyncKind, workspace_url: &str) -> Result<Option<DateTime<Utc>>> {
        Ok(self.sync_jobs(Some(kind), Some(workspace_url), 1).await?.first().map(|job| job.queued_at))
    }
}
