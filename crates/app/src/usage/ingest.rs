//! Recording a checked batch of usage events in ONE transaction: lock the
//! balance row (so the batches of one workspace queue, in every process),
//! price the events with the plan's rate card, insert them — the unique
//! key sets aside keys recorded before (duplicates: accepted, ignored,
//! reported with the first event's ID) without a look-up — post one usage
//! debit per type for what was inserted, add it to the hourly roll-ups,
//! check the cycle's alerts, commit.
//!
//! Statements have a few fixed shapes (blocks of 100, 10 and 1 rows for
//! look-ups, 25, 5 and 1 for inserts) so both databases keep them prepared
//! however long the batch.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use switchboard_core::{CreditEntryId, Credits, UsageEventId, WorkspaceId};
use switchboard_db::{Query, Tx};

use super::ingest_input::NewEvent;
use super::types::UsageType;
use crate::credits::ledger::{self, EntryKind, NewEntry, Overdraft};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::subscription::store;

/// What happened to one event of the batch.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EventResult {
    pub index: usize,
    pub id: UsageEventId,
    /// Milli-credits the event cost (for a duplicate: when first recorded).
    pub credits: i64,
    pub duplicate: bool,
}

/// What a batch did.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    pub recorded: usize,
    pub duplicates: usize,
    /// Milli-credits this batch debited.
    pub credits: i64,
    pub results: Vec<EventResult>,
    /// The thresholds (50, 80, 100) this batch set off.
    pub alerts: Vec<i64>,
}

/// Runs of 100, 10 and 1 for statements with one value a row (key and
/// agent look-ups).
pub(crate) const LOOKUP: [usize; 3] = [100, 10, 1];
/// Runs of 25, 5 and 1 for multi-row inserts (9 values a row). SQLite's
/// binding looks each parameter up by a linear scan, so a statement's cost
/// grows with the square of its parameters: at 100 rows (900 values) that
/// scan was the largest single cost of a batch in the profile.
pub(crate) const INSERT: [usize; 3] = [25, 5, 1];

/// Splits `items` into runs of the three `sizes`: three statement shapes.
pub(crate) fn blocks<T>(mut items: &[T], sizes: [usize; 3]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let size = sizes.into_iter().find(|s| items.len() >= *s)?;
        let (head, rest) = items.split_at(size);
        items = rest;
        Some(head)
    })
}

#[derive(sqlx::FromRow)]
struct Existing {
    idempotency_key: String,
    id: String,
    credits: i64,
}

/// The events recorded under `keys`: ID and milli-credits by key.
async fn existing_keys(
    tx: &mut Tx,
    ws: &WorkspaceId,
    keys: &[&str],
) -> Result<HashMap<String, (UsageEventId, i64)>, sqlx::Error> {
    let mut found = HashMap::new();
    for block in blocks(keys, LOOKUP) {
        let mut q = Query::new("SELECT idempotency_key, id, credits FROM usage_events WHERE workspace_id = ");
        q.bind(ws.as_str()).push(" AND idempotency_key IN (");
        q.bind_list(block.iter().copied()).push(")");
        for row in q.fetch_all::<Existing>(&mut *tx).await? {
            let id = row.id.parse().map_err(|_| sqlx::Error::Decode(format!("usage event ID {:?}", row.id).into()))?;
            found.insert(row.idempotency_key, (id, row.credits));
        }
    }
    Ok(found)
}

/// The IDs of `ids` that are agents of the workspace (the agents feature answers).
pub async fn known_agents(
    db: &switchboard_db::Db,
    ws: &WorkspaceId,
    ids: &[switchboard_core::AgentId],
) -> Result<Vec<String>, sqlx::Error> {
    let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
    crate::agents::store::existing(db, ws, &ids).await
}

/// A new event with its price and the debit that paid for it.
struct Priced<'a> {
    event: &'a NewEvent,
    id: UsageEventId,
    credits: i64,
    ledger_entry: Option<CreditEntryId>,
}

/// What [`insert_events`] did: the IDs it inserted, and for each key that
/// was recorded before, the first event's ID and milli-credits.
#[derive(Default)]
struct Inserted {
    ids: HashSet<String>,
    earlier: HashMap<String, (UsageEventId, i64)>,
}

