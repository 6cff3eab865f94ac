//! The OpenAPI 3.1 document. Paths come from the `#[utoipa::path]`
//! annotations of the handlers that the API router mounts (see
//! `routes::api_routes`), so the document cannot drift from the routes.
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard API",
        version = "1",
        description = "Workspaces, members, phone numbers, voices, usage and billing of a voice-AI agent platform. \
                       Errors are RFC 9457 problem+json with a stable `code` and per-field `errors`."
    ),
    modifiers(&SecuritySchemes),
    security(("session" = [])),
    tags(
        (name = "workspaces", description = "Workspaces and the current workspace's settings"),
        (name = "profile", description = "The signed-in user's own profile"),
        (name = "members", description = "Members, roles and invitations of the current workspace"),
        (name = "developer", description = "API tokens and experimental features of the current workspace"),
    ),
    components(schemas(crate::error::ProblemDetails, crate::error::FieldError))
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::session::SESSION_COOKIE,
                "The browser session. State-changing calls also need the `x-csrf-token` header \
                 (its value is `csrf_token` from `GET /api/v1/me`).",
            ))),
        );
    }
}
