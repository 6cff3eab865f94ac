//! The rate card: what each kind of usage costs, in the plan table
//! (`[rate_card]`, with `[plans.rate_card]` overriding it for one plan), so
//! `--plans-file` changes prices without a release.
//!
//! The rounding rule: an event is charged per **started block** of its
//! unit, `ceil(quantity / block) × credits`, each event on its own (two
//! 30-second calls are two started minutes). A quantity of 0 costs nothing.
//! Prices are decimal credit strings kept exact as milli-credits.
use std::collections::BTreeMap;

use anyhow::bail;
use serde::Deserialize;
use switchboard_core::Credits;

use super::types::UsageType;

/// The largest `quantity` one event may carry (about 31 years of call
/// seconds); with [`MAX_BLOCK_CREDITS`] it keeps every price inside `i64`.
pub const MAX_QUANTITY: i64 = 1_000_000_000;
/// The most one block may cost, in whole credits.
pub const MAX_BLOCK_CREDITS: i64 = 1_000_000;

/// One rate as the plan table writes it: `{ block = 60, credits = "10" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateFile {
    /// Units of quantity in one charged block (60 seconds, 1,000 characters).
    pub block: i64,
    /// Credits per started block, a decimal string (`"0.5"`).
    pub credits: String,
}

/// One type's price, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub block: i64,
    pub credits: Credits,
}

impl Rate {
    /// What an event of `quantity` costs: per started block, rounded up.
    /// `None` for a negative quantity or one above [`MAX_QUANTITY`].
    pub fn price(self, quantity: i64) -> Option<Credits> {
        if !(0..=MAX_QUANTITY).contains(&quantity) {
            return None;
        }
        let blocks = (quantity + self.block - 1) / self.block;
        blocks.checked_mul(self.credits.millis()).map(Credits::from_millis)
    }

    /// "10 credits per started 60 seconds", for the README and errors.
    pub fn describe(self, t: UsageType) -> String {
        let credits = crate::web::format::credits(self.credits);
        if self.block == 1 {
            format!("{credits} credits per {}", t.unit().trim_end_matches('s'))
        } else {
            format!("{credits} credits per started {} {}", self.block, t.unit())
        }
    }
}

/// A price for every usage type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateCard {
    rates: [Rate; UsageType::ALL.len()],
}

fn index(t: UsageType) -> usize {
    UsageType::ALL.iter().position(|x| *x == t).unwrap_or(0)
}

fn check(owner: &str, key: &str, file: &RateFile) -> anyhow::Result<(UsageType, Rate)> {
    let Some(t) = UsageType::parse(key) else {
        let known: Vec<&str> = UsageType::ALL.iter().map(|t| t.as_str()).collect();
        bail!("{owner}: {key:?} is not a usage type (one of {})", known.join(", "));
    };
    if !(1..=MAX_QUANTITY).contains(&file.block) {
        bail!("{owner}: {key}: block must be a whole number from 1 to {MAX_QUANTITY}");
    }
    let credits = Credits::parse(&file.credits).map_err(|e| anyhow::anyhow!("{owner}: {key}: credits: {e}"))?;
    if credits.is_negative() || credits.millis() > MAX_BLOCK_CREDITS * 1_000 {
        bail!("{owner}: {key}: credits must be from 0 to {MAX_BLOCK_CREDITS}");
    }
    Ok((t, Rate { block: file.block, credits }))
}

impl RateCard {
    /// The table's `[rate_card]`: every type must be priced.
    pub fn parse(file: &BTreeMap<String, RateFile>) -> anyhow::Result<RateCard> {
        let mut rates: [Option<Rate>; UsageType::ALL.len()] = [None; UsageType::ALL.len()];
        for (key, rate) in file {
            let (t, rate) = check("rate_card", key, rate)?;
            rates[index(t)] = Some(rate);
        }
        let mut out = [Rate { block: 1, credits: Credits::ZERO }; UsageType::ALL.len()];
        for t in UsageType::ALL {
            match rates[index(t)] {
                Some(rate) => out[index(t)] = rate,
                None => bail!("rate_card: {} has no price (every usage type needs one)", t.as_str()),
            }
        }
        Ok(RateCard { rates: out })
    }

    /// This card with a plan's `[plans.rate_card]` entries in place of its own.
    pub fn with_overrides(&self, plan: &str, file: &BTreeMap<String, RateFile>) -> anyhow::Result<RateCard> {
        let mut card = self.clone();
        for (key, rate) in file {
            let (t, rate) = check(&format!("plan {plan:?}: rate_card"), key, rate)?;
            card.rates[index(t)] = rate;
        }
        Ok(card)
    }

