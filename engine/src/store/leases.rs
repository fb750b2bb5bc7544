//! Leases (`workspace_leases`): at most one holder per purpose and workspace across every
//! process sharing the database. A lease is taken when free or expired, renewed while the work
//! goes on, and given back at the end; a holder that dies leaves it to expire.

use super::{bind_time, Result, Store};
use std::time::Duration;
use uuid::Uuid;

impl Store {
    /// Takes the lease for `ttl` unless someone else holds an unexpired one; true when taken.
    pub async fn take_lease(&self, purpose: &str, workspace_url: &str, holder: Uuid, ttl: Duration) -> Result<bool> {
        let sql = "INSERT INTO workspace_leases (purpose, workspace_url, holder, expires_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (purpose, workspace_url) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
                   WHERE workspace_leases.expires_at < $5 OR workspace_leases.holder = excluded.holder";
        let now = super::now();
        let until = now + chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::minutes(1));
        let taken = on_pool!(self, pool => {
            let query = sqlx::query(sql).bind(purpose).bind(workspace_url).bind(holder);
            bind_time(self, bind_time(self, query, until), now).execute(pool).await?.rows_affected()
        });
        Ok(taken > 0)
    }

    /// Extends a lease still held; false when it was lost (expired and taken by another).
    pub async fn renew_lease(&self, purpose: &str, workspace_url: &str, holder: Uuid, ttl: Duration) -> Result<bool> {
        let sql = "UPDATE workspace_leases SET expires_at = $1 WHERE purpose = $2 AND workspace_url = $3 AND holder = $4";
        let until = super::now() + chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::minutes(1));
        let renewed = on_pool!(self, pool => {
            bind_time(self, sqlx::query(sql), until).bind(purpose).bind(workspace_url).bind(holder).execute(pool).await?.rows_affected()
        });
        Ok(renewed > 0)
    }

    /// Gives a lease back (nothing when another holds it now).
    pub async fn give_back_lease(&self, purpose: &str, workspace_url: &str, holder: Uuid) -> Result<()> {
        let sql = "DELETE FROM workspace_leases WHERE purpose = $1 AND workspace_url = $2 AND holder = $3";
        on_pool!(self, pool => {
            sqlx::query(sql).bind(purpose).bind(workspace_url).bind(holder).execute(pool).await?;
        });
        Ok(())
    }
}
