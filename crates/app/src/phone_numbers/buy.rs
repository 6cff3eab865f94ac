//! Searching the platform carrier's numbers and buying one (Admins).
//!
//! A purchase is three steps, so that a process killed anywhere leaves
//! something [`super::orders`] can finish:
//!
//! 1. [`charge`]: one transaction locks the credit balance, checks the
//!    plan's number limit and the balance, inserts the number `PENDING`,
//!    debits the first month under the key `number_rental:<id>:first`,
//!    audits and enqueues the number's reconcile job (due a little later);
//! 2. the order at the carrier, with the number's ID as our reference;
//! 3. [`super::orders::settle`]: a second transaction records what the
//!    carrier said (ACTIVE, still pending, or FAILED with a refund).
//!
//! Killed after 1, the reconcile job asks the carrier before ordering
//! again; killed after 2, it finds the number at the carrier. No proration:
//! the first month is charged whole, from the day the order completes.
use chrono::Duration;
use switchboard_core::{Credits, PhoneNumberId, WorkspaceId};
use switchboard_db::Tx;
use switchboard_providers::carriers::{
    AvailableNumber, Capabilities, CarrierError, NumberType, SearchQuery, country_of,
};

use super::model::{NumberSource, NumberStatus, PhoneNumber, parse_e164};
use super::{orders, store};
use crate::audit::{self, Changes, Origin, Target};
use crate::credits::ledger::{self, EntryKind, NewEntry};
use crate::error::{AppError, AppResult, FieldError};
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::usage::types::UsageType;

/// Number-days in the month a number is rented for.
pub const DAYS_PER_MONTH: i64 = 30;
/// Most results one search returns.
pub const MAX_RESULTS: usize = 20;
/// When the reconcile job first looks at a number just bought (the buy
/// itself normally settles it before then).
pub const RECONCILE_DELAY: Duration = Duration::minutes(2);

/// A number on offer with what it costs this workspace a month.
#[derive(Debug, Clone)]
pub struct Offer {
    pub number: AvailableNumber,
    pub monthly_price: Credits,
}

/// A search as typed (form fields or query parameters), before checking.
#[derive(Debug, Clone, Default)]
pub struct RawSearch<'a> {
    pub country: &'a str,
    pub number_type: &'a str,
    pub area_code: &'a str,
    pub contains: &'a str,
    /// `voice`, `sms`, `mms`, comma-separated (empty: voice).
    pub capabilities: &'a str,
}

fn digits(field: &str, raw: &str, max: usize, errors: &mut Vec<FieldError>) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if raw.len() > max || !raw.bytes().all(|b| b.is_ascii_digit()) {
        errors.push(FieldError::new(field, format!("Use digits only, at most {max}.")));
        return None;
    }
    Some(raw.to_string())
}

/// Checks a search; every bad field gets its own message.
pub fn parse_search(raw: &RawSearch<'_>) -> AppResult<SearchQuery> {
    let mut errors = Vec::new();
    let country = raw.country.trim().to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        errors.push(FieldError::new("country", "Use a two-letter country code, like US or GB."));
    }
    let number_type = match raw.number_type.trim() {
        "" => Some(NumberType::Local),
        t => NumberType::parse(t),
    };
    if number_type.is_none() {
        errors.push(FieldError::new("type", "Use LOCAL, NATIONAL, MOBILE or TOLL_FREE."));
    }
    let area_code = digits("area_code", raw.area_code, 6, &mut errors);
    let contains = digits("contains", raw.contains, 10, &mut errors);
    let mut capabilities = Capabilities::default();
    for word in raw.capabilities.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        match word.to_ascii_lowercase().as_str() {
            "voice" => capabilities.voice = true,
            "sms" => capabilities.sms = true,
            "mms" => capabilities.mms = true,
            _ => {
                errors.push(FieldError::new("capabilities", "Use voice, sms or mms, separated by commas."));
                break;
            }
        }
    }
    if capabilities == Capabilities::default() {
        capabilities = Capabilities::VOICE;
    }
    match number_type {
        Some(number_type) if errors.is_empty() => {
            Ok(SearchQuery { country, number_type, area_code, contains, capabilities, limit: MAX_RESULTS })
        }
        _ => Err(AppError::validation(errors)),
    }
}

/// What a carrier's refusal means to the person asking.
pub fn carrier_error(err: CarrierError) -> AppError {
    match err {
        CarrierError::Rejected(message) => AppError::unprocessable("carrier_rejected", message),
        CarrierError::NotFound => AppError::unprocessable("carrier_rejected", "The carrier does not know that number."),
        CarrierError::Unauthorized | CarrierError::Unavailable(_) => {
            tracing::warn!(error = %err, "platform carrier call failed");
            AppError::unprocessable("carrier_unavailable", "The carrier cannot be reached just now. Try again shortly.")
                .with_retry_after(30)
        }
    }
}

/// The monthly price on `ws`'s plan: 30 number-days of its rate card's
/// `phone_number_rental`.
pub async fn price_for(state: &AppState, ws: &WorkspaceId) -> AppResult<Credits> {
    let catalogue = &state.config.billing.catalogue;
    let plan = match crate::subscription::store::find(&state.db, ws).await? {
        Some(row) => catalogue.resolve(&row.plan_key),
        None => catalogue.trial(),
    };
    plan_price(plan)
}

