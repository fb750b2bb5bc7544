//! Server functions of the administrators' people page. The engine checks the admin role.

use crate::error::Answer;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
pub use sharepack_engine::access::{GrantInfo, PersonInfo};

/// What adding someone did; the invitation link is in this answer only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddedPerson {
    pub email: String,
    pub created: bool,
    pub invitation_url: Option<String>,
}

#[server(name = ListPeople, prefix = "/api", endpoint = "list_people")]
pub async fn list_people() -> Answer<Vec<PersonInfo>> {
    crate::portal::answer(async move {
        let request = crate::portal::request()?;
        sharepack_engine::access::people::people(&request.portal.store, &request.by).await
    })
    .await
}

/// Adds a person with a role (or gives someone who exists another role).
#[server(name = AddPerson, prefix = "/api", endpoint = "add_person")]
pub async fn add_person(email: String, display_name: Option<String>, role: String, business_line: Option<String>) -> Answer<AddedPerson> {
    crate::portal::answer(super::ssr::add_person(email, display_name.unwrap_or_default(), role, business_line)).await
}

#[server(name = RevokeGrant, prefix = "/api", endpoint = "revoke_grant")]
pub async fn revoke_grant(user_id: String, role: String, business_line: Option<String>) -> Answer<()> {
    crate::portal::answer(super::ssr::revoke_grant(user_id, role, business_line)).await
}

/// A new invitation for someone whose last one expired.
#[server(name = InviteAgain, prefix = "/api", endpoint = "invite_again")]
pub async fn invite_again(user_id: String) -> Answer<AddedPerson> {
    crate::portal::answer(super::ssr::invite_again(user_id)).await
}
