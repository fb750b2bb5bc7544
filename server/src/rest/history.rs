//! `GET /workflow/{entity}/{name-or-id}/versions` (the timeline: every version with who, when,
//! why and its field changes) and `GET /workflow/{entity}/{name-or-id}/diff?from=V&to=W`, for
//! `sharepacks`, `recipients`, `shares`, `tenants` and `projects`, as the engine's history reads
//! them for the caller.

use super::ApiError;
use crate::auth::Caller;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::Json;
use sharepack_engine::error::Problem;
use sharepack_engine::history::{self, Comparison, Kind, Timeline};

pub async fn versions(kind: Kind, state: AppState, by: Caller, name: String) -> Result<Json<Timeline>, ApiError> {
    let Caller(by) = by;
    Ok(Json(history::timeline(&state.portal.store, &by, kind, &name).await?))
}

#[derive(Debug, serde::Deserialize)]
pub struct DiffQuery {
    from: Option<String>,
    to: Option<String>,
}

pub async fn diff(kind: Kind, state: AppState, by: Caller, name: String, query: DiffQuery) -> Result<Json<Comparison>, ApiError> {
    let Caller(by) = by;
    let number = |value: Option<String>, field: &str| -> Result<i64, ApiError> {
        let text = value.ok_or_else(|| {
            located(Problem::invalid("version_missing", format!("Say which versions to compare: ?from=V&to=W ({field} is missing)")), field)
        })?;
        text.trim().parse::<i64>().map_err(|_| {
            located(
                Problem::invalid("version_invalid", format!("`{}` is not a version number", text.chars().take(20).collect::<String>())),
                field,
            )
        })
    };
    let (from, to) = (number(query.from, "from")?, number(query.to, "to")?);
    Ok(Json(history::compare(&state.portal.store, &by, kind, &name, from, to).await?))
}

fn located(mut problem: Problem, field: &str) -> ApiError {
    problem.location = Some(field.to_string());
    ApiError(problem)
}

/// The two routes of one kind.
pub fn routes(kind: Kind) -> [(&'static str, axum::routing::MethodRouter<AppState>); 2] {
    use axum::routing::get;
    let (versions_path, diff_path) = match kind {
        Kind::SharePacks => ("/sharepacks/{id}/versions", "/sharepacks/{id}/diff"),
        Kind::Recipients => ("/recipients/{id}/versions", "/recipients/{id}/diff"),
        Kind::Shares => ("/shares/{id}/versions", "/shares/{id}/diff"),
        Kind::Tenants => ("/tenants/{id}/versions", "/tenants/{id}/diff"),
        Kind::Projects => ("/projects/{id}/versions", "/projects/{id}/diff"),
    };
    [
        (versions_path, get(move |State(state): State<AppState>, by: Caller, Path(name): Path<String>| versions(kind, state, by, name))),
        (
            diff_path,
            get(move |State(state): State<AppState>, by: Caller, Path(name): Path<String>, Query(query): Query<DiffQuery>| {
                diff(kind, state, by, name, query)
            }),
        ),
    ]
}
