//! The drift page (`/drift`): how workspaces differ from what Sharepack recorded, per share
//! pack, with the two ways out (restore the pack's state, adopt the workspace's), a check on
//! demand, the latest checks, and what no pack manages. A plain GET filter form and plain POST
//! forms: it works without JavaScript. `PackDrift` shows one pack's drift on its page.

pub mod api;

use crate::components::{when, FormError, ProblemNote, StatusBadge};
use api::*;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use sharepack_engine::plan::ResourceType;

const FIELDS: [(&str, &str, &str); 4] = [
    ("business_line", "Business line", ""),
    ("share_pack", "Share pack", "name or id"),
    ("name", "Recipient or share", "name"),
    ("kind", "Kind", "ADDED, REMOVED, MODIFIED"),
];

#[component]
pub fn DriftPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|query| DriftFilter {
            workspace: query.get("workspace"),
            share_pack: query.get("share_pack"),
            business_line: query.get("business_line"),
            kind: query.get("kind"),
            name: query.get("name"),
        })
    });
    let overview = Resource::new_blocking(move || filter.get(), |f| get_drift(f.workspace, f.share_pack, f.business_line, f.kind, f.name));
    view! {
        <section class="card" id="drift-filter">
            <h1>"Drift"</h1>
            <p class="hint">"What changed in the workspaces behind Sharepack's back since a run applied each pack: recipients or shares deleted, objects dropped or added, grants revoked or given, settings changed. Restore puts the pack's state back; adopt makes the workspace's state the pack's next version. Both are planned and approved like any upload."</p>
            <FormError/>
            <form method="get" action="/drift" class="audit-filter">
                <label>"Workspace " <input type="text" name="workspace" value=move || query.with(|q| q.get("workspace").unwrap_or_default()) placeholder="all"/></label>
                {FIELDS.into_iter().map(|(name, label, placeholder)| {
                    let value = move || query.with(|query| query.get(name).unwrap_or_default());
                    view! { <label>{label} <input type="text" name=name value=value placeholder=placeholder/></label> }
                }).collect_view()}
                <div class="actions">
                    <button type="submit" class="button primary">"Filter"</button>
                    <a class="button" href="/drift">"Clear"</a>
                </div>
            </form>
        </section>
        <Suspense fallback=|| view! { <p class="loading">"Loading drift…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => view! { <DriftBody overview/> }.into_any(),
                    Err(crate::error::PortalError(problem)) => view! { <section class="card alert" id="drift"><ProblemNote problem/></section> }.into_any(),
                }
            })}
        </Suspense>
        <SyncSection/>
    }
}

