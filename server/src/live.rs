//! Live progress: `GET /runs/{id}/events` streams a run as server-sent events, one message
//! (the whole run, as the run page shows it) whenever its revision changes, until it ends.
//! It polls the store, so browsers on any portal instance see every worker's progress.

use crate::auth::Caller;
use crate::rest::ApiError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use sharepack_engine::error::Problem;
use sharepack_engine::views::run_view;
use std::time::Duration;

/// How often the stream looks for changes: the bound on step latency to the browser.
pub const POLL: Duration = Duration::from_millis(200);

/// Turns true when the portal shuts down: open streams end, so that graceful shutdown does not
/// wait for browsers to close their run pages (they reconnect to another instance).
static STOPPING: std::sync::LazyLock<tokio::sync::watch::Sender<bool>> = std::sync::LazyLock::new(|| tokio::sync::watch::channel(false).0);

/// Ends every open event stream of this process.
pub fn stop_streams() {
    STOPPING.send_replace(true);
}

/// The stream of a run the caller may see (401 without sign-in; 404 for runs of other business
/// lines, as for runs that do not exist). Each event is the engine's view for the caller.
pub async fn run_events(State(state): State<AppState>, Caller(by): Caller, Path(id): Path<String>) -> Response {
    let store = state.portal.store.clone();
    let not_found = || ApiError(Problem::not_found("run", &id)).into_response();
    let Ok(id) = uuid::Uuid::parse_str(&id) else { return not_found() };
    match run_view(&store, &by, id).await {
        Ok(Some(_)) => {}
        Ok(None) => return not_found(),
        Err(problem) => return ApiError(problem).into_response(),
    }
    let stopping = STOPPING.subscribe();
    // (last revision sent, finished)
    let stream = futures::stream::unfold((None::<i64>, false), move |(last, finished)| {
        let store = store.clone();
        let by = by.clone();
        let mut stopping = stopping.clone();
        async move {
            if finished {
                return None;
            }
            loop {
                if *stopping.borrow() {
                    return None;
                }
                if last.is_some() {
                    tokio::select! {
                        _ = tokio::time::sleep(POLL) => {}
                        _ = stopping.changed() => return None,
                    }
                }
                match store.run_revision(id).await {
                    Ok(Some(revision)) if Some(revision) == last => continue,
                    Ok(Some(_)) => match run_view(&store, &by, id).await {
                        Ok(Some(view)) => {
                            let done = view.is_terminal();
                            let event = Event::default().json_data(&view).unwrap_or_else(|_| Event::default().comment("unserializable"));
                            return Some((Ok::<_, std::convert::Infallible>(event), (Some(view.revision), done)));
                        }
                        Ok(None) => return None,
                        Err(_) => tokio::time::sleep(POLL * 5).await,
                    },
                    Ok(None) => return None,
                    // The database is away for a moment: keep the stream, try again.
                    Err(_) => tokio::time::sleep(POLL * 5).await,
                }
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}
