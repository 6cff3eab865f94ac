//! The `phone_numbers` table, and nothing else. Every function that a
//! request reaches takes the workspace ID first; another workspace's
//! number is simply not found. The inbound callbacks look a number up by
//! E.164 ([`find_live_by_e164`]): they are the one reader without a
//! workspace, and a live number belongs to exactly one (a unique index).
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use switchboard_core::{AgentId, CarrierAccountId, PhoneNumberId, WorkspaceId};
use switchboard_db::{Backend, IntoExec, Query, Tx, execute, fetch_scalar};
use switchboard_providers::carriers::{Capabilities, NumberType};

use super::model::{NumberSource, NumberStatus, PhoneNumber, Role};

/// The columns of [`Row`], in one place for every query that reads a number.
macro_rules! number_select {
    () => {
        "SELECT id, workspace_id, e164, friendly_name, country, number_type, capabilities, source, carrier,
                carrier_account_id, carrier_ref, carrier_order_ref, monthly_price, status, status_detail,
                allow_outbound, inbound_agent_id, outbound_agent_id, sms_agent_id, period_start, renews_on,
                past_due_since, created_at, updated_at, released_at
         FROM phone_numbers"
    };
}
/// [`number_select!`] as a constant, for `Query::new(SELECT)`.
pub(crate) const SELECT: &str = number_select!();

/// A row as the database hands it over; [`PhoneNumber`] once checked.
#[derive(sqlx::FromRow)]
pub(crate) struct Row {
    id: String,
    workspace_id: String,
    e164: String,
    friendly_name: String,
    country: String,
    number_type: String,
    capabilities: String,
    source: String,
    carrier: String,
    carrier_account_id: Option<String>,
    carrier_ref: Option<String>,
    carrier_order_ref: Option<String>,
    monthly_price: i64,
    status: String,
    status_detail: Option<String>,
    allow_outbound: bool,
    inbound_agent_id: Option<String>,
    outbound_agent_id: Option<String>,
    sms_agent_id: Option<String>,
    period_start: Option<DateTime<Utc>>,
    renews_on: Option<DateTime<Utc>>,
    past_due_since: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    released_at: Option<DateTime<Utc>>,
}

fn decode(what: &str, err: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("phone_numbers.{what}: {err}").into())
}

fn id_of<T: std::str::FromStr<Err = E>, E: std::fmt::Display>(
    what: &str,
    raw: Option<String>,
) -> Result<Option<T>, sqlx::Error> {
    raw.map(|s| s.parse::<T>().map_err(|e| decode(what, e))).transpose()
}

impl TryFrom<Row> for PhoneNumber {
    type Error = sqlx::Error;

    fn try_from(r: Row) -> Result<PhoneNumber, sqlx::Error> {
        Ok(PhoneNumber {
            id: r.id.parse().map_err(|e| decode("id", e))?,
            workspace_id: r.workspace_id.parse().map_err(|e| decode("workspace_id", e))?,
            e164: r.e164,
            friendly_name: r.friendly_name,
            country: r.country,
            number_type: NumberType::try_from(r.number_type).map_err(|e| decode("number_type", e))?,
            capabilities: Capabilities::from_list(&r.capabilities),
            source: NumberSource::try_from(r.source).map_err(|e| decode("source", e))?,
            carrier: r.carrier,
            carrier_account_id: id_of("carrier_account_id", r.carrier_account_id)?,
            carrier_ref: r.carrier_ref,
            carrier_order_ref: r.carrier_order_ref,
            monthly_price: r.monthly_price,
            status: NumberStatus::try_from(r.status).map_err(|e| decode("status", e))?,
            status_detail: r.status_detail,
            allow_outbound: r.allow_outbound,
            inbound_agent_id: id_of("inbound_agent_id", r.inbound_agent_id)?,
            outbound_agent_id: id_of("outbound_agent_id", r.outbound_agent_id)?,
            sms_agent_id: id_of("sms_agent_id", r.sms_agent_id)?,
            period_start: r.period_start,
            renews_on: r.renews_on,
            past_due_since: r.past_due_since,
            created_at: r.created_at,
            updated_at: r.updated_at,
            released_at: r.released_at,
        })
    }
}

/// Runs `q` (a [`number_select!`] with conditions) for one number.
pub(crate) async fn fetch_one_number<'a>(q: Query, ex: impl IntoExec<'a>) -> Result<Option<PhoneNumber>, sqlx::Error> {
    q.fetch_optional::<Row>(ex).await?.map(PhoneNumber::try_from).transpose()
}