    pub fn rate(&self, t: UsageType) -> Rate {
        self.rates[index(t)]
    }

    /// What an event of `quantity` units of `t` costs (see [`Rate::price`]).
    pub fn price(&self, t: UsageType, quantity: i64) -> Option<Credits> {
        self.rate(t).price(quantity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subscription::plans::{Catalogue, DEFAULT_PLANS};

    fn whole(n: i64) -> Credits {
        Credits::from_whole(n).expect("credits")
    }

    #[test]
    fn calls_are_charged_per_started_minute() {
        let card = Catalogue::builtin().resolve("pro").rate_card.clone();
        let calls = |q| card.price(UsageType::CallMinutes, q);
        assert_eq!(calls(0), Some(Credits::ZERO));
        assert_eq!(calls(1), Some(whole(10)));
        assert_eq!(calls(59), Some(whole(10)));
        assert_eq!(calls(60), Some(whole(10)));
        assert_eq!(calls(61), Some(whole(20)));
        assert_eq!(calls(150), Some(whole(30)));
        assert_eq!(calls(-1), None);
        assert_eq!(calls(MAX_QUANTITY + 1), None);
        assert_eq!(calls(MAX_QUANTITY), Some(whole(10 * 16_666_667)));
    }

    #[test]
    fn every_type_has_its_block_and_rounds_up() {
        let card = Catalogue::builtin().resolve("pro").rate_card.clone();
        assert_eq!(card.price(UsageType::Sms, 3), Some(whole(3)));
        assert_eq!(card.price(UsageType::TtsCharacters, 1), Some(whole(2)));
        assert_eq!(card.price(UsageType::TtsCharacters, 1_000), Some(whole(2)));
        assert_eq!(card.price(UsageType::TtsCharacters, 1_001), Some(whole(4)));
        assert_eq!(card.price(UsageType::PhoneNumberRental, 2), Some(whole(10)));
        assert_eq!(card.price(UsageType::VoiceClone, 1), Some(whole(200)));
        assert_eq!(card.price(UsageType::Training, 61), Some(whole(40)));
        assert_eq!(
            card.rate(UsageType::CallMinutes).describe(UsageType::CallMinutes),
            "10 credits per started 60 seconds"
        );
    }

    #[test]
    fn a_plan_overrides_only_the_types_it_names() {
        let catalogue = Catalogue::builtin();
        let (pro, business) = (&catalogue.resolve("pro").rate_card, &catalogue.resolve("business").rate_card);
        assert_eq!(business.price(UsageType::CallMinutes, 61), Some(whole(16)), "8 credits a minute on Business");
        assert_eq!(business.price(UsageType::Sms, 1), pro.price(UsageType::Sms, 1));
    }

    #[test]
    fn fractions_of_a_credit_stay_exact() {
        let text =
            DEFAULT_PLANS.replace("sms = { block = 1, credits = \"1\" }", "sms = { block = 1, credits = \"0.125\" }");
        let card = Catalogue::parse(&text).expect("parses").resolve("pro").rate_card.clone();
        assert_eq!(card.price(UsageType::Sms, 3), Some(Credits::from_millis(375)));
    }

    #[test]
    fn bad_rate_cards_are_refused_with_the_reason() {
        let cases = [
            (DEFAULT_PLANS.replace("sms = { block = 1, credits = \"1\" }", ""), "sms has no price"),
            (DEFAULT_PLANS.replace("sms = { block = 1,", "sms = { block = 0,"), "block must be"),
            (
                DEFAULT_PLANS
                    .replace("sms = { block = 1, credits = \"1\" }", "sms = { block = 1, credits = \"0.0001\" }"),
                "sms: credits",
            ),
            (
                DEFAULT_PLANS.replace("sms = { block = 1, credits = \"1\" }", "sms = { block = 1, credits = \"-1\" }"),
                "from 0",
            ),
            (
                DEFAULT_PLANS
                    .replace("sms = { block = 1,", "calls = { block = 1, credits = \"1\" }\nsms = { block = 1,"),
                "not a usage type",
            ),
            (
                DEFAULT_PLANS.replace(
                    "call_minutes = { block = 60, credits = \"8\" }",
                    "minutes = { block = 60, credits = \"8\" }",
                ),
                "plan \"business\"",
            ),
        ];
        for (text, expected) in cases {
            let err = format!("{:#}", Catalogue::parse(&text).expect_err(expected));
            assert!(err.contains(expected), "{err} should mention {expected}");
        }
    }
}
