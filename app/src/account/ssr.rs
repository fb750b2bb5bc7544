//! The bodies of the sign-in server functions: each makes one engine call and sets or clears
//! the session cookie.

use super::api::LinkKind;
use crate::portal::{cookie, cookie_value, portal, principal, session_cookie, set_cookie, Portal};
use sharepack_engine::access::secret::Fresh;
use sharepack_engine::access::{people, sessions};
use sharepack_engine::error::Problem;
use sharepack_engine::store::LinkPurpose;

/// Where to go after signing in: only a path on this portal (never `//elsewhere` or a URL).
/// Backslashes and control characters are refused anywhere: browsers drop tabs and read `\`
/// as `/`, which would make `/\t/evil` a way out.
pub fn safe_next(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.chars().any(|c| c == '\\' || c.is_control())
                && path.len() < 2000 =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

fn start_session(portal: &Portal, id: &Fresh) {
    let max_age = portal.sessions.absolute.num_seconds();
    set_cookie(&cookie(portal, session_cookie(portal.secure_cookies), id.expose(), max_age));
}

pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), Problem> {
    let portal = portal()?;
    // Guessing is limited per e-mail (the throttle's budget, shared with nothing else).
    // (At most 255 characters of it: no one fills the limiter's memory with long keys.)
    let key: String = email.trim().to_lowercase().chars().take(sharepack_engine::identity::MAX_NAME).collect();
    portal.throttle.admit_key(&format!("sign-in:{key}"))?;
    let (id, _) = sessions::sign_in_with_password(&portal.store, &portal.sessions, &email, &password).await?;
    start_session(&portal, &id);
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

pub async fn sign_out() -> Result<(), Problem> {
    let portal = portal()?;
    let name = session_cookie(portal.secure_cookies);
    if let Some(id) = cookie_value(name) {
        sessions::end(&portal.store, &id, principal().as_ref()).await?;
    }
    set_cookie(&cookie(&portal, name, "", 0));
    leptos_axum::redirect("/signin");
    Ok(())
}

pub async fn link_kind(secret: String) -> Result<Option<LinkKind>, Problem> {
    let portal = portal()?;
    let Some(link) = people::live_link(&portal.store, &secret).await? else { return Ok(None) };
    Ok(match (link.purpose, link.user_id) {
        (LinkPurpose::FirstAdmin, _) => Some(LinkKind::FirstAdmin),
        (LinkPurpose::Invite, Some(user)) => portal.store.account(user).await?.map(|account| LinkKind::Invitation { email: account.email }),
        (LinkPurpose::Invite, None) => None,
    })
}

pub async fn complete_setup(secret: String, email: String, display_name: String, password: String) -> Result<(), Problem> {
    let portal = portal()?;
    let account = people::complete_setup(&portal.store, &secret, &email, &display_name, &password).await?;
    let (id, _) = sessions::open(&portal.store, &portal.sessions, &account, "setup link").await?;
    start_session(&portal, &id);
    leptos_axum::redirect("/admin/people");
    Ok(())
}

pub async fn accept_invitation(secret: String, password: String) -> Result<(), Problem> {
    let portal = portal()?;
    let account = people::accept_invitation(&portal.store, &secret, &password).await?;
    let (id, _) = sessions::open(&portal.store, &portal.sessions, &account, "invitation").await?;
    start_session(&portal, &id);
    leptos_axum::redirect("/");
    Ok(())
}

/// How many plans wait for `by`'s approval, for the header; `None` for those who approve
/// nothing, or when the store cannot say (logged: the header still renders).
pub async fn approvals_waiting(by: &sharepack_engine::access::Principal) -> Option<usize> {
    if !by.holds(sharepack_engine::access::Role::Approver, None) {
        return None;
    }
    let portal = crate::portal::portal().ok()?;
    match sharepack_engine::views::approvals_waiting(&portal.store, by).await {
        Ok(count) => Some(count),
        Err(problem) => {
            tracing::warn!(code = %problem.code, "the header's approval count could not be read");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(super::safe_next(Some("/runs/1?x=2")), "/runs/1?x=2");
        assert_eq!(super::safe_next(Some("//evil.example/")), "/");
        assert_eq!(super::safe_next(Some("https://evil.example/")), "/");
        assert_eq!(super::safe_next(Some("/\\evil.example")), "/");
        assert_eq!(super::safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(super::safe_next(Some("/x\nSet-Cookie: a=b")), "/");
        assert_eq!(super::safe_next(None), "/");
    }
}
