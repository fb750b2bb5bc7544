use leptos::prelude::*;
use leptos_router::components::A;

/// Link to the same upload with or without the errors-only filter (a link, so it works
/// without JavaScript).
#[component]
pub fn FilterLink(id: String, only_errors: bool, children: Children) -> impl IntoView {
    let href = if only_errors { format!("/uploads/{id}?only=errors#findings") } else { format!("/uploads/{id}#findings") };
    view! { <A href=href attr:class="filter">{children()}</A> }
}
