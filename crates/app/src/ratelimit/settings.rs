//! The rate limits' settings: `--api-rate-limit`, `--ip-rate-limit`,
//! `--user-rate-limit`, their environment variables and the TOML
//! `[rate_limits]` table (`api`, `ip`, `user`).
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Args, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitArgs {
    /// Requests each API token may make at most, e.g. `600/m` (bursts up to the whole
    /// amount); `off` disables the limit.
    #[arg(
        id = "api_rate_limit",
        value_name = "RATE",
        long = "api-rate-limit",
        env = "SWITCHBOARD_API_RATE_LIMIT",
        global = true
    )]
    pub api: Option<String>,
    /// Requests each IP address may make without a session or token, e.g. `300/m`; `off` disables it.
    #[arg(
        id = "ip_rate_limit",
        value_name = "RATE",
        long = "ip-rate-limit",
        env = "SWITCHBOARD_IP_RATE_LIMIT",
        global = true
    )]
    pub ip: Option<String>,
    /// Requests each signed-in user may make (pages and the API with a
    /// session cookie), e.g. `1200/m`; `off` disables the limit.
    #[arg(
        id = "user_rate_limit",
        value_name = "RATE",
        long = "user-rate-limit",
        env = "SWITCHBOARD_USER_RATE_LIMIT",
        global = true
    )]
    pub user: Option<String>,
}

/// The limits in force; `None` where switched off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Per API token.
    pub api: Option<RateLimit>,
    /// Per IP address, for requests with neither session nor token.
    pub ip: Option<RateLimit>,
    /// Per signed-in user (a browser session).
    pub user: Option<RateLimit>,
}

/// The ceiling per token: the workspace's plan sets its tokens' rate under
/// it (Business allows 6,000 a minute).
pub const DEFAULT_API_RATE_LIMIT: RateLimit = RateLimit { requests: 6000, period: Duration::from_secs(60) };
pub const DEFAULT_IP_RATE_LIMIT: RateLimit = RateLimit { requests: 300, period: Duration::from_secs(60) };
/// 20 a second sustained, bursts of the whole amount: far above a person
/// clicking, far below a script hammering uploads or exports.
pub const DEFAULT_USER_RATE_LIMIT: RateLimit = RateLimit { requests: 1200, period: Duration::from_secs(60) };

impl RateLimitArgs {
    pub fn resolve(&self) -> anyhow::Result<RateLimits> {
        let limit = |raw: &Option<String>, default: RateLimit, flag: &str| match raw {
            Some(raw) => RateLimit::parse(raw).with_context(|| format!("rate limit ({flag}) {raw:?}")),
            None => Ok(Some(default)),
        };
        Ok(RateLimits {
            api: limit(&self.api, DEFAULT_API_RATE_LIMIT, "--api-rate-limit")?,
            ip: limit(&self.ip, DEFAULT_IP_RATE_LIMIT, "--ip-rate-limit")?,
            user: limit(&self.user, DEFAULT_USER_RATE_LIMIT, "--user-rate-limit")?,
        })
    }
}

/// `requests` per `period`, with bursts of up to `requests` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub period: Duration,
}

impl RateLimit {
    /// `600/m`, `10/s`, `5000/h`; `off` (or `0/m`) is `None`.
    pub fn parse(raw: &str) -> anyhow::Result<Option<RateLimit>> {
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let (count, unit) = raw
            .split_once('/')
            .ok_or_else(|| anyhow::anyhow!("{raw:?} is not a rate: write requests per unit, e.g. 600/m, or off"))?;
        let requests: u32 =
            count.trim().parse().map_err(|_| anyhow::anyhow!("{raw:?} is not a rate: {count:?} is not a number"))?;
        let period = match unit.trim() {
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            other => anyhow::bail!("{raw:?} is not a rate: the unit {other:?} must be s, m or h"),
        };
        Ok((requests > 0).then_some(RateLimit { requests, period }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_parse_with_a_unit_or_switch_off() {
        let parsed = RateLimit::parse("10/s").expect("parses");
        assert_eq!(parsed, Some(RateLimit { requests: 10, period: Duration::from_secs(1) }));
        assert_eq!(RateLimit::parse("off").expect("off"), None);
        assert_eq!(RateLimit::parse("0/m").expect("zero"), None);
        for bad in ["600", "600/d", "many/m", "-1/m", ""] {
            assert!(RateLimit::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let defaults = RateLimitArgs::default().resolve().expect("defaults resolve");
        let expected = RateLimits {
            api: Some(DEFAULT_API_RATE_LIMIT),
            ip: Some(DEFAULT_IP_RATE_LIMIT),
            user: Some(DEFAULT_USER_RATE_LIMIT),
        };
        assert_eq!(defaults, expected);
        let off = RateLimitArgs { user: Some("off".into()), ..Default::default() }.resolve().expect("resolves");
        assert_eq!(off.user, None);
        let off = RateLimitArgs { ip: Some("off".into()), ..Default::default() }.resolve().expect("resolves");
        assert_eq!(off.ip, None);
        let err = RateLimitArgs { api: Some("lots".into()), ..Default::default() }.resolve().expect_err("bad");
        assert!(format!("{err:#}").contains("--api-rate-limit"), "{err:#}");
    }
}
