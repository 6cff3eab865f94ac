//! Recipes for the credits routes (see `recipes.rs`): a succeeding top-up
//! (so `invoice.paid` is in the walk) and a declined one from the page
//! (`invoice.payment_failed`), and both auto-recharge forms. The card
//! numbers join the secrets the scan looks for.
use reqwest::Method;
use serde_json::json;

use super::World;
use super::recipes::{Called, called};

const OK_CARD: &str = "4242 4242 4242 4242";
/// Saves, then every charge is declined.
const FAILING_CARD: &str = "4000 0000 0000 0341";

pub async fn call(w: &mut World, method: &str, path: &str) -> Option<Called> {
    for number in [OK_CARD, FAILING_CARD] {
        let digits = number.replace(' ', "");
        if !w.secrets.contains(&digits) {
            w.secrets.push(digits);
        }
    }
    let c = match (method, path) {
        ("POST", "/api/v1/credits/top-ups") => {
            let mark = w.mark().await;
            let card = json!({"number": OK_CARD, "exp_month": 12, "exp_year": 2030, "cvc": "123"});
            let res = w.token.call(Method::POST, path, Some(json!({"credits": 1000, "card": card}))).await;
            called(mark, &res, "credits.topped_up")
        }
        ("POST", "/settings/subscription/top-up") => {
            let mark = w.mark().await;
            let fields =
                [("credits", "500"), ("card_number", FAILING_CARD), ("card_expiry", "12/30"), ("card_cvc", "123")];
            let res = w.page(path, &fields).await;
            called(mark, &res, "invoice.payment_failed")
        }
        ("PUT", "/api/v1/credits/auto-recharge") => {
            let mark = w.mark().await;
            let amount = 1000 + w.next() as i64;
            let body = json!({"enabled": true, "threshold": 200, "amount": amount, "monthly_cap": 10_000});
            let res = w.token.call(Method::PUT, path, Some(body)).await;
            called(mark, &res, "credits.auto_recharge_updated")
        }
        ("POST", "/settings/subscription/auto-recharge") => {
            let mark = w.mark().await;
            let amount = (2000 + w.next()).to_string();
            let fields =
                [("enabled", "on"), ("threshold", "300"), ("amount", amount.as_str()), ("monthly_cap", "20000")];
            let res = w.page(path, &fields).await;
            called(mark, &res, "credits.auto_recharge_updated")
        }
        _ => return None,
    };
    Some(c)
}
