//! Workspace logos: validation, re-encoding, serving, removal.
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::harness::{TestApp, flash_text, png, problem};

#[tokio::test]
async fn a_logo_is_re_encoded_served_to_members_only_and_removable() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let upload = png(300, 200);
    let res = admin.put_bytes("/api/v1/workspace/logo", upload.clone(), "image/png").await;
    assert_eq!(res.status(), StatusCode::OK);
    let ws: serde_json::Value = res.json().await.expect("json");
    let large = ws["logo"]["large"].as_str().expect("logo url").to_string();
    assert!(large.starts_with("/files/logo/"));

    let res = admin.get(&large).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(res.headers()["cache-control"].to_str().expect("cc").contains("private"));
    let served = res.bytes().await.expect("bytes");
    assert_ne!(served.as_ref(), upload.as_slice(), "never served as uploaded");
    let img = image::load_from_memory(&served).expect("decodes");
    assert_eq!((img.width(), img.height()), (256, 256), "square thumbnail");

    // The switcher shows it.
    let html = admin.get_text("/").await.replace("&#x2f;", "/");
    assert!(
        html.contains(&format!(r#"<img class="ws-logo" src="{}""#, ws["logo"]["medium"].as_str().expect("medium")))
    );

    // Someone outside the workspace cannot fetch it, nor can a stranger.
    let eve = app.user_with_workspace("Eve", "eve@example.com", "Evil Corp").await;
    assert_eq!(eve.get(&large).await.status(), StatusCode::NOT_FOUND);
    let res = app.visitor().get(&large).await;
    assert_eq!(crate::harness::location(&res), "/signin", "signed out: sign in first");

    let res = admin.delete("/api/v1/workspace/logo").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(admin.workspace().await["logo"].is_null());
    assert_eq!(admin.get(&large).await.status(), StatusCode::NOT_FOUND, "old files are deleted");
}

#[tokio::test]
async fn bad_logo_uploads_are_refused_and_keep_the_old_logo() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let res = admin.put_bytes("/api/v1/workspace/logo", png(64, 64), "image/png").await;
    assert_eq!(res.status(), StatusCode::OK);
    let before = admin.workspace().await;

    let good = png(400, 400);
    let truncated = good[..good.len() / 2].to_vec();
    let mut huge_header = png(1, 1);
    // IHDR width/height live at bytes 16..24; claim 100000×100000 and fix the CRC.
    huge_header[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    huge_header[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&huge_header[12..29]);
    huge_header[29..33].copy_from_slice(&crc.to_be_bytes());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("text file named .png", b"hello, I am not an image at all".to_vec(), "Upload a PNG, JPEG, WebP or GIF image."),
        ("truncated PNG", truncated, "damaged or truncated"),
        ("too many pixels", png(4097, 8), "4097×8"),
        ("header claims 100000×100000", huge_header, "100000×100000"),
        ("over 2 MiB", vec![0u8; 2 * 1024 * 1024 + 1], "2 MiB"),
    ];
    for (what, bytes, message) in cases {
        let res = admin.put_bytes("/api/v1/workspace/logo", bytes, "image/png").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        let p = problem(res).await;
        assert_eq!(p["errors"][0]["field"], "file", "{what}");
        let text = p["errors"][0]["message"].as_str().expect("message");
        assert!(text.contains(message), "{what}: {text}");
        assert_eq!(admin.workspace().await, before, "{what} leaves the workspace as it was");
    }
}

#[tokio::test]
async fn the_settings_page_uploads_and_shows_errors_by_the_field() {
    let app = TestApp::spawn().await;
    let mut admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let csrf = admin.load_csrf("/settings/general").await;
    let ws_id = admin.workspace().await["id"].as_str().expect("id").to_string();
    let form = |bytes: Vec<u8>, name: &str| {
        Form::new()
            .text("_csrf", csrf.clone())
            .text("_workspace", ws_id.clone())
            .part("logo", Part::bytes(bytes).file_name(name.to_string()).mime_str("image/png").expect("mime"))
    };
    let res = admin
        .client
        .post(admin.at("/settings/general/logo"))
        .multipart(form(png(50, 50), "logo.png"))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(flash_text(&res).as_deref(), Some("Workspace logo updated."));
    let logo = admin.workspace().await["logo"]["large"].clone();
    assert!(logo.is_string());

    let res = admin
        .client
        .post(admin.at("/settings/general/logo"))
        .multipart(form(b"just text".to_vec(), "evil.png"))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains(r#"<p class="field-error" id="f-logo-error">Upload a PNG, JPEG, WebP or GIF image.</p>"#));
    assert_eq!(admin.workspace().await["logo"]["large"], logo);

    admin.load_csrf("/settings/general").await;
    let res = admin.post_form("/settings/general/logo/delete", &[("_workspace", &ws_id)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(admin.workspace().await["logo"].is_null());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}
