//! The 50 %, 80 % and 100 % alerts of a billing cycle.
//!
//! - **Allowance**: the credits the cycle included, as Settings →
//!   Subscription shows them: the trial's credits during a trial, else the
//!   plan's credits for its billing cycle. A cycle with none has no alerts.
//! - **Used**: the allowance minus the cycle credits left on the balance
//!   row (never below 0): everything the cycle's credits paid for, usage,
//!   numbers and clones alike, the same figure as the page's progress bar.
//! - Checked in the transaction of every batch that debited credits. Each
//!   threshold reached is inserted into `usage_alerts` with `ON CONFLICT DO
//!   NOTHING`; the key (workspace, period start, threshold) lets exactly
//!   one insert win per cycle, however many processes ingest at once, and
//!   only the winner notifies.
//! - A batch that reaches several thresholds at once sends a
//!   `usage.threshold_reached` webhook event for each (machines want every
//!   one), but one email, for the highest (people do not want three at once).
use chrono::{DateTime, Utc};
use serde_json::json;
use switchboard_core::Credits;
use switchboard_db::{Tx, execute};
use switchboard_providers::email::EmailMessage;

use crate::error::AppResult;
use crate::events::{self, Event};
use crate::jobs::email::{enqueue_email, escape_html, html_with_button};
use crate::state::AppState;
use crate::subscription::store::{Status, SubscriptionRow};
use crate::web::format;

pub const THRESHOLDS: [i64; 3] = [50, 80, 100];

/// The cycle's allowance and how much of it is used, given the cycle
/// credits left.
pub fn used_of(state: &AppState, sub: &SubscriptionRow, cycle_left: Credits) -> (Credits, Credits) {
    let catalogue = &state.config.billing.catalogue;
    let allowance = if sub.status == Status::Trialing {
        catalogue.trial_credits
    } else {
        catalogue.resolve(&sub.plan_key).credits(sub.cycle)
    };
    let left = if cycle_left.is_negative() { Credits::ZERO } else { cycle_left };
    let used = allowance.checked_sub(left).filter(|u| !u.is_negative()).unwrap_or(Credits::ZERO);
    (allowance, used)
}

/// The thresholds `used` has reached of `allowance`.
pub fn reached(allowance: Credits, used: Credits) -> Vec<i64> {
    if allowance.millis() <= 0 {
        return Vec::new();
    }
    THRESHOLDS
        .into_iter()
        .filter(|t| i128::from(used.millis()) * 100 >= i128::from(*t) * i128::from(allowance.millis()))
        .collect()
}

/// Records and announces each threshold reached for the first time this
/// cycle; returns those this call won.
pub async fn check(
    state: &AppState,
    tx: &mut Tx,
    sub: &SubscriptionRow,
    cycle_left: Credits,
    now: DateTime<Utc>,
) -> AppResult<Vec<i64>> {
    let (allowance, used) = used_of(state, sub, cycle_left);
    let ws = &sub.workspace_id;
    let mut won = Vec::new();
    for threshold in reached(allowance, used) {
        let inserted = execute!(
            &mut *tx,
            "INSERT INTO usage_alerts (workspace_id, period_start, threshold, used, allowance, fired_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (workspace_id, period_start, threshold) DO NOTHING",
            ws.as_str(),
            sub.period_start,
            threshold,
            used.millis(),
            allowance.millis(),
            now
        )?;
        if inserted == 0 {
            continue;
        }
        won.push(threshold);
        events::emit(
            tx,
            Event {
                event_type: &super::USAGE_THRESHOLD_REACHED,
                workspace_id: ws,
                data: json!({
                    "threshold": threshold,
                    "used": used.millis(),
                    "allowance": allowance.millis(),
                    "period_start": sub.period_start,
                    "period_end": sub.period_end,
                }),
                at: now,
            },
        )
        .await?;
    }
    if let Some(highest) = won.last() {
        let (workspace, admins) = crate::tenancy::admins_to_notify(tx, ws).await?;
        let link = format!("{}/settings/usage", state.public_url);
        for (i, to) in admins.iter().enumerate() {
            let message = email(sub, *highest, allowance, used, &workspace, to, &link, i);
            enqueue_email(tx, Some(ws.clone()), &message, now).await?;
        }
    }
    Ok(won)
}

#[allow(clippy::too_many_arguments)]
fn email(
    sub: &SubscriptionRow,
    threshold: i64,
    allowance: Credits,
    used: Credits,
    workspace: &str,
    to: &str,
    link: &str,
    index: usize,
) -> EmailMessage {
    let ends = sub.period_end.format("%-d %b %Y").to_string();
    let (used, allowance) = (format::credits(used), format::credits(allowance));
    let subject = format!("{workspace} has used {threshold}% of this cycle's credits");
    let what =
        format!("{workspace} has used {used} of the {allowance} credits included in this cycle, which ends on {ends}.");
    let next = if threshold >= 100 {
        "Further usage is paid from top-up credits, and can take the balance below zero."
    } else {
        "Usage beyond the included credits is paid from top-up credits."
    };
    let text = format!("{what}\n\n{next}\n\nSee usage by type and agent:\n{link}\n");
    let lead = [
        format!(
            "<strong>{}</strong> has used <strong>{threshold}%</strong> of this cycle's credits: {used} of {allowance}. The cycle ends on {ends}.",
            escape_html(workspace)
        ),
        next.to_string(),
    ];
    EmailMessage {
        to: to.to_string(),
        subject,
        text,
        html: html_with_button(&lead, "See usage", link, ""),
        message_id: format!(
            "{}.usage-{threshold}.{}.{index}@switchboard.local",
            sub.workspace_id,
            sub.period_start.timestamp()
        ),
    }
}

/// The `data` of `usage.threshold_reached`.
pub fn event_schema() -> serde_json::Value {
    json!({
        "type": "object",
        "required": ["threshold", "used", "allowance", "period_start", "period_end"],
        "properties": {
            "threshold": {"type": "integer", "enum": [50, 80, 100], "description": "The percentage reached."},
            "used": {"type": "integer", "description": "Milli-credits of the cycle's credits used."},
            "allowance": {"type": "integer", "description": "Milli-credits the cycle included."},
            "period_start": {"type": "string", "format": "date-time"},
            "period_end": {"type": "string", "format": "date-time"}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_reached_at_their_exact_share() {
        let c = Credits::from_millis;
        assert_eq!(reached(c(1_000), c(499)), Vec::<i64>::new());
        assert_eq!(reached(c(1_000), c(500)), [50]);
        assert_eq!(reached(c(1_000), c(800)), [50, 80]);
        assert_eq!(reached(c(1_000), c(1_000)), [50, 80, 100]);
        assert_eq!(reached(c(3), c(2)), [50]);
        assert_eq!(reached(c(0), c(10)), Vec::<i64>::new(), "no allowance, no alerts");
    }
}
