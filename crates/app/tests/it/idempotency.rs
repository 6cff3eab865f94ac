//! `Idempotency-Key` on mutating `/api/v1` calls: replays, reuse with
//! another request, concurrent duplicates, expiry, and crashed holders.
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard::api::idempotency;
use switchboard_db::{execute, fetch_all, fetch_scalar};

use crate::developer::{TokenClient, create_token};
use crate::harness::{TestApp, Visitor, problem};

/// One answer, read whole.
#[derive(Debug, Clone)]
struct Answer {
    status: StatusCode,
    replayed: bool,
    content_type: Option<String>,
    retry_after: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    async fn read(res: reqwest::Response) -> Answer {
        let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let replayed = match header("idempotent-replayed").as_deref() {
            None => false,
            Some("true") => true,
            Some(other) => panic!("Idempotent-Replayed: {other}"),
        };
        let (content_type, retry_after) = (header("content-type"), header("retry-after"));
        let status = res.status();
        let body = res.bytes().await.expect("body").to_vec();
        Answer { status, replayed, content_type, retry_after, body }
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("json body")
    }

    fn code(&self) -> Value {
        self.json()["code"].clone()
    }
}

fn keyed(client: &reqwest::Client, csrf: &str, method: Method, url: String, key: &str) -> reqwest::RequestBuilder {
    client.request(method, url).header("x-csrf-token", csrf).header("idempotency-key", key)
}

async fn call(user: &Visitor, method: Method, path: &str, key: &str, body: Option<Value>) -> Answer {
    let csrf = user.csrf.as_deref().expect("signed in");
    let mut req = keyed(&user.client, csrf, method, user.at(path), key);
    if let Some(body) = body {
        req = req.json(&body);
    }
    Answer::read(req.send().await.expect("API call")).await
}

async fn invite_with_key(user: &Visitor, key: &str, email: &str) -> Answer {
    call(user, Method::POST, "/api/v1/invitations", key, Some(json!({ "email": email, "role": "member" }))).await
}

async fn invitations(user: &Visitor) -> Vec<Value> {
    user.get_json("/api/v1/invitations").await["data"].as_array().expect("data").clone()
}

async fn stored_keys(app: &TestApp) -> i64 {
    fetch_scalar!(&app.state.db, i64, "SELECT COUNT(*) FROM idempotency_keys").expect("count")
}

#[tokio::test]
async fn a_repeated_key_replays_the_first_response_and_runs_once() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;

    let first = invite_with_key(&admin, "inv-bob-1", "bob@example.com").await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert!(!first.replayed);
    app.clock.advance(Duration::minutes(5));
    let again = invite_with_key(&admin, "inv-bob-1", "bob@example.com").await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert!(again.replayed);
    assert_eq!(again.body, first.body, "the stored body, byte for byte");
    assert_eq!(again.content_type.as_deref(), Some("application/json"));

    let list = invitations(&admin).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["send_count"], 1);
    assert_eq!(app.run_jobs().await, 1, "one email");

    // Without a key the same call runs again: a pending address is resent.
    let res = admin.post_json("/api/v1/invitations", json!({ "email": "bob@example.com", "role": "member" })).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("idempotent-replayed").is_none());
    assert_eq!(invitations(&admin).await[0]["send_count"], 2);
    // And a new key is a new request.
    let other = invite_with_key(&admin, "inv-bob-2", "bob@example.com").await;
    assert_eq!((other.status, other.replayed), (StatusCode::OK, false));
    assert_eq!(other.json()["send_count"], 3);
}

#[tokio::test]
async fn the_same_key_with_another_request_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    assert_eq!(invite_with_key(&admin, "k1", "bob@example.com").await.status, StatusCode::CREATED);

    let other_body = invite_with_key(&admin, "k1", "carol@example.com").await;
    assert_eq!(other_body.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other_body.content_type.as_deref(), Some("application/problem+json"));
    assert_eq!(other_body.code(), "idempotency_key_reused");
    let other_path = call(&admin, Method::PATCH, "/api/v1/workspace", "k1", Some(json!({ "name": "Renamed" }))).await;
    assert_eq!(other_path.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other_path.code(), "idempotency_key_reused");

    assert_eq!(invitations(&admin).await.len(), 1, "carol was not invited");
    assert_eq!(admin.workspace().await["name"], "Acme Voice", "not renamed");
}

