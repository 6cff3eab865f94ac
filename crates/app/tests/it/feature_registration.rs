//! A feature registers itself once, and the platform picks it up: a fake
//! `gadgets` feature mounts an Editor route, declares a job kind, a
//! deletion hook and an event that is not an audit entry. Also: a logo
//! change reaches `workspace.updated` subscribers (it once did not).
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use axum::extract::State;
use futures_util::FutureExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::events::{self, Event, EventType};
use switchboard::feature::Feature;
use switchboard::jobs::{Job, JobError, JobHandler, NewJob};
use switchboard::policy::{Permission, WorkspaceCtx};
use switchboard::routes::{Access, Routes};
use switchboard::state::AppState;
use switchboard_db::fetch_all;

use crate::harness::TestApp;

const PINGED: EventType =
    EventType::custom("gadget.pinged", "A gadget answered a ping.", "gadget", &["gadget_id"], || json!({}));

const GADGET_SECRET: &str = "whsec_gadgets";

static RELEASED: AtomicUsize = AtomicUsize::new(0);

struct ReleaseGadgets;

#[async_trait]
impl JobHandler for ReleaseGadgets {
    fn kind(&self) -> &'static str {
        "gadget.release"
    }
    async fn run(&self, _state: &AppState, _job: &Job) -> Result<(), JobError> {
        RELEASED.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// An Editor route: Members and Admins may, Viewers may not.
async fn make_gadget(
    State(_state): State<AppState>,
    ctx: WorkspaceCtx,
) -> Result<&'static str, switchboard::error::AppError> {
    ctx.require(Permission::EditResources)?;
    Ok("made")
}

const GADGETS: Feature = Feature {
    routes: |r: &mut Routes| {
        r.pages(Access::Editor).post("/gadgets", make_gadget);
        let secret = |_: &AppState, _: &switchboard::inbound::InboundRequest<'_>| {
            Some(switchboard::inbound::Credential::platform(switchboard::secrets::Secret::new(
                GADGET_SECRET.to_string(),
            )))
        };
        r.inbound(
            "POST",
            "/inbound/gadgets",
            axum::routing::post(|body: axum::body::Bytes| async move { body }),
            switchboard::inbound::Verifier::stripe(switchboard::inbound::secret_fn(secret)),
            64 * 1024,
        );
    },
    jobs: |jobs| jobs.with(ReleaseGadgets),
    // The carrier-side release is a job enqueued in the deletion's own
    // transaction, with no workspace (its jobs go with it).
    on_workspace_deleted: Some(|tx, workspace_id, now| {
        let job = NewJob {
            kind: "gadget.release",
            payload: json!({ "workspace_id": workspace_id.as_str() }),
            workspace_id: None,
            run_at: now,
        };
        async move { switchboard::jobs::enqueue(tx, job).await.map(|_| ()) }.boxed()
    }),
    events: &[&PINGED],
    ..Feature::new("gadgets")
};

async fn messages(app: &TestApp, event_type: &str) -> Vec<Value> {
    let rows: Vec<(String,)> = fetch_all!(
        &app.state.db,
        (String,),
        "SELECT payload FROM webhook_messages WHERE event_type = $1 ORDER BY created_at",
        event_type
    )
    .expect("messages");
    rows.into_iter().map(|(p,)| serde_json::from_str(&p).expect("payload")).collect()
}

