//! The REST API's OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//! attributes and the answer types' `ToSchema` derives (the serde renames included), served at
//! `/openapi.json` with Swagger UI at `/api-docs/` (its assets compiled in). The history routes
//! the router builds per kind in a loop are described by the stand-ins below, one per route.

use super::error::ErrorBody;
use super::{approvals, audit, batch, drift, health, history, intake, notifications, runs, sharepacks, sync};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The refusals any endpoint with credentials may answer, with the one error body.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Refusals {
    /// No credentials, or a token that is unknown, expired or revoked.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// A role or a token scope is missing (the body names it).
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// Too many uploads, validations or plans this minute (`Retry-After` says when to try again).
    #[response(status = 429)]
    TooMany(ErrorBody),
    /// The database, the queue or the workspace does not answer right now.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// A 400 from an upload: the pack did not validate (`VALIDATION_FAILED`, with its findings), or
/// the request could not be used at all (the error body).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
#[serde(untagged)]
pub enum UploadRefused {
    Invalid(super::sharepacks::UploadResponse),
    Refused(ErrorBody),
}

/// One share pack in the multipart field `file` (YAML or an Excel workbook).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    #[schema(value_type = String, content_media_type = "application/octet-stream")]
    pub file: Vec<u8>,
}

/// Several share packs: the multipart field `file` once per pack.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct BatchForm {
    #[schema(schema_with = files)]
    pub file: Vec<Vec<u8>>,
}

fn files() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String).content_media_type("application/octet-stream"))
        .max_items(Some(batch::MOST_FILES))
        .build()
}

/// Stand-ins for the history routes `history::routes` builds for every kind.
macro_rules! history_paths {
    ($($kind:ident: $segment:literal, $entity:literal;)+) => {
        #[allow(dead_code)]
        mod stand_ins {
            use super::*;
            $(
                pub mod $kind {
                    use super::*;
                    #[doc = concat!("The timeline of a ", $entity, ", newest first, each version with who, when, why and its changes.")]
                    #[utoipa::path(get, path = concat!("/", $segment, "/{id}/versions"), tag = "history",
                        operation_id = concat!($segment, "_versions"),
                        params(("id" = String, Path, description = "The name (any case) or id")),
                        responses((status = 200, body = sharepack_engine::history::Timeline),
                            (status = 404, body = ErrorBody, description = "Not one the caller's business lines hold"),
                            (status = 409, body = ErrorBody, description = "The name means several (ask by id)"), Refusals))]
                    pub fn versions() {}

                    #[doc = concat!("What changed in a ", $entity, " from one version to another.")]
                    #[utoipa::path(get, path = concat!("/", $segment, "/{id}/diff"), tag = "history",
                        operation_id = concat!($segment, "_diff"),
                        params(("id" = String, Path, description = "The name (any case) or id"), history::DiffQuery),
                        responses((status = 200, body = sharepack_engine::history::Comparison),
                            (status = 400, body = ErrorBody, description = "`from` or `to` missing or not a version"),
                            (status = 404, body = ErrorBody), Refusals))]
                    pub fn diff() {}
                }
            )+
        }
    };
}

history_paths! {
    sharepacks: "sharepacks", "share pack";
    recipients: "recipients", "recipient";
    shares: "shares", "share";
    tenants: "tenants", "business line";
    projects: "projects", "project";
    requests: "requests", "request";
}

/// Lists of each kind but share packs (which have their own answer).
macro_rules! list_paths {
    ($($name:ident: $segment:literal;)+) => {
        #[allow(dead_code)]
        mod list_stand_ins {
            use super::*;
            $(
                #[doc = concat!("The ", $segment, " the caller sees, by name, filtered, now or `as_of`, a page at a time: `{\"",
                    $segment, "\": [...], \"NextCursor\": ...}` (the key is the kind's name in PascalCase).")]
                #[utoipa::path(get, path = concat!("/", $segment), tag = "history", operation_id = concat!("list_", $segment),
                    params(sharepack_engine::history::Filter),
                    responses((status = 200, body = Object), (status = 400, body = ErrorBody, description = "A filter cannot be read"), Refusals))]
                pub fn $name() {}
            )+
        }
    };
}

list_paths! {
    recipients: "recipients";
    shares: "shares";
    tenants: "tenants";
    projects: "projects";
    requests: "requests";
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sharepack REST API",
        description = "Self-service Delta Sharing provisioning: validate, plan and submit share packs, follow and approve runs, \
                       browse history and the audit trail. Every error has the same body (`Code`, `Message`, `Hint`, `Location`)."
    ),
    servers((url = "/workflow", description = "This portal")),
    paths(
        health::health,
        intake::validate,
        intake::plan,
        sharepacks::upload,
        batch::validate,
        batch::plan,
        batch::upload,
        sharepacks::status,
        sharepacks::rollback,
        runs::cancel,
        runs::retry,
        runs::activation_links,
        approvals::list,
        approvals::approve,
        approvals::reject,
        audit::list,
        history::export,
        history::access,
        history::share_packs,
        history::upload_file,
        history::delete_draft,
        history::compare_uploads,
        sharepacks::restore,
        sharepacks::adopt,
        drift::check,
        drift::list,
        drift::unmanaged,
        sync::start,
        sync::jobs,
        sync::job,
        sync::objects,
        notifications::log,
        notifications::preferences,
        notifications::choose,
        stand_ins::sharepacks::versions,
        stand_ins::sharepacks::diff,
        stand_ins::recipients::versions,
        stand_ins::recipients::diff,
        stand_ins::shares::versions,
        stand_ins::shares::diff,
        stand_ins::tenants::versions,
        stand_ins::tenants::diff,
        stand_ins::projects::versions,
        stand_ins::projects::diff,
        stand_ins::requests::versions,
        stand_ins::requests::diff,
        list_stand_ins::recipients,
        list_stand_ins::shares,
        list_stand_ins::tenants,
        list_stand_ins::projects,
        list_stand_ins::requests,
    ),
    components(schemas(ErrorBody, UploadForm, BatchForm)),
    modifiers(&BearerTokens),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

/// API tokens (`spk_...`) from the Tokens page or `sharepack tokens create`.
struct BearerTokens;

impl Modify for BearerTokens {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.components.get_or_insert_with(utoipa::openapi::Components::new).add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("spk_ token").build()),
        );
    }
}

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(ApiDoc::openapi)
}

/// `GET /openapi.json`, for anyone (the contract holds no secrets).
pub async fn serve() -> axum::Json<&'static utoipa::openapi::OpenApi> {
    axum::Json(document())
}

/// Swagger UI at `/api-docs/`, reading `/openapi.json`. Its assets are compiled into the binary;
/// the online validator it would call is turned off, so the page needs nothing from outside.
pub fn explorer<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    let config = utoipa_swagger_ui::Config::new(["/openapi.json"]).validator_url("none").try_it_out_enabled(true);
    utoipa_swagger_ui::SwaggerUi::new("/api-docs").config(config).into()
}
