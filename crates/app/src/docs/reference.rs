//! The view model of the API reference: the OpenAPI document turned into
//! plain structs a template can lay out (tags → operations → parameters,
//! bodies, responses and examples), with every `$ref` resolved.
//!
//! It reads the document's JSON form, the same text `/api/v1/openapi.json`
//! serves, so the page shows exactly what clients and generators see.
use serde::Serialize;
use serde_json::Value;

use super::curl;
use super::schema::{Field, Paragraph, Schemas, inline, paragraphs};
use crate::api::openapi::reason_phrase;

/// Where the document itself is served.
pub const OPENAPI_URL: &str = "/api/v1/openapi.json";

/// The operation the "First call" section shows, if the document has it.
const FIRST_CALL_OPERATION: &str = "get_workspace";

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[derive(Debug, Clone, Serialize)]
pub struct ApiReference {
    pub title: String,
    pub version: String,
    pub intro: Vec<Paragraph>,
    pub openapi_url: &'static str,
    pub schemes: Vec<Scheme>,
    pub first_call: Option<FirstCall>,
    /// The fields of every error body (`ProblemDetails`) and an example.
    pub problem_fields: Vec<Field>,
    pub problem_example: Option<String>,
    /// Errors most operations share (the layers in front of every
    /// handler answer them), described once rather than per operation.
    pub common_errors: Vec<Response>,
    pub tags: Vec<Tag>,
}

