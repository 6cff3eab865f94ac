//! The cross-tenant walk: every route of the router that takes a path
//! parameter (from `routes::route_table`, not a hand list) is called by an
//! Admin of workspace B with a real ID of workspace A, by session (pages
//! and API, forms with B's valid CSRF token) and by B's Admin API token
//! (API). Each must answer 404 — never 403 with details, never a change —
//! and afterwards every row of A is as it was. A parameter this file does
//! not know how to fill fails the test, so a new route cannot slip past.
//!
//! A control pass then calls the same routes as A's own Admin and expects
//! no 404: the walk's IDs are real and reachable, so B's 404s mean the
//! workspace filter, not a typo in this file.
use std::collections::{BTreeMap, HashSet};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard::routes::{Access, RouteInfo, route_table};
use switchboard_db::Db;

use crate::developer::create_token;
use crate::harness::{TestApp, Visitor, png};
use crate::schema_checks::Schema;

/// Routes whose parameter is not an ID owned by a workspace, with what they
/// answer B's Admin instead of 404, and why. Keep this list short.
const NOT_WORKSPACE_SCOPED: &[(&str, &str, u16, &str)] = &[
    ("GET", "/static/{name}", 200, "a bundled asset, nobody's data"),
    (
        "GET",
        "/api/v1/voices/library/{library_voice_id}/preview",
        200,
        "a stock voice of the provider's library, the same for every workspace",
    ),
    (
        "GET",
        "/verify-email/{token}",
        303,
        "the emailed link is the credential; it proves an address, no workspace's data",
    ),
    ("GET", "/invite/{token}", 200, "the emailed link is the credential: whoever holds it may read the invitation"),
    // 409 wrong_account, shown as a toast on the way back.
    ("POST", "/invite/{token}/accept", 303, "the link is the credential, but only the invited address may accept"),
    ("GET", "/files/avatar/{user_id}/{version}/{file}", 200, "avatars are served to any signed-in user (files/mod.rs)"),
    ("POST", "/settings/developer/features/{key}", 303, "a catalogue key; it acts on the caller's own workspace"),
    ("PUT", "/api/v1/experimental-features/{key}", 200, "a catalogue key; it acts on the caller's own workspace"),
    (
        "GET",
        "/settings/phone-numbers/carriers/connect/{carrier}",
        200,
        "a carrier's kind; it connects to the caller's own workspace",
    ),
    // The empty form refused field by field.
    (
        "POST",
        "/settings/phone-numbers/carriers/connect/{carrier}",
        422,
        "a carrier's kind; it connects to the caller's own workspace",
    ),
    (
        "GET",
        "/password/reset/{token}",
        404,
        "a reset link's token names an account, not a workspace (tested in password_reset.rs)",
    ),
    (
        "POST",
        "/password/reset/{token}",
        404,
        "a reset link's token names an account, not a workspace (tested in password_reset.rs)",
    ),
];

/// Real things of workspace A, by what they are.
struct Owned {
    workspace: String,
    admin_user: String,
    member: String,
    invitation: String,
    invitation_token: String,
    token: String,
    endpoint: String,
    delivery: String,
    audit_entry: String,
    logo_version: String,
    avatar_version: String,
    /// The public handle of another session of A's Admin.
    session_handle: String,
    invoice: String,
    agent: String,
    phone_number: String,
    carrier_account: String,
    voice: String,
    contact: String,
    contact_attribute: String,
    suppression: String,
    import: String,
    suppression_import: String,
}

