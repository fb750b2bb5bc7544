//! The audit trail page: every action by who, what, when, business line and correlation id,
//! filtered by a plain GET form (it works without JavaScript), a page at a time, each entry
//! linking to what it touched, and the filter in view exported as CSV or JSON.

pub mod api;

use crate::components::{when, ProblemNote};
use api::*;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

const FIELDS: [(&str, &str, &str); 6] = [
    ("actor", "Who", "e-mail, worker, operator"),
    ("action", "Action", "e.g. run_approved"),
    ("business_line", "Business line", ""),
    ("correlation_id", "Run (correlation id)", ""),
    ("since", "Since", "2026-12-01"),
    ("until", "Until", "2026-12-02"),
];

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|query| AuditFilter {
            actor: query.get("actor"),
            action: query.get("action"),
            business_line: query.get("business_line"),
            correlation_id: query.get("correlation_id"),
            since: query.get("since"),
            until: query.get("until"),
            cursor: query.get("cursor"),
            limit: None,
        })
    });
    let page = Resource::new_blocking(
        move || filter.get(),
        |filter| {
            list_audit(filter.actor, filter.action, filter.business_line, filter.correlation_id, filter.since, filter.until, filter.cursor)
        },
    );
    // The filter in view as a query string, for the export links and the next page.
    let in_view = move |extra: &str| {
        let mut pairs = form_urlencoded_pairs(&filter.get());
        pairs.push_str(extra);
        pairs
    };
    view! {
        <section class="card" id="audit-filter">
            <h1>"Audit trail"</h1>
            <p class="hint">"Every action: uploads, approvals, runs and their steps, cancels, retries, sign-ins, tokens and roles. You see the business lines you hold."</p>
            <form method="get" action="/audit" class="audit-filter">
                {FIELDS.into_iter().map(|(name, label, placeholder)| {
                    let value = move || query.with(|query| query.get(name).unwrap_or_default());
                    view! { <label>{label} <input type="text" name=name value=value placeholder=placeholder/></label> }
                }).collect_view()}
                <div class="actions">
                    <button type="submit" class="button primary">"Filter"</button>
                    <a class="button" href="/audit">"Clear"</a>
                    <a class="button" id="export-csv" href=move || format!("/workflow/audit?format=csv{}", in_view(""))>"Export CSV"</a>
                    <a class="button" id="export-json" href=move || format!("/workflow/audit?limit=10000{}", in_view(""))>"Export JSON"</a>
                </div>
            </form>
        </section>
        <Suspense fallback=|| view! { <p class="loading">"Loading the audit trail…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) if page.entries.is_empty() => view! { <section class="card empty" id="audit"><p>"No entry matches."</p></section> }.into_any(),
                    Ok(page) => {
                        let next = page.next_cursor.clone();
                        view! {
                            <section class="card" id="audit">
                                <div class="table-wrap">
                                    <table class="grid audit-table">
                                        <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Business line"</th><th>"Why"</th></tr></thead>
                                        <tbody>
                                            {page.entries.into_iter().map(|entry| {
                                                let what = match entry.link.clone() {
                                                    Some(link) => view! { <A href=link>{entry.action_words.clone()}</A> }.into_any(),
                                                    None => view! { <span>{entry.action_words.clone()}</span> }.into_any(),
                                                };
                                                view! {
                                                    <tr data-action=entry.action.clone()>
                                                        <td data-label="When">{when(&entry.at)}</td>
                                                        <td data-label="Who" class="wrap">{entry.actor.clone()}</td>
                                                        <td data-label="What">{what} " " <span class="muted">{entry.entity_type.clone()}</span></td>
                                                        <td data-label="Business line">{entry.business_line.clone().unwrap_or_default()}</td>
                                                        <td data-label="Why" class="wrap">{entry.reason.clone()}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                {next.map(|cursor| view! { <p><a id="audit-next" href=move || format!("/audit?cursor={cursor}{}", in_view_without_cursor(&filter.get()))>"Older entries →"</a></p> })}
                            </section>
                        }
                        .into_any()
                    }
                    Err(error) => {
                        let crate::error::PortalError(problem) = error;
                        view! { <section class="card alert" id="audit"><ProblemNote problem/></section> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// `&actor=...&since=...` for the filters set (the cursor included).
fn form_urlencoded_pairs(filter: &AuditFilter) -> String {
    let mut out = in_view_without_cursor(filter);
    if let Some(cursor) = filter.cursor.as_deref().filter(|cursor| !cursor.is_empty()) {
        out.push_str(&format!("&cursor={}", encode(cursor)));
    }
    out
}

fn in_view_without_cursor(filter: &AuditFilter) -> String {
    let pairs = [
        ("actor", &filter.actor),
        ("action", &filter.action),
        ("business_line", &filter.business_line),
        ("correlation_id", &filter.correlation_id),
        ("since", &filter.since),
        ("until", &filter.until),
    ];
    pairs
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().filter(|value| !value.is_empty()).map(|value| format!("&{name}={}", encode(value))))
        .collect()
}

/// What a query value may keep as is: RFC 3986's unreserved characters.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, UNRESERVED).to_string()
}
