//! Money and credits as integers in minor units; never floats, so a sum is
//! exact and the same on every machine and in both databases (`BIGINT`).
//!
//! - [`Credits`] counts **milli-credits** (1 credit = 1,000). Usage is
//!   priced in fractions of a credit (a second of a call, a few hundred
//!   characters of speech), and a thousandth is fine enough for every price
//!   list so far while `i64` still holds ±9.2 × 10¹⁵ credits. `"12.345"`
//!   parses to 12,345 milli-credits; a fourth decimal is refused, not rounded.
//! - [`Cents`] counts US cents, Stripe's unit for USD: `"12.34"` is 1,234.
//!
//! Arithmetic is checked (`None` on overflow) and there are no `+`/`-`
//! operators: what an overflow means (refuse the top-up, cap the balance)
//! is the caller's decision. Both serialise as their integer (`12345`), and
//! convert to and from `i64` for the database (this crate has no IO: the db
//! layer binds the `i64`).
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a decimal amount did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("not a decimal amount such as 12.5")]
    Invalid,
    #[error("more decimal places than the unit has ({0})")]
    TooPrecise(u32),
    #[error("the amount is too large")]
    OutOfRange,
}

/// Parses `[-]digits[.digits]` into an integer of `scale` decimal places,
/// without floats: `parse_scaled("12.3", 3) == Ok(12_300)`.
fn parse_scaled(text: &str, scale: u32) -> Result<i64, MoneyError> {
    let text = text.trim();
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, frac) = match unsigned.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || frac.is_some_and(|f| !digits(f)) {
        return Err(MoneyError::Invalid);
    }
    let frac = frac.unwrap_or("");
    if frac.len() > scale as usize {
        return Err(MoneyError::TooPrecise(scale));
    }
    // i128 holds any 19-digit whole part times 10^scale; longer is out of range anyway.
    if whole.trim_start_matches('0').len() > 19 {
        return Err(MoneyError::OutOfRange);
    }
    let mut value: i128 = 0;
    for b in whole.bytes().chain(frac.bytes()) {
        value = value * 10 + i128::from(b - b'0');
    }
    value *= 10i128.pow(scale - frac.len() as u32);
    if negative {
        value = -value;
    }
    i64::try_from(value).map_err(|_| MoneyError::OutOfRange)
}

/// Writes `value` with `scale` decimal places; `trim` drops trailing zeros
/// (and the point when nothing is left after it).
fn fmt_scaled(f: &mut fmt::Formatter<'_>, value: i64, scale: u32, trim: bool) -> fmt::Result {
    let unit = 10u64.pow(scale);
    let abs = value.unsigned_abs();
    let sign = if value < 0 { "-" } else { "" };
    let mut frac = format!("{:0width$}", abs % unit, width = scale as usize);
    if trim {
        frac.truncate(frac.trim_end_matches('0').len());
    }
    if frac.is_empty() { write!(f, "{sign}{}", abs / unit) } else { write!(f, "{sign}{}.{frac}", abs / unit) }
}

