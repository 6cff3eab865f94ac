//! The home page: the workspace's overview. Each part shows what the
//! viewer's role may see: the credits left and this cycle's usage to Admins
//! (they are Settings), the agents to everyone, and the getting-started
//! steps the viewer may take ([`checklist`]).
pub mod checklist;

use std::sync::Arc;

use axum::response::Response;
use chrono_tz::Tz;
use minijinja::context;
use serde::Serialize;
use switchboard_core::{Permission, WorkspaceId};

use crate::auth::Session;
use crate::error::AppResult;
use crate::policy::{self, Role};
use crate::state::AppState;
use crate::subscription::store::SubscriptionRow;
use crate::web::flash::redirect;
use crate::web::{ClientMeta, Page};

/// Home of the session's workspace — or, when that workspace is gone (left,
/// removed, deleted), of the user's next one, as every other page does.
pub async fn home(state: &AppState, mut page: Page, session: Arc<Session>, meta: ClientMeta) -> AppResult<Response> {
    let ctx = match policy::resolve(state, session, meta).await {
        Ok(ctx) => ctx,
        Err(err) if err.problem().is_some_and(|p| p.code == "no_workspace") => return Ok(redirect("/workspaces/new")),
        Err(err) => return Err(err),
    };
    if let Some(setup) = crate::two_factor::enforce::home_redirect(state, &ctx).await? {
        return Ok(setup);
    }
    let ws = &ctx.workspace.id;
    // Credits and usage are Settings: Admins only.
    let (credits, usage) = match ctx.role.can(Permission::ManageSettings) {
        true => {
            let sub = crate::subscription::trial::load_or_start(state, ws).await?;
            let tz = ctx.workspace.tz();
            (Some(credits_card(state, ws, &sub, tz).await?), Some(usage_card(state, ws, &sub, tz).await?))
        }
        false => (None, None),
    };
    let agents = agents_card(state, ws, ctx.role).await?;
    let checklist = checklist::load(state, ws, ctx.role).await?;
    page.session = ctx.session.clone();
    page.render(
        state,
        "home.html",
        context! {
            title => "Home",
            is_admin => ctx.role == Role::Admin,
            credits,
            usage_chart => usage.as_ref().map(|u| minijinja::Value::from_safe_string(u.chart.clone())),
            usage,
            agents,
            checklist,
        },
    )
    .await
}

/// Credits left, and how much of the cycle's credits is used.
#[derive(Debug, Serialize)]
pub struct CreditsCard {
    pub balance: String,
    pub negative: bool,
    pub included: String,
    pub used: String,
    /// 0–100, for the progress bar.
    pub used_percent: i64,
    pub plan: String,
    pub trialing: bool,
    /// The day the cycle (or the trial) ends, in the workspace's timezone,
    /// and the instant for `<time datetime>`.
    pub period_end: String,
    pub period_end_iso: String,
}

async fn credits_card(state: &AppState, ws: &WorkspaceId, sub: &SubscriptionRow, tz: Tz) -> AppResult<CreditsCard> {
    let parts = crate::credits::view::parts(state, ws, sub).await?;
    let fmt = crate::web::format::credits;
    Ok(CreditsCard {
        balance: fmt(parts.balance.total()),
        negative: parts.balance.total().is_negative(),
        included: fmt(parts.included),
        used: fmt(parts.used),
        used_percent: crate::credits::view::percent(parts.used, parts.included),
        plan: state.config.billing.catalogue.resolve(&sub.plan_key).name.clone(),
        trialing: sub.status == crate::subscription::store::Status::Trialing,
        period_end: sub.period_end.with_timezone(&tz).format("%-d %b %Y").to_string(),
        period_end_iso: sub.period_end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

/// This cycle's usage: its credits and the compact daily chart.
#[derive(Debug, Serialize)]
pub struct UsageCard {
    pub credits: String,
    pub events: i64,
    /// The server-drawn SVG (the chart escapes what it prints).
    #[serde(skip)]
    pub chart: String,
}

async fn usage_card(state: &AppState, ws: &WorkspaceId, sub: &SubscriptionRow, tz: Tz) -> AppResult<UsageCard> {
    let summary = crate::usage::summary::this_cycle(&state.db, ws, tz, sub).await?;
    let range = summary.range;
    let chart = crate::usage::chart::render(
        &summary.days,
        range.first_day,
        range.last_day,
        "Credits used per day this cycle, by type",
        "home-usage-chart",
        crate::usage::chart::Size::Compact,
    );
    Ok(UsageCard { credits: crate::web::format::credits(summary.total.credits), events: summary.total.events, chart })
}

/// How many agents the card lists; "View all" leads to the rest.
const AGENTS_SHOWN: i64 = 5;

/// The most recently changed agents with their status and numbers.
#[derive(Debug, Serialize)]
pub struct AgentsCard {
    pub total: i64,
    pub live: i64,
    pub agents: Vec<AgentLine>,
    /// Whether the viewer may create agents (Members and Admins).
    pub can_create: bool,
}

#[derive(Debug, Serialize)]
pub struct AgentLine {
    pub id: String,
    pub name: String,
    /// `DRAFT` or `LIVE` (the badge's class) and its label.
    pub status: &'static str,
    pub status_label: &'static str,
    pub numbers: Vec<String>,
}

async fn agents_card(state: &AppState, ws: &WorkspaceId, role: Role) -> AppResult<AgentsCard> {
    use crate::agents::{numbers, store};
    let (total, live) = store::count(&state.db, ws).await?;
    let agents = store::list_for_overview(&state.db, ws, AGENTS_SHOWN).await?;
    let ids: Vec<&switchboard_core::AgentId> = agents.iter().map(|a| &a.id).collect();
    let mut assigned = numbers::assigned_numbers_of(&state.db, ws, &ids).await?;
    let agents = agents
        .iter()
        .map(|agent| AgentLine {
            id: agent.id.to_string(),
            name: agent.name.clone(),
            status: agent.status.as_str(),
            status_label: agent.status.label(),
            numbers: assigned.remove(&agent.id).unwrap_or_default().into_iter().map(|n| n.display).collect(),
        })
        .collect();
    Ok(AgentsCard { total, live, agents, can_create: role.can(Permission::EditResources) })
}
