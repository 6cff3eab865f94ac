//! Settings → Usage (Admins): a period (this cycle, last cycle, or a
//! custom range of local dates), the credits used in it and the balance,
//! the chart with its numbers in a table, the breakdown by agent and by
//! agent × type, and the **Export CSV** link of the period
//! (`/settings/usage/export`, the same stream as the API's).
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::chart::{self, Size};
use super::summary::{self, Period, Summary};
use super::{UsageType, export};
use crate::api::ApiQuery;
use crate::error::AppResult;
use crate::policy::{Permission, WorkspaceCtx};
use crate::routes::{Access, Routes};
use crate::state::AppState;
use crate::web::Page;
use crate::web::format::credits;

pub const USAGE: &str = "/settings/usage";
pub const EXPORT: &str = "/settings/usage/export";

pub fn routes(r: &mut Routes) {
    r.pages(Access::Admin).get(USAGE, usage_page).get(EXPORT, export_csv);
}

/// The period as the selector sends it; every field optional.
#[derive(Debug, Default, Deserialize)]
pub struct PeriodForm {
    #[serde(default)]
    period: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

impl PeriodForm {
    fn period(&self) -> AppResult<Period> {
        match self.period.as_str() {
            "last_cycle" => Ok(Period::LastCycle),
            "custom" => summary::custom_period(&self.from, &self.to),
            _ => Ok(Period::ThisCycle),
        }
    }

    fn query(&self, period: Period) -> String {
        match period {
            Period::Custom { from, to } => format!("period=custom&from={from}&to={to}"),
            other => format!("period={}", other.key()),
        }
    }
}

#[derive(Serialize)]
struct Row {
    label: String,
    cells: Vec<String>,
    total: String,
}

#[derive(Serialize)]
struct AgentRow {
    name: String,
    agent_id: Option<String>,
    events: i64,
    credits: String,
    share: String,
}

#[derive(Serialize)]
struct AgentTypeRow {
    agent: String,
    kind: &'static str,
    quantity: String,
    events: i64,
    credits: String,
}

fn group(n: i64) -> String {
    credits(switchboard_core::Credits::from_millis(n.saturating_mul(1_000)))
}

fn day_rows(s: &Summary) -> (Vec<&'static str>, Vec<Row>) {
    let types: Vec<UsageType> = UsageType::ALL.into_iter().filter(|k| s.by_type.iter().any(|(t, _)| t == k)).collect();
    let rows = s
        .days
        .iter()
        .map(|d| Row {
            label: d.date.format("%b %-d, %Y").to_string(),
            cells: types
                .iter()
                .map(|k| d.by_type.iter().find(|(t, _)| t == k).map(|(_, t)| credits(t.credits)).unwrap_or("0".into()))
                .collect(),
            total: credits(d.total.credits),
        })
        .collect();
    (types.iter().map(|k| k.label()).collect(), rows)
}

pub async fn usage_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    ApiQuery(form): ApiQuery<PeriodForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let (period, errors, status) = match form.period() {
        Ok(p) => (p, Default::default(), StatusCode::OK),
        Err(err) => match err.field_messages() {
            // A bad range: the message by its field, and this cycle meanwhile.
            Some(errors) => (Period::ThisCycle, errors, StatusCode::UNPROCESSABLE_ENTITY),
            None => return Err(err),
        },
    };
    let tz = ctx.workspace.tz();
    let sub = crate::subscription::trial::load_or_start(&state, &ctx.workspace.id).await?;
    let range = period.range(&sub, tz);
    let s = summary::summarise(&state.db, &ctx.workspace.id, tz, range).await?;
    let names = summary::agent_names(&state.db, &ctx.workspace.id, &s).await?;
    let parts = crate::credits::view::parts(&state, &ctx.workspace.id, &sub).await?;
    let name_of = |id: &Option<String>| {
        export::agent_label(id.as_deref(), id.as_ref().and_then(|i| names.get(i)).map(String::as_str))
    };
    let total = s.total.credits.millis();
    let agents: Vec<AgentRow> = s
        .by_agent
        .iter()
        .map(|(id, t)| AgentRow {
            name: name_of(id),
            agent_id: id.clone(),
            events: t.events,
            credits: credits(t.credits),
            share: if total > 0 { format!("{}%", t.credits.millis().saturating_mul(100) / total) } else { "0%".into() },
        })
        .collect();
    let agent_types: Vec<AgentTypeRow> = s
        .by_agent_type
        .iter()
        .map(|(id, k, t)| AgentTypeRow {
            agent: name_of(id),
            kind: k.label(),
            quantity: format!("{} {}", group(t.quantity), k.unit()),
            events: t.events,
            credits: credits(t.credits),
        })
        .collect();
    let period_label = format!("{} – {}", range.first_day.format("%b %-d, %Y"), range.last_day.format("%b %-d, %Y"));
    let svg = chart::render(
        &s.days,
        range.first_day,
        range.last_day,
        &format!("Credits per day by type, {period_label}"),
        "usage-chart",
        Size::Full,
    );
    let (type_labels, days) = day_rows(&s);
    let used_percent = crate::credits::view::percent(parts.used, parts.included);
    let (from_value, to_value) = match period {
        Period::Custom { from, to } => (from.to_string(), to.to_string()),
        _ if !form.from.is_empty() || !form.to.is_empty() => (form.from.clone(), form.to.clone()),
        _ => (range.first_day.to_string(), range.last_day.to_string()),
    };
    crate::settings::render(
        &state,
        &page,
        status,
        "usage",
        "usage/page.html",
        context! {
            title => "Usage",
            ws_id => ctx.workspace.id.to_string(),
            timezone => tz.name(),
            period => if errors.is_empty() { period.key() } else { form.period.as_str() },
            period_label => period_label,
            from => from_value,
            to => to_value,
            errors => errors,
            used => credits(s.total.credits),
            events => s.total.events,
            balance => credits(parts.balance.total()),
            included => credits(parts.included),
            cycle_used => credits(parts.used),
            used_percent => used_percent,
            chart => Value::from_safe_string(svg),
            type_labels => type_labels,
            days => days,
            agents => agents,
            agent_types => agent_types,
            export_url => format!("{EXPORT}?{}", form.query(period)),
        },
    )
    .await
}

/// The period's events as CSV (the page's **Export CSV** link).
pub async fn export_csv(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    ApiQuery(form): ApiQuery<PeriodForm>,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let period = form.period()?;
    let tz = ctx.workspace.tz();
    let sub = crate::subscription::trial::load_or_start(&state, &ctx.workspace.id).await?;
    let range = period.range(&sub, tz);
    let name = format!("usage-{}-{}-{}.csv", ctx.workspace.id, range.first_day, range.last_day);
    Ok(export::response(&state.db, &ctx.workspace.id, range.from, range.to, tz, &name))
}
