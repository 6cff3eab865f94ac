//! The payment method (sandbox): the card form on Settings → Subscription
//! and `GET/PUT /api/v1/payment-method`. A card's number never comes back
//! in a page, an answer, the audit log or any table; a refused card
//! changes nothing.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard_db::Db;

use crate::harness::{TestApp, Visitor, flash_text, location, problem};
use crate::schema_checks::Schema;

const PAGE: &str = "/settings/subscription";
const FORM: &str = "/settings/subscription/payment-method";

/// Every row of every table (but the rate limiter's counters, which every
/// request moves), as text, to search for what must not be stored.
pub async fn all_rows(db: &Db) -> String {
    let schema = Schema::read(db).await;
    let mut out = String::new();
    for (table, t) in schema.tables.iter().filter(|(name, _)| name.as_str() != "rate_limits") {
        let row = t
            .columns
            .iter()
            .map(|c| format!("coalesce(CAST({c} AS TEXT), '')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let sql = format!("SELECT {row} FROM {table}");
        let rows: Vec<String> = match db {
            Db::Sqlite(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(p).await,
            Db::Postgres(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(p).await,
        }
        .unwrap_or_else(|e| panic!("rows of {table}: {e}"));
        out.push_str(&rows.join("\n"));
        out.push('\n');
    }
    out
}

async fn admin(app: &TestApp) -> Visitor {
    let mut ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    ada.load_csrf(PAGE).await;
    ada
}

/// The workspace's customer at the processor, which is made on first need
/// (even for a card then refused; it holds no card), made now so that
/// "nothing changed" compares what a card attempt may change.
async fn with_customer(app: &TestApp, v: &Visitor) {
    let ws: switchboard_core::WorkspaceId = v.workspace_id().await.parse().expect("ws");
    switchboard::payments::methods::ensure_customer(&app.state, &ws, "Acme Voice").await.expect("customer");
}

fn card<'a>(number: &'a str, expiry: &'a str, cvc: &'a str) -> [(&'a str, &'a str); 3] {
    [("card_number", number), ("card_expiry", expiry), ("card_cvc", cvc)]
}

/// The `value` of the input `id` in `html` ("" when it has none).
fn input_value(html: &str, id: &str) -> String {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id}"));
    let tag = &html[at..at + html[at..].find('>').expect("tag end")];
    let value = tag.split("value=\"").nth(1).and_then(|v| v.split('"').next()).unwrap_or("");
    value.replace("&#x2f;", "/")
}

/// The text of the element whose id is `id` (up to its first tag).
fn text_of(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let start = at + html[at..].find('>')? + 1;
    Some(html[start..start + html[start..].find('<')?].trim().to_string())
}

async fn method_of(v: &Visitor) -> Value {
    v.get_json("/api/v1/payment-method").await
}

#[tokio::test]
async fn an_admin_saves_a_card_and_sees_only_its_brand_and_last_four() {
    let app = TestApp::spawn().await;
    let ada = admin(&app).await;
    let ws = ada.workspace_id().await;
    assert_eq!(method_of(&ada).await, json!({"processor": "sandbox", "brand": null, "last4": null}));
    let html = ada.get_text(PAGE).await;
    assert!(html.contains("No payment method yet"), "no card yet");
    assert!(html.contains("autocomplete=\"cc-number\"") && html.contains("autocomplete=\"cc-exp\""));
    assert!(html.contains("autocomplete=\"cc-csc\"") && html.contains("inputmode=\"numeric\""));
    assert!(html.contains("Use 4242 4242 4242 4242 (succeeds) or 4000 0000 0000 0002 (declined)"));

    let res = ada.post_form(FORM, &card("4242424242424242", "12 / 2034", "123")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/settings/subscription#payment-method");
    assert_eq!(flash_text(&res).as_deref(), Some("Visa ending 4242 saved"));
    let html = ada.get_text(PAGE).await;
    assert!(html.contains("<p id=\"payment-card\"><strong>Visa ending 4242</strong></p>"), "shown");
    assert!(html.contains("Replace"), "with a Replace action");
    assert!(!html.contains("4242424242424242"), "the number is not in the page");
    assert_eq!(method_of(&ada).await, json!({"processor": "sandbox", "brand": "visa", "last4": "4242"}));

    // The audit entry names brand and last four, nothing more.
    let entries = switchboard::audit::list_recent(&app.state.db, &ws.parse().expect("ws"), 100).await.expect("log");
    let entry = entries.iter().find(|e| e.action == "payment_method.updated").expect("payment_method.updated");
    assert_eq!(entry.target_name, "Visa ending 4242");
    let changes = &entry.changes.0.0;
    assert_eq!(changes.keys().collect::<Vec<_>>(), ["card"], "only the card");
    assert_eq!(changes["card"].after, "Visa ending 4242");
    let stored = all_rows(&app.state.db).await;
    assert!(!stored.contains("4242424242424242") && !stored.contains("4242 4242 4242 4242"), "not stored");
}

#[tokio::test]
async fn a_declined_card_is_an_alert_and_the_saved_card_stays() {
    let app = TestApp::spawn().await;
    let ada = admin(&app).await;
    let res = ada.post_form(FORM, &card("4242 4242 4242 4242", "12/34", "123")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let before = all_rows(&app.state.db).await;

    let res = ada.post_form(FORM, &card("4000-0000-0000-0002", "12/34", "123")).await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    let html = res.text().await.expect("html");
    let alert = text_of(&html, "card-alert").expect("an alert");
    assert!(alert.starts_with("Your card was declined."), "{alert}");
    assert!(html.contains("role=\"alert\" id=\"card-alert\""));
    assert!(html.contains("Visa ending 4242"), "the saved card is still shown");
    assert!(html.contains("<details class=\"replace-card\" open>"), "the form stays open");
    assert!(!html.contains("4000-0000-0000-0002"), "the number is not echoed");
    assert_eq!(input_value(&html, "card-card_number"), "");
    assert_eq!(input_value(&html, "card-card_cvc"), "");
    assert_eq!(input_value(&html, "card-card_expiry"), "12/34", "the expiry is kept");
    assert_eq!(all_rows(&app.state.db).await, before, "nothing changed");
    assert_eq!(method_of(&ada).await["last4"], "4242");
}

#[tokio::test]
async fn an_invalid_card_is_refused_by_its_fields_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let ada = admin(&app).await;
    with_customer(&app, &ada).await;
    let before = all_rows(&app.state.db).await;
    let res = ada.post_form(FORM, &card("4242 4242 4242 4241", "13/34", "12")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert_eq!(
        text_of(&html, "card-card_number-error").as_deref(),
        Some("That is not a valid card number: check the digits.")
    );
    assert_eq!(text_of(&html, "card-card_expiry-error").as_deref(), Some("The month must be 01 to 12."));
    assert_eq!(
        text_of(&html, "card-card_cvc-error").as_deref(),
        Some("Enter the 3 or 4 digit security code from the card.")
    );
    assert!(!html.contains("4242 4242 4242 4241"), "the number is not echoed");
    assert_eq!(input_value(&html, "card-card_number"), "");

    // An expired card, and a valid number the sandbox does not know.
    let res = ada.post_form(FORM, &card("4242424242424242", "01/20", "123")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert_eq!(text_of(&html, "card-card_expiry-error").as_deref(), Some("This card has expired."));
    let res = ada.post_form(FORM, &card("4111 1111 1111 1111", "12/34", "123")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(text_of(&html, "card-card_number-error").is_some_and(|m| m.contains("test cards")), "by the number");
    assert!(!html.contains("4111 1111 1111 1111"));
    assert_eq!(all_rows(&app.state.db).await, before, "nothing changed");
}

#[tokio::test]
async fn the_api_sets_a_card_and_refuses_declines_and_bad_fields() {
    let app = TestApp::spawn().await;
    let ada = admin(&app).await;
    let put = |body: Value| ada.api(Method::PUT, "/api/v1/payment-method", Some(body));
    with_customer(&app, &ada).await;
    let before = all_rows(&app.state.db).await;

    let res = put(json!({"number": "4000 0000 0000 0002", "exp_month": 12, "exp_year": 2034, "cvc": "123"})).await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    let body = problem(res).await;
    assert_eq!(
        (body["code"].as_str(), body["detail"].as_str()),
        (Some("payment_declined"), Some("Your card was declined."))
    );

    let res = put(json!({"number": "4242 4242 4242 4241", "exp_month": 13, "exp_year": 34, "cvc": "x"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = problem(res).await;
    let fields: Vec<&str> =
        body["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["number", "exp_month", "cvc"], "{body}");
    let res = put(json!({"number": "4242424242424242", "exp_month": 1, "exp_year": 2020, "cvc": "123"})).await;
    let body = problem(res).await;
    assert_eq!(body["errors"][0]["field"], "exp_year", "{body}");
    let res = put(json!({"number": "4111111111111111", "exp_month": 1, "exp_year": 2034, "cvc": "123"})).await;
    let body = problem(res).await;
    assert_eq!(body["errors"][0]["field"], "number", "{body}");
    // A number sent as a JSON number is refused without being quoted back.
    let res = put(json!({"number": 4242424242424242_u64, "exp_month": 12, "exp_year": 2034, "cvc": "123"})).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body = problem(res).await;
    assert_eq!(body["code"], "invalid_json");
    assert!(!body.to_string().contains("4242424242424242"), "{body}");
    assert_eq!(all_rows(&app.state.db).await, before, "refusals change nothing");

    let res = put(json!({"number": "5555 5555 5555 4444", "exp_month": 12, "exp_year": 34, "cvc": "123"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body, json!({"processor": "sandbox", "brand": "mastercard", "last4": "4444"}));
    assert_eq!(method_of(&ada).await, body);
    let stored = all_rows(&app.state.db).await;
    assert!(!stored.contains("5555555555554444") && !stored.contains("5555 5555 5555 4444"), "not stored");
    assert!(ada.get_text(PAGE).await.contains("Mastercard ending 4444"));
}

#[tokio::test]
async fn a_member_can_neither_see_nor_set_the_payment_method() {
    let app = TestApp::spawn().await;
    let ada = admin(&app).await;
    let ws = ada.workspace_id().await;
    let mut bob = app.visitor();
    bob.sign_up("Bob", "bob@example.com", "correct horse battery").await;
    app.add_member(&ws, &bob, "member").await;
    bob.switch_to(&ws).await;
    assert_eq!(bob.get("/api/v1/payment-method").await.status(), StatusCode::FORBIDDEN);
    let body = json!({"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"});
    assert_eq!(bob.api(Method::PUT, "/api/v1/payment-method", Some(body)).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(method_of(&ada).await["last4"], Value::Null);
}
