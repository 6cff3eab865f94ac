//! The OpenAPI 3.1 document. Paths come from the `#[utoipa::path]`
//! annotations of the handlers that the API router mounts (see
//! `routes::api_routes`), so the document cannot drift from the routes.
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard API",
        version = "1",
        description = "Workspaces, members, phone numbers, voices, usage and billing of a voice-AI agent platform. \
                       Errors are RFC 9457 problem+json with a stable `code` and per-field `errors`.\n\n\
                       **Authentication.** Programs send an API token from Settings → Developer, either as \
                       `Authorization: Bearer sbk_…` or as `x-api-token` together with the workspace ID \
                       (`ws_…`) in the `team_id` header. A token acts inside its one workspace. The browser \
                       uses the `session` cookie; with it, state-changing calls also need the `x-csrf-token` header.\n\n\
                       **Rate limits.** Each API token, and each IP address calling without one, has a budget \
                       (600 and 300 requests a minute by default). Responses to them carry `RateLimit-Limit`, \
                       `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy`; past the budget they are \
                       `429` with a `Retry-After` header (seconds). Browser sessions are not limited.\n\n\
                       **Idempotency.** POST, PUT, PATCH and DELETE accept an `Idempotency-Key` header. The same \
                       key with the same body within 24 hours replays the first response instead of acting \
                       again; the same key with another body answers `422`."
    ),
    modifiers(&SecuritySchemes),
    security(("session" = []), ("bearer" = []), ("api_token" = [])),
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
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("sbk_ token")
                    .description(Some(
                        "An API token from Settings → Developer: `Authorization: Bearer sbk_…`. It acts for \
                         its creator inside its one workspace, with the lower of its role and theirs.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                crate::auth::api_token::TOKEN_HEADER,
                "The same API token in the `x-api-token` header, together with the `team_id` header \
                 carrying the workspace ID (`ws_…`) the token belongs to. A mismatch is `401`.",
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

/// For statuses a handler lists without a description of its own.
const FALLBACK_DESCRIPTIONS: &[(&str, &str)] = &[
    ("404", "Not found in the current workspace (another workspace's resources answer 404 too)."),
    ("409", "The change conflicts with the current state; `detail` says what to do."),
    ("422", "Some fields are not valid: `errors` names each field with a message."),
];

/// Completes the document built from the routes: the features' tags, the
/// common error responses, and a description for every response that has
/// none.
pub fn finish(openapi: &mut utoipa::openapi::OpenApi, features: &[crate::feature::Feature]) {
    use utoipa::openapi::tag::TagBuilder;
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let tags = features.iter().flat_map(|f| f.api_tags.iter());
    openapi.tags =
        Some(tags.map(|(name, about)| TagBuilder::new().name(*name).description(Some(*about)).build()).collect());
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
    for (path, item) in openapi.paths.paths.iter_mut() {
        // The response sets an operation gets from its shape, so handlers
        // list only their success and their own special cases: a path with
        // an ID can be 404 (another workspace's resources are 404 too), a
        // read with query parameters can be 422.
        let has_id = path.contains('{');
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
            let has_query = operation.parameters.as_ref().is_some_and(|params| {
                params.iter().any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query))
            });
            let shaped = FALLBACK_DESCRIPTIONS
                .iter()
                .filter(|(status, _)| (*status == "404" && has_id) || (*status == "422" && has_query && !mutates));
            for (status, description) in COMMON_RESPONSES.iter().chain(extra).chain(shaped) {
                operation.responses.responses.entry((*status).to_string()).or_insert_with(|| problem(description));
            }
            for (status, response) in operation.responses.responses.iter_mut() {
                if let RefOr::T(response) = response
                    && response.description.is_empty()
                {
                    let known = COMMON_RESPONSES.iter().chain(extra).chain(FALLBACK_DESCRIPTIONS);
                    let text = known.filter(|(s, _)| s == status).map(|(_, d)| *d).next();
                    response.description = text.map(str::to_string).unwrap_or_else(|| reason_phrase(status));
                }
            }
        }
    }
}

/// `"404"` → `"Not Found"`.
pub(crate) fn reason_phrase(status: &str) -> String {
    let code = status.parse::<u16>().ok().and_then(|s| axum::http::StatusCode::from_u16(s).ok());
    code.and_then(|c| c.canonical_reason()).unwrap_or("Response").to_string()
}
