//! Recipes for the BYOC routes (see `recipes.rs`): a SIP trunk, which
//! needs no carrier to verify, so the walk runs without a mock. Pages by
//! the Admin's session, the API by the Admin's token.
use reqwest::Method;
use serde_json::{Value, json};

use super::World;
use super::recipes::{Called, called};

/// A fresh SIP trunk account of the workspace: its ID. Each has its own
/// host (one account links to one workspace once).
async fn sip_account(w: &mut World) -> String {
    let body = json!({
        "carrier": "sip",
        "termination_uri": format!("sip:trunk{}.example.com", w.next()),
        "username": "acme",
        "password": w.password(),
        "allowed_origins": ["203.0.113.10"],
    });
    let res = w.token.call(Method::POST, "/api/v1/carrier-accounts", Some(body)).await;
    let body: Value = res.json().await.unwrap_or_default();
    body["id"].as_str().expect("carrier account id").to_string()
}

fn number(w: &mut World) -> String {
    format!("+1415555{:04}", 2000 + w.next())
}

pub async fn call(w: &mut World, method: &str, path: &str) -> Option<Called> {
    let c = match (method, path) {
        ("POST", "/settings/phone-numbers/carriers/connect/{carrier}") => {
            let mark = w.mark().await;
            let uri = format!("sip:page{}.example.com", w.next());
            let password = w.password();
            let fields = [
                ("termination_uri", uri.as_str()),
                ("username", "acme"),
                ("password", password.as_str()),
                ("allowed_origins", "203.0.113.0/24"),
            ];
            let res = w.page("/settings/phone-numbers/carriers/connect/sip", &fields).await;
            called(mark, &res, "carrier_account.connected")
        }
        ("POST", "/settings/phone-numbers/carriers/{id}/import") => {
            let id = sip_account(w).await;
            let e164 = number(w);
            let mark = w.mark().await;
            let res =
                w.page(&format!("/settings/phone-numbers/carriers/{id}/import"), &[("phone_numbers", &e164)]).await;
            called(mark, &res, "phone_number.imported")
        }
        ("POST", "/settings/phone-numbers/carriers/{id}/disconnect") => {
            let id = sip_account(w).await;
            let mark = w.mark().await;
            let res = w.page(&format!("/settings/phone-numbers/carriers/{id}/disconnect"), &[]).await;
            called(mark, &res, "carrier_account.disconnected")
        }
        ("POST", "/api/v1/carrier-accounts") => {
            let mark = w.mark().await;
            let body = json!({
                "carrier": "sip",
                "termination_uri": format!("sips:api{}.example.com:5061", w.next()),
                "username": "acme",
                "password": w.password(),
                "allowed_origins": ["2001:db8::/32"],
            });
            let res = w.token.call(Method::POST, path, Some(body)).await;
            called(mark, &res, "carrier_account.connected")
        }
        ("POST", "/api/v1/carrier-accounts/{account_id}/import") => {
            let id = sip_account(w).await;
            let e164 = number(w);
            let mark = w.mark().await;
            let body = json!({"phone_numbers": [e164]});
            let res = w.token.call(Method::POST, &format!("/api/v1/carrier-accounts/{id}/import"), Some(body)).await;
            called(mark, &res, "phone_number.imported")
        }
        ("DELETE", "/api/v1/carrier-accounts/{account_id}") => {
            let id = sip_account(w).await;
            let mark = w.mark().await;
            let res = w.token.call(Method::DELETE, &format!("/api/v1/carrier-accounts/{id}"), None).await;
            called(mark, &res, "carrier_account.disconnected")
        }
        _ => return None,
    };
    Some(c)
}
