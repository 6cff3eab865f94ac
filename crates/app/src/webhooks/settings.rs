//! How webhooks are delivered: the `--webhook-*` flags, their environment
//! variables and the TOML `[webhooks]` table, all from [`WebhookArgs`].
use std::time::Duration;

use clap::Args;
use serde::{Deserialize, Serialize};

use crate::config::values::{duration_list_or, duration_or, parse_duration_list};

#[derive(Debug, Clone, Args, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookArgs {
    /// Delays between a failed webhook delivery's attempts (±20 % jitter), e.g.
    /// `5s,5m,30m,2h,5h,10h,14h,20h,24h` (the default: about 3 days in all).
    #[arg(
        id = "webhook_retry_schedule",
        value_name = "SCHEDULE",
        long = "webhook-retry-schedule",
        env = "SWITCHBOARD_WEBHOOK_RETRY_SCHEDULE",
        global = true
    )]
    pub retry_schedule: Option<String>,
    /// Let webhooks call loopback, private and link-local addresses (`true` for
    /// tests and local development only).
    #[arg(long = "webhook-allow-private-targets", env = "SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE_TARGETS", global = true)]
    pub allow_private_targets: Option<bool>,
    /// A webhook attempt's whole time limit, e.g. `15s`.
    #[arg(
        id = "webhook_timeout",
        value_name = "DURATION",
        long = "webhook-timeout",
        env = "SWITCHBOARD_WEBHOOK_TIMEOUT",
        global = true
    )]
    pub timeout: Option<String>,
    /// A webhook attempt's limit for connecting, e.g. `5s`.
    #[arg(long = "webhook-connect-timeout", env = "SWITCHBOARD_WEBHOOK_CONNECT_TIMEOUT", global = true)]
    pub connect_timeout: Option<String>,
    /// Attempts in flight to one endpoint at once (all processes together).
    #[arg(long = "webhook-endpoint-concurrency", env = "SWITCHBOARD_WEBHOOK_ENDPOINT_CONCURRENCY", global = true)]
    pub endpoint_concurrency: Option<u32>,
    /// An endpoint whose attempts have all failed for this long is disabled
    /// and its workspace's Admins are emailed, e.g. `5d`.
    #[arg(long = "webhook-disable-after", env = "SWITCHBOARD_WEBHOOK_DISABLE_AFTER", global = true)]
    pub disable_after: Option<String>,
    /// How long a worker holds a claimed delivery before another process may
    /// retry it (after a crash); at least the timeout plus the connect
    /// timeout. Default: both plus 30s.
    #[arg(
        id = "webhook_lease",
        value_name = "DURATION",
        long = "webhook-lease",
        env = "SWITCHBOARD_WEBHOOK_LEASE",
        global = true
    )]
    pub lease: Option<String>,
    /// Run the webhook delivery worker in this process (default true); `false`
    /// for processes that should only serve requests.
    #[arg(
        id = "webhook_worker",
        value_name = "BOOL",
        long = "webhook-worker",
        env = "SWITCHBOARD_WEBHOOK_WORKER",
        global = true
    )]
    pub worker: Option<bool>,
}

/// How webhooks are delivered (the webhooks feature reads it).
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub retry_schedule: Vec<Duration>,
    pub allow_private_targets: bool,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub endpoint_concurrency: u32,
    /// How long a claimed attempt is held before another worker may retry it.
    pub lease: Duration,
    pub disable_after: Duration,
    /// Whether `serve` runs the delivery worker.
    pub worker: bool,
}

/// About three days in all, as Standard Webhooks suggests.
pub const DEFAULT_RETRY_SCHEDULE: &str = "5s,5m,30m,2h,5h,10h,14h,20h,24h";

impl WebhookArgs {
    pub fn resolve(&self) -> anyhow::Result<WebhookConfig> {
        let default_schedule = parse_duration_list(DEFAULT_RETRY_SCHEDULE)?;
        let retry_schedule = duration_list_or(&self.retry_schedule, &default_schedule, "--webhook-retry-schedule")?;
        let timeout = duration_or(&self.timeout, Duration::from_secs(15), "--webhook-timeout")?;
        let connect_timeout = duration_or(&self.connect_timeout, Duration::from_secs(5), "--webhook-connect-timeout")?;
        let disable_after =
            duration_or(&self.disable_after, Duration::from_secs(5 * 86_400), "--webhook-disable-after")?;
        let endpoint_concurrency = self.endpoint_concurrency.unwrap_or(4);
        anyhow::ensure!(endpoint_concurrency >= 1, "--webhook-endpoint-concurrency must be at least 1");
        let lease = duration_or(&self.lease, timeout + connect_timeout + Duration::from_secs(30), "--webhook-lease")?;
        anyhow::ensure!(
            lease >= timeout + connect_timeout,
            "--webhook-lease must be at least --webhook-timeout plus --webhook-connect-timeout, \
             or a live attempt could be retried while it runs"
        );
        Ok(WebhookConfig {
            worker: self.worker.unwrap_or(true),
            lease,
            retry_schedule,
            allow_private_targets: self.allow_private_targets.unwrap_or(false),
            timeout,
            connect_timeout,
            endpoint_concurrency,
            disable_after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_the_lease_must_cover_an_attempt() {
        let defaults = WebhookArgs::default().resolve().expect("defaults resolve");
        assert_eq!(defaults.retry_schedule.len(), 9);
        assert_eq!(defaults.lease, Duration::from_secs(50));
        assert!(defaults.worker && !defaults.allow_private_targets);
        let short = WebhookArgs { lease: Some("10s".into()), ..Default::default() };
        let err = short.resolve().expect_err("a lease shorter than an attempt");
        assert!(format!("{err:#}").contains("--webhook-lease"), "{err:#}");
        let none = WebhookArgs { endpoint_concurrency: Some(0), ..Default::default() };
        assert!(none.resolve().is_err());
        let bad = WebhookArgs { timeout: Some("soon".into()), ..Default::default() };
        assert!(format!("{:#}", bad.resolve().expect_err("bad")).contains("--webhook-timeout"));
    }
}
