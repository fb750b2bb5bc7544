//! Signing in and out, the first administrator's setup page, invitations, and the page where a
//! person makes and revokes their API tokens. Sign-in, setup and invitation are plain forms:
//! they work without JavaScript. A new token is shown once, on the page that made it.

pub mod api;
#[cfg(feature = "ssr")]
pub mod ssr;

use crate::components::{when, FormError, ProblemNote};
use api::*;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.with(|query| query.get("next")).unwrap_or_else(|| "/".into());
    let expired = move || query.with(|query| query.get("expired")).is_some();
    let info = Resource::new_blocking(|| (), |_| crate::intake::api::portal_info());
    view! {
        <section class="card narrow" id="sign-in">
            <h1>"Sign in to Sharepack"</h1>
            {move || expired().then(|| view! { <p class="notice" role="status">"Your session ended. Sign in again to go on."</p> })}
            <FormError/>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    info.await.ok().filter(|info| info.oidc_enabled).map(|_| view! {
                        <p><a class="button primary" rel="external" href=move || format!("/auth/oidc/start?next={}", urlencoding(&next()))>"Sign in with your organisation"</a></p>
                        <p class="hint">"Or with a Sharepack password:"</p>
                    })
                })}
            </Suspense>
            <form method="post" action=SignIn::url() class="stack">
                <input type="hidden" name="next" value=next/>
                <label>"E-mail" <input type="email" name="email" required maxlength="255" autocomplete="username"/></label>
                <label>"Password" <input type="password" name="password" required maxlength="256" autocomplete="current-password"/></label>
                <button type="submit" class="button primary">"Sign in"</button>
            </form>
            <p class="hint">"No password yet? Use the invitation link an administrator gave you."</p>
        </section>
    }
}