impl Owned {
    /// The value for `{param}` in `path`, judged by the segment before it;
    /// `None` for a parameter this walk does not know.
    fn value(&self, path: &str, before: &str, param: &str) -> Option<String> {
        let v = match (param, before) {
            ("id", "members") => &self.member,
            ("id", "invitations") => &self.invitation,
            ("id", "tokens") => &self.token,
            ("id", "webhooks" | "endpoints") => &self.endpoint,
            ("id" | "delivery_id", "deliveries") => &self.delivery,
            ("id", "audit-log") => &self.audit_entry,
            ("id", "invoices") => &self.invoice,
            ("id" | "agent_id", "agents") => &self.agent,
            ("id" | "phone_number_id", "phone-numbers") => &self.phone_number,
            ("id", "carriers") | ("account_id", "carrier-accounts") => &self.carrier_account,
            ("carrier", "connect") => return Some("sip".into()),
            ("id" | "voice_id", "voices") => &self.voice,
            ("id" | "contact_id", "contacts") => &self.contact,
            ("id", "attributes") | ("attribute_id", "contact-attributes") => &self.contact_attribute,
            ("id", "suppression") | ("suppression_id", "suppressions") => &self.suppression,
            ("import_id", "imports") => &self.import,
            ("id", "import") if path.starts_with("/settings/") => &self.suppression_import,
            ("id", "import") => &self.import,
            ("library_voice_id", "library") => return Some("sbv_aria".into()),
            ("id", "workspaces") => &self.workspace,
            ("workspace_id", "logo") => &self.workspace,
            ("user_id", "avatar") => &self.admin_user,
            ("version", _) if path.starts_with("/files/logo/") => &self.logo_version,
            ("version", _) if path.starts_with("/files/avatar/") => &self.avatar_version,
            ("file", _) => return Some("256.png".into()),
            ("token", "invite") => &self.invitation_token,
            ("token", "reset") => return Some("not-a-real-token".into()),
            ("handle", "sessions") => &self.session_handle,
            ("token", "verify-email") => return Some("walked-verification-token".into()),
            ("key", "features" | "experimental-features") => {
                return Some(switchboard::developer::features::CATALOGUE[0].key.into());
            }
            ("name", "static") => return Some("app.css".into()),
            _ => return None,
        };
        Some(v.clone())
    }

    /// `path` with every `{param}` filled, or the parameters not known.
    fn fill(&self, path: &str) -> Result<(String, Vec<String>), Vec<String>> {
        let mut out = Vec::new();
        let mut values = Vec::new();
        let mut unknown = Vec::new();
        let mut before = "";
        for segment in path.split('/') {
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(param) => match self.value(path, before, param) {
                    Some(v) => {
                        values.push(v.clone());
                        out.push(v);
                    }
                    None => unknown.push(format!("{{{param}}}")),
                },
                None => out.push(segment.to_string()),
            }
            before = segment;
        }
        if unknown.is_empty() { Ok((out.join("/"), values)) } else { Err(unknown) }
    }
}

/// The JSON body an API route needs to get past its extractor; without it
/// the answer would be 422 before any lookup. A new route with a body gets
/// its line here.
fn api_body(method: &str, path: &str) -> Option<Value> {
    Some(match (method, path) {
        ("PATCH", "/api/v1/members/{id}") => json!({"role": "viewer"}),
        ("PATCH", "/api/v1/webhooks/endpoints/{id}") => json!({"description": "walked"}),
        ("POST", "/api/v1/webhooks/endpoints/{id}/secret/rotate") => json!({"overlap_hours": 1}),
        ("POST", "/api/v1/webhooks/endpoints/{id}/recover") => json!({"since": "2026-11-01T00:00:00Z"}),
        ("PUT", "/api/v1/experimental-features/{key}") => json!({"enabled": true}),
        ("PATCH", "/api/v1/agents/{agent_id}") => json!({"name": "walked"}),
        ("PATCH", "/api/v1/phone-numbers/{phone_number_id}") => json!({"friendly_name": "walked"}),
        ("PATCH", "/api/v1/voices/{voice_id}") => json!({"name": "walked"}),
        ("PATCH", "/api/v1/contacts/{contact_id}") => json!({"name": "walked"}),
        ("PATCH", "/api/v1/contact-attributes/{attribute_id}") => json!({"label": "walked"}),
        ("PUT", "/api/v1/phone-numbers/{phone_number_id}/assignments") => json!({"inbound_agent_id": null}),
        ("POST", "/api/v1/carrier-accounts/{account_id}/import") => json!({"phone_numbers": ["+14155550100"]}),
        ("PUT", "/api/v1/imports/{import_id}/mapping") => json!({"default_country": "GB"}),
        ("POST", "/api/v1/imports/{import_id}/start") => json!({"on_duplicate": "skip"}),
        _ => return None,
    })
}

