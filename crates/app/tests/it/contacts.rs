//! Contacts (issue 17): the API's create, read, partial update and delete
//! with audit entries and webhook events; phone numbers read with a default
//! country and stored E.164; a duplicate phone; email lower-cased;
//! attribute values checked by type with unknown keys refused by field;
//! search and keyset pages; Viewers reading only and Members editing
//! (pages and API); another workspace's contact answering 404; the import's
//! `upsert_in`; and the Contacts pages.
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::audit::Origin;
use switchboard::contacts::model::parse_country;
use switchboard::contacts::service::{ContactInput, OnDuplicate, Upserted, upsert_in};
use switchboard::contacts::{attribute_store, store};
use switchboard::webhooks::delivery;

use crate::agents::audit_changes;
use crate::contact_attributes::add_attribute;
use crate::harness::{TestApp, Visitor, flash_text, location, problem};
use crate::webhooks::{add_endpoint, app_allowing_local_targets, receiver};

async fn create(v: &Visitor, body: Value) -> Value {
    let res = v.post_json("/api/v1/contacts", body.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED, "create contact {body}");
    res.json().await.expect("json")
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

fn fields_of(p: &Value) -> Vec<String> {
    p["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str().map(String::from)).collect()
}

/// Refused by the policy: a 403, or a page's redirect with the permission toast.
fn refused(res: &reqwest::Response) -> bool {
    res.status() == StatusCode::FORBIDDEN || flash_text(res).is_some_and(|t| t.contains("permission"))
}

#[tokio::test]
async fn a_contact_is_created_read_partially_updated_and_deleted_with_an_audit_entry_each() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    add_attribute(&ada, json!({"key": "tier", "label": "Tier", "type": "enum", "options": ["Free", "Pro"]})).await;
    add_attribute(&ada, json!({"key": "renews_on", "label": "Renews on", "type": "date"})).await;
    let c = create(
        &ada,
        json!({"name": " Grace Hopper ", "phone": "(415) 555-2671", "email": "Grace@Example.COM", "attributes": {"tier": "pro"}}),
    )
    .await;
    let id = id_of(&c);
    assert!(id.starts_with("con_"));
    assert_eq!(
        (&c["name"], &c["phone"], &c["email"], &c["attributes"], &c["suppressed"]),
        (
            &json!("Grace Hopper"),
            &json!("+14155552671"),
            &json!("grace@example.com"),
            &json!({"tier": "Pro"}),
            &json!(false)
        )
    );
    assert_eq!(ada.get_json(&format!("/api/v1/contacts/{id}")).await, c);

    app.clock.advance(Duration::minutes(5));
    let res = ada.patch(&format!("/api/v1/contacts/{id}"), json!({"attributes": {"renews_on": "2027-01-31"}})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let changed: Value = res.json().await.expect("json");
    assert_eq!(changed["attributes"], json!({"tier": "Pro", "renews_on": "2027-01-31"}));
    assert_eq!(changed["name"], "Grace Hopper");
    assert_ne!(changed["updated_at"], c["updated_at"]);
    // null clears; a national number in another country.
    let res = ada
        .patch(
            &format!("/api/v1/contacts/{id}"),
            json!({"email": null, "phone": "020 7946 0958", "default_country": "GB", "attributes": {"tier": null}}),
        )
        .await;
    let changed: Value = res.json().await.expect("json");
    assert_eq!((&changed["email"], &changed["phone"]), (&Value::Null, &json!("+442079460958")));
    assert_eq!(changed["attributes"], json!({"renews_on": "2027-01-31"}));
    // Nothing to change: no entry.
    assert_eq!(
        ada.patch(&format!("/api/v1/contacts/{id}"), json!({"name": "Grace Hopper"})).await.status(),
        StatusCode::OK
    );
    // Neither phone nor email left: refused.
    let p = problem(ada.patch(&format!("/api/v1/contacts/{id}"), json!({"phone": null})).await).await;
    assert_eq!(fields_of(&p), ["phone"]);

    assert_eq!(ada.delete(&format!("/api/v1/contacts/{id}")).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(ada.get(&format!("/api/v1/contacts/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(ada.delete(&format!("/api/v1/contacts/{id}")).await.status(), StatusCode::NOT_FOUND);

    let created = audit_changes(&app, &ws, "contact.created").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["phone"], json!({"before": null, "after": "+14155552671"}));
    assert_eq!(created[0]["attributes"], json!({"before": null, "after": {"tier": "Pro"}}));
    let updated = audit_changes(&app, &ws, "contact.updated").await;
    assert_eq!(updated.len(), 2);
    assert_eq!(
        updated[0],
        json!({"attributes": {"before": {"renews_on": null}, "after": {"renews_on": "2027-01-31"}}})
    );
    assert_eq!(updated[1]["email"], json!({"before": "grace@example.com", "after": null}));
    assert_eq!(updated[1]["attributes"], json!({"before": {"tier": "Pro"}, "after": {"tier": null}}));
    let deleted = audit_changes(&app, &ws, "contact.deleted").await;
    assert_eq!(deleted[0]["name"], json!({"before": "Grace Hopper", "after": null}));
}

#[tokio::test]
async fn bad_contact_input_is_refused_by_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    add_attribute(&ada, json!({"key": "seats", "label": "Seats", "type": "number"})).await;
    add_attribute(&ada, json!({"key": "vip", "label": "VIP", "type": "boolean"})).await;
    add_attribute(&ada, json!({"key": "since", "label": "Since", "type": "date"})).await;
    add_attribute(&ada, json!({"key": "tier", "label": "Tier", "type": "enum", "options": ["Free"]})).await;
    add_attribute(&ada, json!({"key": "notes", "label": "Notes", "type": "text"})).await;
    let body = json!({
        "name": "n".repeat(201), "phone": "555", "email": "not-an-email",
        "attributes": {"seats": "many", "vip": "maybe", "since": "31/12/2026", "tier": "Gold", "notes": "x".repeat(1001), "foo": 1}
    });
    let p = problem(ada.post_json("/api/v1/contacts", body).await).await;
    assert_eq!(p["status"], 422);
    assert_eq!(
        fields_of(&p),
        [
            "name",
            "phone",
            "email",
            "attributes.foo",
            "attributes.notes",
            "attributes.seats",
            "attributes.since",
            "attributes.tier",
            "attributes.vip"
        ]
    );
    for (body, field) in [
        (json!({"name": "Nobody"}), "phone"),
        (json!({"phone": "+1 415 555 2671", "default_country": "XX"}), "default_country"),
        (json!({"phone": "415 555 2671", "default_country": "Narnia"}), "default_country"),
        (json!({"email": "a@example.com", "attributes": {"seats": "NaN"}}), "attributes.seats"),
        (json!({"email": "a@example.com", "attributes": {"seats": [1]}}), "attributes.seats"),
        (json!({"email": "a@example.com", "attributes": {"since": "2026-02-30"}}), "attributes.since"),
    ] {
        let res = ada.post_json("/api/v1/contacts", body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(fields_of(&problem(res).await), [field], "{body}");
    }
    let res = ada.post_json("/api/v1/contacts", json!({"email": "a@example.com", "colour": "red"})).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "unknown fields are refused");
    // Well-formed values of each type.
    let c = create(
        &ada,
        json!({"email": "a@example.com", "attributes": {"seats": "1e3", "vip": "YES", "since": "2026-02-28", "tier": "free", "notes": "ok"}}),
    )
    .await;
    assert_eq!(
        c["attributes"],
        json!({"seats": 1000.0, "vip": true, "since": "2026-02-28", "tier": "Free", "notes": "ok"})
    );
    assert_eq!(ada.get_json("/api/v1/contacts").await["data"].as_array().map(Vec::len), Some(1));
    let before = app.audit_actions(&ws).await.len();
    let res = ada.patch(&format!("/api/v1/contacts/{}", id_of(&c)), json!({"attributes": {"bar": "x"}})).await;
    assert_eq!(fields_of(&problem(res).await), ["attributes.bar"]);
    assert_eq!(ada.get_json(&format!("/api/v1/contacts/{}", id_of(&c))).await, c, "nothing changed");
    assert_eq!(app.audit_actions(&ws).await.len(), before, "no entry for a refused change");
    let res = ada.get("/api/v1/contacts?cursor=garbage").await;
    assert_eq!(fields_of(&problem(res).await), ["cursor"]);
}

#[tokio::test]
async fn a_phone_another_contact_has_is_a_conflict_on_phone() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let first = create(&ada, json!({"name": "First", "phone": "+1 415 555 2671"})).await;
    // The same number in another format, read in the default country.
    let res = ada.post_json("/api/v1/contacts", json!({"name": "Second", "phone": "415.555.2671"})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let p = problem(res).await;
    assert_eq!((&p["code"], fields_of(&p)), (&json!("duplicate_phone"), vec!["phone".to_string()]));
    let second = create(&ada, json!({"name": "Second", "phone": "+1 415 555 2672", "email": "s@example.com"})).await;
    let res = ada.patch(&format!("/api/v1/contacts/{}", id_of(&second)), json!({"phone": "4155552671"})).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // Several contacts without a phone do not collide; another workspace may have the number.
    create(&ada, json!({"email": "x@example.com"})).await;
    create(&ada, json!({"email": "y@example.com"})).await;
    let bob = app.user_with_workspace("Bob", "bob@example.com", "Bob's Bots").await;
    create(&bob, json!({"phone": "+14155552671"})).await;
    let ws: switchboard_core::WorkspaceId = ada.workspace_id().await.parse().expect("ws");
    let ids = store::ids_by_phone(&app.state.db, &ws, "+14155552671").await.expect("ids");
    assert_eq!(ids.iter().map(ToString::to_string).collect::<Vec<_>>(), [id_of(&first)]);
}

#[tokio::test]
async fn contacts_are_searched_by_name_email_or_phone_and_paged_newest_first() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let mut made = Vec::new();
    for n in 0..5 {
        let body = json!({"name": format!("Person {n}"), "phone": format!("+1 415 555 26{n:02}"), "email": format!("p{n}@example.com")});
        made.push(id_of(&create(&ada, body).await));
        app.clock.advance(Duration::seconds(1));
    }
    made.push(id_of(&create(&ada, json!({"name": "Grace 100%_Hopper", "email": "GRACE@navy.example"})).await));
    made.push(id_of(&create(&ada, json!({"name": "Twin", "email": "twin@example.com"})).await));
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/contacts?limit=2&cursor={c}"),
            None => "/api/v1/contacts?limit=2".to_string(),
        };
        let page = ada.get_json(&path).await;
        let data = page["data"].as_array().expect("data");
        assert!(data.len() <= 2);
        seen.extend(data.iter().map(id_of));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7, "{seen:?}");
    assert_eq!(&seen[2..], [&made[4], &made[3], &made[2], &made[1], &made[0]].map(String::as_str), "newest first");

    let search = |q: &str| {
        let ada = &ada;
        let q = q.to_string();
        async move {
            let url = format!("/api/v1/contacts?q={}", url_escape(&q));
            let page = ada.get_json(&url).await;
            page["data"].as_array().expect("data").iter().map(id_of).collect::<Vec<_>>()
        }
    };
    assert_eq!(search("person 3").await, [made[3].clone()]);
    assert_eq!(search("P2@EXAMPLE").await, [made[2].clone()]);
    assert_eq!(search("(415) 555-2601").await, [made[1].clone()]);
    assert_eq!(search("5552604").await, [made[4].clone()]);
    assert_eq!(search("grace@navy").await, [made[5].clone()]);
    assert_eq!(search("100%_").await, [made[5].clone()], "wildcards are literal");
    assert_eq!(search("%").await, [made[5].clone()]);
    assert!(search("nobody").await.is_empty());
    // Search and pages together.
    let page = ada.get_json("/api/v1/contacts?q=person&limit=3").await;
    assert_eq!(page["data"].as_array().map(Vec::len), Some(3));
    let next = page["next_cursor"].as_str().expect("next");
    let page = ada.get_json(&format!("/api/v1/contacts?q=person&limit=3&cursor={next}")).await;
    let rest: Vec<String> = page["data"].as_array().expect("data").iter().map(id_of).collect();
    assert_eq!(rest, [made[1].clone(), made[0].clone()]);
    assert!(page["next_cursor"].is_null());
}

fn url_escape(q: &str) -> String {
    url::form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

#[tokio::test]
async fn viewers_read_contacts_and_members_edit_them_by_page_or_api() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let c = create(&ada, json!({"name": "Grace", "phone": "+14155552671"})).await;
    let id = id_of(&c);

    let mut vera = app.visitor();
    vera.sign_up("Vera", "vera@example.com", "correct horse battery").await;
    app.add_member(&ws, &vera, "viewer").await;
    vera.switch_to(&ws).await;
    assert_eq!(vera.get_json("/api/v1/contacts").await["data"][0]["id"], json!(id));
    assert_eq!(vera.get_json(&format!("/api/v1/contacts/{id}")).await["name"], "Grace");
    assert_eq!(vera.get_json("/api/v1/contact-attributes").await["data"], json!([]));
    let res = vera.post_json("/api/v1/contacts", json!({"email": "v@example.com"})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        vera.patch(&format!("/api/v1/contacts/{id}"), json!({"name": "X"})).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(vera.delete(&format!("/api/v1/contacts/{id}")).await.status(), StatusCode::FORBIDDEN);
    let html = vera.get_text("/contacts").await;
    assert!(html.contains("Grace") && !html.contains("New contact"), "{html}");
    let html = vera.get_text(&format!("/contacts/{id}")).await;
    assert!(html.contains("+1 415 555 2671") && !html.contains("Save contact") && !html.contains("Delete contact"));
    assert!(refused(&vera.get("/contacts/new").await));
    vera.load_csrf("/contacts").await;
    let guard = ("_workspace", ws.as_str());
    assert!(refused(&vera.post_form("/contacts", &[("email", "v@example.com"), guard]).await));
    assert!(refused(
        &vera.post_form(&format!("/contacts/{id}"), &[("name", "X"), ("phone", "+14155552671"), guard]).await
    ));
    assert!(refused(&vera.post_form(&format!("/contacts/{id}/delete"), &[guard]).await));

    let mut mo = app.visitor();
    mo.sign_up("Mo", "mo@example.com", "correct horse battery").await;
    app.add_member(&ws, &mo, "member").await;
    mo.switch_to(&ws).await;
    let res = mo.patch(&format!("/api/v1/contacts/{id}"), json!({"name": "Grace H."})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let m = create(&mo, json!({"email": "m@example.com"})).await;
    assert_eq!(mo.delete(&format!("/api/v1/contacts/{}", id_of(&m))).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(ada.get_json(&format!("/api/v1/contacts/{id}")).await["name"], "Grace H.");
}

#[tokio::test]
async fn another_workspaces_contact_is_not_found() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let c = create(&ada, json!({"name": "Grace", "phone": "+14155552671"})).await;
    let id = id_of(&c);
    let bob = app.user_with_workspace("Bob", "bob@example.com", "Bob's Bots").await;
    for path in [
        format!("/api/v1/contacts/{id}"),
        "/api/v1/contacts/con_00000000000000000000000000".into(),
        "/api/v1/contacts/nope".into(),
    ] {
        assert_eq!(bob.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(bob.patch(&path, json!({"name": "Mine"})).await.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(bob.delete(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(bob.get(&format!("/contacts/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(bob.get(&format!("/contacts/{id}/delete")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(bob.get_json("/api/v1/contacts").await["data"], json!([]));
    assert_eq!(ada.get_json(&format!("/api/v1/contacts/{id}")).await, c);
}

#[tokio::test]
async fn contact_changes_publish_their_webhook_events() {
    let app = app_allowing_local_targets().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let (url, received) = receiver(StatusCode::OK).await;
    add_endpoint(&ada, &url, json!(["contact.created", "contact.updated", "contact.deleted"])).await;
    let id = id_of(&create(&ada, json!({"name": "Grace", "phone": "+14155552671"})).await);
    assert_eq!(
        ada.patch(&format!("/api/v1/contacts/{id}"), json!({"email": "g@example.com"})).await.status(),
        StatusCode::OK
    );
    assert_eq!(ada.delete(&format!("/api/v1/contacts/{id}")).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(delivery::run_due(&app.state).await.expect("run"), 3);
    let mut payloads: Vec<Value> =
        received.all().iter().map(|(_, body)| serde_json::from_str(body).expect("json")).collect();
    let order = ["contact.created", "contact.updated", "contact.deleted"];
    payloads.sort_by_key(|p| order.iter().position(|t| p["type"] == *t));
    let types: Vec<&str> = payloads.iter().filter_map(|p| p["type"].as_str()).collect();
    assert_eq!(types, order);
    for p in &payloads {
        assert_eq!(p["data"]["object"], json!({"type": "contact", "id": id, "name": "Grace"}));
    }
    assert_eq!(payloads[0]["data"]["changes"]["phone"]["after"], "+14155552671");
    assert_eq!(payloads[1]["data"]["changes"], json!({"email": {"before": null, "after": "g@example.com"}}));
}

#[tokio::test]
async fn upsert_in_creates_updates_or_skips_by_phone_and_refuses_bad_rows_without_writing() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    add_attribute(&ada, json!({"key": "tier", "label": "Tier", "type": "enum", "options": ["Free", "Pro"]})).await;
    let ws_text = ada.workspace_id().await;
    let ws: switchboard_core::WorkspaceId = ws_text.parse().expect("ws");
    let attrs = attribute_store::set(&app.state.db, &ws).await.expect("attrs");
    let us = parse_country(None).expect("US");
    let origin = Origin::system(ws.clone());
    let now = app.clock_now();
    let row = |name: &str, phone: &str, tier: &str| ContactInput {
        name: Some(name.into()),
        phone: Some(phone.into()),
        email: Some(String::new()),
        attributes: [("tier".to_string(), json!(tier))].into_iter().collect(),
    };

    let mut tx = app.state.db.begin().await.expect("tx");
    let created =
        upsert_in(&mut tx, &origin, &ws, &attrs, us, &row("Grace", "415 555 2671", "Free"), OnDuplicate::Update, now)
            .await
            .expect("db")
            .expect("valid");
    let Upserted::Created(contact) = created else { panic!("created: {created:?}") };
    assert_eq!(contact.phone.as_deref(), Some("+14155552671"));
    // The same phone: skipped, or updated with the row's non-empty values.
    let skipped =
        upsert_in(&mut tx, &origin, &ws, &attrs, us, &row("Other", "+14155552671", "Pro"), OnDuplicate::Skip, now)
            .await
            .expect("db")
            .expect("valid");
    assert!(matches!(skipped, Upserted::Skipped(ref id) if *id == contact.id));
    let updated =
        upsert_in(&mut tx, &origin, &ws, &attrs, us, &row("", "(415) 555-2671", "pro"), OnDuplicate::Update, now)
            .await
            .expect("db")
            .expect("valid");
    let Upserted::Updated(after) = updated else { panic!("updated: {updated:?}") };
    assert_eq!((after.name.as_str(), after.attributes()["tier"].clone()), ("Grace", json!("Pro")));
    let same =
        upsert_in(&mut tx, &origin, &ws, &attrs, us, &row("Grace", "4155552671", "Pro"), OnDuplicate::Update, now)
            .await
            .expect("db")
            .expect("valid");
    assert!(matches!(same, Upserted::Unchanged(_)));
    // A bad row: its errors by field, nothing written.
    let errors = upsert_in(&mut tx, &origin, &ws, &attrs, us, &row("Bad", "12", "Gold"), OnDuplicate::Update, now)
        .await
        .expect("db")
        .expect_err("refused");
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["phone", "attributes.tier"]);
    tx.commit().await.expect("commit");

    let list = ada.get_json("/api/v1/contacts").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
    let actions = app.audit_actions(&ws_text).await;
    assert_eq!(actions.iter().filter(|a| *a == "contact.created").count(), 1);
    assert_eq!(actions.iter().filter(|a| *a == "contact.updated").count(), 1);
}

#[tokio::test]
async fn the_contact_pages_create_edit_and_delete_with_attribute_fields_by_type() {
    let app = TestApp::spawn().await;
    let mut ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    add_attribute(&ada, json!({"key": "tier", "label": "Tier", "type": "enum", "options": ["Free", "Pro"]})).await;
    add_attribute(&ada, json!({"key": "vip", "label": "VIP", "type": "boolean"})).await;
    add_attribute(&ada, json!({"key": "seats", "label": "Seats", "type": "number"})).await;
    add_attribute(&ada, json!({"key": "since", "label": "Since", "type": "date"})).await;
    let html = ada.get_text("/contacts").await;
    assert!(html.contains("No contacts yet") && html.contains("Add your first contact"));
    assert!(ada.get_text("/").await.contains("href=\"/contacts\""), "the top navigation links to Contacts");
    let form = ada.get_text("/contacts/new").await;
    assert!(form.contains(r#"<select id="contact-attr-tier" name="attributes.tier""#), "{form}");
    assert!(form.contains(r#"type="checkbox" id="contact-attr-vip" name="attributes.vip""#));
    assert!(form.contains(r#"type="number" step="any" inputmode="decimal" id="contact-attr-seats""#));
    assert!(form.contains(r#"type="date" id="contact-attr-since""#));

    ada.load_csrf("/contacts/new").await;
    let bad = [
        ("name", "Grace"),
        ("phone", "12"),
        ("email", ""),
        ("default_country", "US"),
        ("attributes.seats", "lots"),
        ("_workspace", &ws),
    ];
    let res = ada.post_form("/contacts", &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("Enter a phone number"), "the phone's message");
    assert!(html.contains("Seats: Enter a number"), "the attribute's message");
    assert!(html.contains(r#"value="lots""#), "the value is kept");
    assert_eq!(ada.get_json("/api/v1/contacts").await["data"], json!([]));

    let good = [
        ("name", "Grace"),
        ("phone", "(415) 555-2671"),
        ("email", "Grace@Example.com"),
        ("default_country", "US"),
        ("attributes.tier", "Pro"),
        ("attributes.vip", "true"),
        ("attributes.seats", "12"),
        ("attributes.since", "2026-01-31"),
        ("_workspace", &ws),
    ];
    let res = ada.post_form("/contacts", &good).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/contacts");
    let c = ada.get_json("/api/v1/contacts").await["data"][0].clone();
    assert_eq!(c["attributes"], json!({"tier": "Pro", "vip": true, "seats": 12, "since": "2026-01-31"}));
    let html = ada.get_text("/contacts").await;
    assert!(html.contains("+1 415 555 2671") && html.contains("Tier: Pro · VIP: Yes · Seats: 12"), "{html}");
    let id = id_of(&c);
    let page = ada.get_text(&format!("/contacts/{id}")).await;
    assert!(page.contains(r#"value="true" checked"#) && page.contains(r#"<option value="Pro" selected>"#));

    // Unticking the box and emptying a field: false and cleared.
    let edit = [
        ("name", "Grace Hopper"),
        ("phone", "+14155552671"),
        ("email", "grace@example.com"),
        ("default_country", "US"),
        ("attributes.tier", "Free"),
        ("attributes.seats", ""),
        ("attributes.since", "2026-01-31"),
        ("_workspace", &ws),
    ];
    let res = ada.post_form(&format!("/contacts/{id}"), &edit).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let c = ada.get_json(&format!("/api/v1/contacts/{id}")).await;
    assert_eq!(c["attributes"], json!({"tier": "Free", "vip": false, "since": "2026-01-31"}));
    assert_eq!(c["name"], "Grace Hopper");

    let search = ada.get_text("/contacts?q=hopper").await;
    assert!(search.contains("Grace Hopper"));
    assert!(ada.get_text("/contacts?q=nobody").await.contains("No contacts match"));

    let confirm = ada.get_text(&format!("/contacts/{id}/delete")).await;
    assert!(confirm.contains("Delete the contact “Grace Hopper”?"), "{confirm}");
    let res = ada.post_form(&format!("/contacts/{id}/delete"), &[("_workspace", &ws)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(ada.get(&format!("/api/v1/contacts/{id}")).await.status(), StatusCode::NOT_FOUND);
    let actions = app.audit_actions(&ws).await;
    for action in ["contact.created", "contact.updated", "contact.deleted"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
}
