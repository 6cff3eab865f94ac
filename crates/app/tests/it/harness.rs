//! `TestApp`: a server on a fresh database and data dir, with helpers for
//! signed-up users and their CSRF tokens.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;
use switchboard::clock::ManualClock;
use switchboard::config::{CommonArgs, Config};
use switchboard::state::AppState;
use tokio::net::TcpListener;

pub struct TestApp {
    pub url: String,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A fresh PostgreSQL database for one test, or `None` to use SQLite.
pub async fn fresh_postgres_url() -> Option<String> {
    let admin = std::env::var("SWITCHBOARD_TEST_POSTGRES_URL").ok().filter(|s| !s.is_empty())?;
    let name = format!("sb_test_{}", ulid::Ulid::new().to_string().to_lowercase());
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to test PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let _ = conn.close().await;
    let mut url = url::Url::parse(&admin).expect("postgres url");
    url.set_path(&format!("/{name}"));
    Some(url.to_string())
}

pub fn on_postgres() -> bool {
    std::env::var("SWITCHBOARD_TEST_POSTGRES_URL").is_ok_and(|s| !s.is_empty())
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with_jobs(switchboard::jobs::registry()).await
    }

    pub fn client(&self) -> Client {
        browser_client()
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    /// A browser-like visitor with no account yet.
    pub fn visitor(&self) -> Visitor {
        Visitor { app_url: self.url.clone(), client: self.client(), csrf: None }
    }

    /// Signs up through the form and creates a first workspace through the
    /// API; returns the user, signed in, with that workspace current.
    pub async fn user_with_workspace(&self, name: &str, email: &str, workspace: &str) -> Visitor {
        let mut user = self.visitor();
        user.sign_up(name, email, "correct horse battery").await;
        self.verify_email(&user).await;
        let ws = user.create_workspace(workspace).await;
        user.switch_to(ws["id"].as_str().expect("id")).await;
        user
    }

    /// Adds `user` to `workspace_id` with `role`, as the CLI does.
    pub async fn add_member(&self, workspace_id: &str, user: &Visitor, role: &str) {
        let me = user.get_json("/api/v1/me").await;
        let user_id: switchboard_core::UserId = me["id"].as_str().expect("id").parse().expect("user id");
        let ws: switchboard_core::WorkspaceId = workspace_id.parse().expect("ws id");
        let role: switchboard_core::Role = role.parse().expect("role");
        switchboard::members::store::upsert_active(&self.state.db, &ws, &user_id, role, self.clock_now())
            .await
            .expect("add member");
    }

    /// Marks `user`'s address verified, as following the emailed link does
    /// (most tests are about what a verified account does).
    pub async fn verify_email(&self, user: &Visitor) {
        let me = user.get_json("/api/v1/me").await;
        let user_id: switchboard_core::UserId = me["id"].as_str().expect("id").parse().expect("user id");
        let email = me["email"].as_str().expect("email").to_lowercase();
        switchboard::auth::users::mark_verified(&self.state.db, &user_id, &email, self.clock_now())
            .await
            .expect("verify email");
        // Its emailed link is not needed now: the pending email goes, so
        // tests that count jobs and emails see only their own.
        switchboard_db::execute!(
            &self.state.db,
            "DELETE FROM jobs WHERE kind = $1 AND status = 'pending'",
            switchboard::verification::job::KIND
        )
        .expect("drop the verification email");
    }

    /// A caller that sends only `Authorization: Bearer <token>`: no cookies.
    pub fn token_visitor(&self, token: &str) -> Visitor {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
        );
        let client = Client::builder().default_headers(headers).redirect(Policy::none()).build().expect("client");
        Visitor { app_url: self.url.clone(), client, csrf: None }
    }

    pub fn clock_now(&self) -> chrono::DateTime<Utc> {
        use switchboard::clock::Clock;
        self.clock.now()
    }

    /// Puts the workspace on a plan without a member limit (Business), for
    /// tests of other caps that invite more people than a trial allows.
    pub async fn without_member_limit(&self, workspace_id: &str) {
        switchboard_db::execute!(
            &self.state.db,
            "UPDATE subscriptions SET plan_key = 'business' WHERE workspace_id = $1",
            workspace_id
        )
        .expect("plan");
    }

    pub async fn audit_actions(&self, workspace_id: &str) -> Vec<String> {
        let ws: switchboard_core::WorkspaceId = workspace_id.parse().expect("ws id");
        switchboard::audit::list_recent(&self.state.db, &ws, 1000)
            .await
            .expect("audit")
            .into_iter()
            .map(|e| e.action)
            .collect()
    }
}

