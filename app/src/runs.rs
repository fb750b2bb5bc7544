//! The run page (each step with its status, attempts, duration and error, updating live over
//! server-sent events; cancel and retry; activation links shown once to the submitter), a share
//! pack's page (its uploads and runs) and the list of share packs. Without JavaScript every page
//! is complete as served and a refresh shows the latest state; forms post to server functions.

use crate::intake_page::not_found;
use crate::runs_api::*;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

fn status_class(status: &str) -> &'static str {
    match status {
        "COMPLETED" | "DONE" => "ok",
        "FAILED" | "VALIDATION_FAILED" => "failed",
        "RUNNING" | "IN_PROGRESS" => "running",
        "CANCELLED" | "UNDONE" => "cancelled",
        _ => "waiting",
    }
}

#[component]
fn StatusBadge(status: String) -> impl IntoView {
    let class = format!("badge run-status {}", status_class(&status));
    let label = status.replace('_', " ").to_lowercase();
    view! { <span class=class data-status=status>{label}</span> }
}

fn when(text: &str) -> String {
    text.replace('T', " ").replace('Z', " UTC")
}

fn duration(ms: Option<i64>) -> String {
    match ms {
        None => "—".into(),
        Some(ms) if ms < 1000 => format!("{ms} ms"),
        Some(ms) => format!("{:.1} s", ms as f64 / 1000.0),
    }
}

