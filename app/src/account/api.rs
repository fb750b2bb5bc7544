//! Server functions of signing in and out, the first administrator's setup, invitations, and
//! a person's API tokens. Passwords, session ids, links and tokens never reach a log or an error.

use crate::error::Answer;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
pub use sharepack_engine::access::TokenInfo;

/// Who is signed in, for the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub email: String,
    pub display_name: String,
    /// `requester for Legal`, `admin for every business line`.
    pub grants: Vec<String>,
    pub is_admin: bool,
    /// Plans waiting for this person's approval; `None` for those who approve nothing.
    #[serde(default)]
    pub approvals_waiting: Option<usize>,
}

/// What a one-time link is for, so its page can ask the right questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LinkKind {
    FirstAdmin,
    Invitation { email: String },
}

/// A token just made: its value is in this answer only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: String,
    pub info: TokenInfo,
}

#[server(name = WhoAmI, prefix = "/api", endpoint = "who_am_i")]
pub async fn who_am_i() -> Answer<Option<Me>> {
    let Some(by) = crate::portal::principal() else { return Ok(None) };
    Ok(Some(Me {
        email: by.email.clone(),
        display_name: by.display_name.clone(),
        grants: by.grants.iter().map(ToString::to_string).collect(),
        is_admin: by.is_admin(),
        approvals_waiting: super::ssr::approvals_waiting(&by).await,
    }))
}

/// Signs in with a local password and goes where the person was going.
#[server(name = SignIn, prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Answer<()> {
    crate::portal::answer(super::ssr::sign_in(email, password, next)).await
}

#[server(name = SignOut, prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Answer<()> {
    crate::portal::answer(super::ssr::sign_out()).await
}

#[server(name = GetLink, prefix = "/api", endpoint = "get_link")]
pub async fn get_link(secret: String) -> Answer<Option<LinkKind>> {
    crate::portal::answer(super::ssr::link_kind(secret)).await
}

/// Creates the first administrator from the setup link, and signs them in.
#[server(name = CompleteSetup, prefix = "/api", endpoint = "complete_setup")]
pub async fn complete_setup(secret: String, email: String, display_name: String, password: String) -> Answer<()> {
    crate::portal::answer(super::ssr::complete_setup(secret, email, display_name, password)).await
}

/// Sets an invited person's password from their invitation, and signs them in.
#[server(name = AcceptInvitation, prefix = "/api", endpoint = "accept_invitation")]
pub async fn accept_invitation(secret: String, password: String) -> Answer<()> {
    crate::portal::answer(super::ssr::accept_invitation(secret, password)).await
}

#[server(name = ListTokens, prefix = "/api", endpoint = "list_tokens")]
pub async fn list_tokens() -> Answer<Vec<TokenInfo>> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        sharepack_engine::access::tokens::list(&request.portal.store, &request.by).await
    })
    .await
}

/// Makes an API token with the scopes ticked; the answer holds the token, once.
#[server(name = CreateToken, prefix = "/api", endpoint = "create_token")]
pub async fn create_token(
    name: String,
    days: u32,
    read: Option<String>,
    submit: Option<String>,
    approve: Option<String>,
    metrics: Option<String>,
) -> Answer<CreatedToken> {
    use sharepack_engine::access::{Scope, Scopes};
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        let ticked = [(read, Scope::Read), (submit, Scope::Submit), (approve, Scope::Approve), (metrics, Scope::Metrics)];
        let scopes = Scopes::of(
            ticked.into_iter().filter(|(value, _)| value.as_deref().is_some_and(|value| value != "false")).map(|(_, scope)| scope),
        );
        let (token, info) =
            sharepack_engine::access::tokens::create(&request.portal.store, &request.by, None, &name, &scopes, days).await?;
        Ok(CreatedToken { token: token.expose().to_string(), info })
    })
    .await
}

#[server(name = RevokeToken, prefix = "/api", endpoint = "revoke_token")]
pub async fn revoke_token(id: String) -> Answer<()> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        let token = crate::portal::parse_id(&id).ok_or_else(|| sharepack_engine::error::Problem::not_found("token", &id))?;
        sharepack_engine::access::tokens::revoke(&request.portal.store, &request.by, token).await
    })
    .await
}

/// One kind of notification and whether the signed-in person receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationChoice {
    pub kind: sharepack_engine::records::NotificationKind,
    pub enabled: bool,
}

#[server(name = ListNotificationChoices, prefix = "/api", endpoint = "list_notification_choices")]
pub async fn list_notification_choices() -> Answer<Vec<NotificationChoice>> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        let chosen = sharepack_engine::notify::views::preferences(&request.portal.store, &request.by).await?;
        Ok(chosen.into_iter().map(|p| NotificationChoice { kind: p.kind, enabled: p.enabled }).collect())
    })
    .await
}

/// Turns one kind on or off for the signed-in person.
#[server(name = ChooseNotification, prefix = "/api", endpoint = "choose_notification")]
pub async fn choose_notification(kind: String, enabled: bool) -> Answer<()> {
    crate::portal::answer(async move {
        use sharepack_engine::error::Problem;
        let request = crate::portal::request()?;
        let kind = kind
            .parse()
            .map_err(|error: sharepack_engine::records::UnknownValue| Problem::invalid("bad_kind", error.to_string()).at("kind"))?;
        let change = sharepack_engine::notify::views::Preference { kind, enabled };
        sharepack_engine::notify::views::choose(&request.portal.store, &request.by, &[change]).await.map(|_| ())
    })
    .await
}
