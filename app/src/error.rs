//! The error every server function returns: an engine [`Problem`] that survives the trip to the
//! browser (JSON), so pages show the same sentence and hint whether they were rendered on the
//! server, updated by WASM, or reached by a plain form post without JavaScript (Leptos then
//! redirects back with the error in the URL, which the `FormError` component shows).

use leptos::prelude::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};
use sharepack_engine::error::{Class, Problem};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}", .0.sentence())]
pub struct PortalError(pub Problem);

impl From<Problem> for PortalError {
    fn from(problem: Problem) -> Self {
        PortalError(problem)
    }
}

impl FromServerFnError for PortalError {
    type Encoder = JsonEncoding;

    /// Leptos' own failures: arguments it cannot read are the caller's mistake; a request that
    /// never reached the server is the network's; the rest are ours.
    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        let problem = match error {
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::Deserialization(detail) | ServerFnErrorErr::MissingArg(detail) => {
                Problem::invalid("bad_arguments", format!("The form could not be read: {}", shorten(&detail)))
            }
            ServerFnErrorErr::Request(_) => Problem::new(Class::Unavailable, "portal_unreachable", "The portal could not be reached")
                .hint("Check your connection and try again"),
            _ => Problem::internal("handling the request"),
        };
        PortalError(problem)
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(200).collect()
}

pub type Answer<T> = Result<T, PortalError>;
