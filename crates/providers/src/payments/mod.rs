//! Payments behind one trait. The **sandbox** processor ([`sandbox`], the
//! default) needs no account and follows Stripe's documented test cards;
//! the **Stripe** client ([`stripe`]) talks to Stripe's API (or a local
//! mock of it). Amounts are integer US cents; a card number never leaves
//! [`PaymentProcessor::attach_card`]: only its brand, last four digits and
//! the processor's reference are kept.
pub mod sandbox;

use async_trait::async_trait;
use switchboard_core::Cents;

/// A saved payment method: what may be stored and shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethod {
    /// The processor's ID for it (`pm_…`).
    pub reference: String,
    /// `visa`, `mastercard`, `amex`, …
    pub brand: String,
    pub last4: String,
}

/// How an Admin adds a payment method with this processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentMethodSetup {
    /// Our own card form posts the number to [`PaymentProcessor::attach_card`] (sandbox).
    CardForm,
    /// Send the browser to the processor's page (Stripe Checkout in setup
    /// mode); it comes back to the return URL, and the processor confirms
    /// by a signed event carrying `session_ref`.
    Redirect { url: String, session_ref: String },
}

/// One charge of a saved payment method.
#[derive(Debug, Clone)]
pub struct ChargeRequest<'a> {
    pub customer: &'a str,
    pub payment_method: &'a str,
    pub amount: Cents,
    pub description: &'a str,
    /// The same key charges at most once, however often it is retried
    /// (Stripe's `Idempotency-Key`).
    pub idempotency_key: &'a str,
}

/// A successful charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// The processor's ID for the payment (`pi_…`, `ch_…`).
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The bank or processor refused: final for this attempt, shown to the
    /// person (the message is the processor's, safe to show).
    #[error("{message}")]
    Declined { code: String, message: String },
    /// The input cannot work (not a card number, expired): shown by the field.
    #[error("{0}")]
    Invalid(String),
    /// The processor could not be reached or failed: worth retrying.
    #[error("the payment processor is unavailable: {0}")]
    Unavailable(String),
}

/// A payment processor. Every call may be retried with the same arguments.
#[async_trait]
pub trait PaymentProcessor: Send + Sync + 'static {
    /// `sandbox` or `stripe`: stored with the subscription.
    fn name(&self) -> &'static str;

    /// Creates the processor's customer for a workspace; returns its ID.
    async fn create_customer(&self, workspace_id: &str, name: &str) -> Result<String, PaymentError>;

    /// How to add a payment method for `customer`; `return_url` is where the
    /// processor's page sends the browser back.
    async fn setup_payment_method(&self, customer: &str, return_url: &str) -> Result<PaymentMethodSetup, PaymentError>;

    /// Saves a card typed into our own form (sandbox only; Stripe never lets
    /// a card number touch this server and answers `Invalid`).
    async fn attach_card(&self, customer: &str, card: &CardInput) -> Result<PaymentMethod, PaymentError>;

    /// Charges a saved payment method once per idempotency key.
    async fn charge(&self, request: ChargeRequest<'_>) -> Result<Charge, PaymentError>;
}

/// A card as typed into the sandbox form.
#[derive(Clone)]
pub struct CardInput {
    pub number: String,
    pub exp_month: u32,
    pub exp_year: u32,
    pub cvc: String,
}

impl std::fmt::Debug for CardInput {
    /// Never prints the number or the code.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardInput").field("exp_month", &self.exp_month).field("exp_year", &self.exp_year).finish()
    }
}
