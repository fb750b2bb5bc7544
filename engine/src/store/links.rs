//! One-time links (`one_time_links`: the first administrator's setup, invitations) and OIDC
//! sign-in states (`sign_in_states`), by the SHA-256 of their secret. Using one is a single
//! conditional update or delete, so two requests cannot both use it.

use super::{bind_time, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Creates the first administrator (no account yet).
    FirstAdmin,
    /// Sets the password of an invited account.
    Invite,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::FirstAdmin => "first_admin",
            LinkPurpose::Invite => "invite",
        }
    }

    fn parse(text: &str) -> Result<LinkPurpose> {
        match text {
            "first_admin" => Ok(LinkPurpose::FirstAdmin),
            "invite" => Ok(LinkPurpose::Invite),
            other => Err(StoreError::Corrupt(format!("unknown link purpose `{other}`"))),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredLink {
    pub purpose: LinkPurpose,
    pub user_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
}

/// An OIDC sign-in in flight.
#[derive(Debug, Clone, PartialEq)]
pub struct SignInState {
    pub pkce_verifier: String,
    pub nonce: String,
    pub return_to: String,
    pub created_at: DateTime<Utc>,
}

impl Store {
    pub async fn insert_link(
        &self,
        hash: &str,
        purpose: LinkPurpose,
        user_id: Option<Uuid>,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let sql = "INSERT INTO one_time_links (link_hash, purpose, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
        on_pool!(self, pool => {
            let query = sqlx::query(sql).bind(hash).bind(purpose.as_str()).bind(user_id);
            bind_time(self, bind_time(self, query, at), expires_at).execute(pool).await?;
        });
        Ok(())
    }

    /// A link that is neither used nor expired at `at`.
    pub async fn live_link(&self, hash: &str, at: DateTime<Utc>) -> Result<Option<StoredLink>> {
        let sql = "SELECT purpose, user_id, expires_at FROM one_time_links WHERE link_hash = $1 AND used_at IS NULL AND expires_at > $2";
        on_pool!(self, pool => {
            let row = bind_time(self, sqlx::query(sql).bind(hash), at).fetch_optional(pool).await?;
            row.map(|row| -> Result<StoredLink> {
                let purpose: String = row.try_get(0)?;
                Ok(StoredLink { purpose: LinkPurpose::parse(&purpose)?, user_id: row.try_get(1)?, expires_at: row.try_get(2)? })
            })
            .transpose()
        })
    }

    /// Uses a live link; `false` when it was used, expired or unknown.
    pub async fn use_link(&self, hash: &str, at: DateTime<Utc>) -> Result<bool> {
        let sql = "UPDATE one_time_links SET used_at = $1 WHERE link_hash = $2 AND used_at IS NULL AND expires_at > $3";
        Ok(
            on_pool!(self, pool => bind_time(self, bind_time(self, sqlx::query(sql), at).bind(hash), at).execute(pool).await?.rows_affected())
                == 1,
        )
    }

    pub async fn insert_sign_in_state(&self, hash: &str, state: &SignInState) -> Result<()> {
        let sql = "INSERT INTO sign_in_states (state_hash, pkce_verifier, nonce, return_to, created_at) VALUES ($1, $2, $3, $4, $5)";
        on_pool!(self, pool => {
            let query = sqlx::query(sql).bind(hash).bind(&state.pkce_verifier).bind(&state.nonce).bind(&state.return_to);
            bind_time(self, query, state.created_at).execute(pool).await?;
        });
        Ok(())
    }

    /// Takes a sign-in state (deleting it): a state is good for one callback only.
    pub async fn take_sign_in_state(&self, hash: &str) -> Result<Option<SignInState>> {
        let sql = "DELETE FROM sign_in_states WHERE state_hash = $1 RETURNING pkce_verifier, nonce, return_to, created_at";
        on_pool!(self, pool => {
            let row = sqlx::query(sql).bind(hash).fetch_optional(pool).await?;
            row.map(|row| -> Result<SignInState> {
                Ok(SignInState { pkce_verifier: row.try_get(0)?, nonce: row.try_get(1)?, return_to: row.try_get(2)?, created_at: row.try_get(3)? })
            })
            .transpose()
        })
    }

    /// Deletes sign-in states and links past use (housekeeping).
    pub async fn expire_sign_in_states(&self, before: DateTime<Utc>) -> Result<u64> {
        let states = on_pool!(self, pool => bind_time(self, sqlx::query("DELETE FROM sign_in_states WHERE created_at < $1"), before).execute(pool).await?.rows_affected());
        let links = on_pool!(self, pool => bind_time(self, sqlx::query("DELETE FROM one_time_links WHERE expires_at < $1"), before).execute(pool).await?.rows_affected());
        Ok(states + links)
    }
}
