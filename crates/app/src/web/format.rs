//! Numbers as people read them (UI.md, Numbers and money): credits as whole
//! numbers with thousands separators ("12,400"; a fraction only when there
//! is one, "0.5"), money with its currency ("$49.00"). Pages format in Rust
//! before rendering, so templates never do arithmetic.
use switchboard_core::{Cents, Credits};

/// `1234567` → `1,234,567`.
pub fn group(whole: u64) -> String {
    let digits = whole.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Credits: `12,400`, `-3.5`, `0.001`.
pub fn credits(amount: Credits) -> String {
    let millis = amount.millis();
    let sign = if millis < 0 { "-" } else { "" };
    let abs = millis.unsigned_abs();
    let (whole, frac) = (abs / 1_000, abs % 1_000);
    if frac == 0 {
        format!("{sign}{}", group(whole))
    } else {
        let frac = format!("{frac:03}");
        format!("{sign}{}.{}", group(whole), frac.trim_end_matches('0'))
    }
}

/// US dollars: `$1,049.00`, `-$3.10`.
pub fn money(amount: Cents) -> String {
    let cents = amount.minor();
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}${}.{:02}", group(abs / 100), abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_and_money_read_as_people_write_them() {
        assert_eq!(credits(Credits::from_whole(12_400).expect("c")), "12,400");
        assert_eq!(credits(Credits::from_millis(1_234_567_500)), "1,234,567.5");
        assert_eq!(credits(Credits::from_millis(-3_500)), "-3.5");
        assert_eq!(credits(Credits::from_millis(1)), "0.001");
        assert_eq!(credits(Credits::ZERO), "0");
        assert_eq!(credits(Credits::from_whole(100).expect("c")), "100");
        assert_eq!(money(Cents::from_minor(104_900)), "$1,049.00");
        assert_eq!(money(Cents::from_minor(-310)), "-$3.10");
        assert_eq!(money(Cents::from_minor(5)), "$0.05");
    }
}
