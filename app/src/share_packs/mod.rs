//! A share pack's page (its uploads and runs) and the list of share packs.

pub mod api;
mod compare;

pub use compare::{ComparePage, SourcePage};

use crate::components::{not_found, when, StatusBadge};
use api::*;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
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
    let (may_submit, applied) = (pack.may_submit, pack.applied);
    let numbers: Vec<i64> = pack.uploads.iter().map(|upload| upload.version).collect();
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
                    " · " <a href=format!("/workflow/sharepacks/{}/export", pack.id) id="pack-export" download="">"export as Excel"</a>
                    " · " <a href=format!("/workflow/sharepacks/{}/export?format=yaml", pack.id) id="pack-export-yaml" download="">"as YAML"</a></dd>
            </dl>
        </section>
        <crate::drift::PackDrift pack_id=pack.id.clone() may_resolve=may_submit/>
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
            {(numbers.len() > 1).then(|| {
                let newest = numbers.first().copied().unwrap_or(1);
                let options = move |selected: i64| numbers.iter().map(|number| view! { <option value=number.to_string() selected=*number == selected>{format!("version {number}")}</option> }).collect_view();
                view! {
                    <form method="get" action=format!("/sharepacks/{}/compare", pack_id) class="compare-form" id="compare-uploads">
                        <label>"Compare " <select name="from">{options.clone()((newest - 1).max(1))}</select></label>
                        <label>" with " <select name="to">{options(newest)}</select></label>
                        <button type="submit" class="button">"Compare as packs"</button>
                    </form>
                }
            })}
            <div class="table-wrap">
                <table class="grid">
                    <thead><tr><th>"Version"</th><th>"File"</th><th>"Format"</th><th>"Uploaded"</th><th>""</th></tr></thead>
                    <tbody>
                        {pack.uploads.into_iter().map(move |upload| {
                            // Any version a run applied, other than the one in effect, can be gone back to.
                            let rollback = (may_submit && upload.applied && applied != Some(upload.version)).then(|| view! {
                                <form method="post" action=RollbackPack::url() class="inline-form rollback-form">
                                    <input type="hidden" name="id" value=pack_id.clone()/>
                                    <input type="hidden" name="version" value=upload.version/>
                                    <button type="submit" class="button rollback" title="See the plan that brings the workspace back to this version, then submit it">{format!("Roll back to version {}", upload.version)}</button>
                                </form>
                            });
                            view! {
                                <tr data-version=upload.version data-draft=upload.draft.to_string() data-applied=upload.applied.to_string()>
                                    <td data-label="Version">{upload.version} {upload.draft.then(|| view! { <span class="badge draft">"draft"</span> })}
                                        {(applied == Some(upload.version)).then(|| view! { " " <span class="badge ok">"in effect"</span> })}</td>
                                    <td data-label="File" class="wrap"><A href=format!("/sharepacks/{}/files/{}", pack_id, upload.version)>{upload.file_name}</A>
                                        " " <a href=format!("/workflow/sharepacks/{}/uploads/{}", pack_id, upload.version) download="" class="muted">"download"</a></td>
                                    <td data-label="Format">{upload.format}</td><td data-label="Uploaded">{when(&upload.uploaded_at)}</td>
                                    <td>{rollback}{upload.deletable.then(|| view! {
                                        <form method="post" action=DeleteDraft::url() class="inline-form delete-draft">
                                            <input type="hidden" name="id" value=pack_id.clone()/>
                                            <input type="hidden" name="version" value=upload.version/>
                                            <button type="submit" class="button danger">"Delete draft"</button>
                                        </form>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
