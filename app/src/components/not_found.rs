use leptos::prelude::*;
use leptos_router::components::A;

/// Answers the page with 404 (on the server; a no-op in the browser).
pub fn not_found() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
}

/// The page for addresses that have none.
#[component]
pub fn NotFound() -> impl IntoView {
    not_found();
    view! {
        <section class="card empty">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <A href="/">"Validate a share pack"</A> " instead."</p>
        </section>
    }
}
