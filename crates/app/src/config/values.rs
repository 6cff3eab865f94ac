//! The value syntaxes settings share: durations (`10s`, `5m`) and lists of them.
use std::time::Duration;

use anyhow::Context;

/// A positive whole number with a unit: `10s`, `5m`, `2h`, `1d`.
pub fn parse_duration(raw: &str) -> anyhow::Result<Duration> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let seconds_per_unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => anyhow::bail!("{raw:?} is not a duration: write a whole number and a unit s, m, h or d (e.g. 10s, 5m)"),
    };
    let number: u64 = number.parse().map_err(|_| anyhow::anyhow!("{raw:?} is not a duration: it needs a number"))?;
    anyhow::ensure!(number > 0, "{raw:?} is not a duration: it must be more than zero");
    let seconds = number.checked_mul(seconds_per_unit).ok_or_else(|| anyhow::anyhow!("{raw:?} is too long"))?;
    Ok(Duration::from_secs(seconds))
}

/// Comma-separated durations (`10s,1m,5m`); an empty text is an empty list.
pub fn parse_duration_list(raw: &str) -> anyhow::Result<Vec<Duration>> {
    if raw.trim().is_empty() {
        return Ok(Vec::new());
    }
    raw.split(',').map(parse_duration).collect()
}

/// The setting's value as a duration, or `default` when it is not set; an
/// error names the flag.
pub fn duration_or(raw: &Option<String>, default: Duration, flag: &str) -> anyhow::Result<Duration> {
    match raw {
        Some(raw) => parse_duration(raw).with_context(|| format!("{flag} {raw:?}")),
        None => Ok(default),
    }
}

/// The setting's value as a list of durations, or `default` when it is not set.
pub fn duration_list_or(raw: &Option<String>, default: &[Duration], flag: &str) -> anyhow::Result<Vec<Duration>> {
    match raw {
        Some(raw) => parse_duration_list(raw).with_context(|| format!("{flag} {raw:?}")),
        None => Ok(default.to_vec()),
    }
}

/// A text setting with surrounding blanks removed; an empty one counts as unset.
pub fn text(raw: &Option<String>) -> Option<String> {
    raw.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_number_and_a_unit() {
        assert_eq!(parse_duration("10s").expect("10s"), Duration::from_secs(10));
        assert_eq!(parse_duration(" 5m ").expect("5m"), Duration::from_secs(300));
        assert_eq!(parse_duration("2h").expect("2h"), Duration::from_secs(7200));
        assert_eq!(parse_duration("1d").expect("1d"), Duration::from_secs(86_400));
        for bad in ["", "10", "s", "0s", "-5s", "1.5h", "10 s", "5x", "1w", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn lists_are_comma_separated_and_every_item_must_parse() {
        assert_eq!(
            parse_duration_list("1s,2m").expect("parses"),
            vec![Duration::from_secs(1), Duration::from_secs(120)]
        );
        assert_eq!(parse_duration_list("").expect("empty"), Vec::<Duration>::new());
        assert!(parse_duration_list("10s,,1m").is_err());
        assert!(parse_duration_list("10s,soon").is_err());
    }
}
