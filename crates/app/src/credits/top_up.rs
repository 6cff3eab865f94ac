//! Buying credits: a whole number of them, priced by the workspace plan's
//! top-up price, billed as a `top_up` invoice and collected through the
//! processor. Credits are granted only after the payment succeeded, under
//! `top_up:<invoice id>`, so a retry that finds the invoice paid grants
//! exactly once; a declined payment voids the invoice and grants nothing.
//!
//! The invoice's own key comes from the caller: the API's
//! `Idempotency-Key`, or the one-time nonce of the page's form, so a
//! double-submitted form or a retried request is charged once.
use chrono::{DateTime, Utc};
use switchboard_core::{Cents, Credits, WorkspaceId};
use switchboard_db::Tx;
use switchboard_providers::payments::CardInput;

use super::ledger::{self, Balance, EntryKind, NewEntry};
use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult};
use crate::invoices::charge::{self, OnDecline, Outcome};
use crate::invoices::store::{self as invoices, Invoice, Kind, NewInvoice, NewLine};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::subscription::plans::Plan;
use crate::subscription::trial;
use crate::web::format;

/// The smallest and largest top-up, in whole credits.
pub const MIN_CREDITS: i64 = 100;
pub const MAX_CREDITS: i64 = 1_000_000;

/// A whole number of credits within [`MIN_CREDITS`]..=[`MAX_CREDITS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopUpCredits(i64);

impl TopUpCredits {
    /// Parses what a person typed (`1000`, `1,000`, `1 000`) or what the
    /// API sent; the error is on `field`.
    pub fn parse(field: &str, raw: &str) -> AppResult<TopUpCredits> {
        let cleaned: String = raw.trim().chars().filter(|c| !matches!(c, ',' | ' ' | '_' | '\u{a0}')).collect();
        if cleaned.is_empty() {
            return Err(AppError::field(field, "Enter how many credits to buy."));
        }
        match cleaned.parse::<i64>() {
            Ok(n) => Self::new(field, n),
            Err(_) => Err(AppError::field(field, "Enter a whole number of credits, such as 1000.")),
        }
    }

    pub fn new(field: &str, whole: i64) -> AppResult<TopUpCredits> {
        if !(MIN_CREDITS..=MAX_CREDITS).contains(&whole) {
            return Err(AppError::field(
                field,
                format!(
                    "Buy between {} and {} credits.",
                    format::credits(Credits::from_minor(MIN_CREDITS * Credits::MILLIS_PER_CREDIT)),
                    format::credits(Credits::from_minor(MAX_CREDITS * Credits::MILLIS_PER_CREDIT)),
                ),
            ));
        }
        Ok(TopUpCredits(whole))
    }

    pub fn whole(self) -> i64 {
        self.0
    }

    pub fn credits(self) -> Credits {
        // Bounded by MAX_CREDITS, far from overflowing.
        Credits::from_millis(self.0 * Credits::MILLIS_PER_CREDIT)
    }
}

/// What `credits` cost on `plan`.
pub fn price(plan: &Plan, credits: TopUpCredits) -> AppResult<Cents> {
    plan.top_up_price(credits.credits())
        .ok_or_else(|| AppError::unprocessable("amount_out_of_range", "That amount of credits is out of range."))
}

/// "Buy 1,000 credits for $10.00": the confirm button's words.
pub fn confirm_label(credits: Credits, price: Cents) -> String {
    format!("Buy {} credits for {}", format::credits(credits), format::money(price))
}

/// The invoice line of a top-up; also how a retry checks that a reused key
/// asks for the same top-up.
pub(super) fn line_description(kind: Kind, credits: Credits) -> String {
    match kind {
        Kind::AutoRecharge => format!("Auto-recharge: {} credits", format::credits(credits)),
        _ => format!("{} top-up credits", format::credits(credits)),
    }
}

/// The credits an auto-recharge invoice's line (written by
/// [`line_description`]) names, so a retried grant gives what was billed
/// even if the settings changed since.
pub(super) fn auto_recharge_credits(description: &str) -> Option<Credits> {
    let whole = description.strip_prefix("Auto-recharge: ")?.strip_suffix(" credits")?;
    whole.replace(',', "").parse::<i64>().ok().and_then(Credits::from_whole)
}

