//! Two uploads of a share pack compared as packs, each change linking to where it is written in
//! both files; and an upload shown as it was written (YAML lines, or a workbook's cells), with an
//! anchor on every line and cell so those links land on the spot. Plain GET forms and links.

use super::api::*;
use crate::components::{not_found, ProblemNote};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use sharepack_engine::finding::Location;
use sharepack_engine::history::packs::{anchor, ChangeKind, PackChange};
use sharepack_engine::plan::ResourceType;

#[component]
pub fn ComparePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let asked = Memo::new(move |_| {
        let id = params.with(|params| params.get("id").unwrap_or_default());
        let number = |name: &str| query.with(|query| query.get(name).and_then(|text| text.trim().parse::<i64>().ok()));
        (id, number("from").unwrap_or(1), number("to").unwrap_or(1))
    });
    let comparison = Resource::new_blocking(move || asked.get(), |(id, from, to)| get_pack_comparison(id, from, to));
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Comparing…"</p> }>
            {move || Suspend::new(async move {
                match comparison.await {
                    Ok(Some(comparison)) => view! { <Compared comparison/> }.into_any(),
                    Ok(None) => {
                        not_found();
                        view! { <section class="card empty" id="pack-compare"><h1>"No such share pack"</h1><p><A href="/sharepacks">"See all share packs"</A></p></section> }.into_any()
                    }
                    Err(crate::error::PortalError(problem)) => view! { <section class="card alert" id="pack-compare"><ProblemNote problem/></section> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Compared(comparison: PackComparison) -> impl IntoView {
    let id = comparison.share_pack_id.clone();
    let (from, to) = (comparison.from, comparison.to);
    let options = move |selected: i64| {
        comparison
            .versions
            .iter()
            .map(|number| view! { <option value=number.to_string() selected=*number == selected>{format!("version {number}")}</option> })
            .collect_view()
    };
    let link = {
        let id = id.clone();
        move |version: i64, at: Option<Location>| {
            at.map(|at| {
                let href = format!("/sharepacks/{id}/files/{version}{}", anchor(&at).map(|a| format!("#{a}")).unwrap_or_default());
                view! { <a href=href class="location">{at.to_string()}</a> }
            })
        }
    };
    let count = comparison.changes.len();
    view! {
        <section class="card" id="pack-compare" data-from=from data-to=to data-changes=count>
            <h1>"Compare versions of " <A href=format!("/sharepacks/{id}")>{comparison.name.clone()}</A></h1>
            <p class="hint">{format!("Version {from} ({}) → version {to} ({}): {count} change{} to recipients, shares, objects and grants.", comparison.from_file, comparison.to_file, if count == 1 { "" } else { "s" })}</p>
            <form method="get" action=format!("/sharepacks/{id}/compare") class="compare-form">
                <label>"Compare " <select name="from">{options.clone()(from)}</select></label>
                <label>" with " <select name="to">{options(to)}</select></label>
                <button type="submit" class="button">"Compare"</button>
            </form>
        </section>
        <section class="card" id="pack-changes-list">
            {if comparison.changes.is_empty() {
                view! { <p class="muted">"The two versions describe the same recipients, shares, objects and grants."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="grid pack-compare-table">
                            <thead><tr><th>"Change"</th><th>"What"</th><th>"Fields"</th><th>{format!("In version {from}")}</th><th>{format!("In version {to}")}</th></tr></thead>
                            <tbody>
                                {comparison.changes.into_iter().map(|change| {
                                    let PackChange { change: kind, resource_type, name, share, fields, before, after } = change;
                                    let (word, tone) = match kind {
                                        ChangeKind::Added => ("added", "create"),
                                        ChangeKind::Removed => ("removed", "remove"),
                                        ChangeKind::Changed => ("changed", "update"),
                                    };
                                    let what = match resource_type {
                                        ResourceType::Recipient => "recipient",
                                        ResourceType::Share => "share",
                                        ResourceType::DataObject => "object",
                                        ResourceType::Grant => "grant to",
                                    };
                                    let id = name.clone();
                                    view! {
                                        <tr data-change=word data-type=what data-name=id>
                                            <td data-label="Change"><span class=format!("badge action {tone}")>{word}</span></td>
                                            <td data-label="What" class="wrap">{what} " " <strong>{name}</strong>{share.map(|share| view! { <span class="muted">" in " {share}</span> })}</td>
                                            <td data-label="Fields" class="wrap">
                                                {fields.into_iter().map(|field| view! {
                                                    <div><code>{field.field}</code> ": " {field.before.unwrap_or_else(|| "—".into())} " → " {field.after.unwrap_or_else(|| "—".into())}</div>
                                                }).collect_view()}
                                            </td>
                                            <td data-label=format!("In version {from}") class="before">{link.clone()(from, before)}</td>
                                            <td data-label=format!("In version {to}") class="after">{link.clone()(to, after)}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn SourcePage() -> impl IntoView {
    let params = use_params_map();
    let asked = Memo::new(move |_| {
        params.with(|params| {
            (params.get("id").unwrap_or_default(), params.get("version").and_then(|text| text.parse::<i64>().ok()).unwrap_or(0))
        })
    });
    let source = Resource::new_blocking(move || asked.get(), |(id, version)| get_source_file(id, version));
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Opening the file…"</p> }>
            {move || Suspend::new(async move {
                match source.await {
                    Ok(Some(source)) => view! { <Source source/> }.into_any(),
                    Ok(None) => {
                        not_found();
                        view! { <section class="card empty" id="source"><h1>"No such file"</h1><p><A href="/sharepacks">"See all share packs"</A></p></section> }.into_any()
                    }
                    Err(crate::error::PortalError(problem)) => view! { <section class="card alert" id="source"><ProblemNote problem/></section> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Source(source: SourceFile) -> impl IntoView {
    let download = format!("/workflow/sharepacks/{}/uploads/{}", source.share_pack_id, source.version);
    view! {
        <section class="card" id="source" data-version=source.version>
            <h1>{format!("Version {}: ", source.version)} <code>{source.file_name.clone()}</code></h1>
            <p class="hint">
                <A href=format!("/sharepacks/{}", source.share_pack_id)>"the share pack"</A> " · " <a href=download download="">"download the file"</a>
            </p>
            {(!source.lines.is_empty()).then(|| view! {
                <ol class="source-lines">
                    {source.lines.into_iter().enumerate().map(|(index, line)| view! { <li id=format!("L{}", index + 1)><code>{line}</code></li> }).collect_view()}
                </ol>
            })}
            {source.sheets.into_iter().map(|(sheet, cells)| {
                let prefix = sheet.replace(' ', "-");
                view! {
                    <h2>{sheet.clone()}</h2>
                    <div class="table-wrap">
                        <table class="grid source-cells">
                            <thead><tr><th>"Cell"</th><th>"Value"</th></tr></thead>
                            <tbody>
                                {cells.into_iter().map(|(cell, text)| { let id = format!("{prefix}-{cell}"); view! { <tr id=id><td><code>{cell}</code></td><td class="wrap">{text}</td></tr> } }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
            }).collect_view()}
        </section>
    }
}