fn plan_price(plan: &crate::subscription::plans::Plan) -> AppResult<Credits> {
    plan.rate_card
        .price(UsageType::PhoneNumberRental, DAYS_PER_MONTH)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the number rental price of plan {} overflows", plan.key)))
}

/// What one number costs the workspace a month (its plan's rate card).
pub async fn monthly_price(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<Credits> {
    ctx.require(Permission::ManageSettings)?;
    price_for(state, &ctx.workspace.id).await
}

/// The platform carrier's numbers matching `query`, priced for the workspace (Admins).
pub async fn search(state: &AppState, ctx: &WorkspaceCtx, query: &SearchQuery) -> AppResult<Vec<Offer>> {
    ctx.require(Permission::ManageSettings)?;
    let query = SearchQuery { limit: query.limit.clamp(1, MAX_RESULTS), ..query.clone() };
    let price = price_for(state, &ctx.workspace.id).await?;
    let found = state.carrier.search(&query).await.map_err(carrier_error)?;
    Ok(found.into_iter().map(|number| Offer { number, monthly_price: price }).collect())
}

/// The ledger key of a number's first month.
pub fn first_month_key(id: &PhoneNumberId) -> String {
    format!("number_rental:{id}:first")
}

/// Buys `e164` (Admins): checks the plan's limit and the balance, charges
/// the first month, orders at the carrier; a failed order refunds. Returns
/// the number as it stands: ACTIVE, or PENDING while the carrier completes
/// the order (the reconcile job finishes it), or FAILED (refunded).
pub async fn buy(state: &AppState, ctx: &WorkspaceCtx, e164: &str) -> AppResult<PhoneNumber> {
    ctx.require(Permission::ManageSettings)?;
    let e164 = parse_e164(e164).ok_or_else(|| {
        AppError::field("phone_number", "Enter the number in international format, like +14155550100.")
    })?;
    let origin = Origin::from_ctx(ctx);
    let number = charge(state, &origin, &ctx.workspace.id, &e164).await?;
    orders::order(state, &origin, &number).await
}

/// Step 1 (see the module header): the number PENDING and its first
/// month paid, in one transaction; nothing is written when a check fails.
pub async fn charge(state: &AppState, origin: &Origin, ws: &WorkspaceId, e164: &str) -> AppResult<PhoneNumber> {
    let country = country_of(e164)
        .ok_or_else(|| AppError::field("phone_number", "The platform's carrier offers no numbers in that country."))?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // The balance row first: two purchases of one workspace queue here, so
    // the count and the balance they check are the ones they change.
    let balance = ledger::lock_balance(&mut tx, ws, now).await?.balance().total();
    let current = store::count_live(&mut tx, ws).await?;
    crate::subscription::limits::check_phone_numbers(state, &mut tx, ws, current).await?;
    let plan = crate::subscription::limits::plan_of(&state.config.billing.catalogue, &mut tx, ws).await?;
    let price = plan_price(plan)?;
    if balance < price {
        return Err(ledger::insufficient(balance, price));
    }
    let id = PhoneNumberId::new();
    let new = store::NewNumber {
        id: &id,
        e164,
        friendly_name: "",
        country,
        number_type: NumberType::Local,
        capabilities: Capabilities::VOICE,
        source: NumberSource::Platform,
        carrier: state.carrier.name(),
        carrier_account_id: None,
        carrier_ref: None,
        monthly_price: price.millis(),
        status: NumberStatus::Pending,
        period_start: None,
        renews_on: None,
    };
    if let Err(err) = store::insert(&mut tx, ws, &new, now).await {
        return Err(if switchboard_db::is_unique_violation(&err) {
            AppError::conflict("number_taken", format!("{} is already taken.", super::model::display(e164)))
        } else {
            err.into()
        });
    }
    let display = super::model::display(e164);
    let debit = NewEntry::new(
        EntryKind::NumberRental,
        Credits::ZERO.checked_sub(price).unwrap_or(Credits::ZERO),
        first_month_key(&id),
        format!("Number {display}, first month"),
    )
    .reference(id.to_string());
    ledger::post(&mut tx, ws, debit, now).await?;
    let changes = Changes::new().field("e164", (), e164).field("status", (), NumberStatus::Pending.as_str()).field(
        "monthly_price",
        (),
        price.millis(),
    );
    audit::record(&mut tx, origin, &super::ORDERED, &Target::new("phone_number", &id, &display), &changes, now).await?;
    orders::enqueue_reconcile(&mut tx, ws, &id, now + RECONCILE_DELAY).await?;
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    store::find(&state.db, ws, &id).await?.ok_or_else(|| AppError::not_found("The number"))
}

/// The first-month debit of `id`, if it was charged (what a failed order refunds).
pub async fn first_month(tx: &mut Tx, ws: &WorkspaceId, id: &PhoneNumberId) -> AppResult<Option<Credits>> {
    Ok(ledger::find_by_key(&mut *tx, ws, &first_month_key(id)).await?.map(|e| e.amount))
}
