//! The history page of a kept entity (a share pack, recipient, share, business line or project):
//! every version newest first with when, who, why, the run and upload it came from and what
//! changed from the version before, and any two versions compared (a plain GET form, so it
//! works without JavaScript).

mod access;
pub mod api;

pub use access::AccessPage;

use crate::components::{not_found, when};
use api::*;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use sharepack_engine::plan::FieldChange;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = Memo::new(move |_| params.with(|params| (params.get("kind").unwrap_or_default(), params.get("id").unwrap_or_default())));
    let versions = Memo::new(move |_| {
        query.with(|query| {
            let number = |name: &str| query.get(name).and_then(|text| text.trim().parse::<i64>().ok());
            number("from").zip(number("to"))
        })
    });
    let as_of = Memo::new(move |_| query.with(|query| query.get("as_of").filter(|at| !at.trim().is_empty())));
    let timeline = Resource::new_blocking(move || key.get(), |(kind, id)| get_timeline(kind, id));
    let comparison = Resource::new_blocking(
        move || (key.get(), versions.get()),
        |((kind, id), versions)| async move {
            match versions {
                Some((from, to)) => get_comparison(kind, id, from, to).await.map(|found| found.map(|comparison| (from, to, comparison))),
                None => Ok(None),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the history…"</p> }>
            {move || Suspend::new(async move {
                let compared = comparison.await;
                match timeline.await {
                    Ok(Some(timeline)) => view! { <TimelineView timeline compared as_of=as_of.get_untracked()/> }.into_any(),
                    Ok(None) => {
                        not_found();
                        view! { <section class="card empty" id="history"><h1>"No such history"</h1><p>"Nothing you can see has this name or id. " <A href="/sharepacks">"See all share packs"</A></p></section> }.into_any()
                    }
                    Err(error) => view! { <section class="card alert" id="history"><h1>"The history could not be shown"</h1><p>{error.to_string()}</p></section> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn TimelineView(
    timeline: Timeline,
    compared: Result<Option<(i64, i64, Comparison)>, crate::error::PortalError>,
    as_of: Option<String>,
) -> impl IntoView {
    let what = timeline.kind.words();
    // "As of": the version in effect at that moment, found from the versions' validity.
    let moment = as_of.as_deref().and_then(sharepack_engine::history::moment);
    let in_effect = moment.and_then(|at| timeline.in_effect(at));
    let as_of_note = as_of.clone().map(|at| {
        let said = match (moment, in_effect) {
            (None, _) => format!("`{at}` is not a time like 2026-12-01 or 2026-12-01T14:30:00Z."),
            (Some(_), None) => format!("As of {at} this {what} did not exist yet."),
            (Some(_), Some(version)) if version.is_deleted => format!("As of {at} this {what} was deleted (version {}).", version.version),
            (Some(_), Some(version)) => format!("As of {at} version {} was in effect; it is marked below.", version.version),
        };
        view! { <p class="as-of-note" id="as-of" data-version=in_effect.map(|version| version.version)>{said}</p> }
    });
    let marked = in_effect.map(|version| version.version);
    // What it is: the version in effect at the moment asked about, or the current one.
    let shown = match (moment, in_effect) {
        (Some(_), Some(version)) => Some((format!("Version {} as it was then", version.version), version.version, version.data.clone())),
        (Some(_), None) => None,
        (None, _) => timeline.versions.first().map(|version| {
            let label = if version.is_deleted {
                format!("Version {}: deleted", version.version)
            } else {
                format!("Now: version {}", version.version)
            };
            (label, version.version, version.data.clone())
        }),
    };
    let numbers: Vec<i64> = timeline.versions.iter().map(|version| version.version).collect();
    let newest = numbers.first().copied().unwrap_or(1);
    let action = format!("/history/{}/{}", timeline.kind.segment(), timeline.id);
    let (from, to) = match &compared {
        Ok(Some((from, to, _))) => (*from, *to),
        _ => ((newest - 1).max(1), newest),
    };
    let options = move |selected: i64| {
        numbers
            .iter()
            .map(|number| view! { <option value=number.to_string() selected=*number == selected>{format!("version {number}")}</option> })
            .collect_view()
    };
    view! {
        <section class="card" id="history" data-versions=timeline.versions.len()>
            <h1>{format!("History of {what} ")} <code>{timeline.name.clone()}</code></h1>
            <p class="hint">{format!("{} version{}, newest first. Each says who changed what, when and why.", timeline.versions.len(), if timeline.versions.len() == 1 { "" } else { "s" })}</p>
            {as_of_note}
            <form method="get" action=action class="compare-form" id="compare">
                <label>"Compare " <select name="from">{options.clone()(from)}</select></label>
                <label>" with " <select name="to">{options(to)}</select></label>
                <button type="submit" class="button">"Compare"</button>
            </form>
        </section>
        {matches!(timeline.kind, sharepack_engine::history::Kind::Recipients | sharepack_engine::history::Kind::Shares)
            .then(|| view! { <crate::drift::ResourceDrift name=timeline.name.clone()/> })}
        {match compared {
            Ok(Some((from, to, comparison))) => view! {
                <section class="card" id="comparison" data-from=from data-to=to>
                    <h2>{format!("Version {from} → version {to}")}</h2>
                    <Changes changes=comparison.changes/>
                </section>
            }.into_any(),
            Ok(None) => ().into_any(),
            Err(crate::error::PortalError(problem)) => view! { <section class="card alert" id="comparison"><crate::components::ProblemNote problem/></section> }.into_any(),
        }}
        {shown.map(|(label, version, data)| view! {
            <section class="card" id="current" data-version=version>
                <h2>{label}</h2>
                <Fields data/>
            </section>
        })}
        <section class="card" id="timeline">
            <ol class="timeline">
                {timeline.versions.into_iter().map(|version| view! {
                    <li data-version=version.version data-current=version.effective_to.is_none().to_string() class:in-effect=marked == Some(version.version)>
                        <div class="timeline-head">
                            <strong>{format!("Version {}", version.version)}</strong>
                            {(marked == Some(version.version)).then(|| view! { <span class="badge info">"in effect then"</span> })}
                            {version.effective_to.is_none().then(|| view! { <span class="badge ok">"current"</span> })}
                            {version.is_deleted.then(|| view! { <span class="badge failed">"deleted"</span> })}
                            <span class="muted">" " {when(&version.effective_from)} " · " {version.created_by.clone()}</span>
                        </div>
                        <p class="why">
                            {version.change_reason.clone()}
                            {version.run_id.clone().map(|run| view! { " · " <A href=format!("/runs/{run}")>"the run"</A> })}
                            {version.upload.map(|upload| format!(" · upload {upload}"))}
                        </p>
                        <Changes changes=version.changes/>
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}

/// A version's fields, one row each (lists joined, nested values as JSON), secrets never among
/// them: history keeps none.
#[component]
fn Fields(data: serde_json::Value) -> impl IntoView {
    let rows: Vec<(String, String)> = match data {
        serde_json::Value::Object(map) => map
            .into_iter()
            .filter(|(_, value)| !value.is_null())
            .map(|(field, value)| {
                let text = match value {
                    serde_json::Value::String(text) => text,
                    serde_json::Value::Array(items) if items.iter().all(|item| item.is_string()) => {
                        items.iter().filter_map(|item| item.as_str()).collect::<Vec<_>>().join(", ")
                    }
                    other => other.to_string(),
                };
                (field, text)
            })
            .collect(),
        _ => Vec::new(),
    };
    view! {
        <dl class="facts">
            {rows.into_iter().map(|(field, text)| view! { <dt><code>{field}</code></dt><dd class="wrap">{text}</dd> }).collect_view()}
        </dl>
    }
}

#[component]
fn Changes(changes: Vec<FieldChange>) -> impl IntoView {
    if changes.is_empty() {
        return view! { <p class="muted">"No field differs."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="grid changes-table">
                <thead><tr><th>"Field"</th><th>"Before"</th><th>"After"</th></tr></thead>
                <tbody>
                    {changes.into_iter().map(|change| view! {
                        <tr data-field=change.field.clone()>
                            <td><code>{change.field.clone()}</code></td>
                            <td class="wrap before">{change.before.unwrap_or_else(|| "—".into())}</td>
                            <td class="wrap after">{change.after.unwrap_or_else(|| "—".into())}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
