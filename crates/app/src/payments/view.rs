//! The payment method as Settings → Subscription and the API show it.
use serde::Serialize;

use crate::subscription::store::SubscriptionRow;

#[derive(Debug, Serialize)]
pub struct PaymentMethodView {
    /// The processor new payment methods are added through (`sandbox`,
    /// `stripe`): the sandbox shows our card form, Stripe its own page.
    pub processor: String,
    /// `Visa ending 4242`, or none.
    pub card: Option<String>,
}

/// `visa` → `Visa`, as people read the brand.
pub fn brand_label(brand: &str) -> String {
    match brand {
        "amex" => "American Express".into(),
        "mastercard" => "Mastercard".into(),
        "diners" => "Diners Club".into(),
        "jcb" => "JCB".into(),
        "unionpay" => "UnionPay".into(),
        other => {
            let mut label = other.to_string();
            if let Some(first) = label.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            label
        }
    }
}

/// `Visa ending 4242`.
pub fn card_label(brand: &str, last4: &str) -> String {
    format!("{} ending {last4}", brand_label(brand))
}

pub fn method(sub: &SubscriptionRow, processor: &str) -> PaymentMethodView {
    let card = match (&sub.card_brand, &sub.card_last4) {
        (Some(brand), Some(last4)) => Some(card_label(brand, last4)),
        _ => None,
    };
    PaymentMethodView { processor: processor.to_string(), card }
}
