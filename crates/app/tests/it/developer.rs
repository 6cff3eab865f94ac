//! Settings → Developer: API tokens from creation to revocation, the two
//! ways to present them, what stops them, and experimental features.
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use switchboard::auth::token_format;

use crate::harness::{TestApp, Visitor, csrf_from_html, flash_text, problem};

/// A token-holding API client: no cookies, the token in a header.
pub struct TokenClient {
    pub url: String,
    pub client: Client,
    pub token: String,
    /// `Some(team_id)` sends `x-api-token` + `team_id`; `None` sends Bearer.
    pub team_id: Option<String>,
}

impl TokenClient {
    pub fn bearer(app_url: &str, token: &str) -> Self {
        TokenClient { url: app_url.to_string(), client: Client::new(), token: token.to_string(), team_id: None }
    }

    pub fn header_pair(app_url: &str, token: &str, team_id: &str) -> Self {
        TokenClient { team_id: Some(team_id.to_string()), ..Self::bearer(app_url, token) }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let req = self.client.request(method, format!("{}{path}", self.url));
        match &self.team_id {
            Some(team) => req.header("x-api-token", &self.token).header("team_id", team),
            None => req.bearer_auth(&self.token),
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut req = self.request(method, path);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.expect("token request")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.call(Method::GET, path, None).await
    }
}

trait IdempotentPost {
    fn with_idempotency_key(&self, key: &str) -> reqwest::RequestBuilder;
}

impl IdempotentPost for Visitor {
    /// `POST /api/v1/tokens` with the session's CSRF token and `Idempotency-Key`.
    fn with_idempotency_key(&self, key: &str) -> reqwest::RequestBuilder {
        self.client
            .post(self.at("/api/v1/tokens"))
            .header("x-csrf-token", self.csrf.clone().unwrap_or_default())
            .header("idempotency-key", key)
    }
}

/// Creates a token through the API as `admin`; returns (token ID, secret).
pub async fn create_token(admin: &Visitor, name: &str, role: &str, expires_in_days: Option<i64>) -> (String, String) {
    let res = admin
        .post_json("/api/v1/tokens", json!({"name": name, "role": role, "expires_in_days": expires_in_days}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "create token");
    let body: Value = res.json().await.expect("json");
    (body["id"].as_str().expect("id").to_string(), body["token"].as_str().expect("token").to_string())
}

/// Ada's workspace with Bob as a second Admin: (Ada, Bob, workspace ID).
async fn ada_and_bob_admins(app: &TestApp) -> (Visitor, Visitor, String) {
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let mut bob = app.visitor();
    bob.sign_up("Bob", "bob@example.com", "correct horse battery").await;
    app.add_member(&ws, &bob, "admin").await;
    bob.switch_to(&ws).await;
    (ada, bob, ws)
}

async fn token_in_list(admin: &Visitor, id: &str) -> Value {
    let list = admin.get_json("/api/v1/tokens").await;
    list["data"].as_array().expect("data").iter().find(|t| t["id"] == id).cloned().expect("token listed")
}

#[tokio::test]
async fn a_token_works_until_it_is_revoked_and_its_secret_is_shown_once() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;

    let res = admin
        .post_json("/api/v1/tokens", json!({"name": "Production server", "role": "admin", "expires_in_days": 90}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.expect("json");
    let token = created["token"].as_str().expect("token").to_string();
    let id = created["id"].as_str().expect("id").to_string();
    assert!(token_format::is_well_formed(&token), "{token}");
    assert!(token.starts_with(created["prefix"].as_str().expect("prefix")));
    assert_eq!(created["status"], "active");
    assert_eq!(created["last_used_at"], Value::Null);

    // The list never shows the secret, and the database holds only its hash.
    let listed = token_in_list(&admin, &id).await;
    assert_eq!(listed.get("token"), None);
    let dump = serde_json::to_string(&admin.get_json("/api/v1/tokens").await).expect("json");
    assert!(!dump.contains(&token));
    let stored: Vec<(String, String)> = switchboard_db::fetch_all!(
        &app.state.db,
        (String, String),
        "SELECT token_hash, token_prefix FROM api_tokens WHERE id = $1",
        id.as_str()
    )
    .expect("row");
    assert_eq!(stored[0].0, switchboard::secrets::sha256_hex(&token));
    assert!(!stored[0].0.contains(&token[4..]));

    // Bearer works and acts in the token's workspace.
    let bearer = TokenClient::bearer(&app.url, &token);
    let res = bearer.get("/api/v1/workspace").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.expect("json")["id"], ws.as_str());
    // So does the header pair, and writes need no CSRF token.
    let pair = TokenClient::header_pair(&app.url, &token, &ws);
    let res = pair.call(Method::PATCH, "/api/v1/workspace", Some(json!({"name": "Acme Voice Labs"}))).await;
    assert_eq!(res.status(), StatusCode::OK);

    // Last used: time and IP, written once, not on every request.
    let listed = token_in_list(&admin, &id).await;
    assert_eq!(listed["last_used_ip"], "127.0.0.1");
    let first_use = listed["last_used_at"].as_str().expect("last used").to_string();
    app.clock.advance(chrono::Duration::seconds(30));
    assert_eq!(bearer.get("/api/v1/workspace").await.status(), StatusCode::OK);
    assert_eq!(token_in_list(&admin, &id).await["last_used_at"], first_use.as_str(), "not rewritten within a minute");
    app.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(bearer.get("/api/v1/workspace").await.status(), StatusCode::OK);
    assert_ne!(token_in_list(&admin, &id).await["last_used_at"], first_use.as_str(), "rewritten after a minute");

    // The audit names the token as the actor of its change; no secret anywhere.
    let entries = switchboard::audit::list_recent(&app.state.db, &ws.parse().expect("ws"), 50).await.expect("audit");
    let renamed = entries.iter().find(|e| e.action == "workspace.updated").expect("update audited");
    assert_eq!(renamed.actor_type, "token");
    assert_eq!(renamed.actor_id.as_deref(), Some(id.as_str()));
    assert_eq!(renamed.actor_name, "Production server");
    let created_entry = entries.iter().find(|e| e.action == "api_token.created").expect("creation audited");
    assert_eq!(created_entry.target_id, id);
    let all = serde_json::to_string(&entries).expect("json");
    assert!(!all.contains(&token) && !all.contains(&stored[0].0) && !all.contains(&stored[0].1));

    // Revoked: the very next request fails, and says why.
    let res = admin.delete(&format!("/api/v1/tokens/{id}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.expect("json")["status"], "revoked");
    let res = bearer.get("/api/v1/workspace").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body = problem(res).await;
    assert_eq!(body["code"], "token_inactive");
    assert!(body["detail"].as_str().expect("detail").contains("revoked"));
    assert!(app.audit_actions(&ws).await.contains(&"api_token.revoked".to_string()));
    // Revoking twice is harmless.
    assert_eq!(admin.delete(&format!("/api/v1/tokens/{id}")).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn tokens_expire_and_bad_tokens_never_fall_back_to_the_session() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (id, token) = create_token(&admin, "Short-lived", "member", Some(1)).await;
    let bearer = TokenClient::bearer(&app.url, &token);
    assert_eq!(bearer.get("/api/v1/workspace").await.status(), StatusCode::OK);
    app.clock.advance(chrono::Duration::days(1) + chrono::Duration::seconds(1));
    let res = bearer.get("/api/v1/workspace").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(problem(res).await["detail"].as_str().expect("detail").contains("expired"));
    assert_eq!(token_in_list(&admin, &id).await["status"], "expired");

    // A signed-in browser that also sends a bad token is refused: the
    // token, once presented, decides.
    let res = admin.client.get(admin.at("/api/v1/workspace")).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = admin.client.get(admin.at("/api/v1/workspace")).header("authorization", "Basic YTpi").send().await;
    assert_eq!(res.expect("GET").status(), StatusCode::UNAUTHORIZED);
    // Empty requests and bodies refused invalid or validated.
    let res = admin.post_json("/api/v1/tokens", json!({"name": "", "role": "owner", "expires_in_days": 999})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = problem(res).await["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_string())
        .collect();
    assert_eq!(fields, ["name", "role", "expires_in_days"]);
}

#[tokio::test]
async fn a_token_only_works_in_its_own_workspace() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let eve = app.user_with_workspace("Eve", "eve@example.com", "Evil Corp").await;
    let ws_a = ada.workspace_id().await;
    let ws_b = eve.workspace_id().await;
    let (_, token_a) = create_token(&ada, "A", "admin", None).await;

    let right = TokenClient::header_pair(&app.url, &token_a, &ws_a);
    assert_eq!(right.get("/api/v1/members").await.status(), StatusCode::OK);
    let wrong_team = TokenClient::header_pair(&app.url, &token_a, &ws_b);
    let res = wrong_team.get("/api/v1/workspace").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(problem(res).await["detail"].as_str().expect("detail").contains("team_id"));
    // x-api-token without team_id is refused, saying what is missing.
    let res = app.client().get(app.at("/api/v1/workspace")).header("x-api-token", &token_a).send().await;
    let res = res.expect("GET");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(problem(res).await["detail"].as_str().expect("detail").contains("team_id"));
    // Another workspace's token IDs are not found, not forbidden.
    let (b_token_id, _) = create_token(&eve, "B", "admin", None).await;
    let res = right.call(Method::DELETE, &format!("/api/v1/tokens/{b_token_id}"), None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Account routes need a person, not a token.
    let res = right.get("/api/v1/me").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem(res).await["code"], "session_required");
    let res = right.call(Method::POST, "/api/v1/workspaces", Some(json!({"name": "Sneaky"}))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Pages ignore tokens: they need a browser session.
    let res = right.request(Method::GET, "/settings/general").send().await.expect("GET");
    assert_eq!(res.url().path(), "/signin", "sent to sign in");
}

#[tokio::test]
async fn a_changed_character_is_refused_without_touching_the_database() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (_, token) = create_token(&admin, "CI", "viewer", None).await;
    let mut chars: Vec<char> = token.chars().collect();
    chars[10] = if chars[10] == 'x' { 'y' } else { 'x' };
    let typo: String = chars.into_iter().collect();
    let res = TokenClient::bearer(&app.url, &typo).get("/api/v1/workspace").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem(res).await["code"], "invalid_token");

    // With the database gone, the checksum still answers 401; a token with
    // a valid checksum needs the database (so the first answer used none).
    app.state.db.close().await;
    let res = TokenClient::bearer(&app.url, &typo).get("/api/v1/workspace").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = TokenClient::bearer(&app.url, &token_format::generate()).get("/api/v1/workspace").await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn a_token_follows_its_creator_role_and_stops_when_they_go() {
    let app = TestApp::spawn().await;
    let (ada, bob, ws) = ada_and_bob_admins(&app).await;
    let (bob_token_id, bob_token) = create_token(&bob, "Bob's deploys", "admin", None).await;
    let (viewer_token_id, viewer_token) = create_token(&ada, "Dashboard", "viewer", None).await;
    let bob_client = TokenClient::bearer(&app.url, &bob_token);
    let viewer = TokenClient::bearer(&app.url, &viewer_token);

    // A Viewer token reads but cannot write, nor open settings.
    assert_eq!(viewer.get("/api/v1/workspace").await.status(), StatusCode::OK);
    let res = viewer.call(Method::PATCH, "/api/v1/workspace", Some(json!({"name": "Hacked"}))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(viewer.get("/api/v1/members").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(token_in_list(&ada, &viewer_token_id).await["effective_role"], "viewer");

    // Demoting Bob narrows his Admin token at once.
    assert_eq!(bob_client.get("/api/v1/members").await.status(), StatusCode::OK);
    let members = ada.get_json("/api/v1/members?search=bob").await;
    let bob_member = members["data"][0]["id"].as_str().expect("id").to_string();
    let res = ada.patch(&format!("/api/v1/members/{bob_member}"), json!({"role": "viewer"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(bob_client.get("/api/v1/members").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(bob_client.get("/api/v1/workspace").await.status(), StatusCode::OK);
    let listed = token_in_list(&ada, &bob_token_id).await;
    assert_eq!((listed["role"].as_str(), listed["effective_role"].as_str()), (Some("admin"), Some("viewer")));
    let page = ada.get_text("/settings/developer").await;
    assert!(page.contains("acts as Viewer"), "the list says why the token is narrowed");

    // Removing Bob stops it, for good, and the list says why.
    assert_eq!(ada.delete(&format!("/api/v1/members/{bob_member}")).await.status(), StatusCode::OK);
    let res = bob_client.get("/api/v1/workspace").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(problem(res).await["detail"].as_str().expect("detail").contains("removed"));
    assert_eq!(token_in_list(&ada, &bob_token_id).await["status"], "creator_removed");
    let page = ada.get_text("/settings/developer").await;
    assert!(page.contains("Stopped: creator removed"));
    // Invited back, Bob's old token stays stopped.
    app.add_member(&ws, &bob, "admin").await;
    assert_eq!(bob_client.get("/api/v1/workspace").await.status(), StatusCode::UNAUTHORIZED);
    let entries = switchboard::audit::list_recent(&app.state.db, &ws.parse().expect("ws"), 50).await.expect("audit");
    let stopped = entries
        .iter()
        .find(|e| e.action == "api_token.revoked" && e.target_id == bob_token_id)
        .expect("the stop is audited");
    assert_eq!(stopped.changes.0.0["status"].after, "creator_removed");
}

#[tokio::test]
async fn a_token_stops_when_its_creator_leaves() {
    let app = TestApp::spawn().await;
    let (ada, bob, _) = ada_and_bob_admins(&app).await;
    let (id, token) = create_token(&bob, "Bob's", "member", None).await;
    let client = TokenClient::bearer(&app.url, &token);
    assert_eq!(client.get("/api/v1/workspace").await.status(), StatusCode::OK);
    assert_eq!(bob.post_json("/api/v1/workspace/leave", json!({})).await.status(), StatusCode::NO_CONTENT);
    let res = client.get("/api/v1/workspace").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(problem(res).await["detail"].as_str().expect("detail").contains("left"));
    assert_eq!(token_in_list(&ada, &id).await["status"], "creator_left");
}

#[tokio::test]
async fn the_developer_page_creates_shows_once_and_revokes() {
    let app = TestApp::spawn().await;
    let mut admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;
    let me = admin.get_json("/api/v1/me").await;
    let page = admin.get_text("/settings/developer").await;
    assert!(page.contains(&ws) && page.contains(me["id"].as_str().expect("id")), "both IDs are shown");
    assert!(page.contains("data-copy=\"team-id\""));
    admin.load_csrf("/settings/developer").await;

    // A refused form keeps what was typed and says what is wrong by the field.
    let res = admin
        .post_form("/settings/developer/tokens", &[("name", ""), ("role", "member"), ("expires_in_days", "30")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("token-name-error"), "message by the field");

    let res = admin
        .post_form("/settings/developer/tokens", &[("name", "Zapier"), ("role", "viewer"), ("expires_in_days", "30")])
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let html = res.text().await.expect("html");
    let start = html.find("id=\"new-token\" class=\"secret\">").expect("token shown") + 30;
    let token: String = html[start..].chars().take(token_format::TOKEN_LEN).collect();
    assert!(token_format::is_well_formed(&token), "{token}");
    assert_eq!(TokenClient::bearer(&app.url, &token).get("/api/v1/workspace").await.status(), StatusCode::OK);
    // Shown once: the page afterwards has only the prefix.
    let later = admin.get_text("/settings/developer").await;
    assert!(!later.contains(&token));
    assert!(later.contains(&format!("{}…", token_format::display_prefix(&token))));
    assert!(later.contains("Zapier") && later.contains("from 127.0.0.1"));

    let id = admin.get_json("/api/v1/tokens").await["data"][0]["id"].as_str().expect("id").to_string();
    let csrf = csrf_from_html(&later).expect("csrf");
    admin.csrf = Some(csrf);
    let res = admin.post_form(&format!("/settings/developer/tokens/{id}/revoke"), &[("_workspace", &ws)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).expect("toast").contains("revoked"));
    assert_eq!(TokenClient::bearer(&app.url, &token).get("/api/v1/workspace").await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn experimental_features_toggle_per_workspace_with_an_audit_entry() {
    let app = TestApp::spawn().await;
    let mut admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;
    let list = admin.get_json("/api/v1/experimental-features").await;
    let compact = list["data"].as_array().expect("data").iter().find(|f| f["key"] == "compact_tables").expect("listed");
    assert_eq!(compact["enabled"], false);
    assert!(!admin.get_text("/settings/general").await.contains("class=\"compact-tables\""));

    let res =
        admin.api(Method::PUT, "/api/v1/experimental-features/compact_tables", Some(json!({"enabled": true}))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.expect("json")["enabled"], true);
    assert!(admin.get_text("/settings/general").await.contains("<body class=\"compact-tables\">"));
    let entries = switchboard::audit::list_recent(&app.state.db, &ws.parse().expect("ws"), 10).await.expect("audit");
    assert_eq!(entries[0].action, "experimental_feature.updated");
    assert_eq!(entries[0].target_id, "compact_tables");
    assert_eq!(entries[0].changes.0.0["enabled"].after, true);

    // The page's switch turns it off again.
    admin.load_csrf("/settings/developer").await;
    let res = admin
        .post_form("/settings/developer/features/compact_tables", &[("enabled", "false"), ("_workspace", &ws)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!admin.get_text("/settings/general").await.contains("compact-tables\""));
    let res = admin.api(Method::PUT, "/api/v1/experimental-features/warp_drive", Some(json!({"enabled": true}))).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Another workspace is untouched.
    let other = app.user_with_workspace("Eve", "eve@example.com", "Evil Corp").await;
    let list = other.get_json("/api/v1/experimental-features").await;
    assert_eq!(list["data"][0]["enabled"], false);
}

#[tokio::test]
async fn each_token_has_its_own_rate_limit_and_recovers() {
    let app = TestApp::spawn_with_args(|args| {
        args.rate_limits.api = Some("5/m".into());
        args.rate_limits.ip = Some("3/m".into());
    })
    .await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (_, token_a) = create_token(&admin, "A", "viewer", None).await;
    let (_, token_b) = create_token(&admin, "B", "viewer", None).await;
    let a = TokenClient::bearer(&app.url, &token_a);
    for i in 0..5 {
        let res = a.get("/api/v1/workspace").await;
        assert_eq!(res.status(), StatusCode::OK, "request {i} is within the burst");
        assert_eq!(res.headers()["ratelimit-limit"], "5");
        assert_eq!(res.headers()["ratelimit-remaining"], (4 - i).to_string().as_str());
    }
    let res = a.get("/api/v1/workspace").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["retry-after"], "12", "one request per 12 s");
    assert_eq!(res.headers()["ratelimit-remaining"], "0");
    assert_eq!(problem(res).await["code"], "rate_limited");
    // Another token is not affected; the session is not limited at all.
    assert_eq!(TokenClient::bearer(&app.url, &token_b).get("/api/v1/workspace").await.status(), StatusCode::OK);
    for _ in 0..10 {
        assert_eq!(admin.get("/api/v1/workspace").await.status(), StatusCode::OK);
    }
    // After Retry-After, the token works again.
    app.clock.advance(chrono::Duration::seconds(12));
    assert_eq!(a.get("/api/v1/workspace").await.status(), StatusCode::OK);
    assert_eq!(a.get("/api/v1/workspace").await.status(), StatusCode::TOO_MANY_REQUESTS);

    // Guessing tokens spends the IP's budget like any anonymous request
    // (signing up spent some of it: start from a full one).
    app.clock.advance(chrono::Duration::minutes(1));
    let guess = TokenClient::bearer(&app.url, &token_format::generate());
    for _ in 0..3 {
        assert_eq!(guess.get("/api/v1/workspace").await.status(), StatusCode::UNAUTHORIZED);
    }
    let res = guess.get("/api/v1/workspace").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    let res = app.client().get(app.at("/api/v1/openapi.json")).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "the same IP, anonymous");
}

#[tokio::test]
async fn a_retried_token_creation_never_stores_or_repeats_the_secret() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let send = || async {
        admin
            .with_idempotency_key("create-ci-token")
            .json(&json!({"name": "CI", "role": "member"}))
            .send()
            .await
            .expect("POST")
    };
    let first = send().await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert_eq!(first.headers()["cache-control"], "no-store");
    let token = first.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_string();
    let retry = send().await;
    assert_eq!(retry.status(), StatusCode::CONFLICT, "the secret is not replayed");
    assert_eq!(problem(retry).await["code"], "idempotency_response_not_kept");
    assert_eq!(admin.get_json("/api/v1/tokens").await["data"].as_array().expect("data").len(), 1, "created once");
    let kept: Vec<(Option<Vec<u8>>,)> =
        switchboard_db::fetch_all!(&app.state.db, (Option<Vec<u8>>,), "SELECT response_body FROM idempotency_keys")
            .expect("rows");
    assert_eq!(kept.len(), 1, "the key is kept");
    assert!(kept.iter().filter_map(|(b,)| b.as_ref()).all(|body| !String::from_utf8_lossy(body).contains(&token)));
}
