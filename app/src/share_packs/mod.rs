//! A share pack's page (its uploads and runs) and the list of share packs.

pub mod api;

use crate::components::{not_found, when, StatusBadge};
use api::*;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn SharePackPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let pack = Resource::new_blocking(move || id.get(), get_share_pack);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the share pack…"</p> }>
            {move || Suspend::new(async move {
                match pack.await {
                    Ok(Some(pack)) => view! { <SharePackBody pack/> }.into_any(),
                    Ok(None) => {
                        not_found();
                        view! { <section class="card empty" id="share-pack"><h1>"No such share pack"</h1><p><A href="/sharepacks">"See all share packs"</A></p></section> }.into_any()
                    }
                    Err(error) => view! { <section class="card alert" id="share-pack"><h1>"The share pack could not be shown"</h1><p>{error.to_string()}</p></section> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SharePackBody(pack: SharePackView) -> impl IntoView {
    let pack_id = pack.id.clone();
    view! {
        <section class="card" id="share-pack" data-status=pack.status.as_str()>
            <div class="section-head">
                <h1>{pack.name.clone()}</h1>
                <StatusBadge status=pack.status.as_str() tone=pack.status.tone()/>
            </div>
            {(!pack.error.is_empty()).then(|| view! { <p class="status error" role="alert">{pack.error.clone()}</p> })}
            <dl class="facts">
                <dt>"Project"</dt><dd>{pack.project.clone()} <span class="muted">" · " {pack.business_line.clone()}</span></dd>
                <dt>"Strategy"</dt><dd>{pack.strategy.map(|s| s.as_str()).unwrap_or("")}</dd>
                <dt>"Workspace"</dt><dd><code>{pack.workspace_url.clone()}</code></dd>
                <dt>"Requested by"</dt><dd>{pack.requested_by.clone()}</dd>
                <dt>"Last change"</dt><dd>{when(&pack.updated_at)} " · " <A href=format!("/history/sharepacks/{}", pack.id) attr:id="pack-history">"history"</A>
                    " · " <a href=format!("/workflow/sharepacks/{}/export", pack.id) id="pack-export" download="">"export as Excel"</a></dd>
            </dl>
        </section>
        <section class="card" id="runs">
            <h2>"Runs"</h2>
            <div class="table-wrap">
                <table class="grid">
                    <thead><tr><th>"Run"</th><th>"Upload"</th><th>"Status"</th><th>"Strategy"</th><th>"Submitted"</th><th>"Last step"</th></tr></thead>
                    <tbody>
                        {pack.runs.into_iter().map(|run| view! {
                            <tr>
                                <td><A href=format!("/runs/{}", run.id)><code>{run.id[..8].to_string()}</code></A></td>
                                <td>{run.upload}</td>
                                <td><StatusBadge status=run.status.as_str() tone=run.status.tone()/></td>
                                <td>{run.strategy.as_str()}</td>
                                <td>{when(&run.created_at)}</td>
                                <td class="wrap">{run.progress}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <section class="card" id="uploads">
            <h2>"Versions"</h2>
            <p class="hint">"Each upload of this project's pack is a version; runs apply one version. Drafts did not pass validation: they are kept beside the pack and never replace what was applied."</p>
            <div class="table-wrap">
                <table class="grid">
                    <thead><tr><th>"Version"</th><th>"File"</th><th>"Format"</th><th>"Uploaded"</th></tr></thead>
                    <tbody>
                        {pack.uploads.into_iter().map(move |upload| view! {
                            <tr data-version=upload.version data-draft=upload.draft.to_string()>
                                <td>{upload.version} {upload.draft.then(|| view! { <span class="badge draft">"draft"</span> })}</td>
                                <td class="wrap"><a href=format!("/workflow/sharepacks/{}/uploads/{}", pack_id, upload.version) download="">{upload.file_name}</a></td>
                                <td>{upload.format}</td><td>{when(&upload.uploaded_at)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
pub fn SharePacksPage() -> impl IntoView {
    let rows = Resource::new_blocking(|| (), |_| list_share_packs());
    view! {
        <section class="intro"><h1>"Share packs"</h1><p class="lead">"Every share pack submitted on this portal, the most recently changed first."</p></section>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(rows) if rows.is_empty() => view! { <section class="card empty" id="share-packs"><p>"No share pack has been submitted yet. " <A href="/">"Validate one"</A></p></section> }.into_any(),
                    Ok(rows) => view! {
                        <section class="card" id="share-packs">
                            <div class="table-wrap">
                                <table class="grid">
                                    <thead><tr><th>"Share pack"</th><th>"Project"</th><th>"Status"</th><th>"Strategy"</th><th>"Requested by"</th><th>"Last change"</th></tr></thead>
                                    <tbody>
                                        {rows.into_iter().map(|row| view! {
                                            <tr>
                                                <td class="name"><A href=format!("/sharepacks/{}", row.id)>{row.name}</A></td>
                                                <td class="wrap">{row.project}</td>
                                                <td><StatusBadge status=row.status.as_str() tone=row.status.tone()/></td>
                                                <td>{row.strategy.map(|s| s.as_str()).unwrap_or("")}</td>
                                                <td class="wrap">{row.requested_by}</td>
                                                <td>{when(&row.updated_at)}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <section class="card alert"><p>{error.to_string()}</p></section> }.into_any(),
                }
            })}
        </Suspense>
    }
}
