//! The run page: each step with its status, attempts, duration and error, updating live over
//! server-sent events; cancel and retry; activation links shown once to the submitter. Without
//! JavaScript the page is complete as served and a refresh shows the latest state; forms post
//! to server functions.

pub mod api;
#[cfg(feature = "ssr")]
mod ssr;

use crate::components::{duration, not_found, when, FormError, StatusBadge};
use api::*;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use sharepack_engine::records::RunStatus;

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
    // Type-erased, so the page's view type stays within the compiler's depth limit.
    let head = view! {
        <section class="card run-head" id="run" data-status=move || snapshot().status.as_str() data-revision=move || snapshot().revision>
            <div class="section-head">
                <h1>"Run of " <A href=move || format!("/sharepacks/{}", snapshot().share_pack_id)>{move || snapshot().share_pack_name}</A></h1>
                {move || { let status = snapshot().status; view! { <StatusBadge status=status.as_str() tone=status.tone()/> } }}
            </div>
            <Show when=move || busy.get()>
                <p class="notice" role="status">"This share pack already had a run in progress, so nothing new was submitted. Here is that run."</p>
            </Show>
            <p class="progress" aria-live="polite">{move || snapshot().progress}</p>
            {move || snapshot().error.map(|error| view! { <p class="status error run-error" role="alert">{error}</p> })}
            <dl class="facts">
                <dt>"Strategy"</dt><dd>{move || snapshot().strategy.as_str()}</dd>
                <dt>"Workspace"</dt><dd><code>{move || snapshot().workspace_url}</code></dd>
                <dt>"Requested by"</dt><dd>{move || snapshot().requested_by}</dd>
                <dt>"Submitted"</dt><dd>{move || when(&snapshot().created_at)} " · upload " {move || snapshot().upload}</dd>
                <dt>"Removals"</dt><dd>{move || if snapshot().confirm_removals { "applied (confirmed at submission)" } else { "kept (not confirmed)" }}</dd>
                <dt>"On failure"</dt><dd>{move || if snapshot().compensate { "what this run created is removed again" } else { "what this run created stays" }}</dd>
            </dl>
            <FormError/>
            <RunActions run/>
        </section>
    }
    .into_any();
    view! {
        {head}
        <crate::approvals::ApprovalPanel run/>
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
                        {move || snapshot().steps.into_iter().map(|step| view! {
                            <tr data-step=step.no data-step-status=step.status.as_str()>
                                <td data-label="#">{step.no}</td>
                                <td class="wrap" data-label="Step">{step.description}</td>
                                <td data-label="Status"><StatusBadge status=step.status.as_str() tone=step.status.tone()/></td>
                                <td data-label="Attempts">{step.attempts}</td>
                                <td data-label="Duration">{duration(step.duration_ms)}</td>
                                <td class="wrap" data-label="Last error">{step.error.unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
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
        let (action, class, label, hint) = if run.status == RunStatus::AwaitingApproval {
            (CancelRun::url(), "run-action cancel", "Withdraw", "Nothing has been applied; withdrawing ends the run.")
        } else if run.status.can_cancel() && !run.cancel_requested {
            (CancelRun::url(), "run-action cancel", "Cancel run", "The run stops after the step in progress; finished steps stay applied.")
        } else if run.status.can_retry() && !run.rejected() {
            (RetryRun::url(), "run-action retry", "Retry from the failed step", "Finished steps are not repeated.")
        } else {
            return ().into_any();
        };
        view! {
            <form class=class method="post" action=action>
                <input type="hidden" name="id" value=run.id.clone()/>
                <label>"Why" <input type="text" name="reason" maxlength="500" placeholder="optional"/></label>
                <button type="submit" class="button">{label}</button>
                <p class="hint">{hint}</p>
            </form>
        }
        .into_any()
    }
}
