//! Contact attributes (issue 17): the API's add, change and delete (Admins)
//! and list (every role); each type's values; a change of type or options
//! that stored values would not fit, or Required while contacts lack a
//! value, refused with the count and examples; values converted when they
//! fit; deletion removing the values in the same change; and the
//! Attributes tab of Settings → Audiences.
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::agents::audit_changes;
use crate::harness::{TestApp, Visitor, flash_text, location, problem};

pub async fn add_attribute(v: &Visitor, body: Value) -> Value {
    let res = v.post_json("/api/v1/contact-attributes", body.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED, "add attribute {body}");
    res.json().await.expect("json")
}

async fn add_contact(v: &Visitor, body: Value) -> Value {
    let res = v.post_json("/api/v1/contacts", body.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED, "add contact {body}");
    res.json().await.expect("json")
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn contact_attributes_are_added_listed_changed_and_deleted_by_admins_with_audit() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let tier = add_attribute(
        &ada,
        json!({"key": "plan_tier", "label": "Plan tier", "type": "enum", "options": ["Free", " Pro ", "Enterprise"]}),
    )
    .await;
    assert!(id_of(&tier).starts_with("cat_"));
    assert_eq!(
        (&tier["type"], &tier["options"], &tier["required"]),
        (&json!("enum"), &json!(["Free", "Pro", "Enterprise"]), &json!(false))
    );
    let seats = add_attribute(&ada, json!({"key": "seats", "label": "Seats", "type": "number"})).await;
    assert_eq!(seats["position"], json!(tier["position"].as_i64().expect("position") + 1));
    let list = ada.get_json("/api/v1/contact-attributes").await;
    let keys: Vec<&str> = list["data"].as_array().expect("data").iter().filter_map(|a| a["key"].as_str()).collect();
    assert_eq!(keys, ["plan_tier", "seats"]);

    // Bad definitions, each by its field; a taken key.
    for (body, field) in [
        (json!({"key": "Plan Tier", "label": "x", "type": "text"}), "key"),
        (json!({"key": "phone", "label": "x", "type": "text"}), "key"),
        (json!({"key": "plan_tier", "label": "Again", "type": "text"}), "key"),
        (json!({"key": "x1", "label": "", "type": "text"}), "label"),
        (json!({"key": "x2", "label": "X", "type": "colour"}), "type"),
        (json!({"key": "x3", "label": "X", "type": "enum"}), "options"),
        (json!({"key": "x4", "label": "X", "type": "enum", "options": ["a", "A"]}), "options"),
        (json!({"key": "x5", "label": "X", "type": "date", "options": ["a"]}), "options"),
    ] {
        let res = ada.post_json("/api/v1/contact-attributes", body.clone()).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(problem(res).await["errors"][0]["field"], field, "{body}");
    }

    let res = ada.patch(&format!("/api/v1/contact-attributes/{}", id_of(&seats)), json!({"label": "Seat count"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = ada.delete(&format!("/api/v1/contact-attributes/{}", id_of(&seats))).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        ada.delete(&format!("/api/v1/contact-attributes/{}", id_of(&seats))).await.status(),
        StatusCode::NOT_FOUND
    );
    let created = audit_changes(&app, &ws, "contact_attribute.created").await;
    assert_eq!(created.len(), 2);
    assert_eq!(created[0]["key"], json!({"before": null, "after": "plan_tier"}));
    assert_eq!(
        audit_changes(&app, &ws, "contact_attribute.updated").await,
        [json!({"label": {"before": "Seats", "after": "Seat count"}})]
    );
    let deleted = audit_changes(&app, &ws, "contact_attribute.deleted").await;
    assert_eq!(deleted[0]["key"], json!({"before": "seats", "after": null}));

    // Members and Viewers read the list; only Admins change it.
    let mut mo = app.visitor();
    mo.sign_up("Mo", "mo@example.com", "correct horse battery").await;
    app.add_member(&ws, &mo, "member").await;
    mo.switch_to(&ws).await;
    assert_eq!(mo.get_json("/api/v1/contact-attributes").await["data"][0]["key"], "plan_tier");
    let res = mo.post_json("/api/v1/contact-attributes", json!({"key": "mine", "label": "Mine", "type": "text"})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let path = format!("/api/v1/contact-attributes/{}", id_of(&tier));
    assert_eq!(mo.patch(&path, json!({"label": "X"})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(mo.delete(&path).await.status(), StatusCode::FORBIDDEN);
    // Another workspace's attribute is not found.
    let bob = app.user_with_workspace("Bob", "bob@example.com", "Bob's Bots").await;
    assert_eq!(bob.patch(&path, json!({"label": "X"})).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(bob.delete(&path).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(bob.get_json("/api/v1/contact-attributes").await["data"], json!([]));
}

#[tokio::test]
async fn a_type_or_options_change_that_values_would_not_fit_is_refused_with_the_count_and_examples() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let seats = add_attribute(&ada, json!({"key": "seats", "label": "Seats", "type": "text"})).await;
    let tier =
        add_attribute(&ada, json!({"key": "tier", "label": "Tier", "type": "enum", "options": ["Free", "Pro"]})).await;
    let mut made = Vec::new();
    for (n, seats) in ["12", "many", "3.5", "lots", "7", "few", "several", "some", "n/a"].iter().enumerate() {
        let body = json!({"name": format!("Person {n}"), "email": format!("p{n}@example.com"), "attributes": {"seats": seats, "tier": "Pro"}});
        made.push(add_contact(&ada, body).await);
    }
    // No value for seats on this one; it does not count.
    add_contact(&ada, json!({"name": "Blank", "email": "blank@example.com"})).await;

    let seats_path = format!("/api/v1/contact-attributes/{}", id_of(&seats));
    let before = app.audit_actions(&ws).await.len();
    let res = ada.patch(&seats_path, json!({"type": "number"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(res).await;
    assert_eq!(p["code"], "attribute_values_do_not_fit");
    assert_eq!(p["errors"][0]["field"], "type");
    let detail = p["detail"].as_str().expect("detail");
    assert!(detail.contains("6 contacts"), "{detail}");
    assert!(detail.contains("Person 1") && detail.contains(&id_of(&made[1])) && detail.contains("“many”"), "{detail}");
    assert_eq!(detail.matches("con_").count(), 5, "at most five examples: {detail}");
    assert!(!detail.contains("Person 0"), "a value that fits is not an example: {detail}");
    assert_eq!(app.audit_actions(&ws).await.len(), before, "nothing changed");
    assert_eq!(ada.get_json(&format!("/api/v1/contacts/{}", id_of(&made[0]))).await["attributes"]["seats"], "12");

    // Once the misfits are fixed, the change goes through and converts the values.
    for c in made.iter().filter(|c| !["12", "3.5", "7"].contains(&c["attributes"]["seats"].as_str().unwrap_or(""))) {
        let res = ada.patch(&format!("/api/v1/contacts/{}", id_of(c)), json!({"attributes": {"seats": null}})).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = ada.patch(&seats_path, json!({"type": "number"})).await;
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.text().await);
    let first = ada.get_json(&format!("/api/v1/contacts/{}", id_of(&made[0]))).await;
    assert_eq!(first["attributes"]["seats"], json!(12));
    assert_eq!(ada.get_json(&format!("/api/v1/contacts/{}", id_of(&made[2]))).await["attributes"]["seats"], json!(3.5));

    // Enum options: removing one a contact holds is refused; renaming case is fine.
    let tier_path = format!("/api/v1/contact-attributes/{}", id_of(&tier));
    let res = ada.patch(&tier_path, json!({"options": ["Free", "Enterprise"]})).await;
    let p = problem(res).await;
    assert_eq!(p["errors"][0]["field"], "options");
    assert!(p["detail"].as_str().unwrap_or("").contains("9 contacts"), "{p}");
    let res = ada.patch(&tier_path, json!({"options": ["Free", "PRO", "Enterprise"]})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(ada.get_json(&format!("/api/v1/contacts/{}", id_of(&made[0]))).await["attributes"]["tier"], "PRO");
    // Enum to text keeps the values as they are; options go.
    let res = ada.patch(&tier_path, json!({"type": "text"})).await;
    let body: Value = res.json().await.expect("json");
    assert_eq!((&body["type"], &body["options"]), (&json!("text"), &json!([])));
}

#[tokio::test]
async fn making_an_attribute_required_is_refused_while_contacts_lack_a_value() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let vip = add_attribute(&ada, json!({"key": "vip", "label": "VIP", "type": "boolean"})).await;
    let with =
        add_contact(&ada, json!({"name": "Has", "email": "has@example.com", "attributes": {"vip": "yes"}})).await;
    assert_eq!(with["attributes"]["vip"], json!(true));
    let without = add_contact(&ada, json!({"name": "Lacks", "email": "lacks@example.com"})).await;
    let path = format!("/api/v1/contact-attributes/{}", id_of(&vip));
    let p = problem(ada.patch(&path, json!({"required": true})).await).await;
    assert_eq!(p["errors"][0]["field"], "required");
    let detail = p["detail"].as_str().expect("detail");
    assert!(
        detail.contains("1 contact") && detail.contains(&id_of(&without)) && !detail.contains(&id_of(&with)),
        "{detail}"
    );
    // A new required attribute is refused likewise while contacts exist.
    let res = ada
        .post_json(
            "/api/v1/contact-attributes",
            json!({"key": "tier", "label": "Tier", "type": "text", "required": true}),
        )
        .await;
    assert_eq!(problem(res).await["errors"][0]["field"], "required");

    let res = ada.patch(&format!("/api/v1/contacts/{}", id_of(&without)), json!({"attributes": {"vip": "no"}})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(ada.patch(&path, json!({"required": true})).await.status(), StatusCode::OK);
    // Now every contact needs a value.
    let res = ada.post_json("/api/v1/contacts", json!({"email": "new@example.com"})).await;
    assert_eq!(problem(res).await["errors"][0]["field"], "attributes.vip");
    let res = ada.patch(&format!("/api/v1/contacts/{}", id_of(&with)), json!({"attributes": {"vip": null}})).await;
    assert_eq!(problem(res).await["errors"][0]["field"], "attributes.vip");
}

#[tokio::test]
async fn deleting_an_attribute_removes_its_values_from_contacts() {
    let app = TestApp::spawn().await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let notes = add_attribute(&ada, json!({"key": "notes", "label": "Notes", "type": "text"})).await;
    let keep = add_attribute(&ada, json!({"key": "notes_2", "label": "More notes", "type": "text"})).await;
    // A text value that looks like the key is not confused with it.
    let c = add_contact(
        &ada,
        json!({"email": "a@example.com", "attributes": {"notes": "hi", "notes_2": "\"notes\": mention"}}),
    )
    .await;
    let res = ada.delete(&format!("/api/v1/contact-attributes/{}", id_of(&notes))).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let after = ada.get_json(&format!("/api/v1/contacts/{}", id_of(&c))).await;
    assert_eq!(after["attributes"], json!({"notes_2": "\"notes\": mention"}));
    let deleted = audit_changes(&app, &ws, "contact_attribute.deleted").await;
    assert_eq!(deleted[0]["contacts_with_value"], json!({"before": 1, "after": null}));
    let _ = keep;
    // The key is free again, with no old values coming back.
    add_attribute(&ada, json!({"key": "notes", "label": "Notes", "type": "number"})).await;
    assert_eq!(ada.get_json(&format!("/api/v1/contacts/{}", id_of(&c))).await["attributes"].get("notes"), None);
}

#[tokio::test]
async fn the_attributes_tab_adds_edits_and_deletes_with_errors_by_the_field() {
    let app = TestApp::spawn().await;
    let mut ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws = ada.workspace_id().await;
    let res = ada.get("/settings/audiences").await;
    assert_eq!(location(&res), "/settings/audiences/attributes");
    let html = ada.get_text("/settings/audiences/attributes").await;
    assert!(html.contains(r#"href="/settings/audiences/attributes" aria-current="page">Attributes</a>"#), "{html}");
    assert!(
        html.contains(r#"href="/settings/audiences/consent""#)
            && html.contains(r#"href="/settings/audiences/suppression""#)
    );
    assert!(html.contains(r#"href="/contacts">Contacts →</a>"#));
    assert!(html.contains("No attributes yet"));

    ada.load_csrf("/settings/audiences/attributes").await;
    let bad = [("key", "Bad Key"), ("label", ""), ("type", "enum"), ("options", ""), ("_workspace", &ws)];
    let res = ada.post_form("/settings/audiences/attributes", &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("lower-case letters")
            && html.contains("Give the attribute a label")
            && html.contains("List the choices")
    );
    assert!(html.contains(r#"value="Bad Key""#), "the key is kept");

    let good =
        [("key", "plan_tier"), ("label", "Plan tier"), ("type", "enum"), ("options", "Free, Pro"), ("_workspace", &ws)];
    let res = ada.post_form("/settings/audiences/attributes", &good).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).is_some_and(|t| t.contains("Plan tier")));
    let attr = ada.get_json("/api/v1/contact-attributes").await["data"][0].clone();
    assert_eq!(attr["options"], json!(["Free", "Pro"]));
    let id = id_of(&attr);
    assert!(ada.get_text("/settings/audiences/attributes").await.contains("Free, Pro"));

    ada.post_json("/api/v1/contacts", json!({"email": "c@example.com", "attributes": {"plan_tier": "Pro"}})).await;
    let edit = [("label", "Tier"), ("type", "enum"), ("options", "Free, Gold"), ("_workspace", &ws)];
    let res = ada.post_form(&format!("/settings/audiences/attributes/{id}"), &edit).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("1 contact"), "{html}");
    let edit = [
        ("label", "Tier"),
        ("type", "enum"),
        ("options", "Free, Pro, Gold"),
        ("required", "true"),
        ("_workspace", &ws),
    ];
    let res = ada.post_form(&format!("/settings/audiences/attributes/{id}"), &edit).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let attr = ada.get_json("/api/v1/contact-attributes").await["data"][0].clone();
    assert_eq!((&attr["label"], &attr["required"]), (&json!("Tier"), &json!(true)));

    let confirm = ada.get_text(&format!("/settings/audiences/attributes/{id}/delete")).await;
    assert!(confirm.contains("Its values are removed from every contact"), "{confirm}");
    let res = ada.post_form(&format!("/settings/audiences/attributes/{id}/delete"), &[("_workspace", &ws)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(flash_text(&res).is_some_and(|t| t.contains("removed from 1 contact")), "{:?}", flash_text(&res));
    assert_eq!(ada.get_json("/api/v1/contact-attributes").await["data"], json!([]));

    // Members are sent back from Settings with the permissions toast.
    let mut mo = app.visitor();
    mo.sign_up("Mo", "mo@example.com", "correct horse battery").await;
    app.add_member(&ws, &mo, "member").await;
    mo.switch_to(&ws).await;
    let res = mo.get("/settings/audiences/attributes").await;
    assert!(flash_text(&res).is_some_and(|t| t.contains("permission")), "{:?}", res.status());
}
