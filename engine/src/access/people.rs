//! Accounts and their roles: the first administrator (from a one-time setup link printed to
//! the log), people an administrator or the command line adds (with a one-time invitation to
//! set a password), and grants. Every change is in the audit trail with who made it.

use super::secret::{self, Fresh};
use super::{Act, Grant, GrantInfo, PersonInfo, Principal, Role, Via};
use crate::error::{Class, Problem};
use crate::identity::Actor;
use crate::records::AuditAction;
use crate::store::{normal_email, Account, AuditEntry, LinkPurpose, Source, Store, StoreError, StoredLink};
use chrono::{TimeDelta, Utc};
use serde_json::json;
use uuid::Uuid;

/// How long an invitation to set a password stays good.
pub const INVITE_DAYS: i64 = 7;
/// How long the first administrator's setup link stays good (a restart makes a new one).
pub const SETUP_HOURS: i64 = 24;

/// The principal of an account, with its grants.
pub async fn principal(store: &Store, account: &Account, via: Via) -> Result<Principal, StoreError> {
    let grants = store.grants_of(account.user_id).await?.into_iter().map(|stored| stored.grant).collect::<Vec<_>>();
    let mut grants: Vec<Grant> = grants;
    grants.sort();
    grants.dedup();
    Ok(Principal { user_id: account.user_id, email: account.email.clone(), display_name: account.display_name.clone(), grants, via })
}

/// An e-mail as kept, or a located error about the field.
pub fn check_email(email: &str) -> Result<String, Problem> {
    let email = normal_email(email);
    let well_formed = email.len() <= crate::identity::MAX_NAME
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.contains('@'));
    if well_formed {
        Ok(email)
    } else {
        let shown: String = email.chars().take(80).collect();
        Err(Problem::invalid("email_invalid", format!("`{shown}` is not an e-mail address")).hint("Write it like ada@example.com"))
    }
}

fn check_grant(grant: &Grant) -> Result<(), Problem> {
    if grant.role.is_global_only() && grant.business_line.is_some() {
        return Err(Problem::invalid("grant_invalid", "The admin role is for every business line; leave the business line out"));
    }
    if grant.business_line.as_ref().is_some_and(|line| line.chars().count() > crate::identity::MAX_NAME) {
        return Err(Problem::invalid("grant_invalid", format!("A business line has at most {} characters", crate::identity::MAX_NAME)));
    }
    Ok(())
}

fn bad_password(message: String) -> Problem {
    Problem::invalid("password_invalid", message).hint("Choose a longer passphrase")
}

/// What [`add_person`] did.
#[derive(Debug)]
pub struct Added {
    pub account: Account,
    pub created: bool,
    /// A one-time link for the person to set their password (new accounts only): shown to whoever
    /// added them, once.
    pub invitation: Option<Fresh>,
}

/// Adds a person (or new grants to someone who exists), as an administrator.
pub async fn add_person(store: &Store, by: &Principal, email: &str, display_name: &str, grants: &[Grant]) -> Result<Added, Problem> {
    by.require(Act::Administer, None)?;
    let email = check_email(email)?;
    for grant in grants {
        check_grant(grant)?;
    }
    let actor = by.actor();
    let display_name: String = display_name.trim().chars().take(crate::identity::MAX_NAME).collect();
    let fresh = Account {
        user_id: Uuid::now_v7(),
        email: email.clone(),
        display_name: display_name.clone(),
        password_hash: None,
        source: Source::Local,
        created_at: crate::store::now(),
        created_by: actor.name().to_string(),
        disabled: false,
    };
    let created = store.insert_account(&fresh).await?;
    let account = store.account_by_email(&email).await?.ok_or_else(|| StoreError::Corrupt(format!("account {email} vanished")))?;
    if created {
        audit(store, &actor, AuditAction::AccountCreated, account.user_id, json!({"email": email})).await?;
    }
    for grant in grants {
        if store.add_grant(account.user_id, grant, Source::Local, actor.name()).await? {
            audit(store, &actor, AuditAction::RoleGranted, account.user_id, json!({"email": email, "grant": grant.to_string()})).await?;
        }
    }
    let invitation = match created {
        true => Some(new_link(store, LinkPurpose::Invite, Some(account.user_id), TimeDelta::days(INVITE_DAYS)).await?),
        false => None,
    };
    Ok(Added { account, created, invitation })
}

