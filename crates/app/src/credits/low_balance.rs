//! What a debit that crosses the low-balance line sets off, in the debit's
//! own transaction: the `credits.low` event, and (when auto-recharge is
//! on) the recharge job, keyed by the crossing entry's sequence number so
//! that one crossing is charged at most once. Debits serialise on the
//! balance row, so of several concurrent debits exactly one sees the
//! balance go from at-or-above the line to below it.
use chrono::{DateTime, Utc};
use serde_json::json;
use switchboard_core::{Credits, WorkspaceId};
use switchboard_db::Tx;

use super::ledger::Posted;
use crate::error::AppResult;
use crate::events::{self, Event};
use crate::jobs::{self, NewJob};

/// The job kind that charges an auto-recharge (see `auto_recharge`).
pub const AUTO_RECHARGE_JOB: &str = "credits.auto_recharge";

/// The auto-recharge job's input: the crossing it pays for.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AutoRechargePayload {
    /// `auto_recharge:<seq of the crossing entry>`: the idempotency key of
    /// the charge, its invoice and its ledger entry.
    pub crossing_key: String,
}

/// The line a debit is measured against: auto-recharge's threshold when it
/// is on, else a tenth of the last cycle grant.
pub fn threshold(posted: &Posted) -> Credits {
    let row = &posted.row;
    Credits::from_millis(if row.auto_recharge_enabled {
        row.auto_recharge_threshold
    } else {
        row.low_balance_threshold
    })
}

pub async fn after_post(tx: &mut Tx, ws: &WorkspaceId, posted: &Posted, now: DateTime<Utc>) -> AppResult<()> {
    if posted.replayed || !posted.entry.amount.is_negative() {
        return Ok(());
    }
    let line = threshold(posted);
    let (before, after) = (posted.before.total(), posted.after.total());
    if !(before >= line && after < line) {
        return Ok(());
    }
    let auto_recharge = posted.row.auto_recharge_enabled;
    events::emit(
        tx,
        Event {
            event_type: &super::CREDITS_LOW,
            workspace_id: ws,
            data: json!({
                "balance": after.millis(),
                "threshold": line.millis(),
                "auto_recharge": auto_recharge,
            }),
            at: now,
        },
    )
    .await?;
    if auto_recharge {
        let payload = AutoRechargePayload { crossing_key: format!("auto_recharge:{}", posted.entry.seq) };
        jobs::enqueue(
            tx,
            NewJob {
                kind: AUTO_RECHARGE_JOB,
                payload: serde_json::to_value(&payload).map_err(anyhow::Error::from)?,
                workspace_id: Some(ws.clone()),
                run_at: now,
            },
        )
        .await?;
    }
    Ok(())
}
