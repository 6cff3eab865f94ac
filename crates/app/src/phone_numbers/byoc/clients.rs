//! The carrier client a connected account's credentials open, at the
//! configured API bases (`--twilio-api-base`, `--telnyx-api-base`, which
//! tests point at Prism). A Telnyx account's numbers are pointed at the
//! account's own TeXML application (its connection ID, in the settings).
use std::sync::Arc;

use switchboard_providers::carriers::twilio::TwilioAuth;
use switchboard_providers::carriers::{Carrier, CarrierError};

use super::model::{AccountSettings, Credentials};
use crate::phone_numbers::carrier::{for_telnyx, for_twilio};
use crate::state::AppState;

/// `None` for a SIP trunk: it has no API.
pub fn carrier_for(
    state: &AppState,
    credentials: &Credentials,
    settings: &AccountSettings,
) -> Result<Option<Arc<dyn Carrier>>, CarrierError> {
    let config = &state.config;
    let twilio = |auth: TwilioAuth| -> Result<Option<Arc<dyn Carrier>>, CarrierError> {
        Ok(Some(Arc::new(for_twilio(config, auth)?)))
    };
    match credentials {
        Credentials::TwilioToken { account_sid, auth_token } => {
            twilio(TwilioAuth::AuthToken { account_sid: account_sid.clone(), auth_token: auth_token.clone() })
        }
        Credentials::TwilioKey { account_sid, key_sid, key_secret, .. } => twilio(TwilioAuth::ApiKey {
            account_sid: account_sid.clone(),
            key_sid: key_sid.clone(),
            key_secret: key_secret.clone(),
        }),
        Credentials::Telnyx { api_key } => {
            let client = for_telnyx(config, api_key)?.with_connection_id(settings.telnyx_connection_id.as_deref());
            Ok(Some(Arc::new(client)))
        }
        Credentials::Sip { .. } => Ok(None),
    }
}
