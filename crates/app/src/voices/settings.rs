//! The `[voices]` table: which voice provider the platform clones voices
//! with and lists its library from. `--voice-provider sandbox` (the
//! default) needs nothing: twenty stock voices shipped in the binary, clones
//! kept under the data folder. `elevenlabs` needs `--elevenlabs-api-key`;
//! its API base URL is a setting so tests point it at a mock, and it
//! applies to the workspaces' own keys too.
use clap::Args;
use serde::{Deserialize, Serialize};

use crate::config::values::text;
use crate::secrets::Secret;

#[derive(Debug, Clone, Args, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoicesArgs {
    /// `sandbox` (default: stock voices shipped in the binary, no account) or `elevenlabs`.
    #[arg(long = "voice-provider", env = "SWITCHBOARD_VOICE_PROVIDER", global = true)]
    pub provider: Option<String>,
    /// The platform's ElevenLabs API key, for `--voice-provider elevenlabs`.
    #[arg(long, env = "SWITCHBOARD_ELEVENLABS_API_KEY", hide_env_values = true, global = true)]
    pub elevenlabs_api_key: Option<String>,
    /// ElevenLabs' API base URL; tests point it at a local mock.
    #[arg(long, env = "SWITCHBOARD_ELEVENLABS_API_BASE", global = true)]
    pub elevenlabs_api_base: Option<String>,
}

pub const ELEVENLABS_API_BASE: &str = "https://api.elevenlabs.io";

/// The platform's voice provider, with its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformVoices {
    Sandbox,
    ElevenLabs { api_key: Secret },
}

#[derive(Debug, Clone)]
pub struct VoicesConfig {
    pub platform: PlatformVoices,
    /// Without a trailing slash.
    pub elevenlabs_api_base: String,
}

impl Default for VoicesConfig {
    fn default() -> Self {
        VoicesConfig { platform: PlatformVoices::Sandbox, elevenlabs_api_base: ELEVENLABS_API_BASE.into() }
    }
}

impl VoicesArgs {
    pub fn resolve(&self) -> anyhow::Result<VoicesConfig> {
        let platform = match text(&self.provider).as_deref().unwrap_or("sandbox") {
            "sandbox" => PlatformVoices::Sandbox,
            "elevenlabs" => {
                let Some(api_key) = text(&self.elevenlabs_api_key) else {
                    anyhow::bail!(
                        "--voice-provider elevenlabs needs --elevenlabs-api-key (SWITCHBOARD_ELEVENLABS_API_KEY)"
                    );
                };
                PlatformVoices::ElevenLabs { api_key: Secret::new(api_key) }
            }
            other => anyhow::bail!("--voice-provider must be sandbox or elevenlabs, not {other:?}"),
        };
        let base = text(&self.elevenlabs_api_base).unwrap_or_else(|| ELEVENLABS_API_BASE.to_string());
        let parsed =
            url::Url::parse(&base).map_err(|e| anyhow::anyhow!("--elevenlabs-api-base {base:?} is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            anyhow::bail!("--elevenlabs-api-base must be an http(s) URL");
        }
        Ok(VoicesConfig { platform, elevenlabs_api_base: base.trim_end_matches('/').to_string() })
    }
}
