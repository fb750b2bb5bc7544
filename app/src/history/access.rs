//! The access question page: "who could read table T on date D" or "what could recipient R
//! read on date D", answered from history with the run and approvals behind each access. A
//! plain GET form, so it works without JavaScript.

use super::api::ask_access;
use crate::components::{when, ProblemNote};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AccessPage() -> impl IntoView {
    let query = use_query_map();
    let asked = Memo::new(move |_| query.with(|query| (query.get("table"), query.get("recipient"), query.get("at"))));
    let answer = Resource::new_blocking(
        move || asked.get(),
        |(table, recipient, at)| async move {
            if table.as_deref().unwrap_or("").trim().is_empty() && recipient.as_deref().unwrap_or("").trim().is_empty() {
                return Ok(None);
            }
            ask_access(table, recipient, at).await.map(Some)
        },
    );
    let value = move |name: &'static str| move || query.with(|query| query.get(name).unwrap_or_default());
    view! {
        <section class="card" id="access-question">
            <h1>"Who could read what, and when"</h1>
            <p class="hint">"Ask about a table or a recipient, now or at a moment in the past. The answer comes from history: since when each access held, the run that granted it and who approved that run."</p>
            <form method="get" action="/access" class="audit-filter">
                <label>"Table" <input type="text" name="table" value=value("table") placeholder="catalog.schema.table"/></label>
                <label>"or recipient" <input type="text" name="recipient" value=value("recipient") placeholder="recipient name"/></label>
                <label>"At" <input type="text" name="at" value=value("at") placeholder="now, or 2026-12-01"/></label>
                <div class="actions"><button type="submit" class="button primary">"Ask"</button></div>
            </form>
        </section>
        <Suspense fallback=|| view! { <p class="loading">"Looking through history…"</p> }>
            {move || Suspend::new(async move {
                match answer.await {
                    Ok(None) => ().into_any(),
                    Ok(Some(answer)) => {
                        let count = answer.access.len();
                        view! {
                        <section class="card" id="access-answer" data-count=count>
                            <h2>{answer.question.clone()} <span class="muted">" at " {when(&answer.at)}</span></h2>
                            {if answer.access.is_empty() {
                                view! { <p class="muted">"Nobody, as far as the shares you can see go."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap">
                                        <table class="grid access-table">
                                            <thead><tr><th>"Recipient"</th><th>"Table"</th><th>"Share"</th><th>"Since"</th><th>"Granted by"</th><th>"Approved by"</th></tr></thead>
                                            <tbody>
                                                {answer.access.into_iter().map(|access| {
                                                    let (recipient, table) = (access.recipient.clone(), access.table.clone());
                                                    view! {
                                                    <tr data-recipient=recipient data-table=table>
                                                        <td data-label="Recipient"><A href=format!("/history/recipients/{}", access.recipient)>{access.recipient.clone()}</A></td>
                                                        <td data-label="Table" class="wrap">{access.table.clone()}</td>
                                                        <td data-label="Share"><A href=format!("/history/shares/{}", access.share)>{access.share.clone()}</A></td>
                                                        <td data-label="Since">{when(&access.since)}</td>
                                                        <td data-label="Granted by">{access.run_id.clone().map(|run| view! { <A href=format!("/runs/{run}")>"run"</A> })} {access.upload.map(|upload| format!(" (upload {upload})"))}</td>
                                                        <td data-label="Approved by" class="wrap">{if access.approved_by.is_empty() { "—".to_string() } else { access.approved_by.join(", ") }}</td>
                                                    </tr>
                                                }}).collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                }.into_any()
                            }}
                        </section>
                    }.into_any()
                    }
                    Err(crate::error::PortalError(problem)) => view! { <section class="card alert" id="access-answer"><ProblemNote problem/></section> }.into_any(),
                }
            })}
        </Suspense>
    }
}