/// Runs `q` (a [`number_select!`] with conditions) for a list.
pub(crate) async fn fetch_numbers<'a>(q: Query, ex: impl IntoExec<'a>) -> Result<Vec<PhoneNumber>, sqlx::Error> {
    q.fetch_all::<Row>(ex).await?.into_iter().map(PhoneNumber::try_from).collect()
}

/// What a new number starts as.
#[derive(Debug, Clone)]
pub struct NewNumber<'a> {
    pub id: &'a PhoneNumberId,
    pub e164: &'a str,
    pub friendly_name: &'a str,
    pub country: &'a str,
    pub number_type: NumberType,
    pub capabilities: Capabilities,
    pub source: NumberSource,
    pub carrier: &'a str,
    pub carrier_account_id: Option<&'a CarrierAccountId>,
    pub carrier_ref: Option<&'a str>,
    /// Milli-credits a month.
    pub monthly_price: i64,
    pub status: NumberStatus,
    pub period_start: Option<DateTime<Utc>>,
    pub renews_on: Option<DateTime<Utc>>,
}

/// Inserts the number. A live number with the same E.164 anywhere is a
/// unique violation (`phone_numbers_live_e164`): check with
/// `switchboard_db::is_unique_violation`.
pub async fn insert(tx: &mut Tx, ws: &WorkspaceId, n: &NewNumber<'_>, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let mut q = Query::new(
        "INSERT INTO phone_numbers (id, workspace_id, e164, friendly_name, country, number_type, capabilities, source,
             carrier, carrier_account_id, carrier_ref, monthly_price, status, period_start, renews_on, created_at, updated_at)
         VALUES (",
    );
    q.bind(n.id.as_str()).push(", ").bind(ws.as_str()).push(", ").bind(n.e164).push(", ");
    q.bind(n.friendly_name).push(", ").bind(n.country).push(", ").bind(n.number_type.as_str()).push(", ");
    q.bind(n.capabilities.to_list()).push(", ").bind(n.source.as_str()).push(", ").bind(n.carrier).push(", ");
    q.bind(n.carrier_account_id.map(|a| a.as_str().to_string())).push(", ").bind(n.carrier_ref.map(str::to_string));
    q.push(", ").bind(n.monthly_price).push(", ").bind(n.status.as_str()).push(", ").bind(n.period_start).push(", ");
    let at = q.param(now);
    q.bind(n.renews_on).push(", ").push_param(at).push(", ").push_param(at).push(")");
    q.execute(&mut *tx).await?;
    Ok(())
}

pub async fn find<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &PhoneNumberId,
) -> Result<Option<PhoneNumber>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(ws.as_str()).push(" AND id = ").bind(id.as_str());
    fetch_one_number(q, ex).await
}

/// The row locked for a change (`FOR UPDATE` on PostgreSQL; SQLite
/// serialises writers anyway).
pub async fn find_for_update(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &PhoneNumberId,
) -> Result<Option<PhoneNumber>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(ws.as_str()).push(" AND id = ").bind(id.as_str());
    if tx.backend() == Backend::Postgres {
        q.push(" FOR UPDATE");
    }
    fetch_one_number(q, &mut *tx).await
}

/// The live number `e164`, in whichever workspace holds it (the inbound
/// callbacks' look-up: a call names only the number it was made to).
pub async fn find_live_by_e164<'a>(ex: impl IntoExec<'a>, e164: &str) -> Result<Option<PhoneNumber>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE e164 = ").bind(e164).push(" AND status IN ('PENDING', 'ACTIVE', 'PAST_DUE')");
    fetch_one_number(q, ex).await
}

/// Which numbers a list shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter<'a> {
    pub status: Option<NumberStatus>,
    pub source: Option<NumberSource>,
    /// Digits of the number, or words of its friendly name.
    pub search: Option<&'a str>,
    /// Only numbers from this connected account.
    pub carrier_account: Option<&'a CarrierAccountId>,
    /// Leave out released and failed numbers (the default view).
    pub hide_ended: bool,
}