/// Inserts the events whose key is new to the workspace. A block whose
/// every row went in (the usual case) needs nothing more; only a block with
/// a repeated key is read back, once, for both answers.
/// (Counting rows rather than `RETURNING` them: on SQLite each returned row
/// is one more hand-off from sqlx's database thread.)
async fn insert_events(tx: &mut Tx, ws: &WorkspaceId, rows: &[Priced<'_>], now: DateTime<Utc>) -> AppResult<Inserted> {
    let mut inserted = Inserted { ids: HashSet::with_capacity(rows.len()), earlier: HashMap::new() };
    for block in blocks(rows, INSERT) {
        let mut q = Query::new(
            "INSERT INTO usage_events (id, workspace_id, type, quantity, credits, occurred_at, agent_id,
                 idempotency_key, metadata, ledger_entry_id, recorded_at) VALUES ",
        );
        let (ws_param, now_param) = (q.param(ws.as_str()), q.param(now));
        for (i, row) in block.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(row.id.as_str()).push(", ").push_param(ws_param).push(", ");
            q.bind(row.event.usage_type.as_str()).push(", ").bind(row.event.quantity).push(", ");
            q.bind(row.credits).push(", ").bind(row.event.occurred_at).push(", ");
            q.bind(row.event.agent_id.as_ref().map(|a| a.as_str())).push(", ");
            q.bind(row.event.idempotency_key.as_str()).push(", ").bind(row.event.metadata.as_deref()).push(", ");
            q.bind(row.ledger_entry.as_ref().map(|e| e.as_str())).push(", ").push_param(now_param).push(")");
        }
        q.push(" ON CONFLICT (workspace_id, idempotency_key) DO NOTHING");
        let count = q.execute(&mut *tx).await?;
        if usize::try_from(count).is_ok_and(|n| n == block.len()) {
            inserted.ids.extend(block.iter().map(|row| row.id.as_str().to_string()));
            continue;
        }
        // Some keys were there before: the rows holding this block's keys
        // with the IDs just generated are the ones inserted; the others
        // are the earlier events.
        let keys: Vec<&str> = block.iter().map(|row| row.event.idempotency_key.as_str()).collect();
        let mut found = existing_keys(&mut *tx, ws, &keys).await?;
        for row in block {
            match found.remove(&row.event.idempotency_key) {
                Some((id, _)) if id == row.id => {
                    inserted.ids.insert(row.id.as_str().to_string());
                }
                Some(earlier) => {
                    inserted.earlier.insert(row.event.idempotency_key.clone(), earlier);
                }
                None => {}
            }
        }
    }
    Ok(inserted)
}

/// The start of `t`'s UTC hour.
pub fn hour_of(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp();
    DateTime::from_timestamp(secs - secs.rem_euclid(3_600), 0).unwrap_or(t)
}

type HourKey = (DateTime<Utc>, UsageType, String);

#[derive(Default, Clone, Copy)]
struct Totals {
    events: i64,
    quantity: i64,
    credits: i64,
}

