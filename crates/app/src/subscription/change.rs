//! What a plan change does, decided from the subscription, the plan table
//! and the clock alone (pure; unit-tested here). The rules:
//!
//! - **Upgrade, applies at once**: a plan of higher rank (any cycle), or
//!   the same plan from monthly to annual.
//!   - Same cycle: the period stays; the charge is the price difference
//!     for the unused fraction of the period, **rounded up** to the cent;
//!     the credits granted are the credits difference for that fraction,
//!     **rounded down** to the milli-credit (both in the workspace's
//!     disfavour by less than one unit).
//!   - A new period starts now (monthly → annual, or leaving a free plan):
//!     the charge is the new cycle's price minus the unused value of the
//!     current period (rounded down, so the charge rounds up); the credits
//!     granted are the new cycle's credits minus the unused fraction of the
//!     current cycle's credits (rounded up, so the grant rounds down),
//!     because the cycle credits left from the current period stay in the
//!     balance until the new period ends.
//!   - Annual → monthly to a higher plan: the plan upgrades at once on the
//!     annual cycle (prorated as above) and the switch to monthly is
//!     scheduled for the period's end.
//! - **Scheduled for the period's end**: a plan of lower rank, or the same
//!   plan from annual to monthly.
//! - **During the trial** every choice is scheduled for the trial's end.
use chrono::{DateTime, Months, Utc};
use serde::Serialize;
use switchboard_core::{Cents, Credits};

use super::plans::{Cycle, Plan};

/// When a change takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Charged and applied at once.
    Now,
    /// Applied when the period (or the trial) ends; nothing is charged now.
    PeriodEnd,
    /// The plan and cycle chosen are the current ones: nothing changes.
    Unchanged,
}

/// A change worked out: what is charged and granted now and what follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub effect: Effect,
    /// Charged now (zero unless `effect` is `Now`).
    pub charge: Cents,
    /// Cycle credits granted now.
    pub credits: Credits,
    /// The plan and cycle in force right after the change.
    pub plan_now: String,
    pub cycle_now: Cycle,
    /// The period in force right after the change.
    pub period: (DateTime<Utc>, DateTime<Utc>),
    /// A change left for the period's end (plan key, cycle).
    pub scheduled: Option<(String, Cycle)>,
}

/// The period that starts at `start` and lasts one `cycle`.
pub fn period_end(start: DateTime<Utc>, cycle: Cycle) -> DateTime<Utc> {
    start.checked_add_months(Months::new(cycle.months())).unwrap_or(start)
}

/// `amount × part ÷ whole`, rounded up (`up`) or down; `part` is clamped to `0..=whole`.
fn fraction(amount: i64, part: i64, whole: i64, up: bool) -> i64 {
    if whole <= 0 {
        return 0;
    }
    let part = i128::from(part.clamp(0, whole));
    let (n, d) = (i128::from(amount) * part, i128::from(whole));
    let q = if up { (n + d - 1).div_euclid(d) } else { n.div_euclid(d) };
    i64::try_from(q).unwrap_or(if q > 0 { i64::MAX } else { i64::MIN })
}

/// What the current subscription is, for [`decide`].
pub struct Current<'a> {
    pub plan: &'a Plan,
    pub cycle: Cycle,
    pub trialing: bool,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
}

