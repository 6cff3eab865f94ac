//! Recipes for the billing routes (see `recipes.rs`): the payment method
//! form and API. The card numbers used join the secrets the scan looks
//! for, so a number in any entry fails the walk.
use reqwest::Method;
use serde_json::json;

use super::World;
use super::recipes::{Called, called};

pub async fn call(w: &mut World, method: &str, path: &str) -> Option<Called> {
    let c = match (method, path) {
        ("POST", "/settings/subscription/payment-method") => {
            w.secrets.extend(["4242424242424242".to_string(), "4242 4242 4242 4242".to_string()]);
            let mark = w.mark().await;
            let fields = [("card_number", "4242 4242 4242 4242"), ("card_expiry", "12/34"), ("card_cvc", "123")];
            let res = w.page("/settings/subscription/payment-method", &fields).await;
            called(mark, &res, "payment_method.updated")
        }
        ("PUT", "/api/v1/payment-method") => {
            w.secrets.extend(["5555555555554444".to_string(), "5555 5555 5555 4444".to_string()]);
            let mark = w.mark().await;
            let body = json!({"number": "5555 5555 5555 4444", "exp_month": 12, "exp_year": 2034, "cvc": "123"});
            let res = w.token.call(Method::PUT, "/api/v1/payment-method", Some(body)).await;
            called(mark, &res, "payment_method.updated")
        }
        _ => return super::subscription_recipes::call(w, method, path).await,
    };
    Some(c)
}
