//! Monthly renewal of platform numbers: the feature's worker loop runs
//! [`run_pass`] every [`POLL_INTERVAL`] (tests call it directly).
//!
//! For each ACTIVE or PAST_DUE platform number whose `renews_on` has come,
//! one transaction locks the workspace's credit balance, then the number,
//! re-checks that the period is still the one being renewed, and debits the
//! month under the key `number_rental:<number>:<period start>`: another
//! process renewing at once queues on the balance row and then finds the
//! period moved on (and the key taken), so each period is paid once, across
//! processes and restarts. The period then moves one month on.
//!
//! Not enough credits: with auto-recharge on, a recharge keyed by the
//! number and period is bought first and the renewal tried again; else the
//! number goes PAST_DUE (audited, the Admins emailed). A PAST_DUE number is
//! tried again every pass, so a top-up renews it; after [`GRACE_DAYS`] it is
//! released (at the carrier too). Imported numbers never renew (they have
//! no `renews_on`, and the scan only takes platform numbers).
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Months, Utc};
use switchboard_core::{Credits, PhoneNumberId};
use switchboard_providers::email::EmailMessage;

use super::lifecycle_store as lifecycle;
use super::model::{NumberStatus, PhoneNumber};
use super::store;
use crate::audit::{self, Changes, Origin, Target};
use crate::credits::auto_recharge::{self, Recharge};
use crate::credits::ledger::{self, EntryKind, NewEntry};
use crate::error::AppResult;
use crate::jobs::email::{escape_html, html_with_button};
use crate::state::AppState;

/// How often the worker looks for numbers due.
pub const POLL_INTERVAL: StdDuration = StdDuration::from_secs(60);
/// Days an unpaid number is kept before it is released.
pub const GRACE_DAYS: i64 = 7;
/// Numbers read per page of the scan.
const PAGE: i64 = 500;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub renewed: usize,
    pub past_due: usize,
    pub released: usize,
}

/// What renewing one number did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// Not due (any more): renewed by another process, released, not found.
    NotDue,
    Renewed,
    /// Not paid: PAST_DUE now (or still).
    PastDue,
    /// Unpaid past the grace period: released.
    Released,
}

fn key_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The ledger key of the period of `id` starting `start`.
pub fn rental_key(id: &PhoneNumberId, start: DateTime<Utc>) -> String {
    format!("number_rental:{id}:{}", key_time(start))
}

