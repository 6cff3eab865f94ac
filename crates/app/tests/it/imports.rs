//! CSV imports over HTTP, as far as this branch goes: no kind has a target
//! yet (contacts and suppressions plug theirs in at integration), so these
//! check the route, the policy, the form's rules and that a refused upload
//! keeps no file. The pipeline itself (parsing, mapping, preview, batches,
//! duplicates, resuming, row errors) is tested in `imports::pipeline`'s
//! and `imports::parse`'s unit tests over a test target.
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::harness::{TestApp, Visitor, problem};

/// Posts `kind` and a CSV file to `/api/v1/imports`.
pub async fn upload(user: &Visitor, kind: &str, csv: &str) -> reqwest::Response {
    let form = Form::new()
        .text("kind", kind.to_owned())
        .part("file", Part::bytes(csv.as_bytes().to_vec()).file_name("people.csv").mime_str("text/csv").expect("mime"));
    user.with_csrf(user.client.post(user.at("/api/v1/imports"))).multipart(form).send().await.expect("upload")
}

/// Files under the workspace's `imports` folder of the local file store.
fn stored_files(app: &TestApp, ws: &str) -> usize {
    let switchboard::config::StorageConfig::Local { root } = &app.state.config.storage else { return 0 };
    std::fs::read_dir(root.join("workspaces").join(ws).join("imports"))
        .map(|d| d.filter_map(Result::ok).filter(|e| !e.file_name().to_string_lossy().ends_with(".meta")).count())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_kind_without_a_target_is_refused_and_its_file_is_not_kept() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let ws = admin.workspace_id().await;
    for kind in ["contacts", "suppressions"] {
        let res = upload(&admin, kind, "phone,name\n+15550100,Bo\n").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        assert_eq!(problem(res).await["code"], "import_kind_unavailable");
    }
    assert_eq!(stored_files(&app, &ws), 0);
    let list = admin.get_json("/api/v1/imports").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn the_kind_must_be_named_and_one_file_sent() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let res = upload(&admin, "people", "phone\n1\n").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(res).await["errors"][0]["field"], "kind");
    let form = Form::new().text("kind", "contacts");
    let res =
        admin.with_csrf(admin.client.post(admin.at("/api/v1/imports"))).multipart(form).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stored_files(&app, &admin.workspace_id().await), 0);
}

#[tokio::test]
async fn viewers_import_nothing_and_members_no_suppressions() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let ws = admin.workspace_id().await;
    let member = app.user_with_workspace("Bo", "bo@example.com", "Bo's").await;
    app.add_member(&ws, &member, "member").await;
    member.switch_to(&ws).await;
    let viewer = app.user_with_workspace("Cy", "cy@example.com", "Cy's").await;
    app.add_member(&ws, &viewer, "viewer").await;
    viewer.switch_to(&ws).await;

    assert_eq!(upload(&viewer, "contacts", "phone\n1\n").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(upload(&member, "suppressions", "phone\n1\n").await.status(), StatusCode::FORBIDDEN);
    // A Member passes the policy for contacts; only the missing target stops it.
    let res = upload(&member, "contacts", "phone\n1\n").await;
    assert_eq!(problem(res).await["code"], "import_kind_unavailable");
    assert_eq!(stored_files(&app, &ws), 0);
    assert_eq!(viewer.get("/api/v1/imports").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_unknown_import_is_not_found() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    for path in [
        "/api/v1/imports/imp_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0",
        "/api/v1/imports/nonsense/preview",
        "/api/v1/imports/imp_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0/errors.csv",
    ] {
        assert_eq!(admin.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
}
