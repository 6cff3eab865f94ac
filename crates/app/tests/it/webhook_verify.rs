//! Signatures checked by the official Standard Webhooks library (Python's
//! `standardwebhooks`, in `tests/webhook_receiver.py`): every delivery
//! verifies with the endpoint's secret, both secrets verify during a
//! rotation's overlap, and only the new one after it.
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::webhooks::{delivery, secret};

use crate::harness::{TestApp, Visitor};
use crate::webhook_support::{PyReceiver, deliveries};
use crate::webhooks::{add_endpoint, app_allowing_local_targets};

async fn rename(admin: &Visitor, name: &str) {
    assert_eq!(admin.patch("/api/v1/workspace", json!({ "name": name })).await.status(), StatusCode::OK);
}

/// One change, delivered; returns what the receiver got for it.
async fn change_and_deliver(
    app: &TestApp,
    admin: &Visitor,
    rx: &PyReceiver,
    name: &str,
) -> crate::webhook_support::Hit {
    let before = rx.log().await.len();
    rename(admin, name).await;
    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 1);
    let log = rx.log().await;
    assert_eq!(log.len(), before + 1);
    log[before].clone()
}

#[tokio::test]
async fn every_delivery_verifies_with_the_endpoints_secret() {
    let app = app_allowing_local_targets().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let rx = PyReceiver::start().await;
    let (id, secret) = add_endpoint(&admin, &rx.url("/hook"), json!(["workspace.updated"])).await;
    // A second, unrelated secret: the library must refuse it, or the check
    // would prove nothing.
    rx.configure(json!({"secrets": [secret, secret::generate()], "now": app.clock_now().timestamp()})).await;

    for name in ["Acme Two", "Acme Three", "Acme Four"] {
        rename(&admin, name).await;
    }
    let res = admin.post_json(&format!("/api/v1/webhooks/endpoints/{id}/test"), json!({})).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 4);

    let log = rx.log().await;
    assert_eq!(log.len(), 4, "three changes and the test event");
    for hit in &log {
        assert_eq!(hit.verified_by, vec![0], "{hit:?}");
        assert!(hit.errors[0].starts_with("1: No matching signature"), "{hit:?}");
        assert_eq!((hit.signatures, hit.status), (1, 200));
    }
    let mut sent: Vec<String> = log.iter().filter_map(|h| h.webhook_id.clone()).collect();
    let mut stored: Vec<String> = deliveries(&app.state.db, &id).await.into_iter().map(|d| d.message_id).collect();
    sent.sort();
    stored.sort();
    assert_eq!(sent, stored, "one request per message, with its ID");
    let types: Vec<String> = log
        .iter()
        .map(|h| serde_json::from_str::<Value>(&h.body).expect("json")["type"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(types.iter().filter(|t| *t == "workspace.updated").count(), 3);
    assert_eq!(types.iter().filter(|t| *t == "webhook.test").count(), 1);
}

#[tokio::test]
async fn during_a_rotation_both_secrets_verify_and_after_it_only_the_new_one() {
    let app = app_allowing_local_targets().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let rx = PyReceiver::start().await;
    let (id, old) = add_endpoint(&admin, &rx.url("/hook"), json!(["workspace.updated"])).await;

    let res =
        admin.post_json(&format!("/api/v1/webhooks/endpoints/{id}/secret/rotate"), json!({"overlap_hours": 24})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let rotated: Value = res.json().await.expect("json");
    let new = rotated["secret"].as_str().expect("secret").to_string();
    assert_ne!(new, old);
    let until = app.clock_now() + chrono::Duration::hours(24);
    assert_eq!(rotated["previous_secret_signs_until"], json!(until));
    rx.configure(json!({"secrets": [old, new], "now": app.clock_now().timestamp()})).await;

    // Right after the rotation, and an hour before the overlap ends: two
    // `v1,` signatures, each verifying on its own.
    let hit = change_and_deliver(&app, &admin, &rx, "Acme Two").await;
    assert_eq!((hit.signatures, hit.verified_by.clone()), (2, vec![0, 1]), "{hit:?}");
    app.clock.advance(chrono::Duration::hours(23));
    rx.set_now(app.clock_now()).await;
    let hit = change_and_deliver(&app, &admin, &rx, "Acme Three").await;
    assert_eq!((hit.signatures, hit.verified_by.clone()), (2, vec![0, 1]), "{hit:?}");

    // Past the overlap: the new secret only.
    app.clock.advance(chrono::Duration::hours(1) + chrono::Duration::seconds(1));
    rx.set_now(app.clock_now()).await;
    let hit = change_and_deliver(&app, &admin, &rx, "Acme Four").await;
    assert_eq!((hit.signatures, hit.verified_by.clone()), (1, vec![1]), "{hit:?}");
    assert!(hit.errors[0].starts_with("0: No matching signature"), "{hit:?}");

    // A rotation without overlap: the old secret stops at once.
    let res =
        admin.post_json(&format!("/api/v1/webhooks/endpoints/{id}/secret/rotate"), json!({"overlap_hours": 0})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let newest: Value = res.json().await.expect("json");
    assert_eq!(newest["previous_secret_signs_until"], Value::Null);
    rx.configure(json!({"secrets": [new, newest["secret"]]})).await;
    let hit = change_and_deliver(&app, &admin, &rx, "Acme Five").await;
    assert_eq!((hit.signatures, hit.verified_by.clone()), (1, vec![1]), "{hit:?}");
}
