//! CSV imports end to end, over HTTP and the `import.run` job, on the
//! backend the run is for: contacts with bad rows (a wrong date, an unknown
//! enum value, an unparseable phone, a missing required value, a duplicate
//! inside the file) from a file with a byte-order mark, `;` separators and
//! a quoted newline; duplicates of stored contacts skipped or updated; a
//! default country; the suppression list's import; drafts deleted after a
//! week; the policy and the form's rules. The pipeline's own cases (chunk boundaries, resuming after
//! a crash, batches) are unit tests in `imports::pipeline` and
//! `imports::parse`.
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::contact_attributes::add_attribute;
use crate::harness::{TestApp, Visitor, problem};

/// Posts `kind`, the text `fields` and a CSV file to `/api/v1/imports`.
pub async fn upload_with(user: &Visitor, kind: &str, fields: &[(&str, &str)], csv: &[u8]) -> reqwest::Response {
    let mut form = Form::new().text("kind", kind.to_owned());
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    let file = Part::bytes(csv.to_vec()).file_name("people.csv").mime_str("text/csv").expect("mime");
    form = form.part("file", file);
    user.with_csrf(user.client.post(user.at("/api/v1/imports"))).multipart(form).send().await.expect("upload")
}

pub async fn upload(user: &Visitor, kind: &str, csv: &str) -> reqwest::Response {
    upload_with(user, kind, &[], csv.as_bytes()).await
}

/// Uploads, checks the 201, and answers the import.
pub async fn uploaded(user: &Visitor, kind: &str, fields: &[(&str, &str)], csv: &[u8]) -> Value {
    let res = upload_with(user, kind, fields, csv).await;
    assert_eq!(res.status(), StatusCode::CREATED, "upload");
    res.json().await.expect("json")
}

/// Starts `import` with `on_duplicate`, runs the jobs, answers the import.
pub async fn start_and_run(app: &TestApp, user: &Visitor, id: &str, on_duplicate: &str) -> Value {
    let res = user.post_json(&format!("/api/v1/imports/{id}/start"), json!({"on_duplicate": on_duplicate})).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED, "start");
    let queued: Value = res.json().await.expect("json");
    assert_eq!(queued["state"], "QUEUED");
    app.run_jobs().await;
    user.get_json(&format!("/api/v1/imports/{id}")).await
}

/// Files under the workspace's `imports` folder of the local file store.
fn stored_files(app: &TestApp, ws: &str) -> usize {
    let switchboard::config::StorageConfig::Local { root } = &app.state.config.storage else { return 0 };
    std::fs::read_dir(root.join("workspaces").join(ws).join("imports"))
        .map(|d| d.filter_map(Result::ok).filter(|e| !e.file_name().to_string_lossy().ends_with(".meta")).count())
        .unwrap_or(0)
}

fn contacts_by_phone(list: &Value) -> std::collections::BTreeMap<String, Value> {
    list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| (c["phone"].as_str().unwrap_or_default().to_string(), c.clone()))
        .collect()
}

/// A file with a byte-order mark, `;` separators, CRLF line ends, a quoted
/// newline and a quoted `;`, and one bad row of each kind.
const BAD_ROWS: &str = "\u{feff}Phone;Email;Name;Tier;Renews on;Notes\r\n\
(415) 555-2671;Ada@Example.com;Ada Lovelace;pro;2027-01-31;\"first line\nsecond; line\"\r\n\
415 555 2672;;Bob;Gold;;\r\n\
not a phone;;Cy;Free;;\r\n\
+1 415 555 2673;;Di;;;\r\n\
+14155552674;;Ed;Free;31/12/2026;\r\n\
+1 (415) 555-2671;;Ada again;Free;;\r\n\
+14155552675;;Fay;free;;\r\n";