/// Percent-encodes a path for a query value.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// `/setup/:secret` (the first administrator) and `/invite/:secret` (an invited person).
#[component]
pub fn LinkPage() -> impl IntoView {
    let params = use_params_map();
    let secret = Memo::new(move |_| params.read().get("secret").unwrap_or_default());
    let link = Resource::new_blocking(move || secret.get(), get_link);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Reading the link…"</p> }>
            {move || Suspend::new(async move {
                match link.await {
                    Ok(Some(LinkKind::FirstAdmin)) => view! { <SetupForm secret=secret.get_untracked()/> }.into_any(),
                    Ok(Some(LinkKind::Invitation { email })) => view! { <InvitationForm secret=secret.get_untracked() email/> }.into_any(),
                    Ok(None) => {
                        crate::components::not_found();
                        view! {
                            <section class="card empty narrow" id="link">
                                <h1>"This link no longer works"</h1>
                                <p>"It has been used, has expired, or never existed. Ask an administrator for a new invitation."</p>
                            </section>
                        }
                        .into_any()
                    }
                    Err(error) => view! { <section class="card alert" id="link"><ProblemNote problem=error.0/></section> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SetupForm(secret: String) -> impl IntoView {
    view! {
        <section class="card narrow" id="setup">
            <h1>"Create the first administrator"</h1>
            <p class="hint">"This link works once. The administrator then adds everyone else and gives them roles."</p>
            <FormError/>
            <form method="post" action=CompleteSetup::url() class="stack">
                <input type="hidden" name="secret" value=secret/>
                <label>"E-mail" <input type="email" name="email" required maxlength="255" autocomplete="username"/></label>
                <label>"Name" <input type="text" name="display_name" maxlength="255" autocomplete="name"/></label>
                <label>"Password (at least 12 characters)" <input type="password" name="password" required minlength="12" maxlength="256" autocomplete="new-password"/></label>
                <button type="submit" class="button primary">"Create administrator"</button>
            </form>
        </section>
    }
}

#[component]
fn InvitationForm(secret: String, email: String) -> impl IntoView {
    view! {
        <section class="card narrow" id="invitation">
            <h1>"Welcome to Sharepack"</h1>
            <p>"Choose a password for " <strong>{email.clone()}</strong> "."</p>
            <FormError/>
            <form method="post" action=AcceptInvitation::url() class="stack">
                <input type="hidden" name="secret" value=secret/>
                <input type="hidden" name="username" value=email autocomplete="username"/>
                <label>"Password (at least 12 characters)" <input type="password" name="password" required minlength="12" maxlength="256" autocomplete="new-password"/></label>
                <button type="submit" class="button primary">"Set password and sign in"</button>
            </form>
        </section>
    }
}

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new_blocking(move || (create.version().get(), revoke.version().get()), |_| list_tokens());
    view! {
        <section class="card" id="new-token">
            <h1>"API tokens"</h1>
            <p class="hint">"Scripts and CI send a token as " <code>"Authorization: Bearer <token>"</code> " to the REST API under /workflow. A token acts as you, limited to its scopes."</p>
            <ActionForm action=create attr:class="stack inline">
                <label>"Name" <input type="text" name="name" required maxlength="100" placeholder="nightly CI"/></label>
                <label>"Expires after (days)" <input type="number" name="days" required min="1" max="366" value="90"/></label>
                <fieldset class="scopes">
                    <legend>"Scopes"</legend>
                    <label><input type="checkbox" name="read" value="true" checked/> " read"</label>
                    <label><input type="checkbox" name="submit" value="true"/> " submit"</label>
                    <label><input type="checkbox" name="approve" value="true"/> " approve"</label>
                    <label title="Scraping /metrics; administrators only"><input type="checkbox" name="metrics" value="true"/> " metrics"</label>
                </fieldset>
                <button type="submit" class="button primary">"Create token"</button>
            </ActionForm>
            {move || create.value().get().map(|result| match result {
                Ok(created) => view! {
                    <div class="links" id="created-token">
                        <p><strong>"Copy this token now: it is not shown again."</strong></p>
                        <p><code class="secret" data-token=created.token.clone()>{created.token.clone()}</code></p>
                    </div>
                }.into_any(),
                Err(error) => view! { <ProblemNote problem=error.0/> }.into_any(),
            })}
        </section>
        <section class="card" id="tokens">
            <h2>"Your tokens"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No tokens yet."</p> }.into_any(),
                        Ok(list) => view! { <TokenTable list revoke/> }.into_any(),
                        Err(error) => view! { <ProblemNote problem=error.0/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <NotificationChoices/>
    }
}

/// The kinds of notification, each with what it is about and a switch.
#[component]
fn NotificationChoices() -> impl IntoView {
    use sharepack_engine::records::NotificationKind;
    let choose = ServerAction::<ChooseNotification>::new();
    let choices = Resource::new_blocking(move || choose.version().get(), |_| list_notification_choices());
    let words = |kind: NotificationKind| match kind {
        NotificationKind::ApprovalRequested => "A plan waits for your approval",
        NotificationKind::PlanDecided => "Your plan was approved or rejected",
        NotificationKind::RunFinished => "Your run completed or failed",
        NotificationKind::DriftFound => "Drift was found in a pack you asked for",
        NotificationKind::TokenExpiring => "One of your API tokens expires within a week",
    };
    view! {
        <section class="card" id="notifications">
            <h2>"Notifications"</h2>
            <p class="hint">"What Sharepack e-mails you about. Messages never hold a token or an activation link."</p>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match choices.await {
                        Ok(list) => view! {
                            <ul class="plain notification-choices">
                                {list.into_iter().map(|choice| view! {
                                    <li data-kind=choice.kind.as_str() data-enabled=choice.enabled.to_string()>
                                        <ActionForm action=choose attr:class="inline-form">
                                            <input type="hidden" name="kind" value=choice.kind.as_str()/>
                                            <input type="hidden" name="enabled" value=(!choice.enabled).to_string()/>
                                            <span>{words(choice.kind)}</span> " "
                                            <span class="muted">{if choice.enabled { "on" } else { "off" }}</span> " "
                                            <button type="submit" class="button">{if choice.enabled { "Turn off" } else { "Turn on" }}</button>
                                        </ActionForm>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ProblemNote problem=error.0/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn TokenTable(list: Vec<TokenInfo>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="grid">
                <thead><tr><th>"Name"</th><th>"Token"</th><th>"Scopes"</th><th>"Created"</th><th>"Expires"</th><th>"Last used"</th><th></th></tr></thead>
                <tbody>
                    {list.into_iter().map(|token| {
                        let state = if token.revoked { "revoked" } else if token.expired { "expired" } else { "active" };
                        view! {
                            <tr data-token-name=token.name.clone() data-state=state>
                                <td>{token.name.clone()}</td>
                                <td><code>{token.hint.clone()}</code></td>
                                <td>{token.scopes.to_string()}</td>
                                <td>{when(&token.created_at)}</td>
                                <td>{when(&token.expires_at)}</td>
                                <td>{token.last_used_at.as_deref().map(when).unwrap_or_else(|| "never".into())}</td>
                                <td>{match state {
                                    "active" => view! {
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="id" value=token.id.clone()/>
                                            <button type="submit" class="button">"Revoke"</button>
                                        </ActionForm>
                                    }.into_any(),
                                    other => view! { <span class="muted">{other.to_string()}</span> }.into_any(),
                                }}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
