//! `GET /workflow/notifications` (the caller's delivery log; everyone's for administrators who
//! see every business line) and `GET|PUT /workflow/notifications/preferences` (the kinds the
//! caller receives).

use super::extract::JsonBody;
use super::ApiError;
use crate::auth::Caller;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use sharepack_engine::notify::views::{self, Preference};
use sharepack_engine::records::{Channel, NotificationKind, NotificationStatus};

/// One notification and how its delivery went.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct NotificationView {
    pub id: uuid::Uuid,
    pub kind: NotificationKind,
    pub channel: Channel,
    /// An e-mail address, or a webhook's name.
    pub recipient: String,
    pub subject: String,
    pub status: NotificationStatus,
    pub related_id: Option<uuid::Uuid>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

#[utoipa::path(get, path = "/notifications", tag = "notifications", operation_id = "notifications",
    responses((status = 200, body = Vec<NotificationView>, description = "The newest 100, newest first"), crate::rest::openapi::Refusals))]
pub async fn log(State(state): State<AppState>, Caller(by): Caller) -> Result<Json<Vec<NotificationView>>, ApiError> {
    let time = |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let log = views::log(&state.portal.store, &by).await?;
    Ok(Json(
        log.into_iter()
            .map(|n| NotificationView {
                id: n.id,
                kind: n.kind,
                channel: n.channel,
                recipient: n.recipient,
                subject: n.subject,
                status: n.status,
                related_id: n.related_id,
                attempts: n.attempts,
                last_error: n.last_error,
                created_at: time(n.created_at),
                sent_at: n.sent_at.map(time),
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/notifications/preferences", tag = "notifications", operation_id = "notification_preferences",
    responses((status = 200, body = Vec<Preference>, description = "Every kind, and whether the caller receives it"), crate::rest::openapi::Refusals))]
pub async fn preferences(State(state): State<AppState>, Caller(by): Caller) -> Result<Json<Vec<Preference>>, ApiError> {
    Ok(Json(views::preferences(&state.portal.store, &by).await?))
}

/// The kinds to turn on or off; the others stay as they are.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Choice {
    #[serde(default)]
    pub preferences: Vec<Preference>,
}

#[utoipa::path(put, path = "/notifications/preferences", tag = "notifications", operation_id = "choose_notifications",
    request_body = Choice,
    responses((status = 200, body = Vec<Preference>, description = "Every kind as it now is"),
        (status = 400, body = crate::rest::error::ErrorBody, description = "An unknown kind"), crate::rest::openapi::Refusals))]
pub async fn choose(
    State(state): State<AppState>,
    Caller(by): Caller,
    JsonBody(choice): JsonBody<Choice>,
) -> Result<Json<Vec<Preference>>, ApiError> {
    Ok(Json(views::choose(&state.portal.store, &by, &choice.preferences).await?))
}
