//! Reconciling a workspace's usage (`switchboard usage verify`): the
//! events' credits equal minus its `usage` ledger entries, each of those
//! entries equals the sum of the events that name it, and the hourly
//! roll-ups equal the events grouped by UTC hour, type and agent.
//!
//! One pass over the events, a page of 10,000 at a time in the order of
//! the (workspace, occurred_at, id) index, so memory holds the roll-ups,
//! not the events.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use switchboard_core::{Credits, WorkspaceId};
use switchboard_db::{Tx, fetch_all};

use super::ingest::hour_of;

const PAGE: i64 = 10_000;

/// What the check found.
#[derive(Debug, Clone, Serialize)]
pub struct UsageVerification {
    pub workspace_id: WorkspaceId,
    pub events: i64,
    /// Milli-credits: the events' sum and minus the usage entries' sum.
    pub event_credits: i64,
    pub ledger_credits: i64,
    pub ledger_entries: i64,
    pub hourly_rows: i64,
    /// Each difference, in words; empty when everything agrees.
    pub differences: Vec<String>,
}

impl UsageVerification {
    pub fn ok(&self) -> bool {
        self.differences.is_empty()
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: String,
    occurred_at: DateTime<Utc>,
    #[sqlx(rename = "type")]
    usage_type: String,
    agent_id: Option<String>,
    quantity: i64,
    credits: i64,
    ledger_entry_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct HourRow {
    hour: DateTime<Utc>,
    #[sqlx(rename = "type")]
    usage_type: String,
    agent_id: String,
    events: i64,
    quantity: i64,
    credits: i64,
}

type Key = (DateTime<Utc>, String, String);

fn show(millis: i64) -> String {
    crate::web::format::credits(Credits::from_millis(millis))
}

/// Checks one workspace, reading in the caller's transaction (a batch
/// committing meanwhile cannot make the parts disagree).
pub async fn verify(tx: &mut Tx, ws: &WorkspaceId) -> Result<UsageVerification, sqlx::Error> {
    let mut hours: BTreeMap<Key, (i64, i64, i64)> = BTreeMap::new();
    let mut by_entry: BTreeMap<String, i64> = BTreeMap::new();
    let (mut events, mut event_credits, mut unpaid) = (0i64, 0i64, 0i64);
    let mut after: Option<(DateTime<Utc>, String)> = None;
    loop {
        let rows: Vec<EventRow> = match &after {
            None => fetch_all!(
                &mut *tx,
                EventRow,
                "SELECT id, occurred_at, type, agent_id, quantity, credits, ledger_entry_id FROM usage_events
                 WHERE workspace_id = $1 ORDER BY occurred_at, id LIMIT $2",
                ws.as_str(),
                PAGE
            )?,
            Some((at, id)) => fetch_all!(
                &mut *tx,
                EventRow,
                "SELECT id, occurred_at, type, agent_id, quantity, credits, ledger_entry_id FROM usage_events
                 WHERE workspace_id = $1 AND (occurred_at > $2 OR (occurred_at = $2 AND id > $3))
                 ORDER BY occurred_at, id LIMIT $4",
                ws.as_str(),
                *at,
                id.as_str(),
                PAGE
            )?,
        };
        let full = rows.len() as i64 == PAGE;
        for row in &rows {
            events += 1;
            event_credits = event_credits.saturating_add(row.credits);
            let key = (hour_of(row.occurred_at), row.usage_type.clone(), row.agent_id.clone().unwrap_or_default());
            let h = hours.entry(key).or_default();
            h.0 += 1;
            h.1 = h.1.saturating_add(row.quantity);
            h.2 = h.2.saturating_add(row.credits);
            match &row.ledger_entry_id {
                Some(entry) => *by_entry.entry(entry.clone()).or_default() += row.credits,
                None if row.credits != 0 => unpaid += 1,
                None => {}
            }
        }
        after = rows.last().map(|r| (r.occurred_at, r.id.clone()));
        if !full {
            break;
        }
    }

    let mut differences = Vec::new();
    let entries: Vec<(String, i64)> = fetch_all!(
        &mut *tx,
        (String, i64),
        "SELECT id, amount FROM credit_entries WHERE workspace_id = $1 AND kind = 'usage' ORDER BY seq",
        ws.as_str()
    )?;
    let ledger_credits = entries.iter().fold(0i64, |sum, (_, amount)| sum.saturating_sub(*amount));
    if ledger_credits != event_credits {
        differences.push(format!(
            "the events cost {} credits but the usage debits sum to {}",
            show(event_credits),
            show(ledger_credits)
        ));
    }
    for (id, amount) in &entries {
        let paid = by_entry.remove(id).unwrap_or(0);
        if paid != amount.saturating_neg() {
            differences.push(format!("ledger entry {id} debits {} but its events cost {}", show(-amount), show(paid)));
        }
    }
    for (id, credits) in &by_entry {
        differences
            .push(format!("events costing {} name ledger entry {id}, which is not a usage debit", show(*credits)));
    }
    if unpaid > 0 {
        differences.push(format!("{unpaid} events cost credits but name no ledger entry"));
    }

    let stored: Vec<HourRow> = fetch_all!(
        &mut *tx,
        HourRow,
        "SELECT hour, type, agent_id, events, quantity, credits FROM usage_hourly WHERE workspace_id = $1",
        ws.as_str()
    )?;
    let hourly_rows = stored.len() as i64;
    for row in stored {
        let key = (row.hour, row.usage_type, row.agent_id);
        let computed = hours.remove(&key).unwrap_or_default();
        if computed != (row.events, row.quantity, row.credits) {
            differences.push(format!(
                "roll-up {} {} agent {:?}: stored {} events, {} quantity, {} credits; the events give {}, {}, {}",
                key.0.to_rfc3339(),
                key.1,
                key.2,
                row.events,
                row.quantity,
                show(row.credits),
                computed.0,
                computed.1,
                show(computed.2)
            ));
        }
    }
    for ((hour, t, agent), (n, _, _)) in hours {
        differences.push(format!("roll-up {} {t} agent {agent:?} is missing ({n} events)", hour.to_rfc3339()));
    }
    Ok(UsageVerification {
        workspace_id: ws.clone(),
        events,
        event_credits,
        ledger_credits,
        ledger_entries: entries.len() as i64,
        hourly_rows,
        differences,
    })
}
