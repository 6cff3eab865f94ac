//! The import pages without a browser (tests/browser/imports.test.mjs
//! clicks through them): contacts under the Contacts page for Members,
//! the suppression list under Settings → Audiences for Admins; upload,
//! mapping with the preview's errors, start, the page while it runs and
//! once settled; refusals by their fields.
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::harness::{TestApp, Visitor, flash_text, location};

/// Posts the upload form of `base` as the page does.
async fn upload_page(user: &Visitor, base: &str, kind: &str, csv: &[u8]) -> reqwest::Response {
    let file = Part::bytes(csv.to_vec()).file_name("list.csv").mime_str("text/csv").expect("mime");
    let form = Form::new()
        .text("kind", kind.to_owned())
        .text("default_country", "US")
        .text("separator", "")
        .part("file", file);
    user.with_csrf(user.client.post(user.at(base))).multipart(form).send().await.expect("upload")
}

#[tokio::test]
async fn a_member_maps_previews_and_imports_contacts_through_the_pages() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let ws = admin.workspace_id().await;
    let mut member = app.user_with_workspace("Bo", "bo@example.com", "Bo's").await;
    app.add_member(&ws, &member, "member").await;
    member.switch_to(&ws).await;
    member.load_csrf("/contacts").await;

    let list = member.get_text("/contacts").await;
    assert!(list.contains(r#"href="/contacts/import""#), "the Contacts page offers the import");
    let form = member.get_text("/contacts/import").await;
    assert!(form.contains("Upload a CSV file") && form.contains("Phone, Email, Name"), "{form}");

    let csv = b"Phone,Nickname,Email\n+14155550100,Al,al@example.com\nnot a phone,Bee,\n+14155550102,Cy,\n";
    let res = upload_page(&member, "/contacts/import", "contacts", csv).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page_url = location(&res);
    assert!(page_url.starts_with("/contacts/import/imp_"), "{page_url}");

    let page = member.get_text(&page_url).await;
    // Suggested: Phone → phone, Email → email; Nickname ignored.
    assert!(page.contains(r#"<option value="phone" selected>"#), "{page}");
    assert!(page.contains("1 with errors"), "{page}");
    assert!(page.contains("Phone: Enter a phone number"), "{page}");

    // Nickname → name, with "Update preview".
    let fields = [
        ("column_0", "phone"),
        ("column_1", "name"),
        ("column_2", "email"),
        ("separator", ","),
        ("default_country", "US"),
    ];
    let res = member.post_form(&format!("{page_url}/mapping"), &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = member.get_text(&page_url).await;
    assert!(page.contains("<th scope=\"col\">Name</th>") && page.contains("<td>Bee</td>"), "{page}");

    // Two columns on one field: refused by the column, nothing started.
    let twice = [("column_0", "phone"), ("column_1", "phone"), ("column_2", "email"), ("separator", ",")];
    let res = member.post_form(&format!("{page_url}/start"), &twice).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("text");
    assert!(page.contains("Another column is already mapped to"), "{page}");

    let mut start: Vec<(&str, &str)> = fields.to_vec();
    start.push(("on_duplicate", "update"));
    let res = member.post_form(&format!("{page_url}/start"), &start).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).is_some_and(|t| t.contains("Importing")));
    let running = member.get_text(&page_url).await;
    assert!(running.contains("Importing…") && running.contains(r#"<meta http-equiv="refresh""#), "{running}");
    assert!(running.contains("imports.js?v="), "{running}");

    app.run_jobs().await;
    let done = member.get_text(&page_url).await;
    assert!(done.contains("Import finished"), "{done}");
    assert!(
        done.contains(r#"<dd id="import-created">2</dd>"#) && done.contains(r#"<dd id="import-failed">1</dd>"#),
        "{done}"
    );
    assert!(done.contains("errors.csv"), "{done}");
    assert!(!done.contains(r#"http-equiv="refresh""#), "a settled import's page stays put");
    let contacts = member.get_text("/contacts").await;
    assert!(contacts.contains("Al") && contacts.contains("Cy"), "{contacts}");

    // The import lives under the Contacts page only.
    let id = page_url.trim_start_matches("/contacts/import/");
    let res = admin.get(&format!("/settings/audiences/suppression/import/{id}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admins_import_the_suppression_list_and_members_may_not() {
    let app = TestApp::spawn().await;
    let mut admin = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let ws = admin.workspace_id().await;
    let member = app.user_with_workspace("Bo", "bo@example.com", "Bo's").await;
    app.add_member(&ws, &member, "member").await;
    member.switch_to(&ws).await;
    admin.load_csrf("/settings/audiences/suppression").await;

    let tab = admin.get_text("/settings/audiences/suppression").await;
    assert!(tab.contains(r#"href="/settings/audiences/suppression/import""#));
    let res = member.get("/settings/audiences/suppression/import").await;
    assert!(res.status() == StatusCode::FORBIDDEN || res.status() == StatusCode::SEE_OTHER, "{}", res.status());
    let base = "/settings/audiences/suppression/import";
    let res = upload_page(&member, base, "suppressions", b"phone\n+14155550100\n").await;
    assert!(res.status() == StatusCode::FORBIDDEN || res.status() == StatusCode::SEE_OTHER, "{}", res.status());

    // No file: the form again with the message by the file field.
    let file = Part::bytes(Vec::new()).file_name("").mime_str("text/csv").expect("mime");
    let form = Form::new().text("kind", "suppressions").part("file", file);
    let res = admin.with_csrf(admin.client.post(admin.at(base))).multipart(form).send().await.expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("text");
    assert!(page.contains(r#"id="import-file-error""#), "{page}");

    let res = upload_page(&admin, base, "suppressions", b"Phone;Channel;Reason\n+14155550100;SMS;Texted STOP\n").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page_url = location(&res);
    assert!(page_url.starts_with("/settings/audiences/suppression/import/imp_"), "{page_url}");
    let page = admin.get_text(&page_url).await;
    assert!(page.contains("Audiences") && page.contains(r#"<option value=";" selected>"#), "{page}");
    let fields = [("column_0", "phone"), ("column_1", "channel"), ("column_2", "reason"), ("separator", ";")];
    let res = admin.post_form(&format!("{page_url}/start"), &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.run_jobs().await;
    let done = admin.get_text(&page_url).await;
    assert!(done.contains(r#"<dd id="import-created">1</dd>"#), "{done}");
    let check = admin.get_json("/api/v1/suppressions/check?phone=%2B14155550100&channel=SMS").await;
    assert_eq!(check["allowed"], false);
}
