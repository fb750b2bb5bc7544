//! Approvals: the queue of plans waiting for the signed-in approver (requester, business line,
//! what the plan does, how long it has waited), the signed-in person's own plans waiting for
//! someone else, and on each run's page the approval panel ([`ApprovalPanel`]) with the plan,
//! what changed and the decision form.

pub mod api;
mod panel;
#[cfg(feature = "ssr")]
mod ssr;

pub use panel::ApprovalPanel;

use crate::components::{age, when};
use api::*;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let approvals = Resource::new_blocking(|| (), |_| list_approvals());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading approvals…"</p> }>
            {move || Suspend::new(async move {
                match approvals.await {
                    Ok(approvals) => view! {
                        <section class="card" id="approvals-for-you">
                            <h1>"Waiting for your approval"</h1>
                            <p class="hint">"Plans you may approve or reject: open one to see exactly what it will change. You never approve your own."</p>
                            <ApprovalTable rows=approvals.for_you empty="Nothing waits for you."/>
                        </section>
                        <section class="card" id="approvals-yours">
                            <h2>"Your plans waiting for others"</h2>
                            <ApprovalTable rows=approvals.yours empty="None of your plans waits for approval."/>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <section class="card alert"><h1>"Approvals could not be shown"</h1><p>{error.to_string()}</p></section> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ApprovalTable(rows: Vec<ApprovalRow>, empty: &'static str) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted empty-note">{empty}</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="grid approvals-table">
                <thead><tr><th>"Share pack"</th><th>"Business line"</th><th>"Requested by"</th><th>"Changes"</th><th>"Approvals"</th><th>"Waiting"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|row| {
                        let counts = format!("{} create · {} update · {} remove", row.summary.create, row.summary.update, row.summary.remove);
                        let approvals = format!("{} of {}{}", row.approved, row.needed, if row.admin { ", one an administrator's" } else { "" });
                        view! {
                            <tr data-run=row.run_id.clone()>
                                <td class="wrap">
                                    <A href=format!("/runs/{}", row.run_id)>{row.share_pack_name.clone()}</A>
                                    {row.again.then(|| view! { <span class="badge waiting again">"changed since approved"</span> })}
                                </td>
                                <td>{row.business_line.clone()}</td>
                                <td>{row.requested_by.clone()}</td>
                                <td>{counts}</td>
                                <td title=row.why.join("; ")>{approvals}</td>
                                <td title=when(&row.waiting_since)>{age(row.waited_secs)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
