//! Headless administration on the portal's database, for operators and automation:
//! `sharepack users add|list` and `sharepack tokens create`. They act as the operator
//! (recorded so in the audit trail) through the same engine functions as the portal's pages,
//! so a token made here is exactly one made on the Tokens page.

use crate::config::Settings;
use sharepack_engine::access::{people, tokens, Grant, Principal, Role, Scopes};
use sharepack_engine::error::Problem;

/// What a command prints: `out` to standard output (what scripts read), `note` to the terminal.
pub struct Printed {
    pub out: String,
    pub note: String,
}

async fn store(settings: &Settings) -> Result<sharepack_engine::store::Store, Problem> {
    crate::open_store(settings).await.map_err(|error| {
        Problem::new(sharepack_engine::Class::Unavailable, "database_unavailable", sharepack_engine::store::redact(&error.to_string()))
    })
}

/// `sharepack users add EMAIL --role ROLE [--business-line NAME] [--name NAME]`.
pub async fn add_user(
    settings: &Settings,
    email: &str,
    role: &str,
    business_line: Option<&str>,
    name: Option<&str>,
) -> Result<Printed, Problem> {
    let role: Role =
        role.parse().map_err(|error: sharepack_engine::access::UnknownRole| Problem::invalid("role_invalid", error.to_string()))?;
    let store = store(settings).await?;
    let added = people::add_person(&store, &Principal::operator(), email, name.unwrap_or(""), &[Grant::new(role, business_line)]).await?;
    let grant = Grant::new(role, business_line);
    let note = match added.created {
        true => format!("added {} as {grant}", added.account.email),
        false => format!("{} now holds {grant}", added.account.email),
    };
    let out = match added.invitation {
        Some(link) => format!("{}/invite/{}", settings.public_url, link.expose()),
        None => String::new(),
    };
    let note = if out.is_empty() {
        note
    } else {
        format!("{note}; give them this one-time link to set a password (valid {} days):", people::INVITE_DAYS)
    };
    Ok(Printed { out, note })
}

/// `sharepack users disable EMAIL`: locks someone out at once.
pub async fn disable_user(settings: &Settings, email: &str) -> Result<Printed, Problem> {
    let store = store(settings).await?;
    let account = people::disable(&store, &Principal::operator(), email).await?;
    Ok(Printed { out: String::new(), note: format!("{} is disabled: their sessions ended and their tokens are revoked", account.email) })
}

/// `sharepack users list`.
pub async fn list_users(settings: &Settings) -> Result<Printed, Problem> {
    let store = store(settings).await?;
    let lines: Vec<String> = people::people(&store, &Principal::operator())
        .await?
        .into_iter()
        .map(|person| {
            let grants: Vec<String> = person.grants.iter().map(|info| info.grant.to_string()).collect();
            format!("{}\t{}\t{}", person.email, person.source, grants.join("; "))
        })
        .collect();
    Ok(Printed { out: lines.join("\n"), note: String::new() })
}

/// `sharepack tokens create --user EMAIL --name NAME --scope read,submit --expires DAYS`:
/// prints the token once.
pub async fn create_token(settings: &Settings, user: &str, name: &str, scope: &str, days: u32) -> Result<Printed, Problem> {
    let scopes: Scopes =
        scope.parse().map_err(|error: sharepack_engine::access::UnknownScope| Problem::invalid("scope_invalid", error.to_string()))?;
    let store = store(settings).await?;
    let (token, info) = tokens::create(&store, &Principal::operator(), Some(user), name, &scopes, days).await?;
    Ok(Printed {
        out: token.expose().to_string(),
        note: format!("token `{}` for {user} ({}), expires {}; it is not shown again", info.name, info.scopes, info.expires_at),
    })
}
