//! `switchboard key rotate` end to end: stored secrets move to the new key,
//! read the same through the API, and old audit checkpoints still verify.
use reqwest::StatusCode;
use serde_json::json;
use switchboard::audit::checkpoint::Checkpoint;
use switchboard_db::{execute, fetch_one};

use crate::audit_retention::check;
use crate::harness::Visitor;
use crate::webhooks::{add_endpoint, app_allowing_local_targets, receiver};

async fn revealed(admin: &Visitor, id: &str) -> String {
    let res = admin.post_json(&format!("/api/v1/webhooks/endpoints/{id}/secret"), serde_json::json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value = res.json().await.expect("json");
    body["secret"].as_str().expect("secret").to_string()
}

#[tokio::test]
async fn rotating_the_server_key_reseals_stored_secrets_and_keeps_checkpoints_verifiable() {
    let app = app_allowing_local_targets().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (url, _received) = receiver(StatusCode::OK).await;
    let (id, first_secret) = add_endpoint(&admin, &url, json!(["workspace.updated"])).await;
    // A rotation of the endpoint's own secret, so a previous one is stored too.
    let res = admin.post_json(&format!("/api/v1/webhooks/endpoints/{id}/secret/rotate"), json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let secret = revealed(&admin, &id).await;
    assert_ne!(secret, first_secret);
    // A second endpoint stored as the first release did (`v1:`, no key named).
    let (legacy_id, legacy_secret) = add_endpoint(&admin, &url, json!(["workspace.updated"])).await;
    let legacy = switchboard::sealed::seal_legacy(
        &app.state.server_key.current(),
        switchboard::webhooks::secret::PURPOSE,
        legacy_id.as_bytes(),
        &legacy_secret,
    )
    .expect("legacy seal");
    execute!(&app.state.db, "UPDATE webhook_endpoints SET secret_enc = $1 WHERE id = $2", &legacy, &legacy_id)
        .expect("store legacy");
    assert_eq!(revealed(&admin, &legacy_id).await, legacy_secret);

    let old_key = app.state.server_key.key_id();
    let old_checkpoint: Checkpoint =
        serde_json::from_value(admin.get_json("/api/v1/audit-log/checkpoint").await).expect("checkpoint");
    assert_eq!(old_checkpoint.key_id, old_key);

    let (rotated_from, new_key) = switchboard::key_rotation::rotate(&app.state.config).await.expect("rotate");
    assert_eq!(rotated_from, old_key);
    assert!(app.run_jobs().await >= 1);
    assert_eq!(app.state.server_key.key_id(), new_key);

    let stored = |id: String| {
        let db = app.state.db.clone();
        async move {
            fetch_one!(
                &db,
                (String, Option<String>),
                "SELECT secret_enc, previous_secret_enc FROM webhook_endpoints WHERE id = $1",
                id
            )
            .expect("row")
        }
    };
    let (current, previous) = stored(id.clone()).await;
    let prefix = format!("v2.{new_key}.");
    assert!(current.starts_with(&prefix), "{current}");
    assert!(previous.as_deref().is_some_and(|p| p.starts_with(&prefix)), "{previous:?}");
    let (legacy_now, _) = stored(legacy_id.clone()).await;
    assert!(legacy_now.starts_with(&prefix), "{legacy_now}");
    // The API reveals the same secrets as before.
    assert_eq!(revealed(&admin, &id).await, secret);
    assert_eq!(revealed(&admin, &legacy_id).await, legacy_secret);

    // The old checkpoint names the old key, found in the keyring.
    let res = check(&admin, &old_checkpoint).await;
    assert_eq!(res["valid"], true, "{res}");
    let new_checkpoint: Checkpoint =
        serde_json::from_value(admin.get_json("/api/v1/audit-log/checkpoint").await).expect("checkpoint");
    assert_eq!(new_checkpoint.key_id, new_key);
    let res = check(&admin, &new_checkpoint).await;
    assert_eq!(res["valid"], true, "{res}");

    // Without the keyring, the old checkpoint and old values are lost:
    // the keyring is what keeps them.
    std::fs::remove_file(switchboard::server_key::keyring_path(&app.state.config.server_key_file)).expect("rm");
    app.state.server_key.reload().expect("reload");
    let res = check(&admin, &old_checkpoint).await;
    assert_eq!((res["valid"].clone(), res["reason"].clone()), (json!(false), json!("signature_invalid")), "{res}");
    assert_eq!(revealed(&admin, &id).await, secret);
}
