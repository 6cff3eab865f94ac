//! Subscriptions on prices made from the plan table.
//!
//! A plan's price for a cycle is found by its `lookup_key`
//! (`switchboard_<plan>_<interval>_<cents>`: a changed price in the plan
//! table is a new key, so a new Stripe price) and made on first need, on a
//! product whose ID is `switchboard_<plan>` (made on first need too). A
//! price configured in the plan table (`stripe_monthly_price_id`) is used
//! as is. Nothing about prices is stored on our side: Stripe finds them.
//!
//! Our own renewal and Stripe's coexist this way: Stripe bills each cycle
//! on its subscription ([`PaymentProcessor::collects_renewals`] is true),
//! and never prorates (`proration_behavior=none`): an upgrade's difference
//! is charged through our own proration invoice, and a new subscription's
//! first Stripe charge is at `first_charge_at`, the end of the period our
//! own invoice already charged (`billing_cycle_anchor`).
//!
//! [`PaymentProcessor::collects_renewals`]: crate::payments::PaymentProcessor::collects_renewals
use serde_json::Value;

use super::http::{Form, segment};
use super::{CURRENCY, Stripe, text};
use crate::payments::{PaymentError, PlanPrice, SubscriptionRequest};

pub(super) fn lookup_key(price: &PlanPrice<'_>) -> String {
    format!("switchboard_{}_{}_{}", price.plan_key, price.interval.as_str(), price.amount.minor())
}

fn product_id(plan_key: &str) -> String {
    format!("switchboard_{plan_key}")
}

impl Stripe {
    /// The Stripe price billing `price`: configured, found by its lookup
    /// key, or made now (with its product, on first need).
    pub async fn price(&self, price: &PlanPrice<'_>) -> Result<String, PaymentError> {
        if let Some(configured) = price.configured_price.filter(|p| !p.is_empty()) {
            return Ok(configured.to_string());
        }
        if let Some(found) = self.find_price(price).await? {
            return Ok(found);
        }
        let product = self.ensure_product(price).await?;
        self.create_price(price, &product).await
    }

    /// The active price with `price`'s lookup key, if Stripe has one.
    pub async fn find_price(&self, price: &PlanPrice<'_>) -> Result<Option<String>, PaymentError> {
        let key = lookup_key(price);
        let found = self.get("/v1/prices", &[("lookup_keys[]", &key), ("active", "true"), ("limit", "1")]).await?;
        match found.get("data").and_then(Value::as_array).and_then(|d| d.first()) {
            Some(existing) => text(existing, "id").map(Some),
            None => Ok(None),
        }
    }

    /// Makes the recurring price for `price` on `product`, under its lookup key.
    pub async fn create_price(&self, price: &PlanPrice<'_>, product: &str) -> Result<String, PaymentError> {
        let key = lookup_key(price);
        let form: Form = vec![
            ("currency", CURRENCY.into()),
            ("unit_amount", price.amount.minor().to_string()),
            ("recurring[interval]", price.interval.as_str().into()),
            ("product", product.into()),
            ("lookup_key", key.clone()),
            ("metadata[plan_key]", price.plan_key.into()),
        ];
        let created = self.post("/v1/prices", &form, &format!("price:{key}")).await?;
        text(&created, "id")
    }

    async fn ensure_product(&self, price: &PlanPrice<'_>) -> Result<String, PaymentError> {
        let id = product_id(price.plan_key);
        match self.get(&format!("/v1/products/{}", segment(&id)), &[]).await {
            Ok(product) => return text(&product, "id"),
            // 404: not made yet. Anything else is a real failure.
            Err(PaymentError::Invalid(_)) => {}
            Err(err) => return Err(err),
        }
        self.create_product(price).await
    }

    /// Makes the plan's product, with the ID `switchboard_<plan key>`.
    pub async fn create_product(&self, price: &PlanPrice<'_>) -> Result<String, PaymentError> {
        let id = product_id(price.plan_key);
        let form: Form = vec![
            ("id", id.clone()),
            ("name", format!("Switchboard {}", price.plan_name)),
            ("metadata[plan_key]", price.plan_key.into()),
        ];
        let created = self.post("/v1/products", &form, &format!("product:{id}")).await?;
        text(&created, "id")
    }

    /// Creates or changes the customer's subscription to bill `request.price`.
    pub(super) async fn sync(&self, request: &SubscriptionRequest<'_>) -> Result<String, PaymentError> {
        let price = self.price(&request.price).await?;
        let mut form: Form = vec![
            ("proration_behavior", "none".into()),
            ("metadata[workspace_id]", request.workspace_id.into()),
            ("metadata[plan_key]", request.price.plan_key.into()),
        ];
        if let Some(method) = request.payment_method {
            form.push(("default_payment_method", method.into()));
        }
        match request.subscription_ref {
            Some(existing) => {
                let path = format!("/v1/subscriptions/{}", segment(existing));
                let current = self.get(&path, &[]).await?;
                let item = current
                    .pointer("/items/data/0/id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| PaymentError::Unavailable("Stripe's subscription has no item".into()))?;
                // An array of objects: Stripe has no other shape for items.
                form.push(("items[0][id]", item.into()));
                form.push(("items[0][price]", price));
                form.push(("cancel_at_period_end", "false".into()));
                let updated = self.post(&path, &form, request.idempotency_key).await?;
                text(&updated, "id")
            }
            None => {
                form.push(("customer", request.customer.into()));
                form.push(("items[0][price]", price));
                if let Some(at) = request.first_charge_at {
                    form.push(("billing_cycle_anchor", at.timestamp().to_string()));
                }
                let created = self.post("/v1/subscriptions", &form, request.idempotency_key).await?;
                text(&created, "id")
            }
        }
    }
}
