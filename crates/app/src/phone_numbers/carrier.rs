//! Which carrier a number is handled by, and where the carriers send its
//! callbacks. The platform's own carrier comes from `[carrier]`; connected
//! (BYOC) accounts build theirs from their credentials (`byoc`).
use std::sync::Arc;

use switchboard_providers::carriers::sandbox::SandboxCarrier;
use switchboard_providers::carriers::{Callbacks, Carrier};

use super::settings::PlatformCarrier;
use crate::config::Config;
use crate::state::AppState;

/// Where the sandbox keeps which numbers are owned, under the data folder.
pub const SANDBOX_DIR: &str = "sandbox-carrier";

/// The platform's carrier, as configured.
pub fn platform(config: &Config) -> anyhow::Result<Arc<dyn Carrier>> {
    match &config.carrier.platform {
        PlatformCarrier::Sandbox => {
            let dir = config.data_dir.join(SANDBOX_DIR);
            let sandbox = SandboxCarrier::new(&dir)
                .map_err(|e| anyhow::anyhow!("creating the sandbox carrier's folder {}: {e}", dir.display()))?;
            Ok(Arc::new(sandbox))
        }
        // Issue 15 (carrier clients): the Twilio and Telnyx clients.
        PlatformCarrier::Twilio { .. } | PlatformCarrier::Telnyx { .. } => {
            anyhow::bail!("the Twilio and Telnyx platform carriers are not wired yet")
        }
    }
}

/// The inbound path prefix for a carrier's callbacks: Telnyx signs its own
/// way; Twilio's scheme serves Twilio and the sandbox (whose callbacks a
/// developer can sign with the platform's Twilio auth token).
pub fn vendor_path(carrier: &str) -> &'static str {
    match carrier {
        "telnyx" => "/inbound/telnyx",
        _ => "/inbound/twilio",
    }
}

/// The callbacks a number of `carrier` is pointed at.
pub fn callbacks(state: &AppState, carrier: &str) -> Callbacks {
    let base = format!("{}{}", state.public_url, vendor_path(carrier));
    Callbacks {
        voice_url: format!("{base}/voice"),
        status_url: format!("{base}/status"),
        sms_url: format!("{base}/sms"),
    }
}
