//! The view model against the real document, and against small
//! hand-written schemas.
use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value, json};

use super::reference::{self, ApiReference, Operation};
use super::schema::{Schemas, Span, inline, paragraphs};

const BASE: &str = "https://switchboard.example";

/// The finished document of the real routes. Building the routes needs a
/// state, hence a database; the temp dir must outlive the call.
async fn real_document() -> (tempfile::TempDir, utoipa::openapi::OpenApi) {
    let dir = tempfile::tempdir().expect("temp dir");
    let args = crate::config::CommonArgs { data_dir: Some(dir.path().to_path_buf()), ..Default::default() };
    let config = crate::config::Config::resolve(&args).expect("config");
    let clock = Arc::new(crate::clock::SystemClock);
    let state = crate::server::build_state(config, BASE.into(), clock).await.expect("state");
    let doc = super::document(&state);
    (dir, doc)
}

async fn real_reference() -> (ApiReference, Value) {
    let (_dir, doc) = real_document().await;
    let json = serde_json::to_value(&doc).expect("json");
    (reference::build(&doc, BASE), json)
}

fn operation<'a>(api: &'a ApiReference, id: &str) -> &'a Operation {
    api.tags.iter().flat_map(|t| &t.operations).find(|o| o.id == id).unwrap_or_else(|| panic!("operation {id}"))
}

#[tokio::test]
async fn every_operation_of_the_real_document_is_listed_once() {
    let (api, json) = real_reference().await;
    let mut documented = BTreeSet::new();
    for (path, item) in json["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("item").keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let listed: Vec<(String, String)> =
        api.tags.iter().flat_map(|t| &t.operations).map(|o| (o.method.clone(), o.path.clone())).collect();
    assert_eq!(listed.len(), documented.len(), "each operation once");
    assert_eq!(listed.into_iter().collect::<BTreeSet<_>>(), documented);
    let tags: Vec<&str> = api.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        tags,
        [
            "workspaces",
            "profile",
            "members",
            "developer",
            "audit",
            "webhooks",
            "subscription",
            "credits",
            "invoices",
            "agents",
            "usage",
            "phone-numbers",
            "carrier-accounts",
            "voices",
            "contact-attributes",
            "contacts",
            "consent",
            "suppressions",
            "imports"
        ],
        "in the document's order"
    );
    let ids: BTreeSet<&str> = api.tags.iter().flat_map(|t| &t.operations).map(|o| o.id.as_str()).collect();
    assert_eq!(ids.len(), documented.len(), "anchors are unique");
}

#[tokio::test]
async fn refs_are_resolved_into_field_tables() {
    let (api, _) = real_reference().await;
    let names = |fields: &[super::schema::Field]| fields.iter().map(|f| f.name.clone()).collect::<Vec<_>>();

    let update = operation(&api, "update_member");
    let request = update.request.as_ref().expect("body");
    assert_eq!(request.content_type, "application/json");
    assert_eq!(names(&request.fields), ["role"]);
    assert!(request.fields[0].required);
    let param = &update.parameters[0];
    assert_eq!((param.name.as_str(), param.location.as_str(), param.required), ("id", "path", true));

    let list = operation(&api, "list_members");
    let fields = names(&list.responses[0].body.as_ref().expect("body").fields);
    assert!(fields.contains(&"data[].email".to_string()), "{fields:?}");
    assert!(fields.contains(&"next_cursor".to_string()), "{fields:?}");

    // allOf (a flattened struct) and nested references.
    let created = operation(&api, "create_token");
    let fields = &created.responses[0].body.as_ref().expect("body").fields;
    assert!(names(fields).contains(&"token".to_string()));
    assert!(names(fields).contains(&"created_by.name".to_string()));
    let status = fields.iter().find(|f| f.name == "status").expect("status");
    assert!(status.values.contains(&"revoked".to_string()), "enum values from the referenced schema");

    let workspace = operation(&api, "get_workspace");
    let fields = &workspace.responses[0].body.as_ref().expect("body").fields;
    let logo = fields.iter().find(|f| f.name == "logo").expect("logo");
    assert_eq!(logo.ty, "object | null");
    assert!(names(fields).contains(&"logo.large".to_string()));
    let created_at = fields.iter().find(|f| f.name == "created_at").expect("created_at");
    assert_eq!(created_at.ty, "string (date-time)");

    assert!(names(&api.problem_fields).contains(&"errors[].field".to_string()));
}