/// A finished top-up.
#[derive(Debug, Clone)]
pub struct TopUpDone {
    pub invoice: Invoice,
    pub credits: Credits,
    pub balance: Balance,
}

/// Finds or creates the open invoice of a top-up under `key`. A key already
/// used for a different top-up is refused rather than charged again.
pub async fn invoice(
    state: &AppState,
    ws: &WorkspaceId,
    kind: Kind,
    key: &str,
    credits: Credits,
    price: Cents,
) -> AppResult<Invoice> {
    let now = state.clock.now();
    let description = line_description(kind, credits);
    let new = NewInvoice {
        kind,
        idempotency_key: key.to_string(),
        lines: vec![NewLine::one(description.clone(), price)],
        period: None,
    };
    let prefix = state.config.billing.catalogue.invoice_prefix.clone();
    let created = async {
        let mut tx = state.db.begin().await?;
        let (invoice, _) = invoices::create(&mut tx, ws, &prefix, &new, now).await?;
        tx.commit().await?;
        anyhow::Ok(invoice)
    }
    .await;
    let invoice = match created {
        Ok(invoice) => invoice,
        // Two submits of one form at once: the second insert hits the key's
        // unique index, and the first one's invoice is the answer.
        Err(err) => match invoices::find_by_key(&state.db, ws, key).await? {
            Some(invoice) => invoice,
            None => return Err(err.into()),
        },
    };
    let lines = invoices::lines(&state.db, ws, &invoice.id).await?;
    let same = invoice.kind == kind
        && invoice.total_cents == price
        && lines.len() == 1
        && lines.first().is_some_and(|l| l.description == description);
    if !same {
        return Err(AppError::unprocessable(
            "idempotency_key_reused",
            "That idempotency key was already used for a different top-up; use a new key.",
        ));
    }
    Ok(invoice)
}

/// Grants the credits a paid invoice bought, with the `credits.topped_up`
/// entry, in one transaction; a second call for the same key changes nothing.
pub async fn grant(
    state: &AppState,
    origin: &Origin,
    invoice: &Invoice,
    credits: Credits,
    key: &str,
) -> AppResult<Balance> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let balance = grant_in(&mut tx, origin, invoice, credits, key, now).await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    state.jobs_wakeup.notify_one();
    Ok(balance)
}

async fn grant_in(
    tx: &mut Tx,
    origin: &Origin,
    invoice: &Invoice,
    credits: Credits,
    key: &str,
    now: DateTime<Utc>,
) -> AppResult<Balance> {
    let ws = &invoice.workspace_id;
    let entry = NewEntry::new(
        EntryKind::TopUp,
        credits,
        key,
        format!("{} (invoice {})", line_description(invoice.kind, credits), invoice.number),
    )
    .reference(invoice.id.to_string());
    let posted = ledger::post(tx, ws, entry, now).await?;
    if !posted.replayed {
        let changes = Changes::new()
            .field("credits", (), credits.millis())
            .field("balance", posted.before.total().millis(), posted.after.total().millis())
            .field("invoice", (), invoice.number.as_str());
        let target = Target::new("credit_balance", ws, "Credits");
        audit::record(tx, origin, &super::TOPPED_UP, &target, &changes, now).await?;
    }
    Ok(posted.after)
}

/// The card typed into the sandbox's top-up form, if any field of it was filled.
#[derive(Debug, Default, Clone)]
pub struct CardFields {
    pub number: String,
    /// `MM/YY`.
    pub expiry: String,
    pub cvc: String,
}

impl CardFields {
    pub fn is_blank(&self) -> bool {
        self.number.trim().is_empty() && self.expiry.trim().is_empty() && self.cvc.trim().is_empty()
    }

    /// The card, or its problems by field (`card_number`, `card_expiry`,
    /// `card_cvc`), checked as the payment-method form checks them.
    pub fn parse(&self, now: chrono::DateTime<chrono::Utc>) -> AppResult<CardInput> {
        crate::payments::card::parse(&self.number, &self.expiry, &self.cvc, now)
            .map_err(crate::payments::card::CardErrors::into_form_error)
    }
}

