//! What Settings → Subscription shows of the plan: the current plan card
//! and the plan comparison table. Pure: built from the subscription row,
//! the plan table and the clock.
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::plans::{Catalogue, Cycle, Plan};
use super::store::{Status, SubscriptionRow};
use crate::web::format::{credits, money};

/// A day as people read it, in the workspace's zone: `21 Dec 2026`.
pub fn date(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%-d %b %Y").to_string()
}

#[derive(Debug, Serialize)]
pub struct LimitView {
    pub label: &'static str,
    pub value: String,
}

#[derive(Debug, Serialize)]
pub struct PlanOption {
    pub key: String,
    pub name: String,
    pub monthly_price: String,
    pub annual_price: String,
    pub annual_saving: Option<String>,
    pub monthly_credits: String,
    pub annual_credits: String,
    pub top_up_price_per_1000: String,
    pub limits: Vec<LimitView>,
    pub current: bool,
    pub rank: usize,
}

#[derive(Debug, Serialize)]
pub struct PlanView {
    pub key: String,
    pub name: String,
    pub cycle: &'static str,
    pub cycle_label: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    pub price: String,
    pub period_end: String,
    pub cancel_at_period_end: bool,
    pub scheduled_plan: Option<String>,
    pub scheduled_cycle: Option<&'static str>,
    pub trial_days_left: Option<i64>,
    /// On the plan a cancellation falls to (nothing to cancel).
    pub is_fallback: bool,
    pub plans: Vec<PlanOption>,
}

fn limit(value: Option<u32>, unit: &str) -> String {
    match value {
        None => "Unlimited".to_string(),
        Some(n) => {
            format!("{} {unit}", credits(switchboard_core::Credits::from_whole(i64::from(n)).unwrap_or_default()))
        }
    }
}

pub fn option(plan: &Plan, current: bool) -> PlanOption {
    let saving = plan.annual_saving();
    PlanOption {
        key: plan.key.clone(),
        name: plan.name.clone(),
        monthly_price: money(plan.monthly_price),
        annual_price: money(plan.annual_price),
        annual_saving: (saving.minor() > 0).then(|| money(saving)),
        monthly_credits: credits(plan.monthly_credits),
        annual_credits: credits(plan.annual_credits),
        top_up_price_per_1000: money(plan.top_up_price_per_1000),
        limits: vec![
            LimitView { label: "Members", value: limit(plan.limits.members, "") },
            LimitView { label: "Phone numbers", value: limit(plan.limits.phone_numbers, "") },
            LimitView { label: "Custom voices", value: limit(plan.limits.custom_voices, "") },
            LimitView { label: "API requests", value: limit(plan.limits.api_requests_per_minute, "/ min") },
            LimitView { label: "Audit retention", value: limit(plan.limits.audit_retention_days, "days") },
            LimitView {
                label: "Overage",
                value: if plan.limits.overage { "Allowed".into() } else { "Not allowed".into() },
            },
        ]
        .into_iter()
        .map(|l| LimitView { label: l.label, value: l.value.trim().to_string() })
        .collect(),
        current,
        rank: plan.rank,
    }
}

pub fn plan(catalogue: &Catalogue, sub: &SubscriptionRow, tz: Tz, now: DateTime<Utc>) -> PlanView {
    let plan = catalogue.resolve(&sub.plan_key);
    let trial_days_left = (sub.status == Status::Trialing)
        .then(|| sub.trial_ends_at.map(|end| ((end - now).num_hours() + 23).div_euclid(24).max(0)))
        .flatten();
    PlanView {
        key: plan.key.clone(),
        name: plan.name.clone(),
        cycle: sub.cycle.as_str(),
        cycle_label: sub.cycle.label(),
        status: sub.status.as_str(),
        status_label: sub.status.label(),
        price: money(plan.price(sub.cycle)),
        period_end: date(sub.period_end, tz),
        cancel_at_period_end: sub.cancel_at_period_end,
        scheduled_plan: sub.scheduled_plan_key.as_deref().map(|k| catalogue.resolve(k).name.clone()),
        scheduled_cycle: sub.scheduled_cycle().map(Cycle::label),
        trial_days_left,
        is_fallback: plan.key == catalogue.fallback_plan,
        plans: catalogue.all().iter().map(|p| option(p, p.key == plan.key)).collect(),
    }
}

