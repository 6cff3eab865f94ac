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

/// Responses any operation may give, whatever its handler does: the
/// layers in front of every handler (authentication, the role check, rate
/// limiting, idempotency, body limits) answer them. Added to each operation
/// of the finished document rather than repeated on every handler.
const COMMON_RESPONSES: &[(&str, &str)] = &[
    ("400", "The request is malformed: invalid JSON, or an invalid `Idempotency-Key`."),
    ("401", "Not signed in, or the API token is malformed, unknown, revoked, expired or for another workspace."),
    ("403", "The caller's role does not allow this, or the route needs a signed-in person rather than a token."),
    ("413", "The request body is too large."),
    ("429", "Too many requests: wait for `Retry-After` seconds. `RateLimit-*` headers describe the budget."),
];

/// For POST, PUT, PATCH and DELETE: what `Idempotency-Key` can answer.
const MUTATION_RESPONSES: &[(&str, &str)] = &[
    (
        "409",
        "A request with this `Idempotency-Key` is still in progress, or the change conflicts with the current state.",
    ),
    ("422", "The body is not valid, or this `Idempotency-Key` was used with a different request."),
];

/// Completes the document built from the routes: the common error responses.
pub fn finish(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ProblemDetails"))).build(),
                )
                .build(),
        )
    };
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            (&mut item.get, false),
            (&mut item.put, true),
            (&mut item.post, true),
            (&mut item.patch, true),
            (&mut item.delete, true),
        ];
        for (operation, mutates) in operations {
            let Some(operation) = operation.as_mut() else { continue };
            let extra = if mutates { MUTATION_RESPONSES } else { &[] };
            for (status, description) in COMMON_RESPONSES.iter().chain(extra) {
                operation.responses.responses.entry((*status).to_string()).or_insert_with(|| problem(description));
            }
        }
    }
}