/// Works out a change to `target` on `cycle` at `now`.
pub fn decide(current: &Current<'_>, target: &Plan, cycle: Cycle, now: DateTime<Utc>) -> Decision {
    let same = target.key == current.plan.key && cycle == current.cycle;
    let stay = |effect: Effect, scheduled: Option<(String, Cycle)>| Decision {
        effect,
        charge: Cents::ZERO,
        credits: Credits::ZERO,
        plan_now: current.plan.key.clone(),
        cycle_now: current.cycle,
        period: (current.period_start, current.period_end),
        scheduled,
    };
    if current.trialing {
        return stay(Effect::PeriodEnd, Some((target.key.clone(), cycle)));
    }
    if same {
        return stay(Effect::Unchanged, None);
    }
    let higher = target.rank > current.plan.rank;
    let to_annual = current.cycle == Cycle::Monthly && cycle == Cycle::Annual;
    let upgrade = higher || (target.key == current.plan.key && to_annual);
    if !upgrade {
        return stay(Effect::PeriodEnd, Some((target.key.clone(), cycle)));
    }
    let whole = (current.period_end - current.period_start).num_seconds();
    let left = (current.period_end - now).num_seconds();
    let restart = to_annual || current.plan.is_free();
    if restart {
        // A new period of the new cycle from now, less what is left of this one.
        let unused_value = fraction(current.plan.price(current.cycle).minor(), left, whole, false);
        let unused_credits = fraction(current.plan.credits(current.cycle).millis(), left, whole, true);
        let charge = (target.price(cycle).minor() - unused_value).max(0);
        let credits = (target.credits(cycle).millis() - unused_credits).max(0);
        return Decision {
            effect: Effect::Now,
            charge: Cents::from_minor(charge),
            credits: Credits::from_millis(credits),
            plan_now: target.key.clone(),
            cycle_now: cycle,
            period: (now, period_end(now, cycle)),
            scheduled: None,
        };
    }
    // The same period on the current cycle; an annual → monthly switch waits for its end.
    let on = current.cycle;
    let price_gap = (target.price(on).minor() - current.plan.price(on).minor()).max(0);
    let credit_gap = (target.credits(on).millis() - current.plan.credits(on).millis()).max(0);
    Decision {
        effect: Effect::Now,
        charge: Cents::from_minor(fraction(price_gap, left, whole, true)),
        credits: Credits::from_millis(fraction(credit_gap, left, whole, false)),
        plan_now: target.key.clone(),
        cycle_now: on,
        period: (current.period_start, current.period_end),
        scheduled: (cycle != on).then(|| (target.key.clone(), cycle)),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::subscription::plans::Catalogue;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, day, 0, 0, 0).single().expect("date")
    }

    fn current<'a>(plan: &'a Plan, cycle: Cycle) -> Current<'a> {
        Current { plan, cycle, trialing: false, period_start: at(1), period_end: period_end(at(1), cycle) }
    }

    #[test]
    fn a_same_cycle_upgrade_charges_the_difference_for_the_unused_fraction_rounded_up() {
        let c = Catalogue::builtin();
        let (basic, pro) = (c.resolve("basic"), c.resolve("pro"));
        // January has 31 days; 21 of them are left on the 11th.
        let d = decide(&current(basic, Cycle::Monthly), pro, Cycle::Monthly, at(11));
        assert_eq!(d.effect, Effect::Now);
        // (99.00 − 29.00) × 21/31 = 47.419… → 47.42
        assert_eq!(d.charge, Cents::from_minor(4_742));
        // (8,000 − 2,000) × 21/31 = 4,064.516… → 4,064.516 (milli, down)
        assert_eq!(d.credits, Credits::from_millis(4_064_516));
        assert_eq!(
            (d.plan_now.as_str(), d.cycle_now, d.period),
            ("pro", Cycle::Monthly, (at(1), at(1) + Duration::days(31)))
        );
        assert_eq!(d.scheduled, None);
    }

    #[test]
    fn monthly_to_annual_starts_a_new_period_less_the_unused_value() {
        let c = Catalogue::builtin();
        let basic = c.resolve("basic");
        let d = decide(&current(basic, Cycle::Monthly), basic, Cycle::Annual, at(11));
        // 290.00 − 29.00 × 21/31 (19.645… → 19.64) = 270.36
        assert_eq!(d.charge, Cents::from_minor(27_036));
        // 24,000 − 2,000 × 21/31 (1,354.838… → 1,354.839) = 22,645.161
        assert_eq!(d.credits, Credits::from_millis(22_645_161));
        assert_eq!(d.period.0, at(11));
        assert_eq!(d.period.1, Utc.with_ymd_and_hms(2027, 1, 11, 0, 0, 0).single().expect("date"));
    }

    #[test]
    fn leaving_the_free_plan_starts_a_full_period() {
        let c = Catalogue::builtin();
        let (free, basic) = (c.resolve("free"), c.resolve("basic"));
        let d = decide(&current(free, Cycle::Monthly), basic, Cycle::Monthly, at(11));
        assert_eq!(d.charge, Cents::from_minor(2_900));
        // 2,000 − 100 × 21/31 (67.741… → 67.742)
        assert_eq!(d.credits, Credits::from_millis(1_932_258));
        assert_eq!(d.period.0, at(11));
    }

    #[test]
    fn downgrades_and_cheaper_cycles_wait_for_the_period_end() {
        let c = Catalogue::builtin();
        let (basic, pro) = (c.resolve("basic"), c.resolve("pro"));
        for (target, cycle) in [(basic, Cycle::Monthly), (pro, Cycle::Monthly)] {
            let d = decide(&current(pro, Cycle::Annual), target, cycle, at(11));
            assert_eq!(d.effect, Effect::PeriodEnd);
            assert_eq!(d.charge, Cents::ZERO);
            assert_eq!(d.scheduled, Some((target.key.clone(), cycle)));
            assert_eq!(d.plan_now, "pro");
        }
        assert_eq!(decide(&current(pro, Cycle::Annual), pro, Cycle::Annual, at(11)).effect, Effect::Unchanged);
    }

    #[test]
    fn annual_to_monthly_on_a_higher_plan_upgrades_now_and_schedules_the_cycle() {
        let c = Catalogue::builtin();
        let (basic, pro) = (c.resolve("basic"), c.resolve("pro"));
        let d = decide(&current(basic, Cycle::Annual), pro, Cycle::Monthly, at(1) + Duration::days(365));
        assert_eq!(d.effect, Effect::Now);
        assert_eq!(d.cycle_now, Cycle::Annual);
        // Nothing left of the year: nothing to charge.
        assert_eq!((d.charge, d.credits), (Cents::ZERO, Credits::ZERO));
        assert_eq!(d.scheduled, Some(("pro".to_string(), Cycle::Monthly)));
    }

    #[test]
    fn a_trial_schedules_every_choice_for_its_end() {
        let c = Catalogue::builtin();
        let (pro, basic) = (c.resolve("pro"), c.resolve("basic"));
        let trial = Current { trialing: true, ..current(pro, Cycle::Monthly) };
        let d = decide(&trial, basic, Cycle::Annual, at(3));
        assert_eq!(d.effect, Effect::PeriodEnd);
        assert_eq!(d.scheduled, Some(("basic".to_string(), Cycle::Annual)));
    }
}