/// A new invitation for someone who exists (the old one may have expired).
pub async fn invite(store: &Store, by: &Principal, user_id: Uuid) -> Result<Fresh, Problem> {
    by.require(Act::Administer, None)?;
    let account = store.account(user_id).await?.ok_or_else(|| Problem::not_found("person", &user_id.to_string()))?;
    Ok(new_link(store, LinkPurpose::Invite, Some(account.user_id), TimeDelta::days(INVITE_DAYS)).await?)
}

/// Takes a grant an administrator made away.
pub async fn revoke_grant(store: &Store, by: &Principal, user_id: Uuid, grant: &Grant) -> Result<(), Problem> {
    by.require(Act::Administer, None)?;
    let account = store.account(user_id).await?.ok_or_else(|| Problem::not_found("person", &user_id.to_string()))?;
    if grant.role == Role::Admin && account.user_id == by.user_id {
        return Err(
            Problem::new(Class::Conflict, "last_admin", "You cannot take your own admin role away").hint("Ask another administrator")
        );
    }
    if store.remove_grant(user_id, grant).await? {
        audit(store, &by.actor(), AuditAction::RoleRevoked, user_id, json!({"email": account.email, "grant": grant.to_string()})).await?;
    }
    Ok(())
}

/// Locks someone out at once: the account is disabled, its sessions end, its tokens are revoked.
pub async fn disable(store: &Store, by: &Principal, email: &str) -> Result<Account, Problem> {
    by.require(Act::Administer, None)?;
    let account = store
        .account_by_email(email)
        .await?
        .ok_or_else(|| Problem::invalid("unknown_person", format!("No account has the e-mail {}", email.trim())))?;
    if account.user_id == by.user_id {
        return Err(Problem::new(Class::Conflict, "last_admin", "You cannot disable your own account").hint("Ask another administrator"));
    }
    store.set_disabled(account.user_id, true).await?;
    let sessions = store.delete_sessions_of(account.user_id).await?;
    let tokens = store.revoke_tokens_of(account.user_id, Utc::now()).await?;
    audit(
        store,
        &by.actor(),
        AuditAction::AccountDisabled,
        account.user_id,
        json!({"email": account.email, "sessions": sessions, "tokens": tokens}),
    )
    .await?;
    Ok(account)
}

