//! What people see of notifications: their delivery log (everyone's, and the webhooks', for
//! those who see every business line) and the kinds they receive.

use crate::access::{Act, Principal, Visibility};
use crate::error::{Class, Problem};
use crate::identity::Actor;
use crate::records::NotificationKind;
use crate::store::{Store, StoredNotification};

/// One kind and whether the person receives it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Preference {
    pub kind: NotificationKind,
    pub enabled: bool,
}

/// The person behind the principal: notifications are for people, not the open API or the
/// operator.
fn person(by: &Principal) -> Result<String, Problem> {
    match by.actor() {
        Actor::Person(email) => Ok(email.to_lowercase()),
        _ => Err(Problem::new(Class::Forbidden, "person_needed", "Notifications are for people who sign in")
            .hint("Use a token of your own, or sign in to the portal")),
    }
}

/// The newest 100 notifications: the person's, or everyone's for those who see everything.
pub async fn log(store: &Store, by: &Principal) -> Result<Vec<StoredNotification>, Problem> {
    by.require(Act::Read, None)?;
    if by.visibility() == Visibility::All && by.is_admin() {
        return Ok(store.notifications(None, 100).await?);
    }
    Ok(store.notifications(Some(&person(by)?), 100).await?)
}

/// Every kind, with whether the person receives it (on unless they turned it off).
pub async fn preferences(store: &Store, by: &Principal) -> Result<Vec<Preference>, Problem> {
    let email = person(by)?;
    let chosen = store.notification_preferences(&email).await?;
    Ok(NotificationKind::ALL
        .iter()
        .map(|kind| Preference { kind: *kind, enabled: chosen.iter().find(|(known, _)| known == kind).is_none_or(|(_, enabled)| *enabled) })
        .collect())
}

/// Turns kinds on or off for the person; answers every kind as it now is.
pub async fn choose(store: &Store, by: &Principal, changes: &[Preference]) -> Result<Vec<Preference>, Problem> {
    let email = person(by)?;
    for change in changes {
        store.set_notification_preference(&email, change.kind, change.enabled).await?;
    }
    preferences(store, by).await
}
