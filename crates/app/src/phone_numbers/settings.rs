//! The `[carrier]` table: which carrier the platform buys numbers through
//! and where calls go. `--carrier sandbox` (the default) needs nothing:
//! fictional numbers, ownership kept under the data folder. `twilio` needs
//! `--twilio-account-sid` and the auth token (`[inbound]
//! twilio_auth_token`, which also checks Twilio's callbacks); `telnyx`
//! needs `--telnyx-api-key` and `--telnyx-connection-id` (the TeXML
//! application Telnyx sends the numbers' calls to, whose voice and status
//! URLs are Switchboard's `/inbound/telnyx/…`; and `[inbound]
//! telnyx_public_key` for its callbacks). API base URLs are settings so tests point them at mocks;
//! they apply to connected (BYOC) accounts of that carrier too.
use clap::Args;
use serde::{Deserialize, Serialize};

use crate::config::values::text;
use crate::secrets::Secret;

#[derive(Debug, Clone, Args, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarrierArgs {
    /// `sandbox` (default: fictional numbers, no account), `twilio` or `telnyx`.
    #[arg(long = "carrier", env = "SWITCHBOARD_CARRIER", global = true)]
    pub carrier: Option<String>,
    /// The platform's Twilio Account SID (`AC…`), for `--carrier twilio`.
    #[arg(long, env = "SWITCHBOARD_TWILIO_ACCOUNT_SID", global = true)]
    pub twilio_account_sid: Option<String>,
    /// Twilio's API base URL; tests point it at a local mock.
    #[arg(long, env = "SWITCHBOARD_TWILIO_API_BASE", global = true)]
    pub twilio_api_base: Option<String>,
    /// The platform's Telnyx API key, for `--carrier telnyx`.
    #[arg(long, env = "SWITCHBOARD_TELNYX_API_KEY", hide_env_values = true, global = true)]
    pub telnyx_api_key: Option<String>,
    /// Telnyx's API base URL; tests point it at a local mock.
    #[arg(long, env = "SWITCHBOARD_TELNYX_API_BASE", global = true)]
    pub telnyx_api_base: Option<String>,
    /// The platform's Telnyx connection (a TeXML application) that bought
    /// numbers are pointed at, for `--carrier telnyx`.
    #[arg(long, env = "SWITCHBOARD_TELNYX_CONNECTION_ID", global = true)]
    pub telnyx_connection_id: Option<String>,
    /// Where an answered call's audio goes: a WebSocket URL template for the
    /// agent runtime, with `{agent_id}`, `{number}` and `{call_id}` filled in.
    #[arg(long, env = "SWITCHBOARD_MEDIA_STREAM_URL", global = true)]
    pub media_stream_url: Option<String>,
}

pub const TWILIO_API_BASE: &str = "https://api.twilio.com";
pub const TELNYX_API_BASE: &str = "https://api.telnyx.com/v2";
/// The default media stream template: a placeholder host, to be set to
/// the agent runtime's address in production.
pub const DEFAULT_MEDIA_STREAM_URL: &str = "wss://agents.invalid/media/{agent_id}?call={call_id}";

/// The platform's carrier, with its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformCarrier {
    Sandbox,
    Twilio { account_sid: String },
    Telnyx { api_key: Secret, connection_id: String },
}

#[derive(Debug, Clone)]
pub struct CarrierConfig {
    pub platform: PlatformCarrier,
    /// Without a trailing slash.
    pub twilio_api_base: String,
    pub telnyx_api_base: String,
    pub media_stream_url: String,
}

impl Default for CarrierConfig {
    fn default() -> Self {
        CarrierConfig {
            platform: PlatformCarrier::Sandbox,
            twilio_api_base: TWILIO_API_BASE.into(),
            telnyx_api_base: TELNYX_API_BASE.into(),
            media_stream_url: DEFAULT_MEDIA_STREAM_URL.into(),
        }
    }
}

fn base_url(flag: &str, given: &Option<String>, default: &str) -> anyhow::Result<String> {
    let base = text(given).unwrap_or_else(|| default.to_string());
    let parsed = url::Url::parse(&base).map_err(|e| anyhow::anyhow!("--{flag} {base:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        anyhow::bail!("--{flag} must be an http(s) URL");
    }
    Ok(base.trim_end_matches('/').to_string())
}

impl CarrierArgs {
    pub fn resolve(&self) -> anyhow::Result<CarrierConfig> {
        let platform = match text(&self.carrier).as_deref().unwrap_or("sandbox") {
            "sandbox" => PlatformCarrier::Sandbox,
            "twilio" => {
                let Some(account_sid) = text(&self.twilio_account_sid) else {
                    anyhow::bail!("--carrier twilio needs --twilio-account-sid (SWITCHBOARD_TWILIO_ACCOUNT_SID)");
                };
                PlatformCarrier::Twilio { account_sid }
            }
            "telnyx" => {
                let Some(api_key) = text(&self.telnyx_api_key) else {
                    anyhow::bail!("--carrier telnyx needs --telnyx-api-key (SWITCHBOARD_TELNYX_API_KEY)");
                };
                let Some(connection_id) = text(&self.telnyx_connection_id) else {
                    anyhow::bail!(
                        "--carrier telnyx needs --telnyx-connection-id (SWITCHBOARD_TELNYX_CONNECTION_ID): \
                         the TeXML application Telnyx sends the numbers' calls to"
                    );
                };
                PlatformCarrier::Telnyx { api_key: Secret::new(api_key), connection_id }
            }
            other => anyhow::bail!("--carrier must be sandbox, twilio or telnyx, not {other:?}"),
        };
        let media_stream_url = text(&self.media_stream_url).unwrap_or_else(|| DEFAULT_MEDIA_STREAM_URL.into());
        let parsed = url::Url::parse(&media_stream_url.replace(['{', '}'], ""))
            .map_err(|e| anyhow::anyhow!("--media-stream-url {media_stream_url:?} is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "ws" | "wss") {
            anyhow::bail!("--media-stream-url must be a ws:// or wss:// URL");
        }
        Ok(CarrierConfig {
            platform,
            twilio_api_base: base_url("twilio-api-base", &self.twilio_api_base, TWILIO_API_BASE)?,
            telnyx_api_base: base_url("telnyx-api-base", &self.telnyx_api_base, TELNYX_API_BASE)?,
            media_stream_url,
        })
    }
}