#[tokio::test]
async fn examples_are_shown_pretty_printed_with_a_curl_request() {
    let (api, _) = real_reference().await;
    let create = operation(&api, "create_workspace");
    let example = create.request.as_ref().and_then(|b| b.example.as_deref()).expect("request example");
    assert_eq!(example, "{\n  \"name\": \"Acme Voice\"\n}");
    assert!(create.curl.starts_with(&format!("curl -X POST {BASE}/api/v1/workspaces")), "{}", create.curl);
    assert!(create.curl.contains("-d '{\"name\":\"Acme Voice\"}'"), "{}", create.curl);
    assert!(!create.tokens_allowed, "a person's route");
    assert!(create.curl.contains("x-csrf-token"), "{}", create.curl);

    let get = operation(&api, "get_workspace");
    assert!(get.tokens_allowed);
    assert_eq!(get.auth.len(), 3, "{:?}", get.auth);
    assert!(get.curl.contains("Authorization: Bearer $SWITCHBOARD_TOKEN"), "{}", get.curl);
    let response = get.responses[0].body.as_ref().and_then(|b| b.example.as_deref()).expect("response example");
    assert!(response.contains("\"id\": \"ws_"), "{response}");
    let first = api.first_call.as_ref().expect("first call");
    assert_eq!(first.curl, get.curl);

    let switch = operation(&api, "switch_workspace");
    assert!(switch.curl.contains("/api/v1/workspaces/ws_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0/switch"), "path example used");
    let members = operation(&api, "list_members");
    assert!(members.curl.contains("\"https://switchboard.example/api/v1/members?search=ada&limit=50\""));
    let upload = operation(&api, "upload_logo");
    assert!(upload.request.as_ref().is_some_and(|b| b.binary && b.example.is_none()));
    assert!(upload.curl.contains("--data-binary @image.png"));

    let leave = operation(&api, "leave_workspace");
    assert!(leave.responses[0].body.is_none(), "204");
    assert!(leave.errors.iter().any(|e| e.body.as_ref().is_some_and(|b| b.example.is_some())), "its 409 example");
    let problem = api.problem_example.as_deref().expect("problem example");
    assert!(problem.contains("\"code\": \"last_admin\""), "{problem}");
    assert!(api.schemes.iter().any(|s| s.key == "bearer" && s.usage == "Authorization: Bearer <sbk_ token>"));
}

