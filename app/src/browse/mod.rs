//! Browse what Sharepack keeps: share packs, recipients, shares, business lines and projects,
//! each a list with search, filters and paging, now or as of a chosen moment (a plain GET
//! form, so it works without JavaScript). A row opens its detail page: a share pack's own
//! page, or the entity's history, at the moment viewed.

pub mod api;

use crate::components::{not_found, when, ProblemNote, StatusBadge};
use api::*;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use sharepack_engine::records::PackStatus;

const FILTERS: [&str; 7] = ["q", "business_line", "status", "created_by", "changed_since", "as_of", "cursor"];

/// The tabs, in the order people look for things.
const TABS: [(Kind, &str); 6] = [
    (Kind::SharePacks, "Share packs"),
    (Kind::Recipients, "Recipients"),
    (Kind::Shares, "Shares"),
    (Kind::Tenants, "Business lines"),
    (Kind::Projects, "Projects"),
    (Kind::Requests, "Requests"),
];

/// `/sharepacks`: the share-pack list.
#[component]
pub fn SharePacksPage() -> impl IntoView {
    view! { <Browse kind=Memo::new(|_| Some(Kind::SharePacks))/> }
}

/// `/browse/:kind`: the list of one kind.
#[component]
pub fn BrowsePage() -> impl IntoView {
    let params = use_params_map();
    let kind = Memo::new(move |_| params.with(|params| params.get("kind").and_then(|kind| Kind::parse(&kind))));
    view! { <Browse kind/> }
}

