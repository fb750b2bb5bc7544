//! Who may do what. A request's [`Principal`] (from a session, an API token, the open REST
//! API or the command line) carries its roles per business line; [`Principal::require`] and
//! [`Principal::reveal`] are the one place that decides, and every engine entry point that
//! reads or changes something owned by a business line calls them. Callers never compare roles
//! themselves.
//!
//! The rest (server only) keeps identities: [`people`] (accounts, grants, invitations, the
//! first administrator's setup link), [`sessions`] (browser sign-in, idle and absolute expiry),
//! [`tokens`] (API tokens with scopes), [`secret`] (random secrets, digests, password hashes).

#[cfg(feature = "intake")]
pub mod claim;
mod principal;
mod role;
mod views;

#[cfg(feature = "store")]
pub mod people;
#[cfg(feature = "queue")]
pub mod resources;
#[cfg(feature = "store")]
pub mod secret;
#[cfg(feature = "store")]
pub mod sessions;
#[cfg(feature = "store")]
pub mod throttle;
#[cfg(feature = "store")]
pub mod tokens;

pub use principal::{Act, Owner, Principal, Via, Visibility};
pub use role::{same_line, Grant, Role, Scope, Scopes, UnknownRole, UnknownScope};
pub use views::{GrantInfo, PersonInfo, TokenInfo};