#[tokio::test]
async fn every_example_on_the_page_matches_its_schema() {
    let (api, json) = real_reference().await;
    let schemas = Schemas::new(&json);
    let mut checked = 0;
    for (path, item) in json["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let view = operation(&api, op["operationId"].as_str().expect("id"));
            let mut bodies = Vec::new();
            if let Some(body) = &view.request {
                bodies.push(("request".to_string(), body, &op["requestBody"]));
            }
            for r in view.responses.iter().chain(&view.errors) {
                if let Some(body) = &r.body {
                    bodies.push((r.status.clone(), body, &op["responses"][&r.status]));
                }
            }
            for (what, body, raw) in bodies {
                let Some(example) = &body.example else { continue };
                let value: Value = serde_json::from_str(example).expect("example is JSON");
                let schema = &raw["content"][&body.content_type]["schema"];
                let mut errors = Vec::new();
                validate(&schemas, schema, &value, "$", &mut errors, 0);
                assert!(errors.is_empty(), "{method} {path} {what}: {errors:?}\n{example}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "checked {checked} examples");
}

#[test]
fn text_spans_mark_code_and_strong_and_unwrap_lines() {
    let span = |text: &str, code, strong| Span { text: text.into(), code, strong };
    assert_eq!(
        inline("**Rate limits.** Wait\nfor `Retry-After` seconds."),
        [
            span("Rate limits.", false, true),
            span(" Wait for ", false, false),
            span("Retry-After", true, false),
            span(" seconds.", false, false)
        ]
    );
    assert_eq!(inline("`a**b`"), [span("a**b", true, false)], "no strong inside code");
    assert_eq!(paragraphs("One.\n\nTwo\nlines.").len(), 2);
    assert_eq!(reference::title_of("list_members", "ignored"), "List members");
    assert_eq!(reference::title_of("", "Lists things; by name."), "Lists things");
}

#[test]
fn examples_are_assembled_from_the_schema_when_none_is_given() {
    let doc = json!({"components": {"schemas": {
        "Thing": {"type": "object", "required": ["id", "at"], "properties": {
            "id": {"type": "string", "example": "thg_1"},
            "at": {"type": "string", "format": "date-time"},
            "note": {"type": ["string", "null"]},
            "kind": {"type": "string", "enum": ["small", "large"]},
            "owner": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Owner"}]},
            "count": {"type": "integer", "minimum": 1},
        }},
        "Owner": {"type": "object", "example": {"name": "Ada"}, "properties": {"name": {"type": "string"}}},
    }}});
    let schemas = Schemas::new(&doc);
    let list = json!({"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}});
    assert_eq!(
        schemas.example(&list),
        json!({"data": [{"id": "thg_1", "at": "2026-01-15T09:30:00Z", "note": null, "kind": "small", "owner": {"name": "Ada"}, "count": 1}]})
    );
    let thing = &doc["components"]["schemas"]["Thing"];
    assert_eq!(schemas.type_label(&thing["properties"]["owner"]), "object | null");
    assert_eq!(schemas.type_label(&thing["properties"]["note"]), "string | null");
    assert_eq!(schemas.type_label(&list["properties"]["data"]), "array of object");
    let fields: Vec<String> = schemas.fields(&list).into_iter().map(|f| f.name).collect();
    assert_eq!(
        fields,
        [
            "data",
            "data[].at",
            "data[].count",
            "data[].id",
            "data[].kind",
            "data[].note",
            "data[].owner",
            "data[].owner.name"
        ]
    );
}

#[test]
fn the_schema_check_catches_mismatches() {
    let doc = json!({"components": {"schemas": {"T": {"type": "object", "required": ["id"], "additionalProperties": false,
        "properties": {"id": {"type": "string"}, "at": {"type": ["string", "null"], "format": "date-time"},
                       "n": {"type": "integer", "minimum": 0}, "kind": {"type": "string", "enum": ["a"]}}}}}});
    let schemas = Schemas::new(&doc);
    let schema = json!({"$ref": "#/components/schemas/T"});
    let check = |value: Value| {
        let mut errors = Vec::new();
        validate(&schemas, &schema, &value, "$", &mut errors, 0);
        errors.len()
    };
    assert_eq!(check(json!({"id": "x", "at": null, "n": 1, "kind": "a"})), 0);
    assert_eq!(check(json!({"at": "yesterday"})), 2, "missing id, bad date-time");
    assert_eq!(check(json!({"id": 1, "n": -1, "kind": "b", "extra": true})), 4);
}

/// A small JSON Schema check, enough for the keywords utoipa writes:
/// `$ref`, `allOf`, `oneOf`/`anyOf`, `type` (with null), `enum`,
/// `required`, `properties`, `additionalProperties: false`, `items`,
/// `minimum`, `format: date-time`.
fn validate(schemas: &Schemas, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>, depth: usize) {
    assert!(depth < 20, "schema too deep at {at}");
    let schema = schemas.resolve(schema);
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            validate(schemas, part, value, at, errors, depth + 1);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
            let fits = alternatives.iter().any(|a| {
                let mut errs = Vec::new();
                validate(schemas, a, value, at, &mut errs, depth + 1);
                errs.is_empty()
            });
            if !fits {
                errors.push(format!("{at}: no alternative of {key} fits {value}"));
            }
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Some(ty) = schema.get("type") {
        let types: Vec<&str> = match ty {
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            other => other.as_str().into_iter().collect(),
        };
        let fits = types.iter().any(|t| match *t {
            "null" => value.is_null(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => true,
        });
        if !fits {
            errors.push(format!("{at}: {value} is not {types:?}"));
            return;
        }
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), value.as_f64())
        && n < min
    {
        errors.push(format!("{at}: {n} < {min}"));
    }
    if schema.get("format").is_some_and(|f| f == "date-time")
        && let Some(text) = value.as_str()
        && chrono::DateTime::parse_from_rfc3339(text).is_err()
    {
        errors.push(format!("{at}: {text} is not a date-time"));
    }
    if let Some(object) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object);
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                errors.push(format!("{at}: missing required {name}"));
            }
        }
        for (name, field) in object {
            match properties.and_then(|p| p.get(name)) {
                Some(property) => validate(schemas, property, field, &format!("{at}.{name}"), errors, depth + 1),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{at}: unknown field {name}"));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, item) in list.iter().enumerate() {
            validate(schemas, items, item, &format!("{at}[{i}]"), errors, depth + 1);
        }
    }
}

/// Every type the OpenAPI document names is named once: utoipa keys its
/// components by the type's bare name (or its `#[schema(as = …)]`), so two
/// `Status` enums in two features would silently leave one schema for both
/// and the document would describe one of them wrongly.
#[test]
fn schema_names_are_unique_across_features() {
    fn walk(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let mut seen: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !(line.trim_start().starts_with("#[derive(") && line.contains("ToSchema")) {
                continue;
            }
            // The attributes after the derive, up to the item they describe.
            let mut renamed = None;
            for next in &lines[i + 1..] {
                let next = next.trim();
                if let Some(rest) = next.strip_prefix("#[schema(as = ") {
                    renamed = rest.split(')').next().map(str::to_string);
                }
                let item = next.strip_prefix("pub ").unwrap_or(next);
                if let Some(rest) = item.strip_prefix("struct ").or_else(|| item.strip_prefix("enum ")) {
                    let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    let shown = renamed.take().unwrap_or(name);
                    seen.entry(shown).or_default().push(file.display().to_string());
                    break;
                }
                if !next.starts_with("#[") && !next.starts_with("///") && !next.is_empty() {
                    break;
                }
            }
        }
    }
    assert!(seen.len() > 20, "found only {} schema types", seen.len());
    let clashes: Vec<_> = seen.iter().filter(|(_, files)| files.len() > 1).collect();
    assert!(clashes.is_empty(), "schema names used twice (add #[schema(as = FeatureName)]): {clashes:?}");
}
