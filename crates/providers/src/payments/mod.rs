//! Payments behind one trait. The **sandbox** processor ([`sandbox`], the
//! default) needs no account and follows Stripe's documented test cards;
//! the **Stripe** client ([`stripe`]) talks to Stripe's API (or a local
//! mock of it). Amounts are integer US cents; a card number never leaves
//! [`PaymentProcessor::attach_card`]: only its brand, last four digits and
//! the processor's reference are kept.
pub mod sandbox;
pub mod stripe;

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

    /// The payment method a [`PaymentMethodSetup::Redirect`] saved, by its
    /// `session_ref`, once the processor said it completed. A processor
    /// without a redirect (the sandbox) has none: `Invalid`.
    async fn completed_setup(&self, session_ref: &str) -> Result<PaymentMethod, PaymentError> {
        let _ = session_ref;
        Err(PaymentError::Invalid(format!("the {} processor adds cards through its own form", self.name())))
    }

    /// Whether the processor bills each subscription cycle itself. When
    /// `true` (Stripe), the renewal job must not charge: the processor
    /// charges the cycle on its own subscription and its `invoice.paid`
    /// event records the paid invoice; the renewal then grants the cycle's
    /// credits for a period once its `subscription` invoice is paid. When
    /// `false` (the sandbox) the renewal job charges through [`charge`](Self::charge).
    fn collects_renewals(&self) -> bool {
        false
    }

    /// Makes the processor's own subscription of `request.customer` bill
    /// `request.price` from now on (creating it when `subscription_ref` is
    /// none); returns its reference. The processor does not prorate: an
    /// upgrade's difference is charged through our own proration invoice.
    /// `Ok(None)`: the processor keeps no subscriptions (the sandbox).
    async fn sync_subscription(&self, request: SubscriptionRequest<'_>) -> Result<Option<String>, PaymentError> {
        let _ = request;
        Ok(None)
    }

    /// Ends the processor's subscription: at the end of the period it has
    /// paid for, or at once. Nothing to do for a processor without them.
    /// `idempotency_key` must differ for each change the person makes (an
    /// audit entry's ID, say): a cancel, resume and cancel again are three.
    async fn cancel_subscription(
        &self,
        subscription_ref: &str,
        at_period_end: bool,
        idempotency_key: &str,
    ) -> Result<(), PaymentError> {
        let _ = (subscription_ref, at_period_end, idempotency_key);
        Ok(())
    }

    /// Undoes a cancellation scheduled for the period's end.
    async fn resume_subscription(&self, subscription_ref: &str, idempotency_key: &str) -> Result<(), PaymentError> {
        let _ = (subscription_ref, idempotency_key);
        Ok(())
    }
}

/// A plan's price for one cycle, as [`PaymentProcessor::sync_subscription`] bills it.
#[derive(Debug, Clone)]
pub struct PlanPrice<'a> {
    /// The plan's key (`pro`): names the processor's product.
    pub plan_key: &'a str,
    /// Shown on the processor's invoices (`Pro`).
    pub plan_name: &'a str,
    pub interval: Interval,
    pub amount: Cents,
    /// A price the operator created at the processor (`price_…`), used as is.
    pub configured_price: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Month,
    Year,
}

impl Interval {
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Month => "month",
            Interval::Year => "year",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SubscriptionRequest<'a> {
    pub customer: &'a str,
    /// The processor's subscription to change; none creates one.
    pub subscription_ref: Option<&'a str>,
    pub payment_method: Option<&'a str>,
    pub price: PlanPrice<'a>,
    /// Our workspace ID, kept in the subscription's metadata.
    pub workspace_id: &'a str,
    /// For a new subscription: the end of the period already charged
    /// through our own invoice. The processor's first charge is then, and
    /// nothing before it (no double charge for the current period).
    pub first_charge_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The same key changes the subscription at most once.
    pub idempotency_key: &'a str,
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