pub struct Visitor {
    pub app_url: String,
    pub client: Client,
    /// The CSRF token of the current session (or the anonymous cookie).
    pub csrf: Option<String>,
}

/// The value of `<input name="_csrf" value="…">` in a page.
pub fn csrf_from_html(html: &str) -> Option<String> {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

impl Visitor {
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.app_url, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.at(path)).send().await.expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.text().await.expect("text")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let res = self.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.json().await.expect("json")
    }

    /// Loads a page and remembers its form CSRF token.
    pub async fn load_csrf(&mut self, path: &str) -> String {
        let html = self.get_text(path).await;
        let token = csrf_from_html(&html).expect("page has a CSRF field");
        self.csrf = Some(token.clone());
        token
    }

    /// Posts a urlencoded form with the CSRF token added.
    /// Posts a urlencoded form with the CSRF token added, and on a settings
    /// page the `_workspace` field as the page's form writes it.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let csrf = self.csrf.clone().expect("call load_csrf first");
        all.push(("_csrf", &csrf));
        let workspace;
        if path.starts_with("/settings/") && !fields.iter().any(|(k, _)| *k == "_workspace") {
            workspace = self.current_workspace_id().await;
            all.push(("_workspace", &workspace));
        }
        self.client.post(self.at(path)).form(&all).send().await.expect("POST")
    }

    /// The session's current workspace, as `/api/v1/workspace` says.
    pub async fn current_workspace_id(&self) -> String {
        let res = self.client.get(self.at("/api/v1/workspace")).send().await.expect("GET workspace");
        let body: Value = res.json().await.unwrap_or_default();
        body["id"].as_str().unwrap_or_default().to_string()
    }

    pub async fn sign_up(&mut self, name: &str, email: &str, password: &str) -> Response {
        self.load_csrf("/signup").await;
        let res = self.post_form("/signup", &[("name", name), ("email", email), ("password", password)]).await;
        if res.status() == StatusCode::SEE_OTHER {
            self.refresh_session_csrf().await;
        }
        res
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> Response {
        self.load_csrf("/signin").await;
        let res = self.post_form("/signin", &[("email", email), ("password", password)]).await;
        if res.status() == StatusCode::SEE_OTHER {
            self.refresh_session_csrf().await;
        }
        res
    }

    pub async fn refresh_session_csrf(&mut self) {
        let me = self.get_json("/api/v1/me").await;
        self.csrf = Some(me["csrf_token"].as_str().expect("csrf").to_string());
    }

    pub fn with_csrf(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.csrf {
            Some(token) => req.header("x-csrf-token", token),
            None => req,
        }
    }

    pub async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Response {
        let mut req = self.with_csrf(self.client.request(method, self.at(path)));
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.expect("API call")
    }

    pub async fn patch(&self, path: &str, body: Value) -> Response {
        self.api(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn put_bytes(&self, path: &str, bytes: Vec<u8>, content_type: &str) -> Response {
        self.with_csrf(self.client.put(self.at(path)))
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .expect("PUT")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.api(reqwest::Method::DELETE, path, None).await
    }

    pub async fn create_workspace(&self, name: &str) -> Value {
        let res = self.api(reqwest::Method::POST, "/api/v1/workspaces", Some(json!({ "name": name }))).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        res.json().await.expect("json")
    }

    pub async fn switch_to(&self, workspace_id: &str) {
        let res = self.api(reqwest::Method::POST, &format!("/api/v1/workspaces/{workspace_id}/switch"), None).await;
        assert_eq!(res.status(), StatusCode::OK, "switch");
    }

    pub async fn workspace(&self) -> Value {
        self.get_json("/api/v1/workspace").await
    }
}

/// Where a redirect points.
pub fn location(res: &Response) -> String {
    res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

/// The problem+json body of an error response, checking its content type.
pub async fn problem(res: Response) -> Value {
    assert_eq!(res.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/problem+json"));
    res.json().await.expect("problem json")
}

/// The decoded toast carried by a flash cookie in a redirect.
pub fn flash_text(res: &Response) -> Option<String> {
    use base64::Engine;
    res.headers().get_all("set-cookie").iter().find_map(|v| {
        let s = v.to_str().ok()?;
        let value = s.strip_prefix("sb_flash=")?.split(';').next()?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value).ok()?;
        let json: Value = serde_json::from_slice(&bytes).ok()?;
        json["text"].as_str().map(str::to_string)
    })
}

/// A small valid PNG of `w`×`h`.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| image::Rgba([(x % 256) as u8, (y % 256) as u8, 128, 255]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("encode png");
    out.into_inner()
}

impl TestApp {
    /// Runs every due background job now (emails…), as the worker would.
    pub async fn run_jobs(&self) -> usize {
        switchboard::jobs::run_pending_jobs(&self.state).await.expect("jobs run")
    }

    /// Every `/invite/<token>` path in the outbox's emails, oldest first.
    pub fn invitation_links(&self) -> Vec<String> {
        let dir = self.state.config.data_dir.join("outbox");
        let mut files: Vec<_> =
            std::fs::read_dir(&dir).map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect()).unwrap_or_default();
        files.sort();
        let mut links = Vec::new();
        for file in files {
            let raw = std::fs::read_to_string(&file).expect("eml");
            // Undo quoted-printable soft line breaks before searching.
            let text = raw.replace("=\r\n", "").replace("=\n", "");
            if let Some(at) = text.find("/invite/") {
                let token: String = text[at + 8..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                links.push(format!("/invite/{token}"));
            }
        }
        links
    }

    /// Emails in the outbox.
    pub fn outbox(&self) -> Vec<String> {
        let dir = self.state.config.data_dir.join("outbox");
        let mut files: Vec<_> =
            std::fs::read_dir(&dir).map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect()).unwrap_or_default();
        files.sort();
        files.into_iter().map(|f| std::fs::read_to_string(f).expect("eml")).collect()
    }
}

impl Visitor {
    pub async fn post_json(&self, path: &str, body: Value) -> Response {
        self.api(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn workspace_id(&self) -> String {
        self.workspace().await["id"].as_str().expect("id").to_string()
    }
}

impl TestApp {
    /// [`TestApp::spawn`] with a chosen job registry, e.g.
    /// `switchboard::jobs::registry().with(MyHandler)`.
    pub async fn spawn_with_jobs(jobs: switchboard::jobs::Registry) -> TestApp {
        Self::spawn_configured(jobs, |_| {}).await
    }

    /// [`TestApp::spawn`] with flags changed first, e.g. a low rate limit.
    pub async fn spawn_with_args(configure: impl FnOnce(&mut CommonArgs)) -> TestApp {
        Self::spawn_configured(switchboard::jobs::registry(), configure).await
    }

    /// [`TestApp::spawn`] with features of the test's own registered after
    /// the real ones (a fake feature's routes, jobs, deletion hook).
    pub async fn spawn_with_features(extra: Vec<switchboard::feature::Feature>) -> TestApp {
        let mut features = switchboard::registry::all();
        features.extend(extra);
        Self::spawn_full(switchboard::jobs::registry(), |_| {}, features).await
    }

    /// [`TestApp::spawn_with_features`] with flags changed first.
    pub async fn spawn_with_features_and_args(
        extra: Vec<switchboard::feature::Feature>,
        configure: impl FnOnce(&mut CommonArgs),
    ) -> TestApp {
        let mut features = switchboard::registry::all();
        features.extend(extra);
        Self::spawn_full(switchboard::jobs::registry(), configure, features).await
    }

    async fn spawn_configured(jobs: switchboard::jobs::Registry, configure: impl FnOnce(&mut CommonArgs)) -> TestApp {
        Self::spawn_full(jobs, configure, switchboard::registry::all()).await
    }

    async fn spawn_full(
        jobs: switchboard::jobs::Registry,
        configure: impl FnOnce(&mut CommonArgs),
        features: Vec<switchboard::feature::Feature>,
    ) -> TestApp {
        // Server errors show up in a failing test's output.
        let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn,switchboard=error").try_init();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut args = CommonArgs { data_dir: Some(dir.path().to_path_buf()), ..Default::default() };
        args.database_url = fresh_postgres_url().await;
        args.db_max_connections = Some(5);
        configure(&mut args);
        let config = Config::resolve(&args).expect("config");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let start = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).single().expect("time");
        let clock = Arc::new(ManualClock::new(start));
        let state = switchboard::server::build_state_with(config, url.clone(), clock.clone(), jobs, features)
            .await
            .expect("state");
        let app = switchboard::routes::router(state.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        TestApp { url, state, clock, _dir: dir, shutdown: Some(tx) }
    }
}

/// A client like a browser's: a cookie jar, no automatic redirects.
pub fn browser_client() -> Client {
    Client::builder().cookie_store(true).redirect(Policy::none()).build().expect("client")
}
