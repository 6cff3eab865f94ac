//! `switchboard subscription renew`: one renewal pass now (trial reminders,
//! then every subscription whose period ended), as each `serve` process
//! runs every 30 seconds. For an operator who wants it at once, or runs
//! servers without the worker; it is safe alongside running servers
//! (renewals happen once per workspace and period, see `renewal`).
use std::sync::Arc;

use crate::clock::SystemClock;
use crate::config::Config;

pub async fn renew(config: &Config) -> anyhow::Result<usize> {
    let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{}", config.listen));
    let state = crate::server::build_state(config.clone(), public_url, Arc::new(SystemClock)).await?;
    super::renewal::run_pass(&state).await
}