#[tokio::test]
async fn a_contacts_csv_imports_its_good_rows_and_lists_every_bad_row_with_its_reason() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let ws = ada.workspace_id().await;
    add_attribute(
        &ada,
        json!({"key": "tier", "label": "Tier", "type": "enum", "options": ["Free", "Pro"], "required": true}),
    )
    .await;
    add_attribute(&ada, json!({"key": "renews_on", "label": "Renews on", "type": "date"})).await;
    add_attribute(&ada, json!({"key": "notes", "label": "Notes", "type": "text"})).await;

    let import = uploaded(&ada, "contacts", &[], BAD_ROWS.as_bytes()).await;
    let id = import["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("imp_"));
    assert_eq!(import["state"], "UPLOADED");
    assert_eq!(import["separator"], ";");
    assert_eq!(import["header"], json!(["Phone", "Email", "Name", "Tier", "Renews on", "Notes"]));
    // Headers matching a field's name or label are mapped at upload.
    assert_eq!(import["mapping"], json!(["phone", "email", "name", "tier", "renews_on", "notes"]));
    let fields: Vec<&str> =
        import["fields"].as_array().expect("fields").iter().filter_map(|f| f["name"].as_str()).collect();
    assert_eq!(fields, ["phone", "email", "name", "tier", "renews_on", "notes"]);

    // The preview: every row with its errors, nothing written.
    let preview = ada.get_json(&format!("/api/v1/imports/{id}/preview")).await;
    let rows = preview["rows"].as_array().expect("rows");
    let errors: Vec<(u64, Vec<String>)> = rows
        .iter()
        .map(|r| {
            let fields = r["errors"].as_array().expect("errors").iter();
            (
                r["row_number"].as_u64().expect("row"),
                fields.filter_map(|e| e["field"].as_str().map(String::from)).collect(),
            )
        })
        .collect();
    let expected = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        errors,
        vec![
            (2, vec![]),
            (3, expected(&["attributes.tier"])),
            (4, expected(&["phone"])),
            (5, expected(&["attributes.tier"])),
            (6, expected(&["attributes.renews_on"])),
            (7, expected(&["row"])),
            (8, vec![]),
        ]
    );
    assert_eq!(rows[0]["values"]["notes"], "first line\nsecond; line");
    assert_eq!(ada.get_json("/api/v1/contacts").await["data"], json!([]));

    let done = start_and_run(&app, &ada, &id, "update").await;
    assert_eq!(done["state"], "DONE");
    assert_eq!(done["counts"], json!({"rows_read": 7, "created": 2, "updated": 0, "skipped": 0, "failed": 5}));
    assert_eq!(done["progress"]["percent"], 100);
    // The file is gone once the import settles; its errors are kept.
    assert_eq!(stored_files(&app, &ws), 0);

    let contacts = contacts_by_phone(&ada.get_json("/api/v1/contacts").await);
    assert_eq!(contacts.keys().collect::<Vec<_>>(), ["+14155552671", "+14155552675"]);
    let first = &contacts["+14155552671"];
    assert_eq!(
        (&first["name"], &first["email"], &first["attributes"]),
        (
            &json!("Ada Lovelace"),
            &json!("ada@example.com"),
            &json!({"tier": "Pro", "renews_on": "2027-01-31", "notes": "first line\nsecond; line"})
        )
    );
    assert_eq!(contacts["+14155552675"]["attributes"], json!({"tier": "Free"}));

    // The errors CSV: the row number, the cells as they were, the reasons.
    let res = ada.get(&format!("/api/v1/imports/{id}/errors.csv")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap_or_default().starts_with("text/csv"));
    let csv = res.text().await.expect("text");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("row,Phone,Email,Name,Tier,Renews on,Notes,errors"));
    let rest: Vec<&str> = lines.collect();
    assert_eq!(rest.len(), 5, "{csv}");
    assert!(rest[0].starts_with("3,415 555 2672,,Bob,Gold,,,") && rest[0].contains("Free, Pro"), "{csv}");
    assert!(rest[1].starts_with("4,not a phone,,Cy,Free,,,\"phone: "), "{csv}");
    // A cell a spreadsheet would run as a formula keeps a leading `'`.
    assert!(rest[2].starts_with("5,'+1 415 555 2673,,Di,,,,") && rest[2].contains("Tier is required"), "{csv}");
    assert!(rest[3].starts_with("6,'+14155552674,,Ed,Free,31/12/2026,,") && rest[3].contains("YYYY-MM-DD"), "{csv}");
    assert!(rest[4].starts_with("7,'+1 (415) 555-2671,,Ada again,Free,,,row: Duplicate of row 2."), "{csv}");

    // Fixed in place and imported again (the `row` and `errors` columns
    // mapped to nothing), the errors CSV brings in what was missing.
    let fixed = csv.replace(",Gold,", ",Pro,").replace("Di,,", "Di,Free,").replace("31/12/2026", "2026-12-31");
    let again = uploaded(&ada, "contacts", &[], fixed.as_bytes()).await;
    assert_eq!(again["mapping"], json!([null, "phone", "email", "name", "tier", "renews_on", "notes", null]));
    let again_id = again["id"].as_str().expect("id");
    let done = start_and_run(&app, &ada, again_id, "skip").await;
    assert_eq!(done["counts"], json!({"rows_read": 5, "created": 3, "updated": 0, "skipped": 1, "failed": 1}));
    let contacts = contacts_by_phone(&ada.get_json("/api/v1/contacts").await);
    assert_eq!(contacts["+14155552673"]["attributes"], json!({"tier": "Free"}));
    assert_eq!(contacts["+14155552674"]["attributes"], json!({"tier": "Free", "renews_on": "2026-12-31"}));

    // Audited: the start, each created contact (as the person who started
    // it), and the end with the counts.
    let actions = app.audit_actions(&ws).await;
    let count = |a: &str| actions.iter().filter(|x| x.as_str() == a).count();
    assert_eq!((count("import.started"), count("import.finished"), count("contact.created")), (2, 2, 5));

    // Started once only.
    let res = ada.post_json(&format!("/api/v1/imports/{id}/start"), json!({"on_duplicate": "skip"})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_phone_already_stored_is_skipped_or_updated_as_chosen() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    add_attribute(&ada, json!({"key": "score", "label": "Score", "type": "number"})).await;
    let res = ada
        .post_json(
            "/api/v1/contacts",
            json!({"name": "Old name", "phone": "+14155552671", "email": "keep@example.com"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let csv = "phone,name,email,score\n415-555-2671,New name,,42\n";

    let skipped = uploaded(&ada, "contacts", &[], csv.as_bytes()).await;
    let done = start_and_run(&app, &ada, skipped["id"].as_str().expect("id"), "skip").await;
    assert_eq!(done["counts"], json!({"rows_read": 1, "created": 0, "updated": 0, "skipped": 1, "failed": 0}));
    let contact = &ada.get_json("/api/v1/contacts").await["data"][0];
    assert_eq!((&contact["name"], &contact["attributes"]), (&json!("Old name"), &json!({})));

    let updated = uploaded(&ada, "contacts", &[], csv.as_bytes()).await;
    let done = start_and_run(&app, &ada, updated["id"].as_str().expect("id"), "update").await;
    assert_eq!(done["counts"], json!({"rows_read": 1, "created": 0, "updated": 1, "skipped": 0, "failed": 0}));
    let contact = &ada.get_json("/api/v1/contacts").await["data"][0];
    // A blank cell leaves the stored value.
    assert_eq!(
        (&contact["name"], &contact["email"], &contact["attributes"]),
        (&json!("New name"), &json!("keep@example.com"), &json!({"score": 42}))
    );
}

#[tokio::test]
async fn national_numbers_are_read_in_the_import_default_country() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let csv = "Phone,Name\n020 7946 0958,Londoner\n";
    let res = upload_with(&ada, "contacts", &[("default_country", "XX")], csv.as_bytes()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(res).await["errors"][0]["field"], "default_country");

    let import = uploaded(&ada, "contacts", &[("default_country", "us")], csv.as_bytes()).await;
    let id = import["id"].as_str().expect("id");
    assert_eq!(import["default_country"], "US");
    let preview = ada.get_json(&format!("/api/v1/imports/{id}/preview")).await;
    assert_eq!(preview["rows"][0]["errors"][0]["field"], "phone");
    let res = ada
        .api(reqwest::Method::PUT, &format!("/api/v1/imports/{id}/mapping"), Some(json!({"default_country": "gb"})))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let preview = ada.get_json(&format!("/api/v1/imports/{id}/preview")).await;
    assert_eq!(preview["rows"][0]["errors"], json!([]));
    let done = start_and_run(&app, &ada, id, "skip").await;
    assert_eq!(done["counts"]["created"], 1);
    assert_eq!(ada.get_json("/api/v1/contacts").await["data"][0]["phone"], "+442079460958");
}

#[tokio::test]
async fn the_suppression_list_imports_entries_that_the_check_then_blocks() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let ws = ada.workspace_id().await;
    let res = ada.post_json("/api/v1/suppressions", json!({"phone": "+14155550100", "channel": "SMS"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let csv = "phone,email,channel,reason\n\
        +14155550100,,SMS,Already there\n\
        (415) 555-0101,,CALLS,Asked on a call\n\
        ,Carol@Example.com,,Unsubscribed\n\
        +14155550102,,FAX,Wrong channel\n\
        +14155550103,dan@example.com,ALL,Both\n\
        415.555.0101,,calls,Again\n";
    let import = uploaded(&ada, "suppressions", &[], csv.as_bytes()).await;
    assert_eq!(import["mapping"], json!(["phone", "email", "channel", "reason"]));
    let done = start_and_run(&app, &ada, import["id"].as_str().expect("id"), "skip").await;
    assert_eq!(done["counts"], json!({"rows_read": 6, "created": 2, "updated": 0, "skipped": 1, "failed": 3}));

    let check = ada.get_json("/api/v1/suppressions/check?phone=%2B14155550101&channel=CALLS").await;
    assert_eq!(check["allowed"], false);
    assert_eq!(
        (&check["reasons"][0]["source"], &check["reasons"][0]["reason"]),
        (&json!("IMPORT"), &json!("Asked on a call"))
    );
    let check = ada.get_json("/api/v1/suppressions/check?email=carol%40example.com&channel=SMS").await;
    assert_eq!(check["reasons"][0]["channel"], "ALL");
    let actions = app.audit_actions(&ws).await;
    assert_eq!(actions.iter().filter(|a| a.as_str() == "suppression.added").count(), 3);
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
    let res = upload(&admin, "contacts", "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(res).await["errors"][0]["field"], "file");
    // A refused upload keeps no file.
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
    assert_eq!(stored_files(&app, &ws), 0);
    // A Member imports contacts, and sees only those imports.
    assert_eq!(upload(&member, "contacts", "phone\n+14155550100\n").await.status(), StatusCode::CREATED);
    let suppressions = uploaded(&admin, "suppressions", &[], b"phone\n+14155550100\n").await;
    let listed = member.get_json("/api/v1/imports").await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["data"][0]["kind"], "contacts");
    let path = format!("/api/v1/imports/{}", suppressions["id"].as_str().expect("id"));
    assert_eq!(member.get(&path).await.status(), StatusCode::FORBIDDEN);
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

#[tokio::test]
async fn a_long_import_hands_over_to_fresh_jobs_within_the_lease_and_imports_each_row_once() {
    // A short lease: each run stops after 3 s (half of it) at a batch
    // boundary and enqueues the next, as a million rows would under the
    // default lease (a batch of this debug build takes about a second).
    let app = TestApp::spawn_with_args(|a| a.jobs.lease = Some("6s".into())).await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let ws = ada.workspace_id().await;
    let mut csv = String::from("phone,name\n");
    for i in 0..4000 {
        csv.push_str(&format!("+1415{}{:04},P{i}\n", 200 + i / 1000, i % 1000));
    }
    let import = uploaded(&ada, "contacts", &[], csv.as_bytes()).await;
    let id = import["id"].as_str().expect("id");
    let mut done = start_and_run(&app, &ada, id, "skip").await;
    // On a loaded machine a run can still outlast its lease mid-batch (the
    // worker stops it; the batch rolls back): its retry resumes.
    for _ in 0..20 {
        if done["state"] == "DONE" {
            break;
        }
        app.clock.advance(chrono::Duration::minutes(1));
        app.run_jobs().await;
        done = ada.get_json(&format!("/api/v1/imports/{id}")).await;
    }
    let jobs: Vec<(String, i64, Option<String>)> = switchboard_db::fetch_all!(
        &app.state.db,
        (String, i64, Option<String>),
        "SELECT status, CAST(attempts AS BIGINT), last_error FROM jobs WHERE kind = 'import.run'"
    )
    .expect("jobs");
    assert_eq!(done["state"], "DONE", "{done} {jobs:?}");
    assert_eq!(done["counts"], json!({"rows_read": 4000, "created": 4000, "updated": 0, "skipped": 0, "failed": 0}));
    let runs: i64 = switchboard_db::fetch_scalar!(
        &app.state.db,
        i64,
        "SELECT COUNT(*) FROM jobs WHERE kind = 'import.run' AND workspace_id = $1",
        ws.as_str()
    )
    .expect("jobs");
    assert!(runs >= 2, "the import ran as {runs} job(s)");
    let entries = |action: &'static str| {
        let (db, ws) = (app.state.db.clone(), ws.clone());
        async move {
            switchboard_db::fetch_scalar!(
                &db,
                i64,
                "SELECT COUNT(*) FROM audit_log WHERE workspace_id = $1 AND action = $2",
                ws.as_str(),
                action
            )
            .expect("count")
        }
    };
    assert_eq!((entries("contact.created").await, entries("import.finished").await), (4000, 1));
}

#[tokio::test]
async fn an_upload_never_started_is_deleted_with_its_file_after_a_week() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme").await;
    let ws = ada.workspace_id().await;
    let draft = uploaded(&ada, "contacts", &[], b"phone\n+14155550100\n").await;
    let started = uploaded(&ada, "contacts", &[], b"phone\n+14155550101\n").await;
    start_and_run(&app, &ada, started["id"].as_str().expect("id"), "skip").await;
    assert_eq!(stored_files(&app, &ws), 1, "the draft's file is kept while it may still start");

    // (Read from the table: the session does not last the week.)
    let state_of = |id: &Value| {
        let (db, id) = (app.state.db.clone(), id["id"].as_str().expect("id").to_string());
        async move {
            switchboard_db::fetch_optional!(&db, (String,), "SELECT state FROM imports WHERE id = $1", id)
                .expect("state")
                .map(|(s,)| s)
        }
    };
    app.clock.advance(chrono::Duration::days(6));
    switchboard::jobs::hourly_cleanup(&app.state).await;
    assert_eq!(state_of(&draft).await.as_deref(), Some("UPLOADED"), "kept for a week");

    app.clock.advance(chrono::Duration::days(2));
    switchboard::jobs::hourly_cleanup(&app.state).await;
    assert_eq!(state_of(&draft).await, None);
    assert_eq!(stored_files(&app, &ws), 0);
    assert_eq!(state_of(&started).await.as_deref(), Some("DONE"), "a started import stays");
}