/// Every field any settings form with an ID reads, valid, plus the guards.
fn form_fields<'a>(csrf: &'a str, workspace: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("_csrf", csrf),
        ("_workspace", workspace),
        ("role", "viewer"),
        ("url", "http://127.0.0.1:9/walked"),
        ("description", "walked"),
        ("events", "all"),
        ("enabled", "on"),
        ("overlap_hours", "1"),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Caller {
    Session,
    Token,
}

async fn call(v: &Visitor, route: &RouteInfo, path: &str, workspace: &str) -> reqwest::Response {
    let method = Method::from_bytes(route.method.as_bytes()).expect("method");
    let mut req = v.client.request(method.clone(), v.at(path));
    if method != Method::GET {
        if route.path.starts_with("/api/") {
            if let Some(csrf) = &v.csrf {
                req = req.header("x-csrf-token", csrf);
            }
            if let Some(body) = api_body(&route.method, &route.path) {
                req = req.json(&body);
            }
        } else {
            let csrf = v.csrf.clone().unwrap_or_default();
            req = req.form(&form_fields(&csrf, workspace));
        }
    }
    req.send().await.expect("request")
}

/// Every row of A in every table with a `workspace_id` (read from the
/// schema, so new tables are covered), plus A's own row, each row as text.
async fn snapshot(db: &Db, schema: &Schema, workspace: &str) -> BTreeMap<String, Vec<String>> {
    let mut tables: Vec<(&str, &str, &Vec<String>)> =
        schema.workspace_tables().map(|(name, t)| (name.as_str(), "workspace_id", &t.columns)).collect();
    let ws = schema.tables.get("workspaces").expect("workspaces table");
    tables.push(("workspaces", "id", &ws.columns));
    let mut out = BTreeMap::new();
    for (table, key, columns) in tables {
        let row = columns
            .iter()
            .map(|c| format!("coalesce(CAST({c} AS TEXT), '<null>')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let sql = format!("SELECT {row} FROM {table} WHERE {key} = $1 ORDER BY 1");
        let rows: Vec<String> = match db {
            Db::Sqlite(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(workspace).fetch_all(p).await,
            Db::Postgres(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(workspace).fetch_all(p).await,
        }
        .unwrap_or_else(|e| panic!("snapshot of {table}: {e}"));
        out.insert(table.to_string(), rows);
    }
    out
}

/// Workspace A with one of everything a route can name.
async fn workspace_a(app: &TestApp, ada: &Visitor) -> Owned {
    let workspace = ada.workspace_id().await;
    let admin_user = ada.get_json("/api/v1/me").await["id"].as_str().expect("id").to_string();
    let mut bob = app.visitor();
    bob.sign_up("Bob", "bob@example.com", "correct horse battery").await;
    app.add_member(&workspace, &bob, "member").await;
    let members = ada.get_json("/api/v1/members?search=bob%40example.com").await;
    let member = members["data"][0]["id"].as_str().expect("member id").to_string();

    let res = ada.post_json("/api/v1/invitations", json!({"email": "carol@example.com", "role": "member"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let invitation = res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string();
    app.run_jobs().await;
    let link = app.invitation_links().pop().expect("invitation email");
    let invitation_token = link.trim_start_matches("/invite/").to_string();

    let (token, _) = create_token(ada, "A's token", "admin", None).await;
    let (endpoint, _) = crate::webhooks::add_endpoint(ada, "http://127.0.0.1:9/hook", json!([])).await;
    let res = ada.post_json(&format!("/api/v1/webhooks/endpoints/{endpoint}/test"), json!({})).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let log = ada.get_json(&format!("/api/v1/webhooks/endpoints/{endpoint}/deliveries")).await;
    let delivery = log["data"][0]["id"].as_str().expect("delivery id").to_string();

    assert_eq!(ada.put_bytes("/api/v1/workspace/logo", png(64, 64), "image/png").await.status(), StatusCode::OK);
    let logo = ada.workspace().await["logo"]["large"].as_str().expect("logo url").to_string();
    let logo_version = logo.split('/').nth(4).expect("version").to_string();
    assert_eq!(ada.put_bytes("/api/v1/me/avatar", png(64, 64), "image/png").await.status(), StatusCode::OK);
    let avatar = ada.get_json("/api/v1/me").await["avatar_url"].as_str().expect("avatar url").to_string();
    let avatar_version = avatar.split('/').nth(4).expect("version").to_string();

    // A second session of Ada's, named in the session list by its handle.
    let mut elsewhere = app.visitor();
    assert_eq!(elsewhere.sign_in("ada@example.com", "correct horse battery").await.status(), StatusCode::SEE_OTHER);
    let html = elsewhere.get_text("/profile").await;
    let row = html.split("<li class=\"session-row\"").find(|r| r.contains("This session")).expect("current row");
    let session_handle = row.split('"').nth(1).expect("data-session").to_string();

    let audit = ada.get_json("/api/v1/audit-log").await;
    let audit_entry = audit["data"][0]["id"].as_str().expect("audit id").to_string();
    let lines = vec![switchboard::invoices::store::NewLine::one("Walked", switchboard_core::Cents::from_minor(100))];
    let kind = switchboard::invoices::store::Kind::TopUp;
    let invoice = crate::invoices_api::open_invoice(app, &workspace, "walked", kind, lines).await.id.to_string();
    let res = ada.post_json("/api/v1/agents", json!({"name": "A's agent", "default_voice": "sbv_aria"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let agent = res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string();
    let res = ada.post_json("/api/v1/phone-numbers", json!({"phone_number": "+14155550100"})).await;
    assert_eq!(res.status(), StatusCode::CREATED, "A's number");
    let phone_number = res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string();
    let trunk = json!({"carrier": "sip", "termination_uri": "sip:a.example.com", "username": "a", "password": "pw", "allowed_origins": ["203.0.113.1"]});
    let res = ada.post_json("/api/v1/carrier-accounts", trunk).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let carrier_account = res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string();
    let res = crate::voices::create(ada, vec![crate::voices::wav("a.wav", 16.0)]).await;
    assert_eq!(res.status(), StatusCode::CREATED, "A's voice");
    let voice = res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string();
    let res =
        ada.post_json("/api/v1/contact-attributes", json!({"key": "tier", "label": "Tier", "type": "text"})).await;
    assert_eq!(res.status(), StatusCode::CREATED, "A's contact attribute");
    let contact_attribute = res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string();
    let res = ada
        .post_json(
            "/api/v1/contacts",
            json!({"name": "A's contact", "phone": "+14155552671", "attributes": {"tier": "x"}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "A's contact");
    let contact = res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string();
    let res = ada.post_json("/api/v1/suppressions", json!({"phone": "+14155550100", "reason": "A's entry"})).await;
    assert_eq!(res.status(), StatusCode::CREATED, "A's suppression");
    let suppression = res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string();
    let import = crate::imports::uploaded(ada, "contacts", &[], b"Phone,Name\n+14155552672,Bo\n").await;
    let import = import["id"].as_str().expect("import id").to_string();
    let other = crate::imports::uploaded(ada, "suppressions", &[], b"Phone\n+14155550111\n").await;
    let suppression_import = other["id"].as_str().expect("import id").to_string();
    app.run_jobs().await;
    Owned {
        workspace,
        admin_user,
        member,
        invitation,
        invitation_token,
        token,
        endpoint,
        delivery,
        audit_entry,
        logo_version,
        avatar_version,
        session_handle,
        invoice,
        agent,
        phone_number,
        carrier_account,
        voice,
        contact,
        contact_attribute,
        suppression,
        import,
        suppression_import,
    }
}

/// Ends a resource's life, so later control calls on it may 404.
fn destroys(route: &RouteInfo) -> bool {
    route.method == "DELETE" || ["/delete", "/remove", "/revoke"].iter().any(|s| route.path.ends_with(s))
}

#[tokio::test]
async fn another_workspaces_admin_gets_404_for_every_id_and_changes_nothing() {
    let app = TestApp::spawn_with_args(|a| {
        a.webhooks.allow_private_targets = Some(true);
        a.rate_limits.api = Some("100000/m".into());
        a.rate_limits.ip = Some("100000/m".into());
    })
    .await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let a = workspace_a(&app, &ada).await;
    let eve = app.user_with_workspace("Eve", "eve@example.com", "Evil Corp").await;
    let workspace_b = eve.workspace_id().await;
    let (_, eve_token) = create_token(&eve, "B's token", "admin", None).await;
    let eve_token = app.token_visitor(&eve_token);

    let schema = Schema::read(&app.state.db).await;
    let before = snapshot(&app.state.db, &schema, &a.workspace).await;
    assert!(before.values().map(Vec::len).sum::<usize>() > 10, "A has rows to protect: {before:?}");

    let mut table: Vec<RouteInfo> = route_table(&app.state).into_iter().filter(|r| r.path.contains('{')).collect();
    assert!(table.len() > 25, "the walk found the routes with IDs: {}", table.len());
    // Destroying routes last, for the control pass.
    table.sort_by_key(destroys);

    let mut failures = Vec::new();
    let mut walked = 0;
    for route in &table {
        let (path, _) = match a.fill(&route.path) {
            Ok(filled) => filled,
            Err(unknown) => {
                failures.push(format!(
                    "{} {}: the walk cannot fill {unknown:?}; teach Owned::value (or NOT_WORKSPACE_SCOPED) about it",
                    route.method, route.path
                ));
                continue;
            }
        };
        let exception = NOT_WORKSPACE_SCOPED.iter().find(|(m, p, _, _)| *m == route.method && *p == route.path);
        let callers: &[Caller] =
            if route.path.starts_with("/api/") { &[Caller::Session, Caller::Token] } else { &[Caller::Session] };
        for caller in callers {
            let visitor = match caller {
                Caller::Session => &eve,
                Caller::Token => &eve_token,
            };
            let expected = match exception {
                Some((_, _, status, _)) => *status,
                // Tokens never reach a signed-in-only handler (switching workspaces).
                None if *caller == Caller::Token && route.access == Access::SignedIn => 403,
                None => 404,
            };
            let res = call(visitor, route, &path, &workspace_b).await;
            walked += 1;
            if res.status().as_u16() != expected {
                failures.push(format!(
                    "{caller:?} {} {path}: {} (expected {expected}) {}",
                    route.method,
                    res.status(),
                    res.text().await.unwrap_or_default().chars().take(200).collect::<String>()
                ));
            }
        }
    }
    let after = snapshot(&app.state.db, &schema, &a.workspace).await;
    for (table, rows) in &before {
        if after.get(table) != Some(rows) {
            failures
                .push(format!("{table} of workspace A changed:\n  before {rows:?}\n  after  {:?}", after.get(table)));
        }
    }
    assert!(failures.is_empty(), "cross-tenant walk ({walked} calls):\n{}", failures.join("\n"));

    // Control: A's own Admin reaches every one of these IDs.
    let mut gone: HashSet<String> = HashSet::new();
    for route in
        table.iter().filter(|r| !NOT_WORKSPACE_SCOPED.iter().any(|(m, p, _, _)| *m == r.method && *p == r.path))
    {
        let (path, values) = a.fill(&route.path).expect("filled above");
        let res = call(&ada, route, &path, &a.workspace).await;
        let may_be_gone = values.iter().any(|v| gone.contains(v));
        if res.status() == StatusCode::NOT_FOUND && !may_be_gone {
            failures.push(format!("control: A's Admin got 404 on {} {path}", route.method));
        }
        if destroys(route) {
            gone.extend(values);
        }
    }
    assert!(failures.is_empty(), "the walk's IDs are not all real:\n{}", failures.join("\n"));
}
