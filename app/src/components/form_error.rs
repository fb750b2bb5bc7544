use crate::error::PortalError;
use leptos::prelude::*;
use leptos::server_fn::error::ServerFnUrlError;
use leptos_router::hooks::use_query_map;
use sharepack_engine::error::Problem;

/// A problem, as a page shows it: the sentence, and the hint on what to do.
#[component]
pub fn ProblemNote(problem: Problem) -> impl IntoView {
    view! {
        <div class="status error form-error" role="alert" data-code=problem.code.clone()>
            <p>{problem.message.clone()}</p>
            {problem.hint.clone().map(|hint| view! { <p class="hint">{hint}</p> })}
        </div>
    }
}

/// The error of a form that was posted without JavaScript: Leptos redirects back to the page
/// with it in the query (`__err`), and this shows it where the form is.
#[component]
pub fn FormError() -> impl IntoView {
    let query = use_query_map();
    move || {
        query.with(|query| query.get("__err")).map(|encoded| {
            let PortalError(problem) = ServerFnUrlError::<PortalError>::decode_err(&encoded);
            view! { <ProblemNote problem/> }
        })
    }
}
