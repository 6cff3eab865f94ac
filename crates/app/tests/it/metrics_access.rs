//! `/metrics` is for operators: the public listener answers it 404 unless a
//! bearer token is configured; `--metrics-listen` serves it (and only it)
//! on an address of its own.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use reqwest::StatusCode;

use crate::harness::{TestApp, fresh_postgres_url};

const TOKEN: &str = "scrape-me-0123456789abcdef";

fn looks_like_metrics(text: &str) -> bool {
    text.contains("http_requests_total{") && text.contains("db_pool_connections") && text.contains("job_queue_depth")
}

#[tokio::test]
async fn the_public_listener_answers_metrics_404_by_default() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    for caller in [&app.visitor(), &admin] {
        let res = caller.get("/metrics").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(!looks_like_metrics(&res.text().await.expect("text")));
    }
    // A token is no way in when none is configured.
    let res = app.client().get(app.at("/metrics")).bearer_auth(TOKEN).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_bearer_token_opens_metrics_on_the_public_listener() {
    let app = TestApp::spawn_with_args(|a| a.metrics.token = Some(TOKEN.into())).await;
    let _ = app.visitor().get("/signin").await;
    let client = app.client();
    let res = client.get(app.at("/metrics")).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers()["www-authenticate"].to_str().expect("header").starts_with("Bearer"));
    assert!(!looks_like_metrics(&res.text().await.expect("text")));
    for wrong in ["scrape-me", "scrape-me-0123456789abcdeF", ""] {
        let res = client.get(app.at("/metrics")).bearer_auth(wrong).send().await.expect("GET");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{wrong:?}");
    }
    let res = client.get(app.at("/metrics")).bearer_auth(TOKEN).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().expect("ct").starts_with("text/plain"));
    let text = res.text().await.expect("text");
    assert!(looks_like_metrics(&text), "{text}");
    assert!(text.contains("route=\"/signin\""));
    assert!(text.contains("http_request_duration_seconds_bucket{"));
}

#[tokio::test]
async fn the_metrics_router_serves_metrics_and_nothing_else() {
    let app = TestApp::spawn().await;
    let _ = app.visitor().get("/signin").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let at = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(axum::serve(listener, switchboard::ops::metrics_router(app.state.clone())).into_future());
    let res = reqwest::get(format!("{at}/metrics")).await.expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(looks_like_metrics(&res.text().await.expect("text")));
    for path in ["/signin", "/healthz", "/api/v1/me", "/api/v1/openapi.json", "/"] {
        assert_eq!(reqwest::get(format!("{at}{path}")).await.expect("GET").status(), StatusCode::NOT_FOUND, "{path}");
    }
}

/// The binary end to end: `--metrics-listen` opens the second listener and
/// the public one keeps answering 404.
#[tokio::test]
async fn serve_with_metrics_listen_serves_metrics_only_there() {
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("SWITCHBOARD_METRICS_TOKEN")
        .args(["serve", "--listen", "127.0.0.1:0", "--metrics-listen", &format!("127.0.0.1:{port}")])
        .env("SWITCHBOARD_DATA_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(url) = fresh_postgres_url().await {
        cmd.env("DATABASE_URL", url);
    }
    let mut child = cmd.spawn().expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read");
    let url = line.trim().strip_prefix("Switchboard is running at ").expect("prints its URL").to_string();

    let public = reqwest::get(format!("{url}/metrics")).await.expect("GET");
    let private = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.expect("GET");
    let private_signin = reqwest::get(format!("http://127.0.0.1:{port}/signin")).await.expect("GET");
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let exit = child.wait().expect("wait");

    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    assert_eq!(private.status(), StatusCode::OK);
    assert!(looks_like_metrics(&private.text().await.expect("text")));
    assert_eq!(private_signin.status(), StatusCode::NOT_FOUND);
    assert!(exit.success(), "both listeners stop cleanly on SIGTERM: {exit:?}");
}
