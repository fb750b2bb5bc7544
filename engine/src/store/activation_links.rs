//! One-time activation links of new token recipients (`activation_links`): kept only until the
//! run's submitter takes them (deleted as they are read), and swept by housekeeping after
//! [`ACTIVATION_LINK_DAYS`]. Never copied into history, the audit trail or steps.

use super::{bind_time, now, Result, Store};
use sqlx::Row;
use uuid::Uuid;

/// Activation links nobody took are deleted after this many days (Databricks' own expire too).
pub const ACTIVATION_LINK_DAYS: i64 = 7;

impl Store {
    /// Keeps a new token recipient's activation link until its submitter has seen it.
    pub async fn save_activation_link(&self, run: Uuid, recipient: &str, url: &str) -> Result<()> {
        let sql = "INSERT INTO activation_links (run_id, recipient, url, created_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (run_id, recipient) DO NOTHING";
        on_pool!(self, pool => {
            bind_time(self, sqlx::query(sql).bind(run).bind(recipient).bind(url), now()).execute(pool).await?;
        });
        Ok(())
    }

    /// Deletes the links nobody took within [`ACTIVATION_LINK_DAYS`]; returns how many.
    pub async fn expire_activation_links(&self) -> Result<u64> {
        let sql = "DELETE FROM activation_links WHERE created_at < $1";
        let cutoff = now() - chrono::TimeDelta::days(ACTIVATION_LINK_DAYS);
        Ok(on_pool!(self, pool => bind_time(self, sqlx::query(sql), cutoff).execute(pool).await?.rows_affected()))
    }

    /// Hands the activation links to whoever holds the run's claim, once: they are deleted as
    /// they are read.
    pub async fn take_activation_links(&self, run: Uuid, claim: Uuid) -> Result<Vec<(String, String)>> {
        let Some(stored) = self.load_run(run).await? else { return Ok(Vec::new()) };
        if stored.claim != Some(claim) {
            return Ok(Vec::new());
        }
        let sql = "DELETE FROM activation_links WHERE run_id = $1 RETURNING recipient, url";
        on_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(run).fetch_all(pool).await?;
            let mut links = rows.iter().map(|row| -> Result<(String, String)> { Ok((row.try_get(0)?, row.try_get(1)?)) }).collect::<Result<Vec<_>>>()?;
            links.sort();
            Ok(links)
        })
    }

    /// How many activation links wait for a run's submitter.
    pub async fn pending_activation_links(&self, run: Uuid) -> Result<i64> {
        let sql = "SELECT count(*) FROM activation_links WHERE run_id = $1";
        Ok(on_pool!(self, pool => sqlx::query_scalar(sql).bind(run).fetch_one(pool).await?))
    }
}
