//! Renewals happen exactly once per workspace and period: after a crash
//! between the charge and the grant, and with two processes renewing at
//! once. A declined renewal is past due, retried daily, and falls to the
//! free plan after the grace period.
use chrono::Duration;
use switchboard::state::AppState;
use switchboard::subscription::renewal::{self, Step};
use switchboard_core::WorkspaceId;

use crate::harness::TestApp;
use crate::subscription::{FAILING_CARD, add_card, balance, count, on_basic, sub, to_period_end};

/// One invoice, one charge (one `invoice.paid`), one grant and one expiry
/// for the period starting at the workspace's current `period_start`.
async fn assert_renewed_once(app: &TestApp, ws: &WorkspaceId) {
    let row = sub(app, ws).await;
    let at = row.period_start.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let key = renewal::invoice_key(ws, row.period_start);
    let invoices: i64 = switchboard_db::fetch_scalar!(
        &app.state.db,
        i64,
        "SELECT COUNT(*) FROM invoices WHERE workspace_id = $1 AND idempotency_key = $2",
        ws.as_str(),
        &key
    )
    .expect("count");
    assert_eq!(invoices, 1, "one invoice");
    let paid: i64 = switchboard_db::fetch_scalar!(
        &app.state.db,
        i64,
        "SELECT COUNT(*) FROM audit_log a JOIN invoices i ON i.id = a.target_id
         WHERE a.workspace_id = $1 AND a.action = 'invoice.paid' AND i.idempotency_key = $2",
        ws.as_str(),
        &key
    )
    .expect("count");
    assert_eq!(paid, 1, "one charge recorded");
    for prefix in ["cycle_grant", "expiry"] {
        let entries: i64 = switchboard_db::fetch_scalar!(
            &app.state.db,
            i64,
            "SELECT COUNT(*) FROM credit_entries WHERE workspace_id = $1 AND idempotency_key = $2",
            ws.as_str(),
            format!("{prefix}:{at}")
        )
        .expect("count");
        assert_eq!(entries, 1, "one {prefix}");
    }
    let renewals = count(
        app,
        "SELECT COUNT(*) FROM credit_entries WHERE workspace_id = $1 AND kind = 'cycle_grant'
         AND idempotency_key LIKE 'cycle_grant:%'",
        ws,
    )
    .await;
    // The trial's end and this renewal.
    assert_eq!(renewals, 2);
}

#[tokio::test]
async fn a_renewal_killed_between_charge_and_grant_completes_once_on_the_next_pass() {
    let app = TestApp::spawn().await;
    let (_admin, ws) = on_basic(&app).await;
    // Some usage, so the expiry takes what is left.
    let end = sub(&app, &ws).await.period_end;
    app.clock.advance(end - app.clock_now());
    // The charge step runs; the process dies before the grant.
    let step = renewal::charge_step(&app.state, &ws).await.expect("charge");
    assert!(matches!(step, Step::Paid(Some(_))), "{step:?}");
    assert_eq!(sub(&app, &ws).await.period_end, end, "not advanced yet");
    // The next pass finds the invoice paid: no second charge, one grant.
    assert_eq!(renewal::run_pass(&app.state).await.expect("pass"), 1);
    assert_eq!(renewal::run_pass(&app.state).await.expect("pass"), 0);
    assert!(!renewal::renew(&app.state, &ws).await.expect("renew"), "nothing left to renew");
    assert_eq!(sub(&app, &ws).await.period_start, end);
    assert_renewed_once(&app, &ws).await;
    assert_eq!(balance(&app, &ws).await, 2_000_000, "last cycle's credits expired, this one's granted");
}

async fn second_process(app: &TestApp) -> AppState {
    let config = app.state.config.clone();
    switchboard::server::build_state(config, app.url.clone(), app.clock.clone()).await.expect("second state")
}

#[tokio::test]
async fn two_processes_renewing_at_once_renew_once() {
    let app = TestApp::spawn().await;
    let (_admin, ws) = on_basic(&app).await;
    let other = second_process(&app).await;
    let end = sub(&app, &ws).await.period_end;
    app.clock.advance(end - app.clock_now());
    let (a, b) = tokio::join!(renewal::run_pass(&app.state), renewal::run_pass(&other));
    let renewed = a.expect("first") + b.expect("second");
    assert_eq!(renewed, 1, "one of them advanced the period");
    assert_renewed_once(&app, &ws).await;
    assert_eq!(balance(&app, &ws).await, 2_000_000);
}

#[tokio::test]
async fn a_declined_renewal_is_past_due_retried_daily_then_falls_to_free() {
    let app = TestApp::spawn().await;
    let (_admin, ws) = on_basic(&app).await;
    add_card(&app, &ws, FAILING_CARD).await;
    to_period_end(&app, &ws).await;
    let row = sub(&app, &ws).await;
    assert_eq!((row.plan_key.as_str(), row.status.as_str()), ("basic", "past_due"));
    let failed = "SELECT COUNT(*) FROM audit_log WHERE workspace_id = $1 AND action = 'invoice.payment_failed'";
    assert_eq!(count(&app, failed, &ws).await, 1);
    let open = "SELECT COUNT(*) FROM invoices WHERE workspace_id = $1 AND status = 'open'";
    assert_eq!(count(&app, open, &ws).await, 1);
    // Passes within the day do not charge again.
    app.clock.advance(Duration::hours(1));
    renewal::run_pass(&app.state).await.expect("pass");
    assert_eq!(count(&app, failed, &ws).await, 1);
    // A day later it is retried (and declined again).
    app.clock.advance(Duration::hours(24));
    renewal::run_pass(&app.state).await.expect("pass");
    assert_eq!(count(&app, failed, &ws).await, 2);
    assert_eq!(sub(&app, &ws).await.status.as_str(), "past_due");
    // After seven days: uncollectible, and the workspace is on Free.
    app.clock.advance(Duration::days(6));
    renewal::run_pass(&app.state).await.expect("pass");
    let row = sub(&app, &ws).await;
    assert_eq!((row.plan_key.as_str(), row.status.as_str()), ("free", "active"));
    let gone = "SELECT COUNT(*) FROM invoices WHERE workspace_id = $1 AND status = 'uncollectible'";
    assert_eq!(count(&app, gone, &ws).await, 1);
    assert_eq!(count(&app, open, &ws).await, 0);
    assert_eq!(balance(&app, &ws).await, 100_000);
}
