//! The `[billing]` table: which plan table to use and which payment
//! processor charges. `--payment-processor sandbox` (the default) needs
//! nothing; `stripe` needs `--stripe-secret-key` (and, for its events,
//! `[inbound] stripe_webhook_secret`). Give the key by environment or file,
//! not as a flag, which other users of the machine can read.
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::plans::Catalogue;
use crate::config::values::text;
use crate::secrets::Secret;

#[derive(Debug, Clone, Args, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingArgs {
    /// A TOML plan table replacing the shipped one (see README, Plans).
    #[arg(long, env = "SWITCHBOARD_PLANS_FILE", global = true)]
    pub plans_file: Option<PathBuf>,
    /// `sandbox` (default: Stripe's test cards, no account) or `stripe`.
    #[arg(long, env = "SWITCHBOARD_PAYMENT_PROCESSOR", global = true)]
    pub payment_processor: Option<String>,
    /// Stripe secret key (`sk_…`), for `--payment-processor stripe`.
    #[arg(long, env = "SWITCHBOARD_STRIPE_SECRET_KEY", hide_env_values = true, global = true)]
    pub stripe_secret_key: Option<String>,
    /// Stripe's API base URL; tests point it at a local mock.
    #[arg(long, env = "SWITCHBOARD_STRIPE_API_BASE", global = true)]
    pub stripe_api_base: Option<String>,
}

/// Which processor charges, with its settings.
#[derive(Debug, Clone)]
pub enum ProcessorConfig {
    Sandbox,
    Stripe { secret_key: Secret, api_base: String },
}

#[derive(Debug, Clone)]
pub struct BillingConfig {
    pub catalogue: Arc<Catalogue>,
    pub processor: ProcessorConfig,
}

impl Default for BillingConfig {
    fn default() -> Self {
        BillingConfig { catalogue: Arc::new(Catalogue::builtin()), processor: ProcessorConfig::Sandbox }
    }
}

pub const STRIPE_API_BASE: &str = "https://api.stripe.com";

impl BillingArgs {
    pub fn resolve(&self) -> anyhow::Result<BillingConfig> {
        let catalogue = Arc::new(Catalogue::load(self.plans_file.as_deref())?);
        let processor = match text(&self.payment_processor).as_deref().unwrap_or("sandbox") {
            "sandbox" => ProcessorConfig::Sandbox,
            "stripe" => {
                let Some(secret_key) = text(&self.stripe_secret_key) else {
                    anyhow::bail!(
                        "--payment-processor stripe needs --stripe-secret-key (SWITCHBOARD_STRIPE_SECRET_KEY)"
                    );
                };
                let api_base = text(&self.stripe_api_base).unwrap_or_else(|| STRIPE_API_BASE.to_string());
                let parsed = url::Url::parse(&api_base)
                    .map_err(|e| anyhow::anyhow!("--stripe-api-base {api_base:?} is not a URL: {e}"))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    anyhow::bail!("--stripe-api-base must be an http(s) URL");
                }
                ProcessorConfig::Stripe {
                    secret_key: Secret::new(secret_key),
                    api_base: api_base.trim_end_matches('/').to_string(),
                }
            }
            other => anyhow::bail!("--payment-processor must be sandbox or stripe, not {other:?}"),
        };
        Ok(BillingConfig { catalogue, processor })
    }
}