#[tokio::test]
async fn concurrent_duplicate_requests_with_one_key_create_one_invitation() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let csrf = admin.csrf.clone().expect("csrf");
    let url = admin.at("/api/v1/invitations");
    let body = json!({ "email": "bob@example.com", "role": "member" });

    let mut tasks = Vec::new();
    for _ in 0..16 {
        let req = keyed(&admin.client, &csrf, Method::POST, url.clone(), "one-bob").json(&body);
        tasks.push(tokio::spawn(async move { Answer::read(req.send().await.expect("POST")).await }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }

    let created: Vec<&Answer> = answers.iter().filter(|a| a.status == StatusCode::CREATED).collect();
    let in_use: Vec<&Answer> = answers.iter().filter(|a| a.status == StatusCode::CONFLICT).collect();
    assert_eq!(created.len() + in_use.len(), 16, "only 201s and 409s: {answers:?}");
    assert_eq!(created.iter().filter(|a| !a.replayed).count(), 1, "one request ran");
    assert!(created.iter().all(|a| a.body == created[0].body), "replays carry the first body");
    for a in &in_use {
        assert_eq!(a.code(), "idempotency_key_in_use");
        assert_eq!(a.retry_after.as_deref(), Some("1"));
    }

    let list = invitations(&admin).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["send_count"], 1);
    assert_eq!(app.run_jobs().await, 1, "one email");
    // Once it is done, the key answers with the stored 201.
    let later = invite_with_key(&admin, "one-bob", "bob@example.com").await;
    assert_eq!((later.status, later.replayed), (StatusCode::CREATED, true));
    assert_eq!(later.body, created[0].body);
}

