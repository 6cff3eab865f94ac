//! Recipes for the subscription routes (see `recipes.rs`). The PATCH is an
//! upgrade paid through a proration invoice (after a declined one), so it
//! also leaves `invoice.paid` and `invoice.payment_failed`.
use chrono::Duration;
use reqwest::Method;
use serde_json::json;
use switchboard_core::WorkspaceId;

use super::World;
use super::recipes::{Called, called};
use crate::subscription::{FAILING_CARD, OK_CARD, add_card};

/// Undoes whatever is scheduled, so the next call changes something.
async fn clear(w: &World) {
    w.token.call(Method::POST, "/api/v1/subscription/resume", None).await;
}

/// An active (well, canceled-by-processor) Basic subscription 10 days into
/// its period, with a working card: an upgrade changes every field.
async fn basic_with_card(w: &World, card: &str) {
    let ws: WorkspaceId = w.ws.parse().expect("ws");
    add_card(&w.app, &ws, card).await;
    let now = w.app.clock_now();
    switchboard_db::execute!(
        &w.app.state.db,
        "UPDATE subscriptions SET status = 'canceled', plan_key = 'basic', cycle = 'monthly', period_start = $2,
             period_end = $3, scheduled_plan_key = NULL, scheduled_cycle = NULL, cancel_at_period_end = FALSE
         WHERE workspace_id = $1",
        ws.as_str(),
        now - Duration::days(10),
        now + Duration::days(20)
    )
    .expect("set up");
}

pub async fn call(w: &mut World, method: &str, path: &str) -> Option<Called> {
    let c = match (method, path) {
        ("PATCH", "/api/v1/subscription") => {
            // A declined upgrade first: it leaves `invoice.payment_failed`.
            basic_with_card(w, FAILING_CARD).await;
            let res = w.token.call(Method::PATCH, path, Some(json!({"plan": "pro"}))).await;
            assert_eq!(res.status(), reqwest::StatusCode::PAYMENT_REQUIRED);
            basic_with_card(w, OK_CARD).await;
            let mark = w.mark().await;
            let res = w.token.call(Method::PATCH, path, Some(json!({"plan": "pro", "cycle": "annual"}))).await;
            called(mark, &res, "subscription.updated")
        }
        ("POST", "/api/v1/subscription/cancel") => {
            clear(w).await;
            let mark = w.mark().await;
            let res = w.token.call(Method::POST, path, None).await;
            called(mark, &res, "subscription.updated")
        }
        ("POST", "/api/v1/subscription/resume") => {
            w.token.call(Method::POST, "/api/v1/subscription/cancel", None).await;
            let mark = w.mark().await;
            let res = w.token.call(Method::POST, path, None).await;
            called(mark, &res, "subscription.updated")
        }
        ("POST", "/settings/subscription/plan") => {
            clear(w).await;
            let mark = w.mark().await;
            let res = w.page(path, &[("plan", "free"), ("cycle", "monthly")]).await;
            called(mark, &res, "subscription.updated")
        }
        ("POST", "/settings/subscription/cancel") => {
            clear(w).await;
            let mark = w.mark().await;
            let res = w.page(path, &[]).await;
            called(mark, &res, "subscription.updated")
        }
        ("POST", "/settings/subscription/resume") => {
            w.token.call(Method::POST, "/api/v1/subscription/cancel", None).await;
            let mark = w.mark().await;
            let res = w.page(path, &[]).await;
            called(mark, &res, "subscription.updated")
        }
        _ => return None,
    };
    Some(c)
}
