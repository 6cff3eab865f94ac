//! Recipes for consent and the suppression list (see `recipes.rs`): the
//! Consent and Suppression tabs by the Admin's session, the API by the
//! Admin's token.
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::World;
use super::recipes::{Called, called};

/// The mode the workspace does not have now (so setting it is a change).
async fn other_mode(w: &World) -> &'static str {
    let res = w.token.call(Method::GET, "/api/v1/consent", None).await;
    let body: Value = res.json().await.unwrap_or_default();
    if body["mode"] == "GRANULAR" { "UNIVERSAL" } else { "GRANULAR" }
}

/// A fresh entry of the list (a phone's, or an email's so that
/// `suppression.removed` writes both fields in the walk): its ID.
async fn suppression(w: &mut World, email: bool) -> String {
    let n = w.next();
    let body = if email {
        json!({"email": format!("gone{n}@example.com"), "channel": "SMS", "reason": "To remove"})
    } else {
        json!({"phone": format!("+1415555{n:04}"), "channel": "SMS", "reason": "To remove"})
    };
    let res = w.token.call(Method::POST, "/api/v1/suppressions", Some(body)).await;
    let body: Value = res.json().await.unwrap_or_default();
    body["id"].as_str().expect("suppression id").to_string()
}

/// A fresh import of `kind`, uploaded by the Admin's token: its ID. The
/// file's columns are Phone and Name (contacts) or Phone and Reason.
async fn uploaded_import(w: &mut World, kind: &str) -> String {
    let second = if kind == "contacts" { "Name" } else { "Reason" };
    let csv = format!("Phone,{second}\n+1415555{:04},Imported\n", 3000 + w.next());
    let file = Part::bytes(csv.into_bytes()).file_name("import.csv").mime_str("text/csv").expect("mime");
    let form = Form::new().text("kind", kind.to_owned()).part("file", file);
    let res = w.token.request(Method::POST, "/api/v1/imports").multipart(form).send().await.expect("upload");
    let body: Value = res.json().await.unwrap_or_default();
    body["id"].as_str().expect("import id").to_string()
}

pub async fn call(w: &mut World, method: &str, path: &str) -> Option<Called> {
    let c = match (method, path) {
        ("POST", "/settings/audiences/consent/mode") => {
            let mode = other_mode(w).await;
            let mark = w.mark().await;
            let res = w.page(path, &[("mode", mode)]).await;
            called(mark, &res, "consent.mode_changed")
        }
        ("POST", "/settings/audiences/consent/keywords") => {
            let words = format!("STOP, HALT{}", w.next());
            let mark = w.mark().await;
            let res = w.page(path, &[("opt_out_keywords", &words), ("opt_in_keywords", "START")]).await;
            called(mark, &res, "consent.keywords_changed")
        }
        ("PUT", "/api/v1/consent/mode") => {
            let mode = other_mode(w).await;
            let mark = w.mark().await;
            let res = w.token.call(Method::PUT, path, Some(json!({"mode": mode}))).await;
            called(mark, &res, "consent.mode_changed")
        }
        ("PUT", "/api/v1/consent/keywords") => {
            let body =
                json!({"opt_out_keywords": ["STOP", format!("END{}", w.next())], "opt_in_keywords": ["START", "YES"]});
            let mark = w.mark().await;
            let res = w.token.call(Method::PUT, path, Some(body)).await;
            called(mark, &res, "consent.keywords_changed")
        }
        ("POST", "/api/v1/consent/records") => {
            // An email's record first, so the event's `email` field is written too.
            let email =
                json!({"email": "carol@example.com", "channel": "CALLS", "status": "OPTED_OUT", "proof": "By email"});
            w.token.call(Method::POST, path, Some(email)).await;
            let contact = switchboard_core::ContactId::new().to_string();
            let body = json!({"phone": "+14155550999", "contact_id": contact, "channel": "SMS", "status": "OPTED_OUT",
                              "proof": "https://forms.example/42"});
            let mark = w.mark().await;
            let res = w.token.call(Method::POST, path, Some(body)).await;
            called(mark, &res, "consent.changed")
        }
        ("POST", "/settings/audiences/suppression") => {
            let mark = w.mark().await;
            let fields = [("phone", ""), ("email", "page@example.com"), ("channel", "ALL"), ("reason", "Asked")];
            let res = w.page(path, &fields).await;
            called(mark, &res, "suppression.added")
        }
        ("POST", "/settings/audiences/suppression/{id}/remove") => {
            let id = suppression(w, true).await;
            let mark = w.mark().await;
            let res = w.page(&format!("/settings/audiences/suppression/{id}/remove"), &[]).await;
            called(mark, &res, "suppression.removed")
        }
        ("POST", "/api/v1/suppressions") => {
            let mark = w.mark().await;
            let body = json!({"phone": "+14155550998", "channel": "CALLS", "reason": "Reported by the dialer"});
            let res = w.token.call(Method::POST, path, Some(body)).await;
            called(mark, &res, "suppression.added")
        }
        ("DELETE", "/api/v1/suppressions/{suppression_id}") => {
            let id = suppression(w, false).await;
            let mark = w.mark().await;
            let res = w.token.call(Method::DELETE, &format!("/api/v1/suppressions/{id}"), None).await;
            called(mark, &res, "suppression.removed")
        }
        ("POST", "/api/v1/imports/{import_id}/start") => {
            let id = uploaded_import(w, "contacts").await;
            let mark = w.mark().await;
            let body = json!({"on_duplicate": "update"});
            let res = w.token.call(Method::POST, &format!("/api/v1/imports/{id}/start"), Some(body)).await;
            called(mark, &res, "import.started")
        }
        ("POST", "/contacts/import/{id}/start") => {
            let id = uploaded_import(w, "contacts").await;
            let mark = w.mark().await;
            let res =
                w.page(&format!("/contacts/import/{id}/start"), &[("column_0", "phone"), ("column_1", "name")]).await;
            called(mark, &res, "import.started")
        }
        ("POST", "/settings/audiences/suppression/import/{id}/start") => {
            let id = uploaded_import(w, "suppressions").await;
            let mark = w.mark().await;
            let path = format!("/settings/audiences/suppression/import/{id}/start");
            let res = w.page(&path, &[("column_0", "phone"), ("column_1", "reason")]).await;
            called(mark, &res, "import.started")
        }
        _ => return None,
    };
    Some(c)
}
