//! Browser sessions (`sessions`), by the SHA-256 of their id: any portal instance knows them.

use super::{bind_time, Result, Store};
use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct StoredSession {
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The absolute end, however active the session is.
    pub expires_at: DateTime<Utc>,
}

impl Store {
    pub async fn insert_session(&self, hash: &str, user_id: Uuid, at: DateTime<Utc>, expires_at: DateTime<Utc>) -> Result<()> {
        let sql = "INSERT INTO sessions (session_hash, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
        on_pool!(self, pool => {
            let query = sqlx::query(sql).bind(hash).bind(user_id);
            bind_time(self, bind_time(self, bind_time(self, query, at), at), expires_at).execute(pool).await?;
        });
        Ok(())
    }

    pub async fn session(&self, hash: &str) -> Result<Option<StoredSession>> {
        let sql = "SELECT user_id, created_at, last_seen_at, expires_at FROM sessions WHERE session_hash = $1";
        on_pool!(self, pool => {
            let row = sqlx::query(sql).bind(hash).fetch_optional(pool).await?;
            row.map(|row| -> Result<StoredSession> {
                Ok(StoredSession { user_id: row.try_get(0)?, created_at: row.try_get(1)?, last_seen_at: row.try_get(2)?, expires_at: row.try_get(3)? })
            })
            .transpose()
        })
    }

    /// Marks a session as active now (idle expiry counts from here).
    pub async fn touch_session(&self, hash: &str, at: DateTime<Utc>) -> Result<()> {
        on_pool!(self, pool => {
            bind_time(self, sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE session_hash = $2"), at).bind(hash).execute(pool).await?;
        });
        Ok(())
    }

    pub async fn delete_session(&self, hash: &str) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE session_hash = $1").bind(hash).execute(pool).await?;
        });
        Ok(())
    }

    /// Ends every session of an account (password set, account disabled).
    pub async fn delete_sessions_of(&self, user_id: Uuid) -> Result<u64> {
        Ok(
            on_pool!(self, pool => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(pool).await?.rows_affected()),
        )
    }

    /// Deletes sessions past their absolute end or idle since `idle_since`; returns how many.
    pub async fn expire_sessions(&self, now: DateTime<Utc>, idle_since: DateTime<Utc>) -> Result<u64> {
        let sql = "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2";
        Ok(on_pool!(self, pool => bind_time(self, bind_time(self, sqlx::query(sql), now), idle_since).execute(pool).await?.rows_affected()))
    }
}