/// The objects and directory syncs, for those who see every business line: the latest runs and
/// a sync on demand.
#[component]
fn SyncSection() -> impl IntoView {
    let syncs = Resource::new_blocking(|| (), |_| get_syncs());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match syncs.await {
                    Ok(Some(overview)) => view! { <SyncBody overview/> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(crate::error::PortalError(problem)) => view! { <section class="card alert" id="syncs"><ProblemNote problem/></section> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SyncBody(overview: SyncOverview) -> impl IntoView {
    view! {
        <section class="card" id="syncs">
            <h2>"Workspace objects and the directory"</h2>
            <p class="hint">"Catalogs, schemas and tables are synced from each workspace so that plans can say \"did you mean\" for a misspelt name; users and groups from the directory so that unknown requesters and recipient e-mails are pointed out. Both also run on a schedule."</p>
            {overview.may_sync.then(|| view! {
                <form method="post" action=StartSync::url() class="inline-form">
                    <input type="hidden" name="kind" value="OBJECTS"/>
                    <label>"Workspace " <select name="workspace">
                        {overview.workspaces.iter().map(|url| view! { <option value=url.clone()>{url.clone()}</option> }).collect_view()}
                    </select></label>
                    <button type="submit" class="button" id="sync-objects">"Sync objects"</button>
                </form>
                {overview.directory.then(|| view! {
                    <form method="post" action=StartSync::url() class="inline-form">
                        <input type="hidden" name="kind" value="DIRECTORY"/>
                        <button type="submit" class="button" id="sync-directory">"Sync the directory"</button>
                    </form>
                })}
            })}
            {if overview.jobs.is_empty() {
                view! { <p class="empty">"No sync has run yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap"><table class="grid">
                        <thead><tr><th>"Queued"</th><th>"What"</th><th>"From"</th><th>"Asked by"</th><th>"Status"</th><th>"Listed"</th><th>"New"</th><th>"Changed"</th><th>"Gone"</th></tr></thead>
                        <tbody>{overview.jobs.into_iter().map(|job| view! {
                            <tr data-status=job.status.as_str() data-kind=job.kind.as_str()>
                                <td data-label="Queued">{when(&job.queued_at)}</td>
                                <td data-label="What">{match job.kind {
                                    sharepack_engine::records::SyncKind::Directory => "Directory",
                                    _ => "Objects",
                                }}</td>
                                <td data-label="From" class="wrap"><code>{job.target.clone()}</code></td>
                                <td data-label="Asked by">{job.requested_by.clone()}</td>
                                <td data-label="Status"><StatusBadge status=job.status.as_str() tone=job.status.tone()/>
                                    {job.error.clone().map(|error| view! { <span class="muted wrap">" " {error}</span> })}</td>
                                <td data-label="Listed">{job.items}</td>
                                <td data-label="New">{job.added}</td>
                                <td data-label="Changed">{job.changed}</td>
                                <td data-label="Gone">{job.removed}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn DriftBody(overview: DriftOverview) -> impl IntoView {
    let may_check = overview.may_check;
    let checks = overview.checks.clone();
    let adoptable = overview.adoptable.clone();
    view! {
        {may_check.then(|| view! {
            <section class="card" id="drift-check">
                <h2>"Check now"</h2>
                <form method="post" action=CheckDrift::url() class="inline-form">
                    <label>"Workspace " <select name="workspace">
                        {overview.workspaces.iter().map(|url| view! { <option value=url.clone()>{url.clone()}</option> }).collect_view()}
                    </select></label>
                    <button type="submit" class="button primary" id="check-drift">"Check for drift"</button>
                </form>
                <p class="hint">"Checks also run on a schedule. One check of a workspace runs at a time; asking again while one waits joins it."</p>
            </section>
        })}
        <section class="card" id="drift">
            <h2>"Open drift"</h2>
            <DriftTable findings=overview.findings may_resolve=may_check/>
        </section>
        {overview.unmanaged.map(|unmanaged| view! {
            <section class="card" id="unmanaged">
                <h2>"Not managed by any share pack"</h2>
                <p class="hint">"Recipients and shares in the workspace that no pack lists. They are not drift; adopting one into a pack makes the pack's next version list it as the workspace has it (planned and approved like any upload)."</p>
                {if unmanaged.is_empty() {
                    view! { <p class="empty">"Nothing."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap"><table class="grid">
                            <thead><tr><th>"What"</th><th>"Workspace"</th><th>"Last changed by"</th><th>"First seen"</th><th>"Adopt"</th></tr></thead>
                            <tbody>{unmanaged.into_iter().map(|finding| {
                                let packs: Vec<AdoptablePack> = adoptable.iter().filter(|pack| pack.workspace_url == finding.workspace_url).cloned().collect();
                                let field = if finding.difference.resource_type == ResourceType::Recipient { "recipient" } else { "share" };
                                let name = finding.difference.name.clone();
                                view! {
                                    <tr data-kind="UNMANAGED">
                                        <td data-label="What">{resource_words(finding.difference.resource_type)} " " <code>{finding.difference.name.clone()}</code></td>
                                        <td data-label="Workspace" class="wrap"><code>{finding.workspace_url.clone()}</code></td>
                                        <td data-label="Last changed by">{finding.difference.changed_by.clone().unwrap_or_default()}</td>
                                        <td data-label="First seen">{when(&finding.first_seen.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))}</td>
                                        <td data-label="Adopt">{(may_check && !packs.is_empty()).then(|| view! {
                                            <form method="post" action=AdoptWorkspace::url() class="inline-form adopt-unmanaged">
                                                <input type="hidden" name=field value=name.clone()/>
                                                <label>"Into " <select name="id">
                                                    {packs.iter().map(|pack| view! { <option value=pack.id.to_string()>{pack.project.clone()} " (" {pack.name.clone()} ")"</option> }).collect_view()}
                                                </select></label>
                                                <button type="submit" class="button">"Adopt into pack"</button>
                                            </form>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table></div>
                    }.into_any()
                }}
            </section>
        })}
        <section class="card" id="drift-checks">
            <h2>"Latest checks"</h2>
            {if checks.is_empty() {
                view! { <p class="empty">"No check has run yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap"><table class="grid">
                        <thead><tr><th>"Queued"</th><th>"Workspace"</th><th>"Asked by"</th><th>"Status"</th><th>"Found"</th><th>"Resolved"</th></tr></thead>
                        <tbody>{checks.into_iter().map(|check| view! {
                            <tr data-status=check.status.as_str()>
                                <td data-label="Queued">{when(&check.queued_at)}</td>
                                <td data-label="Workspace" class="wrap"><code>{check.workspace_url.clone()}</code></td>
                                <td data-label="Asked by">{check.requested_by.clone()}</td>
                                <td data-label="Status"><StatusBadge status=check.status.as_str() tone=check.status.tone()/>
                                    {check.error.clone().map(|error| view! { <span class="muted wrap">" " {error}</span> })}</td>
                                <td data-label="Found">{check.new}</td>
                                <td data-label="Resolved">{check.resolved}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
    }
}

/// Findings grouped by share pack, each group with its ways out.
#[component]
pub fn DriftTable(findings: Vec<DriftFinding>, may_resolve: bool) -> impl IntoView {
    if findings.is_empty() {
        return view! { <p class="empty" id="no-drift">"No drift: the workspaces match what Sharepack recorded."</p> }.into_any();
    }
    let mut groups: Vec<(Option<String>, Option<String>, Vec<DriftFinding>)> = Vec::new();
    for finding in findings {
        let id = finding.share_pack_id.map(|id| id.to_string());
        match groups.iter_mut().find(|(known, _, _)| *known == id) {
            Some((_, _, list)) => list.push(finding),
            None => groups.push((id, finding.share_pack.clone(), vec![finding])),
        }
    }
    groups
        .into_iter()
        .map(|(id, name, findings)| {
            let ways = id.clone().filter(|_| may_resolve).map(|id| view! {
                <div class="actions drift-ways">
                    <form method="post" action=RestorePack::url() class="inline-form">
                        <input type="hidden" name="id" value=id.clone()/>
                        <button type="submit" class="button restore" title="See the plan that puts the workspace back as the pack says, then submit it for approval">"Restore the pack's state"</button>
                    </form>
                    <form method="post" action=AdoptWorkspace::url() class="inline-form">
                        <input type="hidden" name="id" value=id/>
                        <button type="submit" class="button adopt" title="See the workspace's state as the pack's next version, then submit it for approval">"Adopt the workspace's state"</button>
                    </form>
                </div>
            });
            let heading = match (id.clone(), name) {
                (Some(id), Some(name)) => view! { <h3><A href=format!("/sharepacks/{id}")>{name}</A></h3> }.into_any(),
                _ => view! { <h3>"No share pack"</h3> }.into_any(),
            };
            view! {
                <div class="drift-group" data-share-pack=id.unwrap_or_default()>
                    <div class="section-head">{heading}{ways}</div>
                    <div class="table-wrap"><table class="grid drift-table">
                        <thead><tr><th>"Kind"</th><th>"What"</th><th>"Recorded → in the workspace"</th><th>"Changed by"</th><th>"First seen"</th></tr></thead>
                        <tbody>{findings.into_iter().map(|finding| {
                            let difference = finding.difference.clone();
                            let fields = difference.fields.iter().map(|field| {
                                let show = |value: &Option<String>| value.clone().unwrap_or_else(|| "nothing".into());
                                view! { <div><span class="muted">{field.field.clone()} ": "</span>{show(&field.recorded)} " → " <strong>{show(&field.workspace)}</strong></div> }
                            }).collect_view();
                            let changed = match (difference.changed_by.clone(), difference.changed_at) {
                                (Some(by), Some(at)) => format!("{by}, {}", when(&at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))),
                                (Some(by), None) => by,
                                (None, Some(at)) => when(&at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                                (None, None) => "not said by the workspace".to_string(),
                            };
                            view! {
                                <tr data-kind=difference.kind.as_str()>
                                    <td data-label="Kind"><StatusBadge status=difference.kind.as_str() tone=difference.kind.tone()/></td>
                                    <td data-label="What" class="wrap">{difference.summary.clone()}</td>
                                    <td data-label="Recorded → in the workspace" class="wrap">{fields}</td>
                                    <td data-label="Changed by" class="wrap">{changed}</td>
                                    <td data-label="First seen">{when(&finding.first_seen.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))}</td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table></div>
                </div>
            }
        })
        .collect_view()
        .into_any()
}

/// One share pack's open drift, for its page.
#[component]
pub fn PackDrift(pack_id: String, may_resolve: bool) -> impl IntoView {
    let id = pack_id.clone();
    let overview = Resource::new_blocking(move || id.clone(), |id| get_drift(None, Some(id), None, None, None));
    view! {
        <section class="card" id="pack-drift">
            <div class="section-head"><h2>"Drift"</h2> <A href=format!("/drift?share_pack={pack_id}")>"all drift"</A></div>
            <Suspense fallback=|| view! { <p class="loading">"Loading drift…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(overview) => view! { <DriftTable findings=overview.findings may_resolve/> }.into_any(),
                        Err(crate::error::PortalError(problem)) => view! { <ProblemNote problem/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The open drift about one recipient or share, for its history page.
#[component]
pub fn ResourceDrift(name: String) -> impl IntoView {
    let key = name.clone();
    let overview = Resource::new_blocking(move || key.clone(), |name| get_drift(None, None, None, None, Some(name)));
    view! {
        <section class="card" id="resource-drift">
            <div class="section-head"><h2>"Drift"</h2> <A href=format!("/drift?name={name}")>"all drift"</A></div>
            <Suspense fallback=|| view! { <p class="loading">"Loading drift…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(overview) => view! { <DriftTable findings=overview.findings may_resolve=overview.may_check/> }.into_any(),
                        Err(crate::error::PortalError(problem)) => view! { <ProblemNote problem/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn resource_words(kind: ResourceType) -> &'static str {
    match kind {
        ResourceType::Recipient => "Recipient",
        ResourceType::Share => "Share",
        ResourceType::DataObject => "Object",
        ResourceType::Grant => "Grant",
    }
}
