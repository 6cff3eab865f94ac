//! The API reference page and the examples and security schemes of the
//! OpenAPI document it renders.
use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::TestApp;

/// The page's text with the HTML escapes minijinja writes undone
/// (`/` is written `&#x2f;`).
fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[tokio::test]
async fn the_api_reference_page_lists_every_operation_signed_out() {
    let app = TestApp::spawn().await;
    let visitor = app.visitor();
    let doc = visitor.get_json("/api/v1/openapi.json").await;
    let res = visitor.get("/docs/api").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().expect("ct").starts_with("text/html"));
    let page = unescape(&res.text().await.expect("html"));

    for (path, item) in doc["paths"].as_object().expect("paths") {
        assert!(page.contains(&format!("<code class=\"op-path\">{path}</code>")), "{path} on the page");
        for method in METHODS {
            if let Some(op) = item.get(method) {
                let id = op["operationId"].as_str().expect("operationId");
                assert!(page.contains(&format!("<section class=\"op\" id=\"{id}\">")), "section for {id}");
                assert!(page.contains(&format!("href=\"#{id}\"")), "contents link to {id}");
            }
        }
    }
    assert!(page.contains("id=\"auth-bearer\""), "the bearer scheme is explained");
    assert!(page.contains("Authorization: Bearer <sbk_ token>"));
    assert!(page.contains("id=\"auth-api_token\"") && page.contains("team_id"));
    assert!(page.contains(&format!("curl {}/api/v1/workspace", app.url)), "a first call with curl");
    assert!(page.contains("Idempotency-Key") && page.contains("Retry-After"));
    assert!(page.contains("\"name\": \"Acme Voice\""), "examples are pretty-printed JSON");
    assert!(!page.contains("https://cdn") && !page.contains("<script>"), "nothing from elsewhere, no inline script");
}

#[tokio::test]
async fn the_api_reference_page_works_signed_in() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let page = admin.get_text("/docs/api").await;
    assert!(page.contains("class=\"docs-nav\""));
    assert!(page.contains("User menu"), "the usual frame");
}

#[tokio::test]
async fn the_openapi_document_has_three_security_schemes_and_examples_for_every_operation() {
    let app = TestApp::spawn().await;
    let doc = app.visitor().get_json("/api/v1/openapi.json").await;

    let schemes = doc["components"]["securitySchemes"].as_object().expect("schemes");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["bearer"]["bearerFormat"], "sbk_ token");
    assert_eq!(schemes["api_token"]["type"], "apiKey");
    assert_eq!(schemes["api_token"]["in"], "header");
    assert_eq!(schemes["api_token"]["name"], "x-api-token");
    let alternatives: Vec<String> = doc["security"]
        .as_array()
        .expect("security")
        .iter()
        .flat_map(|r| r.as_object().expect("requirement").keys().cloned())
        .collect();
    assert_eq!(alternatives, ["session", "bearer", "api_token"]);
    let description = doc["info"]["description"].as_str().expect("description");
    for words in ["Idempotency-Key", "Retry-After", "RateLimit-", "team_id"] {
        assert!(description.contains(words), "the description mentions {words}");
    }

    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let name = format!("{} {path}", method.to_uppercase());
            if !has_example(&doc, op, 0) {
                missing.push(format!("{name}: no example at all"));
            }
            // And where there is JSON, it has one: the request body and
            // the success responses.
            if let Some(body) = op.get("requestBody").and_then(|b| b["content"].get("application/json"))
                && !has_example(&doc, body, 0)
            {
                missing.push(format!("{name}: request body"));
            }
            for (status, response) in op["responses"].as_object().expect("responses") {
                if let Some(json) = response.get("content").and_then(|c| c.get("application/json"))
                    && status.starts_with('2')
                    && !has_example(&doc, json, 0)
                {
                    missing.push(format!("{name}: response {status}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "operations without examples: {missing:#?}");
}

/// Whether `node` holds an `example` or `examples` anywhere, following
/// `$ref`s into the components.
fn has_example(doc: &Value, node: &Value, depth: usize) -> bool {
    if depth > 12 {
        return false;
    }
    match node {
        Value::Object(map) => {
            if map.contains_key("example") || map.contains_key("examples") {
                return true;
            }
            if let Some(target) = map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#'))
                && doc.pointer(target).is_some_and(|t| has_example(doc, t, depth + 1))
            {
                return true;
            }
            map.values().any(|v| has_example(doc, v, depth + 1))
        }
        Value::Array(list) => list.iter().any(|v| has_example(doc, v, depth + 1)),
        _ => false,
    }
}

/// Error responses come from response sets by the operation's shape, not
/// from lines repeated on every handler: every operation has the layers'
/// errors, every path with an ID has 404, every read with query parameters
/// 422, every write 409 and 422, all as problem+json.
#[tokio::test]
async fn error_responses_follow_the_operations_shape() {
    let app = TestApp::spawn().await;
    let doc = app.visitor().get_json("/api/v1/openapi.json").await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let responses = op["responses"].as_object().expect("responses");
            let has_query = op["parameters"].as_array().is_some_and(|params| params.iter().any(|p| p["in"] == "query"));
            let mut expected = vec!["400", "401", "403", "413", "429"];
            if path.contains('{') {
                expected.push("404");
            }
            if method == "get" && has_query {
                expected.push("422");
            }
            if method != "get" {
                expected.extend(["409", "422"]);
            }
            for status in expected {
                let response = responses.get(status).unwrap_or_else(|| panic!("{method} {path} lacks {status}"));
                assert!(
                    response["content"]["application/problem+json"].is_object(),
                    "{method} {path} {status} is not problem+json"
                );
                assert!(response["description"].as_str().is_some_and(|d| !d.is_empty()));
            }
            checked += 1;
        }
    }
    assert!(checked > 30, "{checked}");
}