/// A security scheme: how to authenticate.
#[derive(Debug, Clone, Serialize)]
pub struct Scheme {
    pub key: String,
    pub anchor: String,
    pub title: String,
    /// What the request carries, e.g. `Authorization: Bearer sbk_ token`.
    pub usage: String,
    pub description: Vec<Paragraph>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FirstCall {
    pub curl: String,
    pub response: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    pub name: String,
    pub title: String,
    pub anchor: String,
    pub description: Paragraph,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    /// The operationId; also the section's anchor.
    pub id: String,
    pub title: String,
    /// Upper case, `GET`.
    pub method: String,
    pub path: String,
    pub summary: Vec<Paragraph>,
    pub description: Vec<Paragraph>,
    /// Alternatives: any one of them authenticates the call.
    pub auth: Vec<AuthOption>,
    /// Whether API tokens may call it (otherwise only the browser session).
    pub tokens_allowed: bool,
    pub parameters: Vec<Parameter>,
    pub request: Option<Body>,
    /// The 2xx responses.
    pub responses: Vec<Response>,
    /// Every other documented status.
    pub errors: Vec<Response>,
    pub curl: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuthOption {
    pub label: String,
    pub anchor: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Parameter {
    pub name: String,
    pub location: String,
    pub required: bool,
    pub ty: String,
    pub description: Paragraph,
    pub example: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Body {
    pub content_type: String,
    pub description: Paragraph,
    /// Raw bytes (an image) rather than JSON: no field table.
    pub binary: bool,
    pub fields: Vec<Field>,
    /// Pretty-printed JSON.
    pub example: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Response {
    pub status: String,
    pub description: Paragraph,
    pub body: Option<Body>,
    /// One of the [`ApiReference::common_errors`], with the same words.
    pub common: bool,
}

/// Builds the view model of a finished document. `base_url` is where the
/// server answers, for the curl examples.
pub fn build(doc: &utoipa::openapi::OpenApi, base_url: &str) -> ApiReference {
    let json = serde_json::to_value(doc).unwrap_or_default();
    Builder { doc: &json, schemas: Schemas::new(&json), base_url: base_url.trim_end_matches('/') }.build()
}

struct Builder<'a> {
    doc: &'a Value,
    schemas: Schemas<'a>,
    base_url: &'a str,
}

impl<'a> Builder<'a> {
    fn build(&self) -> ApiReference {
        let info = &self.doc["info"];
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let mut tags: Vec<Tag> = self.doc["tags"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|t| new_tag(&text(&t["name"]), t["description"].as_str().unwrap_or_default()))
            .collect();
        for (path, item) in self.doc["paths"].as_object().into_iter().flatten() {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let operation = self.operation(method, path, op);
                let tag_name = op.pointer("/tags/0").and_then(Value::as_str).unwrap_or("other");
                if !tags.iter().any(|t| t.name == tag_name) {
                    tags.push(new_tag(tag_name, ""));
                }
                if let Some(tag) = tags.iter_mut().find(|t| t.name == tag_name) {
                    tag.operations.push(operation);
                }
            }
        }
        tags.retain(|t| !t.operations.is_empty());
        let common_errors = mark_common_errors(&mut tags);
        let first_call =
            tags.iter().flat_map(|t| &t.operations).find(|o| o.id == FIRST_CALL_OPERATION).map(|o| FirstCall {
                curl: o.curl.clone(),
                response: o.responses.iter().find_map(|r| r.body.as_ref()?.example.clone()),
            });
        let problem = self.doc.pointer("/components/schemas/ProblemDetails");
        let problem_example = tags
            .iter()
            .flat_map(|t| &t.operations)
            .flat_map(|o| &o.errors)
            .find_map(|r| r.body.as_ref()?.example.clone())
            .or_else(|| problem.map(|p| pretty(&self.schemas.example(p))));
        ApiReference {
            title: text(&info["title"]),
            version: text(&info["version"]),
            intro: paragraphs(info["description"].as_str().unwrap_or_default()),
            openapi_url: OPENAPI_URL,
            schemes: self.schemes(),
            first_call,
            problem_fields: problem.map(|p| self.schemas.fields(p)).unwrap_or_default(),
            problem_example,
            common_errors,
            tags,
        }
    }

    fn schemes(&self) -> Vec<Scheme> {
        let schemes = self.doc.pointer("/components/securitySchemes").and_then(Value::as_object);
        let mut schemes: Vec<(&String, &Value)> = schemes.into_iter().flatten().collect();
        schemes.sort_by_key(|(key, s)| (s["in"] == "cookie", self.security_position(key)));
        schemes
            .into_iter()
            .map(|(key, s)| Scheme {
                key: key.clone(),
                anchor: format!("auth-{key}"),
                title: scheme_label(key, s),
                usage: scheme_usage(s),
                description: paragraphs(s["description"].as_str().unwrap_or_default()),
            })
            .collect()
    }

    /// Where a scheme comes in the document's top-level `security` list.
    fn security_position(&self, key: &str) -> usize {
        let requirements = self.doc["security"].as_array().map(Vec::as_slice).unwrap_or_default();
        requirements.iter().position(|r| r.get(key).is_some()).unwrap_or(usize::MAX)
    }

    fn operation(&self, method: &str, path: &str, op: &'a Value) -> Operation {
        let id = op["operationId"].as_str().map_or_else(|| format!("{method}-{path}"), str::to_string);
        let requirements = op.get("security").or_else(|| self.doc.get("security"));
        let (auth, tokens_allowed) = self.auth(requirements);
        let parameters: Vec<Parameter> = op["parameters"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|p| self.parameter(p))
            .collect();
        let request = op.get("requestBody").and_then(|b| self.body(b, true));
        let (mut responses, mut errors) = (Vec::new(), Vec::new());
        for (status, response) in op["responses"].as_object().into_iter().flatten() {
            let response = self.schemas.resolve(response);
            let description = response["description"].as_str().filter(|d| !d.is_empty());
            // Errors share one body, described once on the page: only
            // an example written for this operation is shown with it.
            let success = status.starts_with('2');
            let item = Response {
                status: status.clone(),
                description: inline(&description.map_or_else(|| reason_phrase(status), str::to_string)),
                body: self.body(response, success),
                common: false,
            };
            if success { responses.push(item) } else { errors.push(item) }
        }
        let summary = op["summary"].as_str().unwrap_or_default();
        let credentials = match (tokens_allowed, auth.is_empty()) {
            (_, true) => curl::Credentials::None,
            (true, false) => curl::Credentials::Token,
            (false, false) => curl::Credentials::Session,
        };
        let cookie = self.doc.pointer("/components/securitySchemes/session/name").and_then(Value::as_str);
        let target =
            curl::Target { base_url: self.base_url, method, path, session_cookie: cookie.unwrap_or("session") };
        let curl = curl::command(&target, &parameters, request.as_ref(), credentials);
        Operation {
            title: title_of(&id, summary),
            method: method.to_uppercase(),
            path: path.to_string(),
            summary: paragraphs(summary),
            description: paragraphs(op["description"].as_str().unwrap_or_default()),
            auth,
            tokens_allowed,
            parameters,
            request,
            responses,
            errors,
            curl,
            id,
        }
    }

    /// The security requirements as alternatives (the schemes of one
    /// requirement are all needed together), and whether any alternative
    /// works without the browser's cookie, i.e. with an API token.
    fn auth(&self, requirements: Option<&Value>) -> (Vec<AuthOption>, bool) {
        let scheme =
            |key: &str| self.doc.pointer(&format!("/components/securitySchemes/{key}")).unwrap_or(&Value::Null);
        let requirements = requirements.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let mut tokens = false;
        let mut options = Vec::new();
        for requirement in requirements.iter().filter_map(Value::as_object).filter(|r| !r.is_empty()) {
            let token = requirement.keys().all(|k| scheme(k)["in"] != "cookie");
            tokens |= token;
            let label = requirement.keys().map(|k| scheme_label(k, scheme(k))).collect::<Vec<_>>().join(" + ");
            let anchor = requirement.keys().next().map(|k| format!("auth-{k}")).unwrap_or_default();
            options.push((!token, AuthOption { label, anchor }));
        }
        // Tokens first, as in the Authentication section.
        options.sort_by_key(|(cookie, _)| *cookie);
        (options.into_iter().map(|(_, o)| o).collect(), tokens)
    }

    fn parameter(&self, p: &'a Value) -> Parameter {
        let p = self.schemas.resolve(p);
        let schema = p.get("schema").unwrap_or(&Value::Null);
        let example = p.get("example").or_else(|| schema.get("example"));
        Parameter {
            name: p["name"].as_str().unwrap_or_default().to_string(),
            location: p["in"].as_str().unwrap_or_default().to_string(),
            required: p["required"].as_bool().unwrap_or(false),
            ty: self.schemas.type_label(schema),
            description: inline(p["description"].as_str().unwrap_or_default()),
            example: example.map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string)),
        }
    }

    /// A request body or response with content; JSON content preferred.
    /// Without an example of its own, one is assembled from the schema if
    /// `synthesize`.
    fn body(&self, holder: &'a Value, synthesize: bool) -> Option<Body> {
        let content = holder.get("content")?.as_object()?;
        let (content_type, media) =
            content.iter().find(|(ct, _)| ct.contains("json")).or_else(|| content.iter().next())?;
        let binary = !content_type.contains("json");
        let schema = media.get("schema").unwrap_or(&Value::Null);
        let example = media
            .get("example")
            .cloned()
            .or_else(|| media.get("examples")?.as_object()?.values().next()?.get("value").cloned())
            .or_else(|| (synthesize && !binary).then(|| self.schemas.example(schema)));
        Some(Body {
            content_type: content_type.clone(),
            description: inline(holder.get("description").and_then(Value::as_str).unwrap_or_default()),
            binary,
            fields: if binary { Vec::new() } else { self.schemas.fields(schema) },
            example: example.map(|e| pretty(&e)),
        })
    }
}

/// Finds the errors that more than half of the operations give with the
/// same words, marks them, and returns one of each, by status.
fn mark_common_errors(tags: &mut [Tag]) -> Vec<Response> {
    let operations = tags.iter().map(|t| t.operations.len()).sum::<usize>();
    let mut counts: Vec<(&Response, usize)> = Vec::new();
    for error in tags.iter().flat_map(|t| &t.operations).flat_map(|o| &o.errors) {
        match counts.iter_mut().find(|(e, _)| e.status == error.status && e.description == error.description) {
            Some((_, n)) => *n += 1,
            None => counts.push((error, 1)),
        }
    }
    let mut common: Vec<Response> = counts
        .into_iter()
        .filter(|(_, n)| n * 2 > operations)
        .map(|(e, _)| Response { common: true, ..e.clone() })
        .collect();
    common.sort_by(|a, b| a.status.cmp(&b.status));
    for error in tags.iter_mut().flat_map(|t| &mut t.operations).flat_map(|o| &mut o.errors) {
        error.common = common.iter().any(|c| c.status == error.status && c.description == error.description);
    }
    common
}

fn new_tag(name: &str, description: &str) -> Tag {
    let mut title = name.replace(['_', '-'], " ");
    if let Some(first) = title.get(..1) {
        title = first.to_uppercase() + &title[1..];
    }
    Tag {
        name: name.to_string(),
        title,
        anchor: format!("tag-{name}"),
        description: inline(description),
        operations: Vec::new(),
    }
}

/// A short name for a scheme: "Session cookie", "Bearer token",
/// "x-api-token header".
fn scheme_label(key: &str, scheme: &Value) -> String {
    match (scheme["type"].as_str(), scheme["in"].as_str(), scheme["name"].as_str()) {
        (Some("http"), _, _) => match scheme["scheme"].as_str() {
            Some(s) if s.eq_ignore_ascii_case("bearer") => "Bearer token".into(),
            Some(s) => format!("HTTP {s}"),
            None => key.to_string(),
        },
        (Some("apiKey"), Some("cookie"), _) => "Session cookie".into(),
        (Some("apiKey"), Some(location), Some(name)) => format!("{name} {location}"),
        _ => key.to_string(),
    }
}

/// What a request carries for a scheme.
fn scheme_usage(scheme: &Value) -> String {
    let name = scheme["name"].as_str().unwrap_or_default();
    match (scheme["type"].as_str(), scheme["in"].as_str()) {
        (Some("http"), _) => {
            let format = scheme["bearerFormat"].as_str().unwrap_or("token");
            format!("Authorization: Bearer <{format}>")
        }
        (Some("apiKey"), Some("cookie")) => format!("Cookie: {name}=…"),
        (Some("apiKey"), Some("header")) => format!("{name}: …"),
        (Some("apiKey"), Some("query")) => format!("?{name}=…"),
        _ => String::new(),
    }
}

/// The section title: from the operationId (`list_members` → "List
/// members"), else the summary.
pub fn title_of(operation_id: &str, summary: &str) -> String {
    let words = operation_id.replace(['_', '-'], " ");
    let words = words.trim();
    if words.is_empty() || words.contains('/') {
        return summary.split(['.', ';']).next().unwrap_or_default().trim().to_string();
    }
    words[..1].to_uppercase() + &words[1..]
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