#[tokio::test]
async fn two_servers_on_one_database_run_a_key_once() {
    let app = TestApp::spawn().await;
    let url = app.state.config.database_url.clone();
    // Processes sharing a database share the server key (README), which
    // keys the requests' fingerprints.
    let key_file = app.state.config.server_key_file.clone();
    let other = TestApp::spawn_with_args(move |args| {
        args.database_url = Some(url);
        args.server_key_file = Some(key_file);
    })
    .await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let csrf = admin.csrf.clone().expect("csrf");
    let body = json!({ "email": "bob@example.com", "role": "member" });

    // The browser's cookie jar ignores ports, so the session works on both.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let server = if i % 2 == 0 { &app.url } else { &other.url };
        let url = format!("{server}/api/v1/invitations");
        let req = keyed(&admin.client, &csrf, Method::POST, url, "two-servers").json(&body);
        tasks.push(tokio::spawn(async move { Answer::read(req.send().await.expect("POST")).await }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }
    let ran = answers.iter().filter(|a| a.status == StatusCode::CREATED && !a.replayed).count();
    assert_eq!(ran, 1, "{answers:?}");
    assert!(answers.iter().all(|a| a.status == StatusCode::CREATED || a.code() == "idempotency_key_in_use"));
    let url = format!("{}/api/v1/invitations", other.url);
    let req = keyed(&admin.client, &csrf, Method::POST, url, "two-servers").json(&body);
    let replay = Answer::read(req.send().await.expect("POST")).await;
    assert_eq!((replay.status, replay.replayed), (StatusCode::CREATED, true));
    assert_eq!(invitations(&admin).await[0]["send_count"], 1);
}

#[tokio::test]
async fn client_errors_are_replayed_too() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let first = invite_with_key(&admin, "bad-email", "not-an-email").await;
    assert_eq!(first.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(first.code(), "validation_failed");
    let again = invite_with_key(&admin, "bad-email", "not-an-email").await;
    assert_eq!((again.status, again.replayed), (StatusCode::UNPROCESSABLE_ENTITY, true));
    assert_eq!(again.content_type.as_deref(), Some("application/problem+json"));
    assert_eq!(again.body, first.body);

    // An empty 204 replays as an empty 204: retrying a workspace deletion
    // must not delete the workspace the session moved on to.
    let second = admin.create_workspace("Beta Labs").await;
    let confirm = json!({ "confirm_name": "Acme Voice" });
    let deleted = call(&admin, Method::DELETE, "/api/v1/workspace", "delete-acme", Some(confirm.clone())).await;
    assert_eq!((deleted.status, deleted.replayed), (StatusCode::NO_CONTENT, false));
    let retried = call(&admin, Method::DELETE, "/api/v1/workspace", "delete-acme", Some(confirm)).await;
    assert_eq!((retried.status, retried.replayed), (StatusCode::NO_CONTENT, true));
    assert!(retried.body.is_empty());
    assert_eq!(admin.workspace().await["id"], second["id"], "Beta Labs is still there");
}

#[tokio::test]
async fn keys_expire_after_a_day() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    assert_eq!(invite_with_key(&admin, "daily", "bob@example.com").await.status, StatusCode::CREATED);
    app.clock.advance(Duration::hours(23));
    assert!(invite_with_key(&admin, "daily", "bob@example.com").await.replayed);

    app.clock.advance(Duration::hours(1) + Duration::seconds(1));
    let next_day = invite_with_key(&admin, "daily", "bob@example.com").await;
    assert_eq!((next_day.status, next_day.replayed), (StatusCode::OK, false), "runs again: a resend");
    assert_eq!(next_day.json()["send_count"], 2);
    // The key now holds the new response, even for another body after expiry.
    app.clock.advance(Duration::hours(25));
    let reused = invite_with_key(&admin, "daily", "carol@example.com").await;
    assert_eq!((reused.status, reused.replayed), (StatusCode::CREATED, false));

    // The cleanup deletes what is older than a day, and nothing newer.
    assert_eq!(invite_with_key(&admin, "fresh", "dan@example.com").await.status, StatusCode::CREATED);
    app.clock.advance(Duration::hours(12));
    assert_eq!(invite_with_key(&admin, "newer", "erin@example.com").await.status, StatusCode::CREATED);
    assert_eq!(stored_keys(&app).await, 3);
    app.clock.advance(Duration::hours(12) + Duration::seconds(1));
    let now = app.clock_now();
    assert_eq!(idempotency::delete_expired(&app.state.db, now).await.expect("cleanup"), 2);
    let left: Vec<(String,)> =
        fetch_all!(&app.state.db, (String,), "SELECT idem_key FROM idempotency_keys").expect("keys");
    assert_eq!(left, vec![("newer".to_string(),)]);
}

#[tokio::test]
async fn a_crashed_request_is_taken_over_once_its_lock_runs_out() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    // A finished request tells us the fingerprint of this exact call.
    let probe = invite_with_key(&admin, "probe", "bob@example.com").await;
    assert_eq!(probe.status, StatusCode::CREATED);
    let hash =
        fetch_scalar!(&app.state.db, String, "SELECT request_hash FROM idempotency_keys WHERE idem_key = 'probe'")
            .expect("hash");
    let res = admin.delete(&format!("/api/v1/invitations/{}", probe.json()["id"].as_str().expect("id"))).await;
    assert_eq!(res.status(), StatusCode::OK);

    // Another process claimed "crashed" for the same call and died.
    let now = app.clock_now();
    let scope = fetch_scalar!(&app.state.db, String, "SELECT scope FROM idempotency_keys WHERE idem_key = 'probe'")
        .expect("scope");
    execute!(
        &app.state.db,
        "INSERT INTO idempotency_keys (scope, idem_key, request_hash, state, locked_until, created_at) \
         VALUES ($1, 'crashed', $2, 'running', $3, $4)",
        &scope,
        &hash,
        now + Duration::seconds(30),
        now - Duration::seconds(30),
    )
    .expect("insert running row");

    let waiting = invite_with_key(&admin, "crashed", "bob@example.com").await;
    assert_eq!(waiting.status, StatusCode::CONFLICT, "its lock still holds");
    assert_eq!(waiting.code(), "idempotency_key_in_use");
    assert_eq!(waiting.retry_after.as_deref(), Some("1"));
    assert_eq!(invite_with_key(&admin, "crashed", "carol@example.com").await.code(), "idempotency_key_reused");

    app.clock.advance(Duration::seconds(31));
    let taken = invite_with_key(&admin, "crashed", "bob@example.com").await;
    assert_eq!((taken.status, taken.replayed), (StatusCode::CREATED, false), "taken over and run");
    let replay = invite_with_key(&admin, "crashed", "bob@example.com").await;
    assert_eq!((replay.status, replay.replayed), (StatusCode::CREATED, true));
    assert_eq!(replay.body, taken.body);
    assert_eq!(invitations(&admin).await.len(), 1);
}