/// Everyone, as administrators and auditors see them.
pub async fn people(store: &Store, by: &Principal) -> Result<Vec<PersonInfo>, Problem> {
    by.require(Act::Administer, None)?;
    let mut people = Vec::new();
    for account in store.accounts().await? {
        let grants = store.grants_of(account.user_id).await?;
        people.push(PersonInfo {
            user_id: account.user_id.to_string(),
            email: account.email.clone(),
            display_name: account.display_name.clone(),
            source: account.source.as_str().into(),
            has_password: account.password_hash.is_some(),
            disabled: account.disabled,
            grants: grants
                .into_iter()
                .map(|stored| GrantInfo {
                    grant: stored.grant,
                    from_provider: stored.source == Source::Oidc,
                    granted_by: stored.granted_by,
                })
                .collect(),
            created_at: account.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
    }
    Ok(people)
}

/// When no administrator exists, a new one-time setup link; `None` once there is one. Each
/// portal instance starting makes its own; the first used makes the administrator and the
/// others stop working.
pub async fn first_admin_link(store: &Store) -> Result<Option<Fresh>, StoreError> {
    if store.admin_exists().await? {
        return Ok(None);
    }
    Ok(Some(new_link(store, LinkPurpose::FirstAdmin, None, TimeDelta::hours(SETUP_HOURS)).await?))
}

/// A one-time link that is still good, by its secret.
pub async fn live_link(store: &Store, secret: &str) -> Result<Option<StoredLink>, StoreError> {
    if secret.len() > 100 {
        return Ok(None);
    }
    store.live_link(&secret::digest(secret), Utc::now()).await
}

fn dead_link() -> Problem {
    Problem::new(Class::NotFound, "link_invalid", "This link has been used, has expired, or never existed")
        .hint("Ask an administrator for a new invitation; the first administrator's setup link is printed again when the portal restarts")
}

/// Uses the setup link: creates the first administrator with a password.
pub async fn complete_setup(store: &Store, secret: &str, email: &str, display_name: &str, password: &str) -> Result<Account, Problem> {
    let link = live_link(store, secret).await?.ok_or_else(dead_link)?;
    if link.purpose != LinkPurpose::FirstAdmin {
        return Err(dead_link());
    }
    let email = check_email(email)?;
    secret::check_password(password).map_err(bad_password)?;
    let hash = hash(password).await?;
    if store.admin_exists().await? || !store.use_link(&secret::digest(secret), Utc::now()).await? {
        return Err(dead_link());
    }
    let account = Account {
        user_id: Uuid::now_v7(),
        email: email.clone(),
        display_name: display_name.trim().chars().take(crate::identity::MAX_NAME).collect(),
        password_hash: Some(hash.clone()),
        source: Source::Local,
        created_at: crate::store::now(),
        created_by: "setup link".into(),
        disabled: false,
    };
    let account = match store.insert_account(&account).await? {
        true => account,
        // Someone with that e-mail exists (e.g. signed in through the identity provider): they become the admin.
        false => {
            let existing = store.account_by_email(&email).await?.ok_or_else(|| StoreError::Corrupt(format!("account {email} vanished")))?;
            store.set_password_hash(existing.user_id, &hash).await?;
            existing
        }
    };
    let actor = Actor::Person(email.clone());
    store.add_grant(account.user_id, &Grant::everywhere(Role::Admin), Source::Local, "setup link").await?;
    audit(store, &actor, AuditAction::AccountCreated, account.user_id, json!({"email": email, "by": "setup link"})).await?;
    audit(store, &actor, AuditAction::RoleGranted, account.user_id, json!({"email": email, "grant": "admin for every business line"}))
        .await?;
    tracing::info!(user = %account.user_id, "the first administrator was created; the setup link is used up");
    Ok(account)
}

/// Uses an invitation: sets the invited person's password.
pub async fn accept_invitation(store: &Store, secret: &str, password: &str) -> Result<Account, Problem> {
    let link = live_link(store, secret).await?.ok_or_else(dead_link)?;
    let (LinkPurpose::Invite, Some(user_id)) = (link.purpose, link.user_id) else { return Err(dead_link()) };
    secret::check_password(password).map_err(bad_password)?;
    let hash = hash(password).await?;
    if !store.use_link(&secret::digest(secret), Utc::now()).await? {
        return Err(dead_link());
    }
    let account = store.account(user_id).await?.ok_or_else(dead_link)?;
    store.set_password_hash(user_id, &hash).await?;
    // Whoever knew the old password is signed out.
    store.delete_sessions_of(user_id).await?;
    audit(store, &Actor::Person(account.email.clone()), AuditAction::PasswordSet, user_id, json!({"email": account.email})).await?;
    Ok(account)
}

/// Argon2 is deliberately slow: off the async threads.
pub(crate) async fn hash(password: &str) -> Result<String, Problem> {
    let password = password.to_string();
    let _turn = secret::HASHING.acquire().await.map_err(|_| Problem::internal("keeping the password"))?;
    tokio::task::spawn_blocking(move || secret::hash_password(&password))
        .await
        .map_err(|error| error.to_string())
        .and_then(|hashed| hashed)
        .map_err(|error| {
            tracing::error!(%error, "hashing a password failed");
            Problem::internal("keeping the password")
        })
}

async fn new_link(store: &Store, purpose: LinkPurpose, user_id: Option<Uuid>, valid: TimeDelta) -> Result<Fresh, StoreError> {
    let fresh = secret::random();
    let now = Utc::now();
    store.insert_link(&fresh.digest(), purpose, user_id, now, now + valid).await?;
    Ok(fresh)
}

pub(crate) async fn audit(
    store: &Store,
    actor: &Actor,
    action: AuditAction,
    user_id: Uuid,
    details: serde_json::Value,
) -> Result<(), StoreError> {
    store
        .audit(&AuditEntry {
            actor,
            action,
            entity_type: "account",
            entity_id: Some(user_id),
            version: None,
            correlation_id: None,
            reason: "",
            details,
        })
        .await
}

/// The grants an identity provider's groups (or app roles) give, by the configured mapping.
pub fn provider_grants(groups: &[String], mapping: &[(String, Grant)]) -> Vec<Grant> {
    let mut grants: Vec<Grant> =
        mapping.iter().filter(|(group, _)| groups.iter().any(|held| held == group)).map(|(_, grant)| grant.clone()).collect();
    grants.sort();
    grants.dedup();
    grants
}

/// Who the identity provider vouched for.
#[derive(Debug, Clone, PartialEq)]
pub struct Vouched {
    /// The issuer and `sub`: what the account is bound to.
    pub subject: String,
    pub email: String,
    /// `email_verified`, when the provider says.
    pub email_verified: Option<bool>,
    pub display_name: String,
}

/// Signs in someone the identity provider vouched for: the account bound to their subject; on
/// a first sign-in a new account, or the account an administrator made for their e-mail (no
/// password yet, not an administrator, not bound to another subject; never on an e-mail the
/// provider says is unverified). Their grants from the provider are replaced by what the groups
/// give now (grants an administrator made stay), and a session opens.
pub async fn sign_in_from_provider(
    store: &Store,
    policy: &super::sessions::SessionPolicy,
    vouched: &Vouched,
    grants: &[Grant],
) -> Result<(Fresh, Principal), Problem> {
    let account = match store.account_by_subject(&vouched.subject).await? {
        Some(account) => account,
        None => first_sign_in(store, vouched).await?,
    };
    if account.disabled {
        return Err(
            Problem::new(Class::Forbidden, "account_disabled", "Your Sharepack account is disabled").hint("Ask a Sharepack administrator")
        );
    }
    store.replace_provider_grants(account.user_id, grants).await?;
    super::sessions::open(store, policy, &account, "identity provider").await
}

async fn first_sign_in(store: &Store, vouched: &Vouched) -> Result<Account, Problem> {
    let email = check_email(&vouched.email)?;
    let taken = || {
        Problem::new(
            Class::Forbidden,
            "account_exists",
            format!("A Sharepack account for {email} exists already and is not linked to this sign-in"),
        )
        .hint("Sign in with your Sharepack password, or ask an administrator")
    };
    if vouched.email_verified == Some(false) {
        return Err(Problem::new(Class::Forbidden, "email_unverified", "The identity provider has not verified your e-mail address")
            .hint("Verify it at your identity provider, then sign in again"));
    }
    if let Some(existing) = store.account_by_email(&email).await? {
        let admin = store.grants_of(existing.user_id).await?.iter().any(|stored| stored.grant.role == Role::Admin);
        if existing.password_hash.is_some() || admin || store.has_subject(existing.user_id).await? {
            return Err(taken());
        }
        if !store.bind_subject(existing.user_id, &vouched.subject).await? {
            return Err(taken());
        }
        return Ok(existing);
    }
    let fresh = Account {
        user_id: Uuid::now_v7(),
        email: email.clone(),
        display_name: vouched.display_name.trim().chars().take(crate::identity::MAX_NAME).collect(),
        password_hash: None,
        source: Source::Oidc,
        created_at: crate::store::now(),
        created_by: "identity provider".into(),
        disabled: false,
    };
    if !store.insert_account(&fresh).await? || !store.bind_subject(fresh.user_id, &vouched.subject).await? {
        // Someone with that e-mail appeared meanwhile.
        return Err(taken());
    }
    audit(
        store,
        &Actor::Person(email.clone()),
        AuditAction::AccountCreated,
        fresh.user_id,
        json!({"email": email, "by": "identity provider"}),
    )
    .await?;
    Ok(fresh)
}
