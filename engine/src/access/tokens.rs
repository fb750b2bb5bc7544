//! API tokens for scripts and CI: named, with scopes and an expiry, shown once when made and
//! kept only as a SHA-256; revocable; when each was last used is kept (at most once a minute).

use super::people::{audit, principal};
use super::secret::{self, Fresh};
use super::{Act, Principal, Scope, Scopes, TokenInfo, Via};
use crate::error::{Class, Problem};
use crate::records::AuditAction;
use crate::store::{Store, StoreError, StoredToken};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use uuid::Uuid;

/// Longest a token may live.
pub const MAX_DAYS: u32 = 366;
const MAX_NAME: usize = 100;

/// Makes a token for `owner_email` (the principal themselves when `None`; someone else only as
/// an administrator). Tokens cannot make tokens.
pub async fn create(
    store: &Store,
    by: &Principal,
    owner_email: Option<&str>,
    name: &str,
    scopes: &Scopes,
    days: u32,
) -> Result<(Fresh, TokenInfo), Problem> {
    if let Via::Token { .. } = by.via {
        return Err(Problem::new(Class::Forbidden, "scope_missing", "API tokens cannot make API tokens").hint("Sign in to the portal"));
    }
    let owner = match owner_email {
        Some(email) if !email.trim().eq_ignore_ascii_case(&by.email) => {
            by.require(Act::Administer, None)?;
            store.account_by_email(email).await?.ok_or_else(|| {
                Problem::invalid("unknown_person", format!("No account has the e-mail {}", email.trim()))
                    .hint("Add them first with `sharepack users add`")
            })?
        }
        _ => store
            .account(by.user_id)
            .await?
            .ok_or_else(|| Problem::new(Class::Forbidden, "no_account", "Only people with an account can make tokens"))?,
    };
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(Problem::invalid("token_name_invalid", format!("A token needs a name of 1 to {MAX_NAME} characters"))
            .hint("Name it after what uses it, like `nightly CI`"));
    }
    if scopes.is_empty() {
        return Err(Problem::invalid("scope_missing", "A token needs at least one scope (read, submit, approve or metrics)"));
    }
    if scopes.has(Scope::Metrics) {
        by.require(Act::Administer, None).map_err(|_| {
            Problem::new(Class::Forbidden, "role_missing", "Only administrators make tokens with the metrics scope")
                .hint("Leave the metrics scope out, or ask an administrator")
        })?;
    }
    if days == 0 || days > MAX_DAYS {
        return Err(Problem::invalid("token_expiry_invalid", format!("A token expires after 1 to {MAX_DAYS} days")));
    }
    let token = secret::token();
    let now = Utc::now();
    let stored = StoredToken {
        id: Uuid::now_v7(),
        user_id: owner.user_id,
        name: name.to_string(),
        hint: secret::token_hint(token.expose()),
        scopes: scopes.clone(),
        created_at: now,
        expires_at: now + TimeDelta::days(i64::from(days)),
        last_used_at: None,
        revoked_at: None,
    };
    store.insert_token(&stored, &token.digest()).await?;
    let details = json!({"token": stored.id, "name": stored.name, "scopes": scopes.to_string(), "owner": owner.email, "days": days});
    audit(store, &by.actor(), AuditAction::TokenCreated, owner.user_id, details).await?;
    Ok((token, info(&stored, now)))
}

/// The principal's own tokens.
pub async fn list(store: &Store, by: &Principal) -> Result<Vec<TokenInfo>, Problem> {
    let now = Utc::now();
    Ok(store.tokens_of(by.user_id).await?.iter().map(|token| info(token, now)).collect())
}

/// Revokes one of the principal's own tokens.
pub async fn revoke(store: &Store, by: &Principal, token_id: Uuid) -> Result<(), Problem> {
    if let Via::Token { .. } = by.via {
        return Err(Problem::new(Class::Forbidden, "scope_missing", "API tokens cannot revoke API tokens").hint("Sign in to the portal"));
    }
    if !store.revoke_token(by.user_id, token_id, Utc::now()).await? {
        return Err(Problem::not_found("token", &token_id.to_string()));
    }
    audit(store, &by.actor(), AuditAction::TokenRevoked, by.user_id, json!({"token": token_id})).await?;
    Ok(())
}

/// The principal of a bearer token; `None` when it is malformed, unknown, revoked or expired,
/// or its account is disabled.
pub async fn resolve(store: &Store, token: &str, now: DateTime<Utc>) -> Result<Option<Principal>, StoreError> {
    if !secret::is_token(token) {
        return Ok(None);
    }
    let Some(stored) = store.token_by_hash(&secret::digest(token)).await? else { return Ok(None) };
    if stored.revoked_at.is_some() || stored.expires_at <= now {
        return Ok(None);
    }
    let Some(account) = store.account(stored.user_id).await?.filter(|account| !account.disabled) else { return Ok(None) };
    if stored.last_used_at.is_none_or(|used| now - used >= TimeDelta::seconds(60)) {
        store.touch_token(stored.id, now).await?;
    }
    Ok(Some(principal(store, &account, Via::Token { name: stored.name, scopes: stored.scopes }).await?))
}

fn info(token: &StoredToken, now: DateTime<Utc>) -> TokenInfo {
    let time = |at: DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    TokenInfo {
        id: token.id.to_string(),
        name: token.name.clone(),
        hint: token.hint.clone(),
        scopes: token.scopes.clone(),
        created_at: time(token.created_at),
        expires_at: time(token.expires_at),
        last_used_at: token.last_used_at.map(time),
        revoked: token.revoked_at.is_some(),
        expired: token.expires_at <= now,
    }
}
