//! The secrets that check vendor callbacks: `--stripe-webhook-secret`,
//! `--twilio-auth-token`, `--telnyx-public-key`, their environment
//! variables and the TOML `[inbound]` table. Give the secrets by
//! environment or file rather than as flags, which other users of the
//! machine can read from the process list.
use clap::Args;
use serde::{Deserialize, Serialize};

use crate::config::values::text;
use crate::secrets::Secret;

#[derive(Debug, Clone, Args, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundArgs {
    /// Stripe's signing secret for this server's webhook endpoint (`whsec_…`).
    #[arg(long, env = "SWITCHBOARD_STRIPE_WEBHOOK_SECRET", hide_env_values = true, global = true)]
    pub stripe_webhook_secret: Option<String>,
    /// The Twilio auth token that signs callbacks to this server's own account.
    #[arg(long, env = "SWITCHBOARD_TWILIO_AUTH_TOKEN", hide_env_values = true, global = true)]
    pub twilio_auth_token: Option<String>,
    /// Telnyx's public key (base64) for checking its Ed25519 callback signatures.
    #[arg(long, env = "SWITCHBOARD_TELNYX_PUBLIC_KEY", global = true)]
    pub telnyx_public_key: Option<String>,
}

/// The platform's own secrets for checking vendor callbacks; an inbound
/// route whose secret is missing refuses every request (401, logged).
/// `Debug` prints `<redacted>` for the secrets.
#[derive(Debug, Clone, Default)]
pub struct InboundConfig {
    pub stripe_webhook_secret: Option<Secret>,
    pub twilio_auth_token: Option<Secret>,
    /// Base64 of a 32-byte Ed25519 public key; checked at start-up.
    pub telnyx_public_key: Option<String>,
}

impl InboundArgs {
    pub fn resolve(&self) -> anyhow::Result<InboundConfig> {
        let telnyx_public_key = text(&self.telnyx_public_key);
        if let Some(key) = &telnyx_public_key {
            super::telnyx::parse_public_key(key)
                .map_err(|_| anyhow::anyhow!("--telnyx-public-key is not a base64 Ed25519 public key (32 bytes)"))?;
        }
        Ok(InboundConfig {
            stripe_webhook_secret: text(&self.stripe_webhook_secret).map(Secret::new),
            twilio_auth_token: text(&self.twilio_auth_token).map(Secret::new),
            telnyx_public_key,
        })
    }
}