macro_rules! amount {
    ($(#[$doc:meta])* $name:ident, $per_unit_name:ident, $scale:expr, $trim:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const ZERO: $name = $name(0);
            /// Minor units in one whole unit.
            pub const $per_unit_name: i64 = 10i64.pow($scale);

            /// An amount in minor units.
            pub const fn from_minor(minor: i64) -> $name {
                $name(minor)
            }

            /// The amount in minor units.
            pub const fn minor(self) -> i64 {
                self.0
            }

            /// `whole` units; `None` when it does not fit.
            pub fn from_whole(whole: i64) -> Option<$name> {
                whole.checked_mul(Self::$per_unit_name).map($name)
            }

            pub fn checked_add(self, other: $name) -> Option<$name> {
                self.0.checked_add(other.0).map($name)
            }

            pub fn checked_sub(self, other: $name) -> Option<$name> {
                self.0.checked_sub(other.0).map($name)
            }

            /// `self × n`, e.g. a unit price times a quantity.
            pub fn checked_mul(self, n: i64) -> Option<$name> {
                self.0.checked_mul(n).map($name)
            }

            pub fn is_negative(self) -> bool {
                self.0 < 0
            }

            /// Parses a decimal amount (`"12.5"`, `"-3"`) exactly.
            pub fn parse(text: &str) -> Result<$name, MoneyError> {
                parse_scaled(text, $scale).map($name)
            }
        }

        impl FromStr for $name {
            type Err = MoneyError;
            fn from_str(text: &str) -> Result<$name, MoneyError> {
                $name::parse(text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt_scaled(f, self.0, $scale, $trim)
            }
        }

        impl From<$name> for i64 {
            fn from(v: $name) -> i64 {
                v.0
            }
        }

        impl From<i64> for $name {
            /// From minor units (as stored).
            fn from(minor: i64) -> $name {
                $name(minor)
            }
        }
    };
}

amount!(
    /// Credits in milli-credits. Displays without trailing zeros: `12.5`, `3`.
    Credits, MILLIS_PER_CREDIT, 3, true
);

amount!(
    /// US dollars in cents. Displays with two decimals: `12.50`.
    Cents, CENTS_PER_DOLLAR, 2, false
);

impl Credits {
    /// An amount in milli-credits (the same as [`Credits::from_minor`]).
    pub const fn from_millis(millis: i64) -> Credits {
        Credits(millis)
    }

    pub const fn millis(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_parse_exactly() {
        assert_eq!(Credits::parse("12.345"), Ok(Credits::from_millis(12_345)));
        assert_eq!(Credits::parse("12.3"), Ok(Credits::from_millis(12_300)));
        assert_eq!(Credits::parse("12"), Ok(Credits::from_millis(12_000)));
        assert_eq!(Credits::parse("0.001"), Ok(Credits::from_millis(1)));
        assert_eq!(Credits::parse("-0.5"), Ok(Credits::from_millis(-500)));
        assert_eq!(Credits::parse("+7"), Ok(Credits::from_millis(7_000)));
        assert_eq!(Credits::parse(" 007.10 "), Ok(Credits::from_millis(7_100)));
        assert_eq!("19.99".parse::<Cents>(), Ok(Cents::from_minor(1_999)));
        // 0.1 + 0.2 is exactly 0.3 here.
        let (a, b) = (Credits::parse("0.1").expect("0.1"), Credits::parse("0.2").expect("0.2"));
        assert_eq!(a.checked_add(b), Some(Credits::parse("0.3").expect("0.3")));
    }

    #[test]
    fn bad_amounts_are_refused_not_rounded() {
        for bad in ["", "-", "+", ".", "1.", ".5", "1.2.3", "1,000", "1e3", "--1", "+-1", "12a", "NaN", "١٢", "1 000"]
        {
            assert_eq!(Credits::parse(bad), Err(MoneyError::Invalid), "{bad:?}");
        }
        assert_eq!(Credits::parse("1.2345"), Err(MoneyError::TooPrecise(3)));
        assert_eq!(Cents::parse("1.001"), Err(MoneyError::TooPrecise(2)));
    }

    #[test]
    fn the_range_is_that_of_i64_and_overflow_is_refused() {
        // i64::MAX milli-credits is 9223372036854775.807 credits.
        assert_eq!(Credits::parse("9223372036854775.807"), Ok(Credits::from_millis(i64::MAX)));
        assert_eq!(Credits::parse("-9223372036854775.808"), Ok(Credits::from_millis(i64::MIN)));
        assert_eq!(Credits::parse("9223372036854775.808"), Err(MoneyError::OutOfRange));
        assert_eq!(Credits::parse("99999999999999999999999999"), Err(MoneyError::OutOfRange));
        assert_eq!(Credits::parse(&format!("{}1", "0".repeat(40))), Ok(Credits::from_millis(1_000)));
        let max = Credits::from_millis(i64::MAX);
        assert_eq!(max.checked_add(Credits::from_millis(1)), None);
        assert_eq!(Credits::from_millis(i64::MIN).checked_sub(Credits::from_millis(1)), None);
        assert_eq!(max.checked_mul(2), None);
        assert_eq!(Credits::from_whole(i64::MAX / 1_000 + 1), None);
        assert_eq!(Credits::from_whole(3), Some(Credits::from_millis(3_000)));
        assert_eq!(Credits::from_millis(5).checked_sub(Credits::from_millis(7)), Some(Credits::from_millis(-2)));
    }

    #[test]
    fn display_and_serde_round_trip() {
        let shown = |c: i64| Credits::from_millis(c).to_string();
        assert_eq!(
            [shown(12_345), shown(12_300), shown(3_000), shown(0), shown(-1), shown(-1_500)],
            ["12.345", "12.3", "3", "0", "-0.001", "-1.5"]
        );
        assert_eq!(Credits::from_millis(i64::MIN).to_string(), "-9223372036854775.808");
        assert_eq!(Cents::from_minor(1_250).to_string(), "12.50");
        assert_eq!(Cents::from_minor(-5).to_string(), "-0.05");
        for c in [i64::MIN, -1_500, 0, 1, 12_345, i64::MAX] {
            let credits = Credits::from_millis(c);
            assert_eq!(Credits::parse(&credits.to_string()), Ok(credits));
        }
        assert_eq!(serde_json::to_string(&Credits::from_millis(12_345)).expect("json"), "12345");
        assert_eq!(serde_json::from_str::<Cents>("-250").expect("json"), Cents::from_minor(-250));
        assert!(serde_json::from_str::<Cents>("2.5").is_err());
        assert_eq!(i64::from(Cents::from_minor(42)), 42);
        assert_eq!(Credits::from(7i64).millis(), 7);
        assert!(Credits::from_millis(-1).is_negative() && !Credits::ZERO.is_negative());
        assert_eq!((Credits::MILLIS_PER_CREDIT, Cents::CENTS_PER_DOLLAR), (1_000, 100));
    }
}
