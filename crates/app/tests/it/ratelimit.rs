//! Rate limiting: GCRA bursts and spacing, independent buckets, one budget
//! shared exactly by concurrent callers on two connection pools (two
//! processes), idle-row cleanup, and the middleware's 429 and headers.
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::routing::get;
use chrono::TimeDelta;
use switchboard::clock::Clock;
use switchboard::config::{Config, RateLimit};
use switchboard::ratelimit::{self, Decision};
use switchboard::state::AppState;
use switchboard::web::ClientMeta;
use switchboard_db::fetch_all;
use tower::ServiceExt;

use crate::harness::TestApp;

/// One request a second, in bursts of up to 60.
const PER_MINUTE: RateLimit = RateLimit { requests: 60, period: Duration::from_secs(60) };

async fn hit(app: &TestApp, bucket: &str, limit: RateLimit) -> Decision {
    ratelimit::check(&app.state.db, bucket, limit, app.clock.now()).await.expect("check")
}

/// Another process on the same database: its own pool, its own config.
async fn second_process(app: &TestApp, edit: impl FnOnce(&mut Config)) -> AppState {
    let mut config = app.state.config.clone();
    edit(&mut config);
    switchboard::server::build_state(config, app.url.clone(), app.clock.clone()).await.expect("second state")
}

#[tokio::test]
async fn a_full_burst_passes_then_requests_are_spaced_by_the_interval() {
    let app = TestApp::spawn().await;
    for n in 1..=60 {
        let d = hit(&app, "token:tok_a", PER_MINUTE).await;
        assert!(d.allowed, "request {n} of the burst");
        assert_eq!(d.remaining, 60 - n);
    }
    let refused = hit(&app, "token:tok_a", PER_MINUTE).await;
    assert!(!refused.allowed);
    assert_eq!(refused.remaining, 0);
    assert_eq!(refused.retry_after, Some(Duration::from_secs(1)), "one emission interval");
    assert_eq!(refused.retry_after_secs(), Some(1));
    assert_eq!(refused.reset_after, Duration::from_secs(60));

    // A refusal spends nothing: after one interval, exactly one more passes.
    app.clock.advance(TimeDelta::seconds(1));
    assert!(hit(&app, "token:tok_a", PER_MINUTE).await.allowed);
    assert!(!hit(&app, "token:tok_a", PER_MINUTE).await.allowed);

    // Idle for a whole period, the bucket has its full burst back.
    app.clock.advance(TimeDelta::seconds(60));
    let d = hit(&app, "token:tok_a", PER_MINUTE).await;
    assert!(d.allowed);
    assert_eq!(d.remaining, 59);
}