#[component]
fn Browse(kind: Memo<Option<Kind>>) -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| query.with(|query| FILTERS.map(|name| query.get(name).filter(|value| !value.trim().is_empty()))));
    let page = Resource::new_blocking(
        move || (kind.get(), filter.get()),
        |(kind, [q, business_line, status, created_by, changed_since, as_of, cursor])| async move {
            match kind {
                Some(kind) => {
                    list_entities(kind.segment().into(), q, business_line, status, created_by, changed_since, as_of, cursor).await
                }
                None => Ok(None),
            }
        },
    );
    let value = move |name: &'static str| move || query.with(|query| query.get(name).unwrap_or_default());
    let path = move || match kind.get() {
        Some(Kind::SharePacks) | None => "/sharepacks".to_string(),
        Some(kind) => format!("/browse/{}", kind.segment()),
    };
    let statuses = move || match kind.get() {
        Some(Kind::SharePacks) => vec![
            ("", "any"),
            ("COMPLETED", "completed"),
            ("IN_PROGRESS", "in progress"),
            ("FAILED", "failed"),
            ("CANCELLED", "cancelled"),
            ("VALIDATION_FAILED", "validation failed"),
        ],
        _ => vec![("", "present"), ("DELETED", "deleted"), ("ALL", "present or deleted")],
    };
    view! {
        <section class="card" id="browse-filter">
            <nav class="tabs" aria-label="What to browse">
                {TABS.into_iter().map(|(tab, label)| {
                    let href = if tab == Kind::SharePacks { "/sharepacks".to_string() } else { format!("/browse/{}", tab.segment()) };
                    view! { <a href=href class:active=move || kind.get() == Some(tab) data-kind=tab.segment()>{label}</a> }
                }).collect_view()}
            </nav>
            <form method="get" action=path class="audit-filter browse-filter">
                <label>"Name" <input type="search" name="q" value=value("q") placeholder="part of the name"/></label>
                <label>"Business line" <input type="text" name="business_line" value=value("business_line")/></label>
                <label>"Status"
                    <select name="status">
                        {move || statuses().into_iter().map(|(status, label)| {
                            let selected = query.with(|query| query.get("status").unwrap_or_default().eq_ignore_ascii_case(status));
                            view! { <option value=status selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>"Created by" <input type="text" name="created_by" value=value("created_by") placeholder="e-mail"/></label>
                <label>"Changed since" <input type="text" name="changed_since" value=value("changed_since") placeholder="2026-12-01"/></label>
                <label>"As of" <input type="text" name="as_of" value=value("as_of") placeholder="now, or 2026-12-01T14:30:00Z"/></label>
                <div class="actions">
                    <button type="submit" class="button primary">"Show"</button>
                    <a class="button" href=path>"Clear"</a>
                </div>
            </form>
        </section>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Some(page)) => view! { <Rows page filter=filter.get_untracked() path=path()/> }.into_any(),
                    Ok(None) => {
                        not_found();
                        view! { <section class="card empty" id="browse"><p>"There is no such list. " <A href="/sharepacks">"See the share packs"</A></p></section> }.into_any()
                    }
                    Err(crate::error::PortalError(problem)) => view! { <section class="card alert" id="browse"><ProblemNote problem/></section> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Rows(page: ListPage, filter: [Option<String>; 7], path: String) -> impl IntoView {
    let kind = page.kind;
    let as_of = filter[5].clone();
    let id = if kind == Kind::SharePacks { "share-packs" } else { "browse" };
    let heading = match &as_of {
        Some(at) => format!("As of {at}"),
        None => "Now".to_string(),
    };
    if page.rows.is_empty() {
        let none = match kind {
            Kind::SharePacks if filter.iter().all(Option::is_none) => "No share pack has been submitted yet.",
            _ => "Nothing matches.",
        };
        return view! { <section class="card empty" id=id data-kind=kind.segment()><h2>{heading}</h2><p>{none} " " <A href="/">"Validate a pack"</A></p></section> }.into_any();
    }
    // The next page keeps the filters in view.
    let next = page.next_cursor.clone().map(|cursor| {
        let mut pairs = url_pairs(&filter[..6]);
        pairs.push(format!("cursor={}", encode(&cursor)));
        format!("{path}?{}", pairs.join("&"))
    });
    let detail = move |row: &ListRow| {
        let at = as_of.as_deref().map(|at| format!("?as_of={}", encode(at))).unwrap_or_default();
        match kind {
            Kind::SharePacks => format!("/sharepacks/{}", row.id),
            _ => format!("/history/{}/{}{at}", kind.segment(), row.id),
        }
    };
    let pack = kind == Kind::SharePacks;
    view! {
        <section class="card" id=id data-kind=kind.segment() data-as-of=filter[5].clone().unwrap_or_default()>
            <h2>{heading}</h2>
            <div class="table-wrap">
                <table class="grid browse-table">
                    <thead><tr>
                        <th>"Name"</th>
                        <th>"Business line"</th>
                        <th>{if pack { "Status" } else { "What" }}</th>
                        <th>"Version"</th>
                        <th>"Changed"</th>
                        <th>"By"</th>
                    </tr></thead>
                    <tbody>
                        {page.rows.into_iter().map(|row| {
                            let status = row.data["status"].as_str().and_then(|status| status.parse::<PackStatus>().ok());
                            let what = match (pack, status) {
                                (true, Some(status)) => view! {
                                    <StatusBadge status=status.as_str() tone=status.tone()/>
                                    " " <span class="muted">{row.data["project_name"].as_str().unwrap_or_default().to_string()}</span>
                                }.into_any(),
                                _ => view! {
                                    {row.is_deleted.then(|| view! { <span class="badge failed">"deleted"</span> " " })}
                                    <span>{row.summary.clone()}</span>
                                }.into_any(),
                            };
                            view! {
                                <tr data-id=row.id.clone() data-status=row.data["status"].as_str().unwrap_or_default().to_string()>
                                    <td class="name" data-label="Name"><A href=detail(&row)>{row.name.clone()}</A></td>
                                    <td data-label="Business line" class="wrap">{row.business_line.clone()}</td>
                                    <td data-label=if pack { "Status" } else { "What" } class="wrap">{what}</td>
                                    <td data-label="Version">{row.version}</td>
                                    <td data-label="Changed">{when(&row.effective_from)}</td>
                                    <td data-label="By" class="wrap">{row.created_by.clone()}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {next.map(|next| view! { <p><a id="browse-next" href=next>"Next page →"</a></p> })}
        </section>
    }
    .into_any()
}

/// `name=value` for each filter set, in `FILTERS` order.
fn url_pairs(values: &[Option<String>]) -> Vec<String> {
    FILTERS.iter().zip(values).filter_map(|(name, value)| value.as_deref().map(|value| format!("{name}={}", encode(value)))).collect()
}

/// What a query value may keep as is: RFC 3986's unreserved characters.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, UNRESERVED).to_string()
}
