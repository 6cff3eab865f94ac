//! The plan table: configuration, not code. `default_plans.toml` ships in
//! the binary; `--plans-file` replaces it. Read once at start and checked
//! then (a bad file stops the server with the reason), so the rest of the
//! app can trust every key it finds here.
use std::collections::BTreeMap;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use switchboard_core::{Cents, Credits};

use crate::usage::rates::{RateCard, RateFile};

pub const DEFAULT_PLANS: &str = include_str!("default_plans.toml");

/// Monthly or annual billing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Cycle {
    Monthly,
    Annual,
}

impl Cycle {
    pub fn as_str(self) -> &'static str {
        match self {
            Cycle::Monthly => "monthly",
            Cycle::Annual => "annual",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Cycle::Monthly => "Monthly",
            Cycle::Annual => "Annual",
        }
    }

    /// Whole months in one cycle.
    pub fn months(self) -> u32 {
        match self {
            Cycle::Monthly => 1,
            Cycle::Annual => 12,
        }
    }
}

impl std::str::FromStr for Cycle {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "monthly" => Ok(Cycle::Monthly),
            "annual" => Ok(Cycle::Annual),
            _ => Err(()),
        }
    }
}

impl TryFrom<String> for Cycle {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse().map_err(|()| format!("unknown billing cycle {s:?}"))
    }
}

/// What a plan allows. `None` is "no limit".
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub members: Option<u32>,
    pub phone_numbers: Option<u32>,
    pub custom_voices: Option<u32>,
    pub api_requests_per_minute: Option<u32>,
    pub audit_retention_days: Option<u32>,
    /// Whether new billable actions may start while the balance is negative.
    #[serde(default)]
    pub overage: bool,
}

/// One plan as the file writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    key: String,
    name: String,
    monthly_price: String,
    annual_price: String,
    monthly_credits: i64,
    annual_credits: i64,
    top_up_price_per_1000: String,
    #[serde(default)]
    limits: Limits,
    /// Stripe price IDs to use instead of prices created from this table.
    #[serde(default)]
    stripe_monthly_price_id: Option<String>,
    #[serde(default)]
    stripe_annual_price_id: Option<String>,
    /// Usage prices that differ from the table's `[rate_card]`.
    #[serde(default)]
    rate_card: BTreeMap<String, RateFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    trial_plan: String,
    trial_days: u32,
    trial_credits: i64,
    fallback_plan: String,
    invoice_prefix: String,
    /// What each usage type costs (see `usage::rates`).
    rate_card: BTreeMap<String, RateFile>,
    plans: Vec<PlanFile>,
}

/// A plan, checked.
#[derive(Debug, Clone)]
pub struct Plan {
    pub key: String,
    pub name: String,
    pub monthly_price: Cents,
    pub annual_price: Cents,
    pub monthly_credits: Credits,
    pub annual_credits: Credits,
    pub top_up_price_per_1000: Cents,
    pub limits: Limits,
    /// Position in the table (0 = first): a higher rank is an upgrade.
    pub rank: usize,
    pub stripe_monthly_price_id: Option<String>,
    pub stripe_annual_price_id: Option<String>,
    /// Usage prices: the table's `[rate_card]` with this plan's overrides.
    pub rate_card: RateCard,
}

impl Plan {
    pub fn price(&self, cycle: Cycle) -> Cents {
        match cycle {
            Cycle::Monthly => self.monthly_price,
            Cycle::Annual => self.annual_price,
        }
    }

    pub fn credits(&self, cycle: Cycle) -> Credits {
        match cycle {
            Cycle::Monthly => self.monthly_credits,
            Cycle::Annual => self.annual_credits,
        }
    }

    /// What paying annually saves against twelve monthly payments.
    pub fn annual_saving(&self) -> Cents {
        self.monthly_price.checked_mul(12).and_then(|year| year.checked_sub(self.annual_price)).unwrap_or(Cents::ZERO)
    }

