//! The administrators' people page: everyone with their roles per business line, adding
//! people (with a one-time invitation to set a password, shown once), and taking roles away.

pub mod api;
#[cfg(feature = "ssr")]
pub mod ssr;

use crate::components::{when, ProblemNote};
use api::*;
use leptos::form::ActionForm;
use leptos::prelude::*;
use sharepack_engine::access::Role;

#[component]
pub fn PeoplePage() -> impl IntoView {
    let add = ServerAction::<AddPerson>::new();
    let again = ServerAction::<InviteAgain>::new();
    let revoke = ServerAction::<RevokeGrant>::new();
    let people = Resource::new_blocking(move || (add.version().get(), revoke.version().get()), |_| list_people());
    let added = move || add.value().get().or_else(|| again.value().get());
    view! {
        <section class="card" id="add-person">
            <h1>"People"</h1>
            <p class="hint">"Requesters submit packs for their business lines; approvers approve plans for theirs; auditors read everything; administrators do everything. People signing in through the identity provider get roles from their groups."</p>
            <ActionForm action=add attr:class="stack inline">
                <label>"E-mail" <input type="email" name="email" required maxlength="255"/></label>
                <label>"Name" <input type="text" name="display_name" maxlength="255"/></label>
                <label>"Role"
                    <select name="role">
                        {Role::ALL.into_iter().map(|role| view! { <option value=role.as_str()>{role.as_str()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Business line" <input type="text" name="business_line" maxlength="255" placeholder="every business line"/></label>
                <button type="submit" class="button primary">"Add"</button>
            </ActionForm>
            {move || added().map(|result| match result {
                Ok(added) => view! {
                    <div class="links" id="added-person">
                        <p>{if added.created { format!("{} was added.", added.email) } else { format!("{} now has the role too.", added.email) }}</p>
                        {added.invitation_url.map(|url| view! {
                            <p>"Give them this link to set their password (it works once, for 7 days; it is not shown again):"</p>
                            <p><code class="secret" data-invitation=url.clone()>{url.clone()}</code></p>
                        })}
                    </div>
                }.into_any(),
                Err(error) => view! { <ProblemNote problem=error.0/> }.into_any(),
            })}
        </section>
        <section class="card" id="people">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match people.await {
                        Ok(list) => view! { <PeopleTable list again revoke/> }.into_any(),
                        Err(error) => view! { <ProblemNote problem=error.0/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn PeopleTable(list: Vec<PersonInfo>, again: ServerAction<InviteAgain>, revoke: ServerAction<RevokeGrant>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="grid">
                <thead><tr><th>"Person"</th><th>"Roles"</th><th>"Sign-in"</th><th>"Added"</th></tr></thead>
                <tbody>
                    {list.into_iter().map(|person| {
                        let user_id = person.user_id.clone();
                        view! {
                            <tr data-email=person.email.clone()>
                                <td><strong>{person.email.clone()}</strong> <span class="muted">{person.display_name.clone()}</span></td>
                                <td>{person.grants.into_iter().map(|info| {
                                    let user_id = user_id.clone();
                                    let line = info.grant.business_line.clone().unwrap_or_default();
                                    view! {
                                        <span class="chip">
                                            {info.grant.to_string()}
                                            {(!info.from_provider).then(|| view! {
                                                <ActionForm action=revoke attr:class="inline-form">
                                                    <input type="hidden" name="user_id" value=user_id/>
                                                    <input type="hidden" name="role" value=info.grant.role.as_str()/>
                                                    <input type="hidden" name="business_line" value=line/>
                                                    <button type="submit" class="link-button" title="Take this role away">"×"</button>
                                                </ActionForm>
                                            })}
                                            {info.from_provider.then(|| view! { <span class="muted">" (from groups)"</span> })}
                                        </span>
                                    }
                                }).collect_view()}</td>
                                <td>{match (person.source.as_str(), person.has_password) {
                                    ("oidc", _) => view! { <span>"identity provider"</span> }.into_any(),
                                    (_, true) => view! { <span>"password"</span> }.into_any(),
                                    _ => view! {
                                        <ActionForm action=again attr:class="inline-form">
                                            <input type="hidden" name="user_id" value=person.user_id.clone()/>
                                            <button type="submit" class="button">"New invitation"</button>
                                        </ActionForm>
                                    }.into_any(),
                                }}{person.disabled.then(|| view! { <span class="badge">"disabled"</span> })}</td>
                                <td>{when(&person.created_at)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