/// One pass over every number due; errors on one number are logged and
/// retried on the next pass.
pub async fn run_pass(state: &AppState) -> anyhow::Result<Pass> {
    let now = state.clock.now();
    let mut pass = Pass::default();
    let mut after: Option<(DateTime<Utc>, PhoneNumberId)> = None;
    loop {
        let page = lifecycle::due_for_renewal(&state.db, now, after.as_ref().map(|(at, id)| (*at, id)), PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.renews_on.map(|at| (at, last.id.clone()));
        for number in &page {
            match renew(state, number).await {
                Ok(Renewal::Renewed) => pass.renewed += 1,
                Ok(Renewal::PastDue) => pass.past_due += 1,
                Ok(Renewal::Released) => pass.released += 1,
                Ok(Renewal::NotDue) => {}
                Err(err) => {
                    tracing::warn!(number = %number.id, error = ?err, "number renewal failed; retried next pass")
                }
            }
        }
        if after.is_none() || (page.len() as i64) < PAGE {
            break;
        }
    }
    if pass.released > 0 {
        state.jobs_wakeup.notify_one();
    }
    Ok(pass)
}

/// Renews `number` (as the scan read it) if its period is still due.
pub async fn renew(state: &AppState, number: &PhoneNumber) -> AppResult<Renewal> {
    match attempt(state, number, true).await? {
        Attempt::Done(outcome) => Ok(outcome),
        Attempt::Recharge(key) => {
            let ws = &number.workspace_id;
            match auto_recharge::run(state, ws, &key).await {
                Ok(Recharge::Granted) => {}
                Ok(other) => {
                    tracing::info!(number = %number.id, outcome = ?other, "auto-recharge did not pay a renewal")
                }
                Err(err) => tracing::warn!(number = %number.id, error = ?err, "auto-recharge for a renewal failed"),
            }
            match attempt(state, number, false).await? {
                Attempt::Done(outcome) => Ok(outcome),
                Attempt::Recharge(_) => Ok(Renewal::NotDue),
            }
        }
    }
}

enum Attempt {
    Done(Renewal),
    /// Not enough credits and auto-recharge is on: recharge under this key, then try again.
    Recharge(String),
}

async fn attempt(state: &AppState, seen: &PhoneNumber, may_recharge: bool) -> AppResult<Attempt> {
    let ws = &seen.workspace_id;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    // The balance row first (as a purchase does), then the number: a second
    // process queues here and then finds the period moved on.
    let row = ledger::lock_balance(&mut tx, ws, now).await?;
    let Some(number) = store::find_for_update(&mut tx, ws, &seen.id).await? else {
        return Ok(Attempt::Done(Renewal::NotDue));
    };
    let Some(start) = number.renews_on.filter(|at| *at <= now) else { return Ok(Attempt::Done(Renewal::NotDue)) };
    if !matches!(number.status, NumberStatus::Active | NumberStatus::PastDue) || number.renews_on != seen.renews_on {
        return Ok(Attempt::Done(Renewal::NotDue));
    }
    let origin = Origin::system(ws.clone());
    let target = Target::new("phone_number", &number.id, number.display());
    if let Some(since) = number.past_due_since
        && now >= since + Duration::days(GRACE_DAYS)
    {
        super::release::release_in(&mut tx, &origin, &number, now).await?;
        tx.commit().await?;
        state.webhooks_wakeup.notify_one();
        return Ok(Attempt::Done(Renewal::Released));
    }
    let price = Credits::from_millis(number.monthly_price);
    let key = rental_key(&number.id, start);
    let balance = row.balance().total();
    if balance >= price || ledger::find_by_key(&mut tx, ws, &key).await?.is_some() {
        let end = start.checked_add_months(Months::new(1)).unwrap_or(start + Duration::days(30));
        let debit = NewEntry::new(
            EntryKind::NumberRental,
            Credits::ZERO.checked_sub(price).unwrap_or(Credits::ZERO),
            key,
            format!("Number {}, {} – {}", number.display(), start.format("%-d %b %Y"), end.format("%-d %b %Y")),
        )
        .reference(number.id.to_string());
        ledger::post(&mut tx, ws, debit, now).await?;
        lifecycle::renewed(&mut tx, ws, &number.id, start, end, now).await?;
        let changes = Changes::new().field("status", number.status.as_str(), NumberStatus::Active.as_str()).field(
            "renews_on",
            start,
            end,
        );
        audit::record(&mut tx, &origin, &super::RENEWED, &target, &changes, now).await?;
        tx.commit().await?;
        state.webhooks_wakeup.notify_one();
        return Ok(Attempt::Done(Renewal::Renewed));
    }
    if number.status == NumberStatus::PastDue {
        // Still unpaid; tried again next pass until the grace period ends.
        return Ok(Attempt::Done(Renewal::PastDue));
    }
    if may_recharge && row.auto_recharge_enabled {
        drop(tx);
        return Ok(Attempt::Recharge(format!("auto_recharge:{}:{}", number.id, key_time(start))));
    }
    let detail = format!(
        "The renewal of {} credits could not be paid; the number is released on {} unless credits are added.",
        crate::web::format::credits(price),
        (now + Duration::days(GRACE_DAYS)).format("%-d %b %Y")
    );
    lifecycle::past_due(&mut tx, ws, &number.id, &detail, now).await?;
    let changes = Changes::new().field("status", number.status.as_str(), NumberStatus::PastDue.as_str());
    audit::record(&mut tx, &origin, &super::PAST_DUE, &target, &changes, now).await?;
    let (workspace, admins) = crate::tenancy::admins_to_notify(&mut tx, ws).await?;
    let link = format!("{}/settings/phone-numbers/{}", state.public_url, number.id);
    for (i, to) in admins.iter().enumerate() {
        let message = past_due_email(&number, price, balance, &workspace, to, &link, now, i);
        crate::jobs::email::enqueue_email(&mut tx, Some(ws.clone()), &message, now).await?;
    }
    tx.commit().await?;
    state.webhooks_wakeup.notify_one();
    state.jobs_wakeup.notify_one();
    Ok(Attempt::Done(Renewal::PastDue))
}

/// The email Admins get when a number's renewal cannot be paid.
#[allow(clippy::too_many_arguments)]
pub fn past_due_email(
    number: &PhoneNumber,
    price: Credits,
    balance: Credits,
    workspace: &str,
    to: &str,
    link: &str,
    now: DateTime<Utc>,
    index: usize,
) -> EmailMessage {
    let display = number.display();
    let release_on = (now + Duration::days(GRACE_DAYS)).format("%-d %b %Y").to_string();
    let fmt = crate::web::format::credits;
    let subject = format!("Phone number {display} could not be renewed");
    let why = format!(
        "Renewing {display} in {workspace} costs {} credits a month and the balance is {} credits.",
        fmt(price),
        fmt(balance)
    );
    let then = format!(
        "Add credits (or turn on auto-recharge) before {release_on}: the number renews on the next pass. \
         Otherwise it is released on {release_on} and may not be available again."
    );
    let text = format!("{why}\n\n{then}\n\nThe number:\n{link}\n");
    let lead = [escape_html(&why), escape_html(&then)];
    EmailMessage {
        to: to.to_string(),
        subject,
        text,
        html: html_with_button(&lead, "Open the number", link, ""),
        message_id: format!("{}.past-due.{}.{index}@switchboard.local", number.id, key_time(now)),
    }
}

/// The worker loop.
pub fn spawn(
    state: AppState,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    Ok(Some(crate::jobs::spawn_periodic(state, shutdown, POLL_INTERVAL, "number renewal", |state| async move {
        run_pass(&state).await
    })))
}
