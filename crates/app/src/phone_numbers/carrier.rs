//! Which carrier a number is handled by, and where the carriers send its
//! callbacks. The platform's own carrier comes from `[carrier]`; connected
//! (BYOC) accounts build theirs from their credentials (`byoc`).
use std::sync::Arc;

use switchboard_providers::carriers::sandbox::SandboxCarrier;
use switchboard_providers::carriers::telnyx::Telnyx;
use switchboard_providers::carriers::twilio::{Twilio, TwilioAuth};
use switchboard_providers::carriers::{Callbacks, Carrier, CarrierError};

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
        PlatformCarrier::Twilio { account_sid } => {
            let Some(auth_token) = &config.inbound.twilio_auth_token else {
                anyhow::bail!(
                    "--carrier twilio needs the account's Auth Token: --twilio-auth-token \
                     (SWITCHBOARD_TWILIO_AUTH_TOKEN, or twilio_auth_token in [inbound]), \
                     which also checks Twilio's callbacks"
                );
            };
            let auth =
                TwilioAuth::AuthToken { account_sid: account_sid.clone(), auth_token: auth_token.expose().clone() };
            let twilio = for_twilio(config, auth).map_err(|e| anyhow::anyhow!("--carrier twilio: {e}"))?;
            Ok(Arc::new(twilio))
        }
        PlatformCarrier::Telnyx { api_key, connection_id } => {
            let telnyx = for_telnyx(config, api_key.expose()).map_err(|e| anyhow::anyhow!("--carrier telnyx: {e}"))?;
            Ok(Arc::new(telnyx.with_connection_id(Some(connection_id))))
        }
    }
}

/// A Twilio client for `auth` (the platform's or a connected account's)
/// at the configured `--twilio-api-base`.
pub fn for_twilio(config: &Config, auth: TwilioAuth) -> Result<Twilio, CarrierError> {
    Twilio::new(&config.carrier.twilio_api_base, auth)
}

/// A Telnyx client for `api_key` at the configured `--telnyx-api-base`.
/// Numbers are pointed at a connection: a connected account's own is set
/// with [`Telnyx::with_connection_id`] (the platform's is not theirs).
pub fn for_telnyx(config: &Config, api_key: &str) -> Result<Telnyx, CarrierError> {
    Telnyx::new(&config.carrier.telnyx_api_base, api_key)
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::{CarrierArgs, CommonArgs};

    const SID: &str = "AC0123456789abcdef0123456789abcdef";

    fn config(carrier: CarrierArgs, twilio_auth_token: Option<&str>) -> Config {
        let mut args = CommonArgs { carrier, ..Default::default() };
        args.inbound.twilio_auth_token = twilio_auth_token.map(str::to_string);
        Config::resolve(&args).unwrap()
    }

    fn twilio_args(sid: &str) -> CarrierArgs {
        CarrierArgs {
            carrier: Some("twilio".into()),
            twilio_account_sid: Some(sid.into()),
            twilio_api_base: Some("http://127.0.0.1:4010/".into()),
            ..Default::default()
        }
    }

    #[test]
    fn the_twilio_platform_carrier_needs_the_auth_token_and_a_well_formed_sid() {
        let missing = platform(&config(twilio_args(SID), None)).err().unwrap();
        assert!(format!("{missing:#}").contains("--twilio-auth-token"), "{missing:#}");
        let malformed = platform(&config(twilio_args("AC123"), Some("tok"))).err().unwrap();
        assert!(format!("{malformed:#}").contains("Account SID"), "{malformed:#}");
        let carrier = platform(&config(twilio_args(SID), Some("tok"))).unwrap();
        assert_eq!(carrier.name(), "twilio");
    }

    #[test]
    fn the_telnyx_platform_carrier_uses_the_configured_connection_and_base() {
        let args = CarrierArgs {
            carrier: Some("telnyx".into()),
            telnyx_api_key: Some("KEY_platform".into()),
            telnyx_connection_id: Some("1293384261075731499".into()),
            telnyx_api_base: Some("http://127.0.0.1:4011".into()),
            ..Default::default()
        };
        let config = config(args, None);
        assert_eq!(platform(&config).unwrap().name(), "telnyx");
        // The helpers BYOC builds connected accounts with use the configured bases…
        let telnyx = for_telnyx(&config, "KEY_customer").unwrap();
        assert_eq!(telnyx.api_base(), "http://127.0.0.1:4011");
        // …and not the platform's connection, which is not the customer's.
        assert_eq!(telnyx.connection_id(), None);
        let auth = TwilioAuth::AuthToken { account_sid: SID.into(), auth_token: "t".into() };
        assert_eq!(for_twilio(&config, auth).unwrap().api_base(), crate::phone_numbers::settings::TWILIO_API_BASE);
    }
}