#[tokio::test]
async fn a_rate_limited_request_keeps_no_key() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    app.without_member_limit(&admin.workspace_id().await).await;
    for i in 0..switchboard::invitations::service::SENDS_PER_HOUR {
        let res = admin.post_json("/api/v1/invitations", json!({ "email": format!("user{i}@example.com") })).await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let refused = invite_with_key(&admin, "later", "bob@example.com").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(stored_keys(&app).await, 0, "the retry must be able to run");
    app.clock.advance(Duration::hours(1) + Duration::seconds(1));
    let retried = invite_with_key(&admin, "later", "bob@example.com").await;
    assert_eq!((retried.status, retried.replayed), (StatusCode::CREATED, false));
}

#[tokio::test]
async fn keys_belong_to_their_caller() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (_, token) = create_token(&admin, "CI", "admin", None).await;
    let body = json!({ "email": "bob@example.com", "role": "member" });
    assert_eq!(invite_with_key(&admin, "shared", "bob@example.com").await.status, StatusCode::CREATED);

    // The token's "shared" is not the session's: it runs (a resend).
    let bot = TokenClient::bearer(&app.url, &token);
    let send = || async {
        let req = bot.request(Method::POST, "/api/v1/invitations").header("idempotency-key", "shared").json(&body);
        Answer::read(req.send().await.expect("POST")).await
    };
    let first = send().await;
    assert_eq!((first.status, first.replayed), (StatusCode::OK, false));
    let again = send().await;
    assert_eq!((again.status, again.replayed), (StatusCode::OK, true));
    assert_eq!(again.body, first.body);
    let scopes: Vec<(String,)> =
        fetch_all!(&app.state.db, (String,), "SELECT scope FROM idempotency_keys ORDER BY scope").expect("scopes");
    assert!(scopes[0].0.starts_with("token:tok_") && scopes[1].0.starts_with("user:usr_"), "{scopes:?}");
}

#[tokio::test]
async fn malformed_keys_are_refused_and_reads_ignore_keys() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    for bad in ["two words".to_string(), "k".repeat(256)] {
        let res = invite_with_key(&admin, &bad, "bob@example.com").await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(res.code(), "invalid_idempotency_key");
    }
    assert!(invitations(&admin).await.is_empty());
    assert_eq!(invite_with_key(&admin, &"k".repeat(255), "bob@example.com").await.status, StatusCode::CREATED);

    let csrf = admin.csrf.clone().expect("csrf");
    let read = keyed(&admin.client, &csrf, Method::GET, admin.at("/api/v1/invitations"), "read");
    let res = read.send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(stored_keys(&app).await, 1, "GET stores nothing");

    // Without a session or token there is no one to scope the key to.
    let res = app.client().post(app.at("/api/v1/invitations")).header("idempotency-key", "anon").send().await;
    let res = res.expect("POST");
    assert_ne!(res.status(), StatusCode::CREATED);
    problem(res).await;
    assert_eq!(stored_keys(&app).await, 1);
}

#[tokio::test]
async fn a_response_that_was_not_kept_is_not_run_again() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    assert_eq!(invite_with_key(&admin, "secret", "bob@example.com").await.status, StatusCode::CREATED);
    // What a `Cache-Control: no-store` response (a secret shown once) leaves.
    execute!(&app.state.db, "UPDATE idempotency_keys SET response_body = NULL WHERE idem_key = 'secret'")
        .expect("drop body");
    let retried = invite_with_key(&admin, "secret", "bob@example.com").await;
    assert_eq!(retried.status, StatusCode::CONFLICT);
    assert_eq!(retried.code(), "idempotency_response_not_kept");
    assert_eq!(invitations(&admin).await[0]["send_count"], 1, "not sent again");
}
