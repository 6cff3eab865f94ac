//! The sandbox processor: no account, no network. Cards behave as Stripe's
//! documented test cards do (<https://docs.stripe.com/testing>):
//! `4242 4242 4242 4242` (and the other brands' success numbers) are saved
//! and charge; `4000 0000 0000 0002` is declined; `4000 0000 0000 9995`
//! is declined for insufficient funds; `4000 0000 0000 0341` is saved but
//! every charge of it is declined. Any other number is refused with a hint
//! to use a test card. Only brand and last four are kept: the behaviour of
//! a saved card is carried in its reference (`pm_sandbox_visa_4242_ok`).
use async_trait::async_trait;

use super::{CardInput, Charge, ChargeRequest, PaymentError, PaymentMethod, PaymentMethodSetup, PaymentProcessor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Succeeds,
    /// Refused when saved and when charged.
    Declined(&'static str, &'static str),
    /// Saved, then every charge is declined.
    ChargeFails,
}

/// Stripe's test cards this sandbox knows: number, brand, behaviour.
const TEST_CARDS: &[(&str, &str, Behaviour)] = &[
    ("4242424242424242", "visa", Behaviour::Succeeds),
    ("4000056655665556", "visa", Behaviour::Succeeds),
    ("5555555555554444", "mastercard", Behaviour::Succeeds),
    ("2223003122003222", "mastercard", Behaviour::Succeeds),
    ("378282246310005", "amex", Behaviour::Succeeds),
    ("6011111111111117", "discover", Behaviour::Succeeds),
    ("4000000000000002", "visa", Behaviour::Declined("card_declined", "Your card was declined.")),
    ("4000000000009995", "visa", Behaviour::Declined("insufficient_funds", "Your card has insufficient funds.")),
    ("4000000000000069", "visa", Behaviour::Declined("expired_card", "Your card has expired.")),
    ("4000000000000341", "visa", Behaviour::ChargeFails),
];

const DECLINED: &str = "Your card was declined.";

#[derive(Debug, Default, Clone)]
pub struct Sandbox;

fn digits_of(number: &str) -> Option<String> {
    let digits: String = number.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (digits.len() >= 12 && digits.len() <= 19 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

#[async_trait]
impl PaymentProcessor for Sandbox {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    async fn create_customer(&self, workspace_id: &str, _name: &str) -> Result<String, PaymentError> {
        Ok(format!("cus_sandbox_{workspace_id}"))
    }

    async fn setup_payment_method(&self, _: &str, _: &str) -> Result<PaymentMethodSetup, PaymentError> {
        Ok(PaymentMethodSetup::CardForm)
    }

    async fn attach_card(&self, _customer: &str, card: &CardInput) -> Result<PaymentMethod, PaymentError> {
        let digits = digits_of(&card.number).ok_or_else(|| PaymentError::Invalid("Enter the card number.".into()))?;
        if !(1..=12).contains(&card.exp_month) || !(2000..=2199).contains(&card.exp_year) {
            return Err(PaymentError::Invalid("Enter the expiry date as MM/YY.".into()));
        }
        if card.cvc.len() < 3 || card.cvc.len() > 4 || !card.cvc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PaymentError::Invalid("Enter the 3 or 4 digit security code.".into()));
        }
        let Some((_, brand, behaviour)) = TEST_CARDS.iter().find(|(number, _, _)| *number == digits) else {
            return Err(PaymentError::Invalid(
                "The sandbox takes test cards only, such as 4242 4242 4242 4242.".into(),
            ));
        };
        let last4 = digits[digits.len() - 4..].to_string();
        let tag = match behaviour {
            Behaviour::Succeeds => "ok",
            Behaviour::ChargeFails => "fails",
            Behaviour::Declined(code, message) => {
                return Err(PaymentError::Declined { code: (*code).into(), message: (*message).into() });
            }
        };
        Ok(PaymentMethod { reference: format!("pm_sandbox_{brand}_{last4}_{tag}"), brand: (*brand).into(), last4 })
    }

    async fn charge(&self, request: ChargeRequest<'_>) -> Result<Charge, PaymentError> {
        let Some(rest) = request.payment_method.strip_prefix("pm_sandbox_") else {
            return Err(PaymentError::Invalid("That payment method is not a sandbox card.".into()));
        };
        if request.amount.is_negative() {
            return Err(PaymentError::Invalid("A charge cannot be negative.".into()));
        }
        if rest.ends_with("_ok") {
            // Deterministic per key, as a processor's idempotent answer would be.
            Ok(Charge { reference: format!("ch_sandbox_{}", request.idempotency_key) })
        } else {
            Err(PaymentError::Declined { code: "card_declined".into(), message: DECLINED.into() })
        }
    }
}

#[cfg(test)]
mod tests {
    use switchboard_core::Cents;

    use super::*;

    fn card(number: &str) -> CardInput {
        CardInput { number: number.into(), exp_month: 12, exp_year: 2034, cvc: "123".into() }
    }

    fn charge_of(pm: &str) -> ChargeRequest<'_> {
        ChargeRequest {
            customer: "cus_1",
            payment_method: pm,
            amount: Cents::from_minor(1_000),
            description: "Top-up",
            idempotency_key: "k1",
        }
    }

    #[tokio::test]
    async fn stripes_test_cards_behave_as_documented() {
        let sandbox = Sandbox;
        let visa = sandbox.attach_card("cus_1", &card("4242 4242 4242 4242")).await.expect("4242 saves");
        assert_eq!((visa.brand.as_str(), visa.last4.as_str()), ("visa", "4242"));
        assert!(!visa.reference.contains("424242424242"), "the number is not kept");
        let charged = sandbox.charge(charge_of(&visa.reference)).await.expect("4242 charges");
        assert_eq!(charged, sandbox.charge(charge_of(&visa.reference)).await.expect("again"), "same key, same charge");

        let declined = sandbox.attach_card("cus_1", &card("4000 0000 0000 0002")).await;
        assert!(matches!(declined, Err(PaymentError::Declined { ref code, .. }) if code == "card_declined"));

        let later = sandbox.attach_card("cus_1", &card("4000000000000341")).await.expect("0341 saves");
        assert!(matches!(sandbox.charge(charge_of(&later.reference)).await, Err(PaymentError::Declined { .. })));
    }

    #[tokio::test]
    async fn other_numbers_and_bad_fields_are_refused() {
        let sandbox = Sandbox;
        for bad in ["4111 1111 1111 1111", "abcd", ""] {
            assert!(matches!(sandbox.attach_card("c", &card(bad)).await, Err(PaymentError::Invalid(_))), "{bad}");
        }
        let mut expired = card("4242424242424242");
        expired.exp_month = 13;
        assert!(matches!(sandbox.attach_card("c", &expired).await, Err(PaymentError::Invalid(_))));
        assert!(format!("{:?}", card("4242424242424242")).find("4242").is_none(), "Debug hides the number");
    }
}
