//! Test data for the usage report, written straight into `usage_events`
//! and `usage_hourly` so the two always agree (as the ingest keeps them).
//! [`record`] is the one function to swap for the real ingest
//! (`POST /api/v1/usage/events`) once both halves are merged; agents are
//! inserted the same way until the agents feature is on this branch.
use chrono::{DateTime, Timelike, Utc};
use switchboard::state::AppState;
use switchboard_core::{AgentId, UsageEventId, WorkspaceId};
use switchboard_db::execute;

/// One usage event: credits in milli-credits, as the rate card priced it.
pub struct Event<'a> {
    pub kind: &'a str,
    pub quantity: i64,
    pub credits: i64,
    pub at: &'a str,
    pub agent: Option<&'a str>,
    pub key: &'a str,
}

pub fn ev<'a>(kind: &'a str, credits: i64, at: &'a str, agent: Option<&'a str>, key: &'a str) -> Event<'a> {
    Event { kind, quantity: 60, credits, at, agent, key }
}

/// Records `events` for `ws`: each event row and its hour's roll-up.
pub async fn record(state: &AppState, ws: &WorkspaceId, events: &[Event<'_>]) {
    let mut tx = state.db.begin().await.expect("tx");
    for e in events {
        let at: DateTime<Utc> = e.at.parse().expect("occurred_at");
        let hour = at.with_minute(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_nanosecond(0)).expect("hour");
        execute!(
            &mut tx,
            "INSERT INTO usage_events (id, workspace_id, type, quantity, credits, occurred_at, agent_id, \
             idempotency_key, metadata, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            UsageEventId::new().to_string(),
            ws.as_str(),
            e.kind,
            e.quantity,
            e.credits,
            at,
            e.agent,
            e.key,
            Some(format!("{{\"call\":\"{}\"}}", e.key)),
            state.clock.now()
        )
        .expect("usage event");
        execute!(
            &mut tx,
            "INSERT INTO usage_hourly (workspace_id, hour, type, agent_id, events, quantity, credits) \
             VALUES ($1, $2, $3, $4, 1, $5, $6) ON CONFLICT (workspace_id, hour, type, agent_id) DO UPDATE SET \
             events = usage_hourly.events + 1, quantity = usage_hourly.quantity + excluded.quantity, \
             credits = usage_hourly.credits + excluded.credits",
            ws.as_str(),
            hour,
            e.kind,
            e.agent.unwrap_or(""),
            e.quantity,
            e.credits
        )
        .expect("usage hour");
    }
    tx.commit().await.expect("commit");
}

/// An agent row, as the agents feature writes it.
pub async fn agent(state: &AppState, ws: &WorkspaceId, name: &str) -> String {
    let id = AgentId::new().to_string();
    let now = state.clock.now();
    execute!(
        &state.db,
        "INSERT INTO agents (id, workspace_id, name, status, created_at, updated_at) VALUES ($1, $2, $3, 'LIVE', $4, $4)",
        id.as_str(),
        ws.as_str(),
        name,
        now
    )
    .expect("agent");
    id
}
