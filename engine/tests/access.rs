//! Identities in the store, on both databases: one account per e-mail whatever its case; grants
//! from the identity provider replaced, an administrator's kept; links and sign-in states used
//! once even when two requests race; sessions and tokens ending; and what housekeeping deletes.

use chrono::{TimeDelta, Utc};
use sharepack_engine::access::sessions::SessionPolicy;
use sharepack_engine::access::{people, secret, sessions, tokens, Grant, Principal, Role, Scopes};
use sharepack_engine::store::testing::{fresh_store, Stack, TempDir};
use sharepack_engine::store::{LinkPurpose, SignInState, Source};

async fn identities_are_kept_once_and_end_on_time(stack: Stack) {
    let dir = TempDir::new("sharepack-access");
    let Some(store) = fresh_store(stack, &dir).await else { return };
    let operator = Principal::operator();
    let backend = store.backend();

    // One account per e-mail, however it is written.
    let added =
        people::add_person(&store, &operator, "Ada@Example.com", "Ada", &[Grant::new(Role::Requester, Some("Legal"))]).await.unwrap();
    assert!(added.created && added.invitation.is_some());
    let again = people::add_person(&store, &operator, " ada@example.COM ", "", &[Grant::everywhere(Role::Auditor)]).await.unwrap();
    assert!(!again.created && again.invitation.is_none(), "{backend}: the same person");
    assert_eq!(store.accounts().await.unwrap().len(), 1);
    let ada = added.account.user_id;
    assert!(!store.admin_exists().await.unwrap());
    assert!(people::add_person(&store, &operator, "not an email", "", &[]).await.is_err());
    assert!(
        people::add_person(&store, &operator, "x@example.com", "", &[Grant::new(Role::Admin, Some("Legal"))]).await.is_err(),
        "admin is global"
    );
    let requester = Principal { grants: vec![Grant::new(Role::Requester, None)], ..Principal::operator() };
    assert_eq!(
        people::add_person(&store, &requester, "y@example.com", "", &[]).await.unwrap_err().code,
        "role_missing",
        "only admins add people"
    );

    // The identity provider's grants are replaced at each sign-in; an administrator's stay.
    store
        .replace_provider_grants(ada, &[Grant::new(Role::Approver, Some("Legal")), Grant::new(Role::Approver, Some("Tax"))])
        .await
        .unwrap();
    store.replace_provider_grants(ada, &[Grant::new(Role::Approver, Some("Tax"))]).await.unwrap();
    let grants: Vec<(String, Source)> =
        store.grants_of(ada).await.unwrap().into_iter().map(|stored| (stored.grant.to_string(), stored.source)).collect();
    assert_eq!(
        grants,
        vec![
            ("approver for Tax".to_string(), Source::Oidc),
            ("auditor for every business line".to_string(), Source::Local),
            ("requester for Legal".to_string(), Source::Local)
        ],
        "{backend}"
    );

    // A link is used once, even by two requests at the same moment.
    let invitation = added.invitation.unwrap();
    let (first, second) = tokio::join!(
        people::accept_invitation(&store, invitation.expose(), "correct horse battery"),
        people::accept_invitation(&store, invitation.expose(), "another password here")
    );
    assert!(first.is_ok() != second.is_ok(), "{backend}: exactly one wins: {first:?} {second:?}");
    let setup = people::first_admin_link(&store).await.unwrap().expect("no admin yet, so a setup link");
    people::complete_setup(&store, setup.expose(), "root@example.com", "Root", "correct horse battery").await.unwrap();
    assert!(store.admin_exists().await.unwrap());
    assert!(people::first_admin_link(&store).await.unwrap().is_none(), "no setup link once there is an administrator");
    assert_eq!(
        people::complete_setup(&store, setup.expose(), "evil@example.com", "", "correct horse battery").await.unwrap_err().code,
        "link_invalid"
    );

    // Sign-in states are taken once.
    let state = SignInState { pkce_verifier: "v".into(), nonce: "n".into(), return_to: "/".into(), created_at: Utc::now() };
    store.insert_sign_in_state("digest-1", &state).await.unwrap();
    let (one, two) = tokio::join!(store.take_sign_in_state("digest-1"), store.take_sign_in_state("digest-1"));
    assert_eq!([one.unwrap().is_some(), two.unwrap().is_some()].iter().filter(|taken| **taken).count(), 1, "{backend}");

    // Sessions end when idle or past their time; housekeeping deletes what ended.
    let policy = SessionPolicy { idle: TimeDelta::minutes(30), absolute: TimeDelta::hours(8) };
    let account = store.account(ada).await.unwrap().unwrap();
    let (session, _) = sessions::open(&store, &policy, &account, "test").await.unwrap();
    let now = Utc::now();
    assert!(sessions::resolve(&store, &policy, session.expose(), now).await.unwrap().is_some());
    assert!(sessions::resolve(&store, &policy, session.expose(), now + TimeDelta::minutes(31)).await.unwrap().is_none(), "{backend}: idle");
    let (session, _) = sessions::open(&store, &policy, &account, "test").await.unwrap();
    assert!(sessions::resolve(&store, &policy, "not-a-session", now).await.unwrap().is_none());
    let (stale, _) = sessions::open(&store, &policy, &account, "test").await.unwrap();
    assert_eq!(store.expire_sessions(now + TimeDelta::hours(9), now).await.unwrap(), 2, "{backend}: past their end");
    assert!(sessions::resolve(&store, &policy, session.expose(), now).await.unwrap().is_none());
    assert!(sessions::resolve(&store, &policy, stale.expose(), now).await.unwrap().is_none());
    store
        .insert_link(&secret::digest("old"), LinkPurpose::Invite, Some(ada), now - TimeDelta::days(9), now - TimeDelta::days(2))
        .await
        .unwrap();
    store.insert_sign_in_state("digest-2", &SignInState { created_at: now - TimeDelta::minutes(20), ..state }).await.unwrap();
    assert!(store.expire_sign_in_states(now - TimeDelta::minutes(10)).await.unwrap() >= 2, "{backend}: stale states and dead links");

    // Tokens: found by their digest only while neither revoked nor expired; a disabled account's stop.
    let scopes: Scopes = "read,submit".parse().unwrap();
    let (token, info) = tokens::create(&store, &operator, Some("ada@example.com"), "ci", &scopes, 30).await.unwrap();
    let found = tokens::resolve(&store, token.expose(), now).await.unwrap().expect("a fresh token works");
    assert_eq!((found.email.as_str(), found.grants.len()), ("ada@example.com", 3));
    assert!(tokens::resolve(&store, token.expose(), now + TimeDelta::days(31)).await.unwrap().is_none(), "{backend}: expired");
    store.set_disabled(ada, true).await.unwrap();
    assert!(tokens::resolve(&store, token.expose(), now).await.unwrap().is_none(), "{backend}: disabled");
    store.set_disabled(ada, false).await.unwrap();
    assert!(store.revoke_token(ada, uuid::Uuid::parse_str(&info.id).unwrap(), now).await.unwrap());
    assert!(tokens::resolve(&store, token.expose(), now).await.unwrap().is_none(), "{backend}: revoked");
    assert!(tokens::create(&store, &operator, Some("ada@example.com"), "", &scopes, 30).await.is_err(), "a token needs a name");
    assert!(tokens::create(&store, &operator, Some("ada@example.com"), "x", &scopes, 400).await.is_err(), "and a bounded life");
}

sharepack_engine::on_both_stacks!(identities_are_kept_once_and_end_on_time);