/// One page of the workspace's numbers, newest first: at most `limit` rows
/// after the `(created_at, id)` key `after`.
pub async fn list<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    filter: &ListFilter<'_>,
    after: Option<(DateTime<Utc>, &PhoneNumberId)>,
    limit: i64,
) -> Result<Vec<PhoneNumber>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(ws.as_str());
    if let Some(status) = filter.status {
        q.push(" AND status = ").bind(status.as_str());
    } else if filter.hide_ended {
        q.push(" AND status NOT IN ('RELEASED', 'FAILED')");
    }
    if let Some(source) = filter.source {
        q.push(" AND source = ").bind(source.as_str());
    }
    if let Some(account) = filter.carrier_account {
        q.push(" AND carrier_account_id = ").bind(account.as_str());
    }
    if let Some(search) = filter.search.map(str::trim).filter(|s| !s.is_empty()) {
        let digits: String = search.chars().filter(char::is_ascii_digit).collect();
        let name = q.param(format!("%{}%", search.to_lowercase().replace(['%', '_'], "")));
        q.push(" AND (LOWER(friendly_name) LIKE ").push_param(name);
        if !digits.is_empty() {
            q.push(" OR e164 LIKE ").bind(format!("%{digits}%"));
        }
        q.push(")");
    }
    if let Some((at, id)) = after {
        let at = q.param(at);
        q.push(" AND (created_at < ").push_param(at).push(" OR (created_at = ").push_param(at);
        q.push(" AND id < ").bind(id.as_str()).push("))");
    }
    q.push(" ORDER BY created_at DESC, id DESC LIMIT ").bind(limit);
    fetch_numbers(q, ex).await
}

/// The workspace's live numbers (what the plan's limit counts). Imported
/// numbers count too: the limit is on numbers an agent can use.
pub async fn count_live<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId) -> Result<i64, sqlx::Error> {
    fetch_scalar!(
        ex,
        i64,
        "SELECT COUNT(*) FROM phone_numbers WHERE workspace_id = $1 AND status IN ('PENDING', 'ACTIVE', 'PAST_DUE')",
        ws.as_str()
    )
}

/// Sets the friendly name and the outbound toggle.
pub async fn update_details<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &PhoneNumberId,
    friendly_name: &str,
    allow_outbound: bool,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = execute!(
        ex,
        "UPDATE phone_numbers SET friendly_name = $3, allow_outbound = $4, updated_at = $5
         WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        id.as_str(),
        friendly_name,
        allow_outbound,
        now
    )?;
    Ok(done > 0)
}

/// Sets (or clears) the agent of one role. Another number already serving
/// that agent in that role is a unique violation
/// (`phone_numbers_{role}_agent`): the database enforces "one number per
/// role per agent".
pub async fn set_agent(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &PhoneNumberId,
    role: Role,
    agent: Option<&AgentId>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let mut q = Query::new("UPDATE phone_numbers SET ");
    q.push(match role {
        Role::Inbound => "inbound_agent_id = ",
        Role::Outbound => "outbound_agent_id = ",
        Role::Sms => "sms_agent_id = ",
    });
    q.bind(agent.map(|a| a.as_str().to_string())).push(", updated_at = ").bind(now);
    q.push(" WHERE workspace_id = ").bind(ws.as_str()).push(" AND id = ").bind(id.as_str());
    Ok(q.execute(&mut *tx).await? > 0)
}

/// The number serving `agent` in `role`, if any.
pub async fn serving<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    agent: &AgentId,
    role: Role,
) -> Result<Option<PhoneNumber>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(ws.as_str()).push(match role {
        Role::Inbound => " AND inbound_agent_id = ",
        Role::Outbound => " AND outbound_agent_id = ",
        Role::Sms => " AND sms_agent_id = ",
    });
    q.bind(agent.as_str());
    fetch_one_number(q, ex).await
}

/// The numbers serving any of `agents` in any role, by agent (a number
/// serving one agent in two roles is listed once for it).
pub async fn serving_agents<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    agents: &[&AgentId],
) -> Result<HashMap<AgentId, Vec<PhoneNumber>>, sqlx::Error> {
    let mut out: HashMap<AgentId, Vec<PhoneNumber>> = HashMap::new();
    if agents.is_empty() {
        return Ok(out);
    }
    let ids: Vec<String> = agents.iter().map(|a| a.as_str().to_string()).collect();
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(ws.as_str());
    q.push(" AND (inbound_agent_id IN (").bind_list(ids.clone()).push(") OR outbound_agent_id IN (");
    q.bind_list(ids.clone()).push(") OR sms_agent_id IN (").bind_list(ids).push(")) ORDER BY e164");
    for number in fetch_numbers(q, ex).await? {
        let mut seen: Vec<&AgentId> = Vec::new();
        for role in Role::ALL {
            if let Some(agent) = number.agent(role).filter(|a| agents.contains(a) && !seen.contains(a)) {
                seen.push(agent);
            }
        }
        for agent in seen {
            out.entry(agent.clone()).or_default().push(number.clone());
        }
    }
    Ok(out)
}