/// Buys `credits` for the workspace of `ctx`: attaches `card` first when
/// given (a declined card stops here), bills and collects an invoice keyed
/// by `key`, and grants the credits once it is paid. A declined payment is
/// 402 `payment_declined` with the processor's words and no credits.
pub async fn top_up(
    state: &AppState,
    ctx: &WorkspaceCtx,
    credits: TopUpCredits,
    card: Option<&CardInput>,
    key: &str,
) -> AppResult<TopUpDone> {
    ctx.require(Permission::ManageSettings)?;
    let ws = &ctx.workspace.id;
    let origin = Origin::from_ctx(ctx);
    let sub = trial::load_or_start(state, ws).await?;
    let plan = state.config.billing.catalogue.resolve(&sub.plan_key);
    let price = price(plan, credits)?;
    let invoice_key = format!("top_up:{key}");
    // A retry of a top-up that was paid must not need (or re-attach) a card.
    let paid_before = invoices::find_by_key(&state.db, ws, &invoice_key).await?.is_some();
    if let Some(card) = card.filter(|_| !paid_before) {
        crate::payments::methods::add_card(state, ctx, card).await?;
    } else if !paid_before && sub.payment_method_ref.is_none() && price != Cents::ZERO {
        return Err(AppError::field("card_number", "Add a card to pay for the credits: no payment method is saved."));
    }
    let invoice = invoice(state, ws, Kind::TopUp, &invoice_key, credits.credits(), price).await?;
    match charge::collect(state, &origin, invoice, OnDecline::Void).await? {
        Outcome::Paid(invoice) => {
            let grant_key = format!("top_up:{}", invoice.id);
            let balance = grant(state, &origin, &invoice, credits.credits(), &grant_key).await?;
            Ok(TopUpDone { invoice, credits: credits.credits(), balance })
        }
        Outcome::Declined { message, .. } => Err(AppError::payment_required(
            "payment_declined",
            format!("The payment was declined, so no credits were added: {message}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_within_bounds_with_field_errors_otherwise() {
        assert_eq!(TopUpCredits::parse("credits", " 1,000 ").map(|c| c.whole()).ok(), Some(1_000));
        assert_eq!(TopUpCredits::parse("credits", "100").map(|c| c.whole()).ok(), Some(100));
        assert_eq!(TopUpCredits::parse("credits", "1000000").map(|c| c.whole()).ok(), Some(1_000_000));
        for bad in ["", "99", "1000001", "12.5", "-100", "lots", "99999999999999999999"] {
            let err = TopUpCredits::parse("credits", bad).expect_err(bad);
            assert!(err.field_message("credits").is_some(), "{bad:?}");
        }
        let err = TopUpCredits::new("credits", 5).expect_err("too few");
        assert_eq!(err.field_message("credits"), Some("Buy between 100 and 1,000,000 credits."));
    }

    #[test]
    fn the_confirm_label_names_credits_and_price() {
        let c = TopUpCredits::new("credits", 1_000).expect("ok");
        assert_eq!(confirm_label(c.credits(), Cents::from_minor(1_000)), "Buy 1,000 credits for $10.00");
    }

    #[test]
    fn an_auto_recharge_line_reads_back_the_credits_it_names() {
        let credits = Credits::from_whole(12_500).expect("credits");
        let line = line_description(Kind::AutoRecharge, credits);
        assert_eq!(line, "Auto-recharge: 12,500 credits");
        assert_eq!(auto_recharge_credits(&line), Some(credits));
        assert_eq!(auto_recharge_credits(&line_description(Kind::TopUp, credits)), None);
    }

    #[test]
    fn card_fields_parse_or_name_the_field() {
        let card = CardFields { number: "4242 4242 4242 4242".into(), expiry: "12/30".into(), cvc: "123".into() };
        let now = chrono::Utc::now();
        let parsed = card.parse(now).expect("card");
        assert_eq!((parsed.exp_month, parsed.exp_year), (12, 2030));
        let bad = CardFields { expiry: "13/30".into(), ..card.clone() };
        assert!(bad.parse(now).expect_err("month").field_message("card_expiry").is_some());
        let bad = CardFields { cvc: "12".into(), ..card.clone() };
        assert!(bad.parse(now).expect_err("cvc").field_message("card_cvc").is_some());
        assert!(CardFields::default().is_blank());
    }
}