#[tokio::test]
async fn buckets_are_independent() {
    let app = TestApp::spawn().await;
    let two = RateLimit { requests: 2, period: Duration::from_secs(60) };
    assert!(hit(&app, "ip:192.0.2.1", two).await.allowed);
    assert!(hit(&app, "ip:192.0.2.1", two).await.allowed);
    assert!(!hit(&app, "ip:192.0.2.1", two).await.allowed);

    let other = hit(&app, "ip:192.0.2.2", two).await;
    assert!(other.allowed);
    assert_eq!(other.remaining, 1);
    assert!(hit(&app, "token:tok_b", two).await.allowed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_on_two_pools_share_one_budget_exactly() {
    let app = TestApp::spawn().await;
    let other = second_process(&app, |_| {}).await;
    let limit = RateLimit { requests: 100, period: Duration::from_secs(60) };
    let now = app.clock.now();

    let mut tasks = Vec::new();
    for i in 0..50 {
        let db = if i % 2 == 0 { app.state.db.clone() } else { other.db.clone() };
        tasks.push(tokio::spawn(async move {
            let mut allowed = 0;
            for _ in 0..4 {
                if ratelimit::check(&db, "token:tok_shared", limit, now).await.expect("check").allowed {
                    allowed += 1;
                }
            }
            allowed
        }));
    }
    let mut allowed = 0;
    for task in tasks {
        allowed += task.await.expect("task");
    }
    assert_eq!(allowed, 100, "of 200 concurrent requests against a limit of 100");
    let d = ratelimit::check(&other.db, "token:tok_shared", limit, now).await.expect("check");
    assert!(!d.allowed);
    assert_eq!(d.reset_after, Duration::from_secs(60), "100 slots of 600 ms spent");
}

#[derive(sqlx::FromRow)]
struct Row {
    bucket: String,
}

#[tokio::test]
async fn delete_idle_removes_only_buckets_whose_burst_is_back() {
    let app = TestApp::spawn().await;
    hit(&app, "ip:192.0.2.1", PER_MINUTE).await; // full again after 1 s
    for _ in 0..30 {
        hit(&app, "ip:192.0.2.2", PER_MINUTE).await; // full again after 30 s
    }
    app.clock.advance(TimeDelta::seconds(2));

    let deleted = ratelimit::delete_idle(&app.state.db, app.clock.now()).await.expect("delete");
    assert_eq!(deleted, 1);
    let rows = fetch_all!(&app.state.db, Row, "SELECT bucket FROM rate_limits ORDER BY bucket").expect("rows");
    assert_eq!(rows.iter().map(|r| r.bucket.as_str()).collect::<Vec<_>>(), ["ip:192.0.2.2"]);

    // The kept bucket still remembers its spending; the deleted one is fresh.
    assert_eq!(hit(&app, "ip:192.0.2.2", PER_MINUTE).await.remaining, 31);
    assert_eq!(hit(&app, "ip:192.0.2.1", PER_MINUTE).await.remaining, 59);
}

/// The limit layer over two tiny routes, with the client metadata the
/// outer layers would have set.
fn limited_router(state: AppState, ip: &'static str) -> Router {
    Router::new()
        .route("/signin", get(|| async { "sign in" }))
        .route("/healthz", get(|| async { "ok" }))
        .layer(from_fn_with_state(state.clone(), ratelimit::limit))
        .layer(from_fn(move |mut req: Request, next: Next| async move {
            req.extensions_mut().insert(ClientMeta { ip: Some(ip.to_string()), user_agent: None });
            next.run(req).await
        }))
        .with_state(state)
}

async fn get_path(router: &Router, path: &str) -> axum::response::Response {
    let req = Request::builder().uri(path).body(Body::empty()).expect("request");
    router.clone().oneshot(req).await.expect("infallible")
}

fn header_of<'a>(res: &'a axum::response::Response, name: &str) -> &'a str {
    res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn the_layer_answers_429_with_retry_after_and_ratelimit_headers() {
    let app = TestApp::spawn().await;
    let three = RateLimit { requests: 3, period: Duration::from_secs(60) };
    let state = second_process(&app, |c| c.rate_limits.ip = Some(three)).await;
    let router = limited_router(state, "192.0.2.9");

    for remaining in ["2", "1", "0"] {
        let res = get_path(&router, "/signin").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header_of(&res, "ratelimit-limit"), "3");
        assert_eq!(header_of(&res, "ratelimit-remaining"), remaining);
        assert_eq!(header_of(&res, "ratelimit-policy"), "3;w=60");
    }
    let res = get_path(&router, "/signin").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header_of(&res, header::RETRY_AFTER.as_str()), "20");
    assert_eq!(header_of(&res, "ratelimit-remaining"), "0");
    assert_eq!(header_of(&res, "ratelimit-reset"), "60");
    assert_eq!(header_of(&res, header::CONTENT_TYPE.as_str()), "application/problem+json");
    let bytes = axum::body::to_bytes(res.into_body(), 10_000).await.expect("body");
    let json: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(json["code"], "rate_limited");
    assert_eq!(
        json["detail"],
        "Too many requests: this IP address may make 3 requests per minute. Try again in 20 seconds."
    );

    // Probes are never limited, and carry no RateLimit fields.
    let res = get_path(&router, "/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("ratelimit-limit").is_none());

    // Another address has its own budget.
    let elsewhere = limited_router(app.state.clone(), "192.0.2.10");
    assert_eq!(get_path(&elsewhere, "/signin").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_layer_lets_requests_through_when_the_database_fails() {
    let app = TestApp::spawn().await;
    let one = RateLimit { requests: 1, period: Duration::from_secs(60) };
    let state = second_process(&app, |c| c.rate_limits.ip = Some(one)).await;
    state.db.close().await;
    let router = limited_router(state, "192.0.2.9");
    for _ in 0..3 {
        let res = get_path(&router, "/signin").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get("ratelimit-limit").is_none());
    }
}

/// Spends `n` requests of `bucket` through a process's local allowances;
/// returns how many were allowed.
async fn spend(state: &AppState, bucket: &str, limit: RateLimit, n: usize, now: chrono::DateTime<chrono::Utc>) -> u32 {
    let mut allowed = 0;
    for _ in 0..n {
        if state.rate_allowances.check(&state.db, bucket, limit, now).await.expect("check").allowed {
            allowed += 1;
        }
    }
    allowed
}

#[tokio::test]
async fn a_busy_bucket_is_reserved_in_batches_and_admits_exactly_its_burst() {
    let app = TestApp::spawn().await;
    let limit = RateLimit { requests: 6000, period: Duration::from_secs(60) };
    assert_eq!(ratelimit::max_batch(limit), 50);
    let now = app.clock.now();
    let allowances = &app.state.rate_allowances;

    assert_eq!(spend(&app.state, "token:tok_busy", limit, 6000, now).await, 6000, "the whole burst");
    let writes = allowances.reservations();
    // 1 + 2 + 4 + 8 + 16 + 32 = 63 in six, then batches of 50: 126 in all.
    assert_eq!(writes, 6 + (6000 - 63_u64).div_ceil(50), "one write per batch, not per request");

    // Spent: refused, and the refusal is remembered without another write.
    for _ in 0..100 {
        let d = allowances.check(&app.state.db, "token:tok_busy", limit, now).await.expect("check");
        assert!(!d.allowed);
        assert_eq!(d.retry_after, Some(Duration::from_millis(10)));
    }
    assert_eq!(allowances.reservations(), writes + 1);

    // The shared row holds every request reserved: an exact check agrees.
    assert!(!ratelimit::check(&app.state.db, "token:tok_busy", limit, now).await.expect("check").allowed);
    // Once a slot refills, the next request reserves again and passes.
    let later = now + TimeDelta::milliseconds(10);
    assert!(allowances.check(&app.state.db, "token:tok_busy", limit, later).await.expect("check").allowed);
}

#[tokio::test]
async fn headers_count_the_requests_a_process_still_holds() {
    let app = TestApp::spawn().await;
    let limit = RateLimit { requests: 6000, period: Duration::from_secs(60) };
    let now = app.clock.now();
    let mut last = 6000;
    for n in 1..=200 {
        let d = app.state.rate_allowances.check(&app.state.db, "token:tok_h", limit, now).await.expect("check");
        assert!(d.allowed);
        assert_eq!(d.remaining, 6000 - n, "request {n}: held requests count as remaining");
        assert!(d.remaining < last);
        last = d.remaining;
    }
}

#[tokio::test]
async fn unspent_requests_lapse_with_their_lease_and_never_admit_more() {
    let app = TestApp::spawn().await;
    let limit = RateLimit { requests: 600, period: Duration::from_secs(60) }; // batches up to 5
    let now = app.clock.now();
    // 1 + 2 + 4 = 7 reserved in three writes; the 4th request spends one of the 4.
    assert_eq!(spend(&app.state, "token:tok_l", limit, 4, now).await, 4);
    let writes = app.state.rate_allowances.reservations();
    // Past the lease the 3 unspent are gone: the next request reserves
    // again (a smaller batch), and the shared row counts all 7.
    let later = now + TimeDelta::milliseconds(ratelimit::LEASE_MS);
    assert!(app.state.rate_allowances.check(&app.state.db, "token:tok_l", limit, later).await.expect("check").allowed);
    assert_eq!(app.state.rate_allowances.reservations(), writes + 1);
    // The new batch (half of 4) was reserved at `later`, on a bucket that
    // had refilled: 2 of it and this exact check are spent, 597 remain.
    let exact = ratelimit::check(&app.state.db, "token:tok_l", limit, later).await.expect("check");
    assert!(exact.allowed);
    assert_eq!(exact.remaining, 597);
    // The process spends its one held request without a write.
    assert!(app.state.rate_allowances.check(&app.state.db, "token:tok_l", limit, later).await.expect("check").allowed);
    assert_eq!(app.state.rate_allowances.reservations(), writes + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_in_batches_never_admit_more_than_the_budget() {
    let app = TestApp::spawn().await;
    let other = second_process(&app, |_| {}).await;
    let limit = RateLimit { requests: 1000, period: Duration::from_secs(60) };
    let k = ratelimit::max_batch(limit);
    assert_eq!(k, 8);
    let now = app.clock.now();

    let mut tasks = Vec::new();
    for i in 0..20 {
        let state = if i % 2 == 0 { app.state.clone() } else { other.clone() };
        tasks.push(tokio::spawn(async move { spend(&state, "token:tok_two", limit, 100, now).await }));
    }
    let mut allowed = 0;
    for task in tasks {
        allowed += task.await.expect("task");
    }
    assert!(allowed <= 1000, "{allowed} of 2000 admitted against a budget of 1000");
    // Each process may end holding up to k − 1 requests it was not asked to spend.
    assert!(allowed >= 1000 - 2 * (k - 1), "{allowed} admitted");
    let writes = app.state.rate_allowances.reservations() + other.rate_allowances.reservations();
    assert!(writes < 400, "{writes} writes for 2000 requests");
}