/// The Change plan dialog of one plan, on the cycle the table shows.
#[derive(Debug, Serialize)]
pub struct ChoiceView {
    pub key: String,
    pub name: String,
    pub cycle: &'static str,
    pub cycle_label: &'static str,
    /// `now`, `period_end` or `unchanged`.
    pub effect: &'static str,
    pub price: String,
    pub charge: String,
    pub credits: String,
    /// What the dialog says will happen.
    pub summary: String,
    /// The confirm button: the action and the price.
    pub confirm: String,
    /// Why it cannot be chosen yet (no payment method), if so.
    pub blocked: Option<String>,
    /// Rendered open (the no-JavaScript path: `?change=<key>`).
    pub open: bool,
}

/// One dialog per plan (the current plan and cycle included: choosing it
/// undoes a scheduled change).
pub fn choices(
    catalogue: &Catalogue,
    sub: &SubscriptionRow,
    cycle: Cycle,
    open: Option<&str>,
    tz: Tz,
    now: DateTime<Utc>,
) -> Vec<ChoiceView> {
    let current = super::change::Current {
        plan: catalogue.resolve(&sub.plan_key),
        cycle: sub.cycle,
        trialing: sub.status == Status::Trialing,
        period_start: sub.period_start,
        period_end: sub.period_end,
    };
    catalogue
        .all()
        .iter()
        .map(|p| {
            let d = super::change::decide(&current, p, cycle, now);
            let when = date(sub.period_end, tz);
            let label = format!("{} ({})", p.name, cycle.label());
            let (effect, summary, confirm) = match d.effect {
                super::change::Effect::Now => (
                    "now",
                    format!(
                        "{label} starts now. You pay {} today for the rest of the period, and get {} more credits now.",
                        money(d.charge),
                        credits(d.credits)
                    ),
                    format!("Upgrade for {}", money(d.charge)),
                ),
                super::change::Effect::PeriodEnd if sub.status == Status::Trialing => (
                    "period_end",
                    format!(
                        "Your trial continues until {when}; then {label} starts at {} {}.",
                        money(p.price(cycle)),
                        if cycle == Cycle::Annual { "a year" } else { "a month" }
                    ),
                    format!("Switch to {} on {when}", p.name),
                ),
                super::change::Effect::PeriodEnd => (
                    "period_end",
                    format!(
                        "Nothing is charged now. {label} starts on {when} at {} {}.",
                        money(p.price(cycle)),
                        if cycle == Cycle::Annual { "a year" } else { "a month" }
                    ),
                    format!("Switch to {} on {when}", p.name),
                ),
                super::change::Effect::Unchanged => (
                    "unchanged",
                    format!("You are on {label}. Choosing it keeps it and undoes any scheduled change."),
                    format!("Keep {}", p.name),
                ),
            };
            let paid = match d.effect {
                super::change::Effect::Now => d.charge.minor() > 0,
                super::change::Effect::PeriodEnd => sub.status == Status::Trialing && !p.is_free(),
                super::change::Effect::Unchanged => false,
            };
            let blocked = (paid && !sub.has_payment_method())
                .then(|| "Add a payment method below first: this plan is charged to it.".to_string());
            ChoiceView {
                key: p.key.clone(),
                name: p.name.clone(),
                cycle: cycle.as_str(),
                cycle_label: cycle.label(),
                effect,
                price: money(p.price(cycle)),
                charge: money(d.charge),
                credits: credits(d.credits),
                summary,
                confirm,
                blocked,
                open: open == Some(p.key.as_str()),
            }
        })
        .collect()
}
