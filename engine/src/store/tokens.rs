//! API tokens (`api_tokens`), by the SHA-256 of the token: the token itself is never stored.

use super::{bind_time, Result, Store, StoreError};
use crate::access::Scopes;
use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct StoredToken {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    /// The token's first characters, to tell it apart.
    pub hint: String,
    pub scopes: Scopes,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "token_id, user_id, name, hint, scopes, created_at, expires_at, last_used_at, revoked_at";

impl Store {
    pub async fn insert_token(&self, token: &StoredToken, hash: &str) -> Result<()> {
        let sql = "INSERT INTO api_tokens (token_id, user_id, name, token_hash, hint, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        on_pool!(self, pool => {
            let query = sqlx::query(sql).bind(token.id).bind(token.user_id).bind(&token.name).bind(hash).bind(&token.hint).bind(token.scopes.to_string());
            bind_time(self, bind_time(self, query, token.created_at), token.expires_at).execute(pool).await?;
        });
        Ok(())
    }

    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<StoredToken>> {
        let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1");
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(hash).fetch_optional(pool).await?;
            row.map(|row| token_from(&row)).transpose()
        })
    }

    /// A person's tokens, newest first.
    pub async fn tokens_of(&self, user_id: Uuid) -> Result<Vec<StoredToken>> {
        let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC LIMIT 500");
        on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(pool).await?;
            rows.iter().map(token_from).collect()
        })
    }

    /// Revokes one of a person's tokens; `false` when they have no such token (or it was revoked).
    pub async fn revoke_token(&self, user_id: Uuid, token_id: Uuid, at: DateTime<Utc>) -> Result<bool> {
        let sql = "UPDATE api_tokens SET revoked_at = $1 WHERE token_id = $2 AND user_id = $3 AND revoked_at IS NULL";
        Ok(on_pool!(self, pool => bind_time(self, sqlx::query(sql), at).bind(token_id).bind(user_id).execute(pool).await?.rows_affected())
            == 1)
    }

    /// Revokes every live token of a person (their account was disabled); how many.
    pub async fn revoke_tokens_of(&self, user_id: Uuid, at: DateTime<Utc>) -> Result<u64> {
        let sql = "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL";
        Ok(on_pool!(self, pool => bind_time(self, sqlx::query(sql), at).bind(user_id).execute(pool).await?.rows_affected()))
    }

    /// Live tokens expiring between now and `before`, each with its owner's e-mail.
    pub async fn tokens_expiring(&self, before: DateTime<Utc>) -> Result<Vec<(Uuid, String, String, DateTime<Utc>)>> {
        let sql = "SELECT t.token_id, t.name, a.email, t.expires_at FROM api_tokens t JOIN accounts a ON a.user_id = t.user_id \
                   WHERE t.revoked_at IS NULL AND a.disabled_at IS NULL AND t.expires_at > $1 AND t.expires_at <= $2 ORDER BY t.expires_at LIMIT 1000";
        on_pool!(self, pool => {
            let query = super::bind_time(self, super::bind_time(self, sqlx::query(sql), super::now()), before);
            let rows = query.fetch_all(pool).await?;
            rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?))).collect()
        })
    }

    pub async fn touch_token(&self, token_id: Uuid, at: DateTime<Utc>) -> Result<()> {
        on_pool!(self, pool => {
            bind_time(self, sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_id = $2"), at).bind(token_id).execute(pool).await?;
        });
        Ok(())
    }
}

fn token_from<R: Row>(row: &R) -> Result<StoredToken>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Uuid: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let scopes: String = row.try_get(4)?;
    Ok(StoredToken {
        id: row.try_get(0)?,
        user_id: row.try_get(1)?,
        name: row.try_get(2)?,
        hint: row.try_get(3)?,
        scopes: scopes.parse().map_err(|error: crate::access::UnknownScope| StoreError::Corrupt(error.to_string()))?,
        created_at: row.try_get(5)?,
        expires_at: row.try_get(6)?,
        last_used_at: row.try_get(7)?,
        revoked_at: row.try_get(8)?,
    })
}
