#![recursion_limit = "256"]
//! Sharepack's pages: server-rendered by the `server` binary (feature `ssr`) and hydrated in the
//! browser from WASM (feature `hydrate`). One folder per feature (`intake`, `runs`,
//! `share_packs`), each with its pages, its server functions and DTOs (`api`) and the
//! server-only bodies (`ssr`); `components` holds shared view pieces, `portal` (server only)
//! the request context. Dependencies run one way: page → server function → engine.

pub mod account;
pub mod admin;
pub mod approvals;
pub mod audit;
pub mod browse;
pub mod components;
pub mod drift;
pub mod error;
pub mod history;
pub mod intake;
#[cfg(feature = "ssr")]
pub mod portal;
pub mod runs;
pub mod share_packs;

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{path, SsrMode};

/// The HTML document around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="description" content="Sharepack: self-service Delta Sharing provisioning"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: tests wait for this marker before driving the page.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <Stylesheet id="leptos" href="/pkg/sharepack.css"/>
        <Title text="Sharepack"/>
        <Router>
            <div class="app" data-hydrated=move || hydrated.get().to_string()>
                <Header/>
                <main class="main">
                    <Routes fallback=components::NotFound>
                        <Route path=path!("/") view=intake::IntakePage ssr=SsrMode::Async/>
                        <Route path=path!("/uploads/:id") view=intake::IntakePage ssr=SsrMode::Async/>
                        <Route path=path!("/runs/:id") view=runs::RunPage ssr=SsrMode::Async/>
                        <Route path=path!("/sharepacks") view=browse::SharePacksPage ssr=SsrMode::Async/>
                        <Route path=path!("/browse/:kind") view=browse::BrowsePage ssr=SsrMode::Async/>
                        <Route path=path!("/sharepacks/:id") view=share_packs::SharePackPage ssr=SsrMode::Async/>
                        <Route path=path!("/sharepacks/:id/compare") view=share_packs::ComparePage ssr=SsrMode::Async/>
                        <Route path=path!("/sharepacks/:id/files/:version") view=share_packs::SourcePage ssr=SsrMode::Async/>
                        <Route path=path!("/signin") view=account::SignInPage ssr=SsrMode::Async/>
                        <Route path=path!("/setup/:secret") view=account::LinkPage ssr=SsrMode::Async/>
                        <Route path=path!("/invite/:secret") view=account::LinkPage ssr=SsrMode::Async/>
                        <Route path=path!("/tokens") view=account::TokensPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/people") view=admin::PeoplePage ssr=SsrMode::Async/>
                        <Route path=path!("/approvals") view=approvals::ApprovalsPage ssr=SsrMode::Async/>
                        <Route path=path!("/audit") view=audit::AuditPage ssr=SsrMode::Async/>
                        <Route path=path!("/drift") view=drift::DriftPage ssr=SsrMode::Async/>
                        <Route path=path!("/history/:kind/:id") view=history::HistoryPage ssr=SsrMode::Async/>
                        <Route path=path!("/access") view=history::AccessPage ssr=SsrMode::Async/>
                    </Routes>
                </main>
                <footer class="footer">
                    "Sharepack · self-service Delta Sharing · "
                    <a href="/workflow/health">"health"</a>
                    " · "
                    <a href="https://docs.databricks.com/en/delta-sharing/index.html" rel="external">"About Delta Sharing"</a>
                </footer>
            </div>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                <span>"Sharepack"</span>
            </A>
            <nav class="topnav">
                <A href="/">"Validate a pack"</A>
                <A href="/sharepacks">"Share packs"</A>
                <a href="/#templates">"Templates"</a>
                <WorkspaceBadge/>
                <SignedIn/>
            </nav>
        </header>
    }
}

/// Who is signed in, their tokens, the people page for administrators, and sign-out.
#[component]
fn SignedIn() -> impl IntoView {
    let me = Resource::new_blocking(|| (), |_| account::api::who_am_i());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match me.await.ok().flatten() {
                    Some(me) => view! {
                        <span class="signed-in" title=me.grants.join(", ")>
                            {me.is_admin.then(|| view! { <A href="/admin/people">"People"</A> })}
                            <A href="/approvals" attr:class="approvals-link">
                                "Approvals"
                                {me.approvals_waiting.filter(|n| *n > 0).map(|n| view! {
                                    <span class="count-badge" id="approvals-count" title=format!("{n} plan{} waiting for your approval", if n == 1 { "" } else { "s" })>{n}</span>
                                })}
                            </A>
                            <A href="/drift">"Drift"</A>
                            <A href="/audit">"Audit"</A>
                            <A href="/access">"Access"</A>
                            <A href="/tokens">"Tokens"</A>
                            <span class="who" data-email=me.email.clone()>{me.email.clone()}</span>
                            <form method="post" action=account::api::SignOut::url() class="inline-form">
                                <button type="submit" class="link-button">"Sign out"</button>
                            </form>
                        </span>
                    }.into_any(),
                    None => view! { <a href="/signin">"Sign in"</a> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Says which workspace packs go to, and plainly when it is the built-in sandbox.
#[component]
fn WorkspaceBadge() -> impl IntoView {
    // Blocking, so that the badge is in the first HTML even without JavaScript.
    let info = Resource::new_blocking(|| (), |_| intake::api::portal_info());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                info.await.ok().map(|info| {
                    if info.workspace_is_sandbox {
                        view! {
                            <span class="workspace sandbox" title=format!("Packs go to Sharepack's built-in sandbox workspace at {}, not to a real Databricks workspace", info.workspace_url)>
                                "Sandbox workspace"
                            </span>
                        }
                        .into_any()
                    } else {
                        view! { <span class="workspace" title=info.workspace_url.clone()>{info.workspace_name.clone()}</span> }.into_any()
                    }
                })
            })}
        </Suspense>
    }
}

/// Entry point of the WASM build: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