/// Moves the number to `status` with a reason for people (or none).
pub async fn set_status<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &PhoneNumberId,
    status: NumberStatus,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = execute!(
        ex,
        "UPDATE phone_numbers SET status = $3, status_detail = $4, updated_at = $5 WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        id.as_str(),
        status.as_str(),
        detail,
        now
    )?;
    Ok(done > 0)
}

/// An SMS that came in to one of the workspace's numbers.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboundMessage {
    pub id: String,
    pub phone_number_id: String,
    pub carrier: String,
    pub carrier_ref: String,
    pub from_number: String,
    pub body: String,
    pub received_at: DateTime<Utc>,
}

/// Keeps an inbound SMS once per carrier message ID (a replayed callback
/// changes nothing); false when it was already kept.
#[allow(clippy::too_many_arguments)]
pub async fn insert_inbound_message<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &switchboard_core::InboundMessageId,
    number: &PhoneNumber,
    carrier: &str,
    carrier_ref: &str,
    from: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = execute!(
        ex,
        "INSERT INTO inbound_messages (id, workspace_id, phone_number_id, carrier, carrier_ref, from_number, body, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (carrier, carrier_ref) DO NOTHING",
        id.as_str(),
        ws.as_str(),
        number.id.as_str(),
        carrier,
        carrier_ref,
        from,
        body,
        now
    )?;
    Ok(done > 0)
}

/// BYOC: the live numbers imported from `account`.
pub async fn live_of_account<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    account: &CarrierAccountId,
) -> Result<Vec<PhoneNumber>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(ws.as_str()).push(" AND carrier_account_id = ").bind(account.as_str());
    q.push(" AND status IN ('PENDING', 'ACTIVE', 'PAST_DUE') ORDER BY e164");
    fetch_numbers(q, ex).await
}

/// BYOC: the live numbers among `e164s`, in whichever workspace holds them
/// (the import picker marks them "imported here" or "in another workspace").
pub async fn live_among<'a>(ex: impl IntoExec<'a>, e164s: &[String]) -> Result<Vec<PhoneNumber>, sqlx::Error> {
    if e164s.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Query::new(SELECT);
    q.push(" WHERE e164 IN (").bind_list(e164s.to_vec()).push(") AND status IN ('PENDING', 'ACTIVE', 'PAST_DUE')");
    fetch_numbers(q, ex).await
}

/// BYOC: live numbers per connected account of the workspace.
pub async fn live_counts_by_account<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
) -> Result<HashMap<String, i64>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Count {
        carrier_account_id: String,
        n: i64,
    }
    let rows = switchboard_db::fetch_all!(
        ex,
        Count,
        "SELECT carrier_account_id, COUNT(*) AS n FROM phone_numbers
         WHERE workspace_id = $1 AND carrier_account_id IS NOT NULL AND status IN ('PENDING', 'ACTIVE', 'PAST_DUE')
         GROUP BY carrier_account_id",
        ws.as_str()
    )?;
    Ok(rows.into_iter().map(|r| (r.carrier_account_id, r.n)).collect())
}

/// BYOC: the number is DISCONNECTED (its account was) and serves no agent.
pub async fn disconnect(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &PhoneNumberId,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = execute!(
        &mut *tx,
        "UPDATE phone_numbers SET status = 'DISCONNECTED', status_detail = NULL, inbound_agent_id = NULL,
             outbound_agent_id = NULL, sms_agent_id = NULL, updated_at = $3
         WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        id.as_str(),
        now
    )?;
    Ok(done > 0)
}

/// The workspace's inbound SMS, newest first (at most 1,000).
pub async fn inbound_messages<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId) -> Result<Vec<InboundMessage>, sqlx::Error> {
    switchboard_db::fetch_all!(
        ex,
        InboundMessage,
        "SELECT id, phone_number_id, carrier, carrier_ref, from_number, body, received_at FROM inbound_messages
         WHERE workspace_id = $1 ORDER BY received_at DESC, id DESC LIMIT 1000",
        ws.as_str()
    )
}
