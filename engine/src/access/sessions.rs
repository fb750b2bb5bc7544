//! Browser sessions: a random id in an `HttpOnly` cookie, its SHA-256 in the store (so every
//! portal instance knows it), an idle expiry counted from the last request and an absolute one
//! counted from sign-in.

use super::people::{audit, principal};
use super::secret::{self, Fresh};
use super::{Principal, Via};
use crate::error::{Class, Problem};
use crate::records::AuditAction;
use crate::store::{Account, Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

/// How long sessions last.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionPolicy {
    /// Ends a session nobody used for this long.
    pub idle: TimeDelta,
    /// Ends every session this long after sign-in.
    pub absolute: TimeDelta,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy { idle: TimeDelta::hours(2), absolute: TimeDelta::hours(12) }
    }
}

/// Writes of "last seen" are spared for requests closer together than this.
const TOUCH_EVERY: TimeDelta = TimeDelta::seconds(60);

fn failed() -> Problem {
    Problem::new(Class::Unauthenticated, "sign_in_failed", "That e-mail and password do not match an account")
        .hint("Check both; an administrator can send you a new invitation to set a password")
}

/// Signs in with a local password. Wrong e-mails, wrong passwords and disabled accounts get the
/// same answer in the same time.
pub async fn sign_in_with_password(
    store: &Store,
    policy: &SessionPolicy,
    email: &str,
    password: &str,
) -> Result<(Fresh, Principal), Problem> {
    let account = store.account_by_email(email).await?;
    let stored = account.as_ref().filter(|account| !account.disabled).and_then(|account| account.password_hash.clone());
    let password = password.to_string();
    let _turn = secret::HASHING.acquire().await.map_err(|_| Problem::internal("checking the password"))?;
    let matches = tokio::task::spawn_blocking(move || secret::verify_password(stored.as_deref(), &password)).await.unwrap_or(false);
    match account {
        Some(account) if matches => open(store, policy, &account, "password").await,
        _ => Err(failed()),
    }
}

/// Opens a session for an account that proved who it is (a password or the identity provider).
pub async fn open(store: &Store, policy: &SessionPolicy, account: &Account, how: &str) -> Result<(Fresh, Principal), Problem> {
    let id = secret::random();
    let now = Utc::now();
    store.insert_session(&id.digest(), account.user_id, now, now + policy.absolute).await?;
    let principal = principal(store, account, Via::Session).await?;
    audit(store, &principal.actor(), AuditAction::SignedIn, account.user_id, json!({"how": how})).await?;
    Ok((id, principal))
}

/// The principal of a session id from a cookie; `None` when it is unknown, ended or expired,
/// or its account is disabled.
pub async fn resolve(store: &Store, policy: &SessionPolicy, id: &str, now: DateTime<Utc>) -> Result<Option<Principal>, StoreError> {
    if id.is_empty() || id.len() > 100 {
        return Ok(None);
    }
    let hash = secret::digest(id);
    let Some(session) = store.session(&hash).await? else { return Ok(None) };
    if session.expires_at <= now || session.last_seen_at + policy.idle <= now {
        store.delete_session(&hash).await?;
        return Ok(None);
    }
    let Some(account) = store.account(session.user_id).await?.filter(|account| !account.disabled) else { return Ok(None) };
    if now - session.last_seen_at >= TOUCH_EVERY {
        store.touch_session(&hash, now).await?;
    }
    Ok(Some(principal(store, &account, Via::Session).await?))
}

/// Ends a session (sign-out).
pub async fn end(store: &Store, id: &str, who: Option<&Principal>) -> Result<(), StoreError> {
    store.delete_session(&secret::digest(id)).await?;
    if let Some(who) = who {
        audit(store, &who.actor(), AuditAction::SignedOut, who.user_id, json!({})).await?;
    }
    Ok(())
}
