//! The payment method as Settings → Subscription shows it.
use serde::Serialize;

use crate::subscription::store::SubscriptionRow;

#[derive(Debug, Serialize)]
pub struct PaymentMethodView {
    pub processor: String,
    /// `Visa ending 4242`, or none.
    pub card: Option<String>,
}

pub fn method(sub: &SubscriptionRow) -> PaymentMethodView {
    let card = match (&sub.card_brand, &sub.card_last4) {
        (Some(brand), Some(last4)) => {
            let mut brand_label = brand.clone();
            if let Some(first) = brand_label.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            Some(format!("{brand_label} ending {last4}"))
        }
        _ => None,
    };
    PaymentMethodView { processor: sub.processor.clone(), card }
}
