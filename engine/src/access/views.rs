//! People and tokens as the administration and token pages show them (plain data, also built
//! into the browser bundle).

use super::{Grant, Scopes};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonInfo {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    /// `local` or `oidc`.
    pub source: String,
    pub has_password: bool,
    pub disabled: bool,
    pub grants: Vec<GrantInfo>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrantInfo {
    pub grant: Grant,
    /// From the identity provider's groups (replaced at each sign-in) rather than an administrator.
    pub from_provider: bool,
    pub granted_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    /// The token's first characters (`spk_AbC1d2…`).
    pub hint: String,
    pub scopes: Scopes,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    pub revoked: bool,
    pub expired: bool,
}
