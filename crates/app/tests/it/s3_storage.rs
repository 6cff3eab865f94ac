//! The app with `--storage s3` against a local S3-compatible server (moto,
//! see crates/providers/tests/support/moto.rs): logos and avatars are
//! stored in the bucket and served back from it.
use reqwest::StatusCode;
use switchboard::config::{StorageArgs, StorageBackend};

use crate::harness::{TestApp, png};
use crate::moto::{self, MotoServer};

const BUCKET: &str = "switchboard-app";

/// An app whose files live in a fresh moto bucket; `None` without moto.
async fn spawn_on_s3() -> Option<(MotoServer, TestApp)> {
    let moto = MotoServer::start()?;
    moto.create_bucket(BUCKET);
    let endpoint = moto.endpoint();
    let app = TestApp::spawn_with_args(|args| {
        args.storage = StorageArgs {
            backend: Some(StorageBackend::S3),
            s3_bucket: Some(BUCKET.into()),
            s3_region: Some(moto::REGION.into()),
            s3_endpoint: Some(endpoint),
            s3_access_key_id: Some(moto::ACCESS_KEY_ID.into()),
            s3_secret_access_key: Some(moto::SECRET_ACCESS_KEY.into()),
            s3_path_style: Some(true),
        };
    })
    .await;
    Some((moto, app))
}

#[tokio::test]
async fn a_logo_uploaded_with_s3_storage_is_stored_in_the_bucket_and_served_back() {
    let Some((moto, app)) = spawn_on_s3().await else { return };
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws_id = admin.workspace_id().await;
    let res = admin.put_bytes("/api/v1/workspace/logo", png(300, 200), "image/png").await;
    assert_eq!(res.status(), StatusCode::OK, "{}", moto.log());
    let ws: serde_json::Value = res.json().await.expect("json");
    let large = ws["logo"]["large"].as_str().expect("logo url").to_string();

    let keys = moto.list_keys(BUCKET);
    assert!(!keys.is_empty() && keys.iter().all(|k| k.starts_with(&format!("workspaces/{ws_id}/logo/"))), "{keys:?}");
    assert!(!app.state.config.data_dir.join("files").exists(), "nothing went to the local folder");

    let res = admin.get(&large).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    let img = image::load_from_memory(&res.bytes().await.expect("bytes")).expect("decodes");
    assert_eq!((img.width(), img.height()), (256, 256));

    let res = admin.delete("/api/v1/workspace/logo").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(admin.get(&large).await.status(), StatusCode::NOT_FOUND);
    assert!(moto.list_keys(BUCKET).is_empty(), "old files are deleted from the bucket");
}

#[tokio::test]
async fn an_avatar_uploaded_with_s3_storage_is_served_back() {
    let Some((moto, app)) = spawn_on_s3().await else { return };
    let user = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let res = user.put_bytes("/api/v1/me/avatar", png(64, 64), "image/png").await;
    assert_eq!(res.status(), StatusCode::OK, "{}", moto.log());
    let me: serde_json::Value = res.json().await.expect("json");
    let url = me["avatar_url"].as_str().expect("avatar url").to_string();
    assert!(moto.list_keys(BUCKET).iter().any(|k| k.starts_with("users/")));
    let res = user.get(&url).await;
    assert_eq!(res.status(), StatusCode::OK);
    image::load_from_memory(&res.bytes().await.expect("bytes")).expect("decodes");
}