    pub fn is_free(&self) -> bool {
        self.monthly_price == Cents::ZERO && self.annual_price == Cents::ZERO
    }

    /// The price of `credits` top-up credits, rounded up to the cent;
    /// `None` when it overflows.
    pub fn top_up_price(&self, credits: Credits) -> Option<Cents> {
        // milli-credits × cents per 1,000 credits ÷ (1,000 × 1,000 milli-credits), rounded up.
        let numerator = i128::from(credits.millis()) * i128::from(self.top_up_price_per_1000.minor());
        let cents = (numerator + 999_999).div_euclid(1_000_000);
        i64::try_from(cents).ok().map(Cents::from_minor)
    }

    pub fn stripe_price_id(&self, cycle: Cycle) -> Option<&str> {
        match cycle {
            Cycle::Monthly => self.stripe_monthly_price_id.as_deref(),
            Cycle::Annual => self.stripe_annual_price_id.as_deref(),
        }
    }
}

/// The plan table and the trial rules.
#[derive(Debug, Clone)]
pub struct Catalogue {
    plans: Vec<Plan>,
    pub trial_plan: String,
    pub trial_days: u32,
    pub trial_credits: Credits,
    pub fallback_plan: String,
    pub invoice_prefix: String,
}

impl Catalogue {
    /// The shipped table.
    pub fn builtin() -> Catalogue {
        // The shipped file is checked by a unit test; failing here is a build defect.
        Catalogue::parse(DEFAULT_PLANS).expect("the shipped plan table is valid")
    }

    pub fn load(path: Option<&std::path::Path>) -> anyhow::Result<Catalogue> {
        let Some(path) = path else { return Ok(Catalogue::builtin()) };
        let text = std::fs::read_to_string(path).with_context(|| format!("reading plans file {}", path.display()))?;
        Catalogue::parse(&text).with_context(|| format!("plans file {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Catalogue> {
        let file: CatalogueFile = toml::from_str(text)?;
        if file.plans.is_empty() {
            bail!("the plan table lists no plan");
        }
        let rate_card = RateCard::parse(&file.rate_card)?;
        let mut seen = BTreeMap::new();
        let mut plans = Vec::with_capacity(file.plans.len());
        for (rank, p) in file.plans.into_iter().enumerate() {
            if p.key.is_empty() || !p.key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                bail!("plan key {:?} must be lower-case letters, digits and _", p.key);
            }
            if seen.insert(p.key.clone(), ()).is_some() {
                bail!("plan {:?} is listed twice", p.key);
            }
            let money = |field: &str, value: &str| -> anyhow::Result<Cents> {
                let cents = Cents::parse(value).map_err(|e| anyhow::anyhow!("plan {:?}: {field}: {e}", p.key))?;
                if cents.is_negative() {
                    bail!("plan {:?}: {field} is negative", p.key);
                }
                Ok(cents)
            };
            let credits = |field: &str, whole: i64| -> anyhow::Result<Credits> {
                match Credits::from_whole(whole) {
                    Some(c) if whole >= 0 => Ok(c),
                    _ => bail!("plan {:?}: {field} must be a whole number of credits ≥ 0", p.key),
                }
            };
            let plan_rates = rate_card.with_overrides(&p.key, &p.rate_card)?;
            plans.push(Plan {
                rate_card: plan_rates,
                monthly_price: money("monthly_price", &p.monthly_price)?,
                annual_price: money("annual_price", &p.annual_price)?,
                monthly_credits: credits("monthly_credits", p.monthly_credits)?,
                annual_credits: credits("annual_credits", p.annual_credits)?,
                top_up_price_per_1000: money("top_up_price_per_1000", &p.top_up_price_per_1000)?,
                key: p.key,
                name: p.name,
                limits: p.limits,
                rank,
                stripe_monthly_price_id: p.stripe_monthly_price_id,
                stripe_annual_price_id: p.stripe_annual_price_id,
            });
        }
        for (what, key) in [("trial_plan", &file.trial_plan), ("fallback_plan", &file.fallback_plan)] {
            if !seen.contains_key(key) {
                bail!("{what} {key:?} is not a plan in the table");
            }
        }
        let fallback = plans.iter().find(|p| p.key == file.fallback_plan);
        if fallback.is_some_and(|p| !p.is_free()) {
            bail!(
                "fallback_plan {:?} must be free: a workspace falls to it without a payment method",
                file.fallback_plan
            );
        }
        let Some(trial_credits) = Credits::from_whole(file.trial_credits).filter(|_| file.trial_credits >= 0) else {
            bail!("trial_credits must be a whole number of credits ≥ 0");
        };
        let prefix_ok = !file.invoice_prefix.is_empty()
            && file.invoice_prefix.len() <= 8
            && file.invoice_prefix.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !prefix_ok {
            bail!("invoice_prefix must be 1–8 upper-case letters or digits");
        }
        Ok(Catalogue {
            plans,
            trial_plan: file.trial_plan,
            trial_days: file.trial_days,
            trial_credits,
            fallback_plan: file.fallback_plan,
            invoice_prefix: file.invoice_prefix,
        })
    }

    pub fn all(&self) -> &[Plan] {
        &self.plans
    }

    pub fn get(&self, key: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.key == key)
    }