#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let busy = Memo::new(move |_| query.read().get("busy").is_some());
    let initial = Resource::new_blocking(move || id.get(), get_run);
    // The submitter's activation links, taken (and so deleted) when the page is served.
    let served_links = Resource::new_blocking(move || id.get(), claim_links);
    let live: RwSignal<Option<RunView>> = RwSignal::new(None);
    let late_links: RwSignal<Vec<(String, String)>> = RwSignal::new(Vec::new());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| follow(id.get(), live));
    // Links created while the page is open are fetched once the stream says they exist.
    Effect::new(move |_| {
        if live.with(|run| run.as_ref().is_some_and(|run| run.links_waiting > 0)) {
            let id = id.get_untracked();
            leptos::task::spawn_local(async move {
                if let Ok(links) = claim_links(id).await {
                    if !links.is_empty() {
                        late_links.update(|known| known.extend(links));
                    }
                }
            });
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the run…"</p> }>
            {move || Suspend::new(async move {
                let links = served_links.await.unwrap_or_default();
                match initial.await {
                    Ok(Some(first)) => {
                        let run = Signal::derive(move || live.get().unwrap_or_else(|| first.clone()));
                        let links = Signal::derive(move || links.iter().cloned().chain(late_links.get()).collect::<Vec<_>>());
                        view! { <RunBody run links busy/> }.into_any()
                    }
                    Ok(None) => {
                        not_found();
                        view! {
                            <section class="card empty" id="run">
                                <h1>"No such run"</h1>
                                <p>"This run does not exist. " <A href="/sharepacks">"See all share packs"</A></p>
                            </section>
                        }
                        .into_any()
                    }
                    Err(error) => view! { <section class="card alert" id="run"><h1>"The run could not be shown"</h1><p>{error.to_string()}</p></section> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Follows the run's event stream until it ends; each message is the whole run.
#[cfg(feature = "hydrate")]
fn follow(id: String, live: RwSignal<Option<RunView>>) {
    use leptos::wasm_bindgen::closure::Closure;
    use leptos::wasm_bindgen::JsCast;
    if id.is_empty() {
        return;
    }
    let Ok(source) = web_sys::EventSource::new(&format!("/runs/{id}/events")) else { return };
    let closer = source.clone();
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
        let Some(text) = event.data().as_string() else { return };
        if let Ok(run) = serde_json::from_str::<RunView>(&text) {
            if run.is_terminal() {
                // Otherwise the browser reconnects when the server ends the stream.
                closer.close();
            }
            live.set(Some(run));
        }
    });
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let source = StoredValue::new_local(source);
    on_cleanup(move || {
        let _ = source.try_with_value(|source| source.close());
    });
}

#[component]
fn RunBody(run: Signal<RunView>, links: Signal<Vec<(String, String)>>, busy: Memo<bool>) -> impl IntoView {
    let snapshot = move || run.get();
    view! {
        <section class="card run-head" id="run" data-status=move || snapshot().status data-revision=move || snapshot().revision>
            <div class="section-head">
                <h1>"Run of " <A href=move || format!("/sharepacks/{}", snapshot().share_pack_id)>{move || snapshot().share_pack_name}</A></h1>
                {move || view! { <StatusBadge status=snapshot().status/> }}
            </div>
            <Show when=move || busy.get()>
                <p class="notice" role="status">"This share pack already had a run in progress, so nothing new was submitted. Here is that run."</p>
            </Show>
            <p class="progress" aria-live="polite">{move || snapshot().progress}</p>
            {move || snapshot().error.map(|error| view! { <p class="status error run-error" role="alert">{error}</p> })}
            <dl class="facts">
                <dt>"Strategy"</dt><dd>{move || snapshot().strategy}</dd>
                <dt>"Workspace"</dt><dd><code>{move || snapshot().workspace_url}</code></dd>
                <dt>"Requested by"</dt><dd>{move || snapshot().requested_by}</dd>
                <dt>"Submitted"</dt><dd>{move || when(&snapshot().created_at)} " · upload " {move || snapshot().upload}</dd>
                <dt>"Removals"</dt><dd>{move || if snapshot().confirm_removals { "applied (confirmed at submission)" } else { "kept (not confirmed)" }}</dd>
                <dt>"On failure"</dt><dd>{move || if snapshot().compensate { "what this run created is removed again" } else { "what this run created stays" }}</dd>
            </dl>
            <RunActions run/>
        </section>
        <Show when=move || !links.get().is_empty()>
            <section class="card links" id="activation-links">
                <h2>"Activation links"</h2>
                <p class="hint">"Shown once, to you only: copy each link now and send it to its recipient over a secure channel. Sharepack does not keep them."</p>
                <ul>
                    {move || links.get().into_iter().map(|(recipient, url)| view! {
                        <li><strong>{recipient}</strong> " " <code class="secret">{url}</code></li>
                    }).collect_view()}
                </ul>
            </section>
        </Show>
        <section class="card" id="steps">
            <h2>"Steps"</h2>
            <Show when=move || snapshot().steps.is_empty()>
                <p class="muted">"The steps appear when a worker takes the run up and has re-read the workspace."</p>
            </Show>
            <div class="table-wrap">
                <table class="grid steps-table">
                    <thead><tr><th>"#"</th><th>"Step"</th><th>"Status"</th><th>"Attempts"</th><th>"Duration"</th><th>"Last error"</th></tr></thead>
                    <tbody>
                        {move || snapshot().steps.into_iter().map(|step| { let status = step.status.clone(); view! {
                            <tr data-step=step.no data-step-status=status>
                                <td>{step.no}</td>
                                <td class="wrap">{step.description}</td>
                                <td><StatusBadge status=step.status/></td>
                                <td>{step.attempts}</td>
                                <td>{duration(step.duration_ms)}</td>
                                <td class="wrap">{step.error.unwrap_or_default()}</td>
                            </tr>
                        }}).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <section class="card" id="events">
            <h2>"History"</h2>
            <ul class="events">
                {move || snapshot().events.into_iter().map(|event| view! {
                    <li><span class="muted">{when(&event.at)}</span> " " <strong>{event.actor}</strong> " " {event.action}
                        {(!event.reason.is_empty()).then(|| view! { <span class="muted">" — " {event.reason}</span> })}</li>
                }).collect_view()}
            </ul>
        </section>
    }
}

/// Cancel while queued or running; retry once failed. Plain forms: they work without JavaScript.
#[component]
fn RunActions(run: Signal<RunView>) -> impl IntoView {
    move || {
        let run = run.get();
        let (action, label, hint) = match run.status.as_str() {
            "QUEUED" | "RUNNING" if !run.cancel_requested => {
                ("/api/cancel_run", "Cancel run", "The run stops after the step in progress; finished steps stay applied.")
            }
            "FAILED" => ("/api/retry_run", "Retry from the failed step", "Finished steps are not repeated."),
            _ => return ().into_any(),
        };
        let class = if action.ends_with("cancel_run") { "run-action cancel" } else { "run-action retry" };
        view! {
            <form class=class method="post" action=action>
                <input type="hidden" name="id" value=run.id.clone()/>
                <label>"Your name or e-mail" <input type="text" name="by" required maxlength="255" autocomplete="email"/></label>
                <label>"Why" <input type="text" name="reason" maxlength="500" placeholder="optional"/></label>
                <button type="submit" class="button">{label}</button>
                <p class="hint">{hint}</p>
            </form>
        }
        .into_any()
    }
}

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
    view! {
        <section class="card" id="share-pack" data-status=pack.status.clone()>
            <div class="section-head">
                <h1>{pack.name.clone()}</h1>
                <StatusBadge status=pack.status.clone()/>
            </div>
            {(!pack.error.is_empty()).then(|| view! { <p class="status error" role="alert">{pack.error.clone()}</p> })}
            <dl class="facts">
                <dt>"Project"</dt><dd>{pack.project.clone()} <span class="muted">" · " {pack.business_line.clone()}</span></dd>
                <dt>"Strategy"</dt><dd>{pack.strategy.clone()}</dd>
                <dt>"Workspace"</dt><dd><code>{pack.workspace_url.clone()}</code></dd>
                <dt>"Requested by"</dt><dd>{pack.requested_by.clone()}</dd>
                <dt>"Last change"</dt><dd>{when(&pack.updated_at)}</dd>
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
                                <td><StatusBadge status=run.status/></td>
                                <td>{run.strategy}</td>
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
            <p class="hint">"Each upload of this project's pack is a version; runs apply one version."</p>
            <div class="table-wrap">
                <table class="grid">
                    <thead><tr><th>"Version"</th><th>"File"</th><th>"Format"</th><th>"Uploaded"</th></tr></thead>
                    <tbody>
                        {pack.uploads.into_iter().map(|(version, file, format, at)| view! {
                            <tr><td>{version}</td><td class="wrap">{file}</td><td>{format}</td><td>{when(&at)}</td></tr>
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
                                                <td><StatusBadge status=row.status/></td>
                                                <td>{row.strategy}</td>
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