#[tokio::test]
async fn a_registered_feature_gets_its_route_kind_jobs_deletion_hook_and_events() {
    let app = TestApp::spawn_with_features(vec![GADGETS]).await;
    let mut admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = admin.workspace_id().await;
    admin.refresh_session_csrf().await;

    // The route is in the table with its kind, and the Editor layer holds.
    let table = switchboard::routes::route_table(&app.state);
    assert!(table.iter().any(|r| r.path == "/gadgets" && r.access == Access::Editor));
    for (role, email, allowed) in [("member", "m@example.com", true), ("viewer", "v@example.com", false)] {
        let mut user = app.visitor();
        user.sign_up(email, email, "correct horse battery").await;
        app.add_member(&ws, &user, role).await;
        user.switch_to(&ws).await;
        user.refresh_session_csrf().await;
        let res = user.api(reqwest::Method::POST, "/gadgets", None).await;
        // A refused form post goes back with a toast (303), never runs.
        assert_eq!(res.status() == StatusCode::OK, allowed, "{role}: {}", res.status());
    }
    assert_eq!(admin.api(reqwest::Method::POST, "/gadgets", None).await.status(), StatusCode::OK);

    // Its inbound route is signed, not signed in: no session or CSRF, and
    // an unsigned call is 401 before the handler.
    assert!(table.iter().any(|r| r.path == "/inbound/gadgets" && r.access == Access::Inbound));
    let body = r#"{"id":"evt_1"}"#;
    let now = app.clock_now().timestamp();
    let signature = switchboard::inbound::stripe::sign(GADGET_SECRET, now, body.as_bytes());
    let client = reqwest::Client::new();
    let signed = client.post(app.at("/inbound/gadgets")).header("stripe-signature", signature).body(body).send();
    let signed = signed.await.expect("post");
    assert_eq!(signed.status(), StatusCode::OK);
    assert_eq!(signed.text().await.expect("body"), body);
    let unsigned = client.post(app.at("/inbound/gadgets")).body(body).send().await.expect("post");
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);

    // An event that is not an audit entry goes to the outbox through emit,
    // in the caller's transaction: rolled back, it is gone.
    let res = admin
        .post_json(
            "/api/v1/webhooks/endpoints",
            json!({"url": "https://hooks.example.com/in", "event_types": ["gadget.pinged"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    let workspace_id: switchboard_core::WorkspaceId = ws.parse().expect("ws");
    for commit in [false, true] {
        let mut tx = app.state.db.begin().await.expect("tx");
        let event = Event {
            event_type: &PINGED,
            workspace_id: &workspace_id,
            data: json!({"gadget_id": "g1"}),
            at: app.clock_now(),
        };
        events::emit(&mut tx, event).await.expect("emit");
        if commit {
            tx.commit().await.expect("commit");
        } else {
            tx.rollback().await.expect("rollback");
        }
    }
    let pinged = messages(&app, "gadget.pinged").await;
    assert_eq!(pinged.len(), 1, "only the committed event");
    assert_eq!(pinged[0]["data"]["gadget_id"], "g1");
    assert_eq!(pinged[0]["workspace_id"], ws);

    // Deleting the workspace enqueues the release in the same transaction.
    let res =
        admin.api(reqwest::Method::DELETE, "/api/v1/workspace", Some(json!({"confirm_name": "Acme Voice"}))).await;
    assert!(res.status().is_success(), "{:?}", res.text().await);
    let jobs: Vec<(String, sqlx::types::Json<Value>)> = fetch_all!(
        &app.state.db,
        (String, sqlx::types::Json<Value>),
        "SELECT kind, payload FROM jobs WHERE kind = 'gadget.release'"
    )
    .expect("jobs");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].1.0["workspace_id"], ws);
    switchboard::jobs::run_pending_jobs(&app.state).await.expect("run jobs");
    assert_eq!(RELEASED.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_logo_change_reaches_workspace_updated_subscribers() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let res = admin
        .post_json(
            "/api/v1/webhooks/endpoints",
            json!({"url": "https://hooks.example.com/in", "event_types": ["workspace.updated"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let png = crate::harness::png(64, 64);
    assert_eq!(admin.put_bytes("/api/v1/workspace/logo", png, "image/png").await.status(), StatusCode::OK);
    assert_eq!(admin.delete("/api/v1/workspace/logo").await.status(), StatusCode::OK);
    let updates = messages(&app, "workspace.updated").await;
    assert_eq!(updates.len(), 2, "{updates:?}");
    assert!(updates[0]["data"]["changes"]["logo"]["after"].as_str().is_some_and(|u| u.starts_with("/files/logo/")));
    assert!(updates[1]["data"]["changes"]["logo"]["after"].is_null());
}