    /// The plan a stored key names; a key dropped from a replaced table
    /// reads as the fallback plan rather than failing every page.
    pub fn resolve(&self, key: &str) -> &Plan {
        self.get(key).or_else(|| self.get(&self.fallback_plan)).unwrap_or(&self.plans[0])
    }

    pub fn trial(&self) -> &Plan {
        self.resolve(&self.trial_plan)
    }

    pub fn fallback(&self) -> &Plan {
        self.resolve(&self.fallback_plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_parses() {
        let catalogue = Catalogue::parse(DEFAULT_PLANS).expect("shipped plans");
        let keys: Vec<_> = catalogue.all().iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["free", "basic", "pro", "business"]);
        assert_eq!(catalogue.trial().key, "pro");
        assert_eq!(catalogue.trial_days, 14);
        let pro = catalogue.resolve("pro");
        assert_eq!(pro.monthly_price, Cents::from_minor(9_900));
        assert_eq!(pro.annual_saving(), Cents::from_minor(19_800));
        assert!(catalogue.resolve("business").limits.members.is_none());
    }

    #[test]
    fn top_up_prices_round_up_to_the_cent() {
        let pro = Catalogue::builtin().resolve("pro").clone();
        assert_eq!(pro.top_up_price(Credits::from_whole(1_000).expect("c")), Some(Cents::from_minor(1_000)));
        assert_eq!(pro.top_up_price(Credits::from_whole(1).expect("c")), Some(Cents::from_minor(1)));
        assert_eq!(pro.top_up_price(Credits::from_millis(1)), Some(Cents::from_minor(1)));
        assert_eq!(pro.top_up_price(Credits::from_whole(2_500).expect("c")), Some(Cents::from_minor(2_500)));
    }

    #[test]
    fn bad_tables_are_refused_with_the_reason() {
        let cases = [
            (DEFAULT_PLANS.replace("trial_plan = \"pro\"", "trial_plan = \"gold\""), "not a plan"),
            (DEFAULT_PLANS.replace("monthly_price = \"29.00\"", "monthly_price = \"29.001\""), "basic"),
            (DEFAULT_PLANS.replace("key = \"basic\"", "key = \"free\""), "twice"),
            (DEFAULT_PLANS.replace("fallback_plan = \"free\"", "fallback_plan = \"pro\""), "must be free"),
            (DEFAULT_PLANS.replace("overage = false", "overage = false\nseats = 3"), "unknown field"),
        ];
        for (text, expected) in cases {
            let err = format!("{:#}", Catalogue::parse(&text).expect_err(expected));
            assert!(err.contains(expected), "{err} should mention {expected}");
        }
    }
}
