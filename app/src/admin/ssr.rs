//! Bodies of the people page's server functions.

use super::api::AddedPerson;
use crate::portal::{parse_id, request};
use sharepack_engine::access::{people, Grant, Role};
use sharepack_engine::error::Problem;

fn grant(role: &str, business_line: Option<&str>) -> Result<Grant, Problem> {
    let role: Role =
        role.parse().map_err(|error: sharepack_engine::access::UnknownRole| Problem::invalid("role_invalid", error.to_string()))?;
    Ok(Grant::new(role, business_line))
}

fn invitation_url(public_url: &str, secret: &str) -> String {
    format!("{}/invite/{secret}", public_url.trim_end_matches('/'))
}

pub async fn add_person(email: String, display_name: String, role: String, business_line: Option<String>) -> Result<AddedPerson, Problem> {
    let request = request()?;
    let grant = grant(&role, business_line.as_deref())?;
    let added = people::add_person(&request.portal.store, &request.by, &email, &display_name, &[grant]).await?;
    Ok(AddedPerson {
        email: added.account.email,
        created: added.created,
        invitation_url: added.invitation.map(|link| invitation_url(&request.portal.public_url, link.expose())),
    })
}

pub async fn revoke_grant(user_id: String, role: String, business_line: Option<String>) -> Result<(), Problem> {
    let request = request()?;
    let user = parse_id(&user_id).ok_or_else(|| Problem::not_found("person", &user_id))?;
    people::revoke_grant(&request.portal.store, &request.by, user, &grant(&role, business_line.as_deref())?).await
}

pub async fn invite_again(user_id: String) -> Result<AddedPerson, Problem> {
    let request = request()?;
    let user = parse_id(&user_id).ok_or_else(|| Problem::not_found("person", &user_id))?;
    let link = people::invite(&request.portal.store, &request.by, user).await?;
    let email = request.portal.store.account(user).await?.map(|account| account.email).unwrap_or_default();
    Ok(AddedPerson { email, created: false, invitation_url: Some(invitation_url(&request.portal.public_url, link.expose())) })
}