async fn add_to_hours(tx: &mut Tx, ws: &WorkspaceId, rows: &[Priced<'_>]) -> AppResult<()> {
    let mut hours: BTreeMap<HourKey, Totals> = BTreeMap::new();
    for row in rows {
        let e = row.event;
        let agent = e.agent_id.as_ref().map(|a| a.as_str().to_string()).unwrap_or_default();
        let t = hours.entry((hour_of(e.occurred_at), e.usage_type, agent)).or_default();
        t.events += 1;
        t.quantity = t.quantity.checked_add(e.quantity).ok_or_else(out_of_range)?;
        t.credits = t.credits.checked_add(row.credits).ok_or_else(out_of_range)?;
    }
    let hours: Vec<(HourKey, Totals)> = hours.into_iter().collect();
    for block in blocks(&hours, INSERT) {
        let mut q = Query::new(
            "INSERT INTO usage_hourly (workspace_id, hour, type, agent_id, events, quantity, credits) VALUES ",
        );
        let ws_param = q.param(ws.as_str());
        for (i, ((hour, t, agent), totals)) in block.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" }).push_param(ws_param).push(", ").bind(*hour).push(", ");
            q.bind(t.as_str()).push(", ").bind(agent.as_str()).push(", ").bind(totals.events).push(", ");
            q.bind(totals.quantity).push(", ").bind(totals.credits).push(")");
        }
        q.push(
            " ON CONFLICT (workspace_id, hour, type, agent_id) DO UPDATE SET events = usage_hourly.events + excluded.events,
                 quantity = usage_hourly.quantity + excluded.quantity, credits = usage_hourly.credits + excluded.credits",
        );
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

fn out_of_range() -> AppError {
    AppError::unprocessable("usage_out_of_range", "The batch's totals are out of range; send smaller batches.")
}

/// `1234` → `1,234`.
fn count(n: usize) -> String {
    let n = i64::try_from(n).unwrap_or(i64::MAX / 1_000);
    crate::web::format::credits(Credits::from_millis(n.saturating_mul(1_000)))
}

/// Records `events` (already checked, agents included) for the workspace.
pub async fn record(state: &AppState, ws: &WorkspaceId, events: &[NewEvent]) -> AppResult<Recorded> {
    if events.is_empty() {
        return Ok(Recorded::default());
    }
    let mut tx = state.db.begin().await?;
    let recorded = record_in(state, &mut tx, ws, events).await?;
    if recorded.recorded == 0 {
        tx.rollback().await?;
        return Ok(recorded);
    }
    tx.commit().await?;
    if !recorded.alerts.is_empty() {
        state.jobs_wakeup.notify_one();
    }
    Ok(recorded)
}

/// [`record`] in the caller's transaction, for a feature whose change and
/// its usage must commit together (a voice turning READY and its
/// `voice_clone` charge). The caller commits, and wakes the job worker when
/// `alerts` is not empty.
pub async fn record_in(state: &AppState, tx: &mut Tx, ws: &WorkspaceId, events: &[NewEvent]) -> AppResult<Recorded> {
    if events.is_empty() {
        return Ok(Recorded::default());
    }
    let now = state.clock.now();
    let tx = &mut *tx;
    ledger::lock_balance(tx, ws, now).await?;
    let sub = match store::find(&mut *tx, ws).await? {
        Some(sub) => sub,
        None => {
            // A workspace older than billing gets its trial here, like every reader's.
            crate::subscription::trial::start(state, tx, ws, now).await?;
            store::find(&mut *tx, ws).await?.ok_or_else(|| anyhow::anyhow!("the subscription was just created"))?
        }
    };
    let plan = state.config.billing.catalogue.resolve(&sub.plan_key);

    // Price every event; each type's debit gets its ID now, so the events
    // can name it when they are inserted (before the debit is posted).
    let mut debit_ids: BTreeMap<UsageType, CreditEntryId> = BTreeMap::new();
    let mut priced = Vec::with_capacity(events.len());
    for event in events {
        let credits = plan.rate_card.price(event.usage_type, event.quantity).ok_or_else(out_of_range)?.millis();
        let ledger_entry = (credits > 0).then(|| debit_ids.entry(event.usage_type).or_default().clone());
        priced.push(Priced { event, id: UsageEventId::new(), credits, ledger_entry });
    }
    // Insert first: the unique key sets duplicates aside (ON CONFLICT DO
    // NOTHING), so a batch of new events needs no look-up; only keys that
    // were not inserted are read back, to report the first event's ID.
    let Inserted { ids: inserted, earlier: existing } = insert_events(tx, ws, &priced, now).await?;

    let mut results = Vec::with_capacity(events.len());
    let mut per_type: BTreeMap<UsageType, (i64, usize)> = BTreeMap::new();
    for (index, row) in priced.iter().enumerate() {
        if !inserted.contains(row.id.as_str()) {
            let (id, credits) = existing
                .get(&row.event.idempotency_key)
                .ok_or_else(|| anyhow::anyhow!("usage event key neither inserted nor found"))?;
            results.push(EventResult { index, id: id.clone(), credits: *credits, duplicate: true });
            continue;
        }
        results.push(EventResult { index, id: row.id.clone(), credits: row.credits, duplicate: false });
        let total = per_type.entry(row.event.usage_type).or_default();
        total.0 = total.0.checked_add(row.credits).ok_or_else(out_of_range)?;
        total.1 += 1;
    }
    priced.retain(|p| inserted.contains(p.id.as_str()));
    let mut recorded =
        Recorded { recorded: priced.len(), duplicates: events.len() - priced.len(), results, ..Recorded::default() };
    if priced.is_empty() {
        return Ok(recorded);
    }

    // One debit per type, keyed by this batch: usage already happened, so it may overdraw.
    let batch = ulid::Ulid::new().to_string();
    let mut cycle_left = None;
    for (t, (credits, n)) in &per_type {
        recorded.credits = recorded.credits.checked_add(*credits).ok_or_else(out_of_range)?;
        let Some(id) = debit_ids.get(t).filter(|_| *credits > 0) else { continue };
        let entry = NewEntry::new(
            EntryKind::Usage,
            Credits::from_millis(-credits),
            format!("usage:{batch}:{t}"),
            format!("Usage: {}, {} event{}", t.label(), count(*n), if *n == 1 { "" } else { "s" }),
        )
        .overdraft(Overdraft::Allow)
        .reference(format!("usage_batch:{batch}"))
        .with_id(id.clone());
        let posted = ledger::post(tx, ws, entry, now).await?;
        cycle_left = Some(posted.after.cycle);
    }
    add_to_hours(tx, ws, &priced).await?;
    if let Some(cycle_left) = cycle_left {
        recorded.alerts = super::alerts::check(state, tx, &sub, cycle_left, now).await?;
    }
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_split_into_three_statement_shapes() {
        let items: Vec<u32> = (0..1_234).collect();
        let sizes: Vec<usize> = blocks(&items, LOOKUP).map(<[u32]>::len).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 1_234);
        assert_eq!(sizes.iter().filter(|s| **s == 100).count(), 12);
        assert_eq!(sizes.iter().filter(|s| **s == 10).count(), 3);
        assert_eq!(sizes.iter().filter(|s| **s == 1).count(), 4);
        assert_eq!(blocks::<u32>(&[], LOOKUP).count(), 0);
        assert_eq!(blocks(&items[..33], INSERT).map(<[u32]>::len).collect::<Vec<_>>(), [25, 5, 1, 1, 1]);
    }

    #[test]
    fn hours_start_on_the_hour_in_utc() {
        let t = DateTime::parse_from_rfc3339("2026-12-07T23:30:15.5+01:00").expect("t").with_timezone(&Utc);
        assert_eq!(hour_of(t).to_rfc3339(), "2026-12-07T22:00:00+00:00");
    }
}
