//! The carrier client a connected account's credentials open, at the
//! configured API bases (`--twilio-api-base`, `--telnyx-api-base`, which
//! tests point at Prism).
use std::sync::Arc;

use switchboard_providers::carriers::telnyx::Telnyx;
use switchboard_providers::carriers::twilio::{Twilio, TwilioAuth};
use switchboard_providers::carriers::{Carrier, CarrierError};

use super::model::Credentials;
use crate::state::AppState;

/// `None` for a SIP trunk: it has no API.
pub fn carrier_for(state: &AppState, credentials: &Credentials) -> Result<Option<Arc<dyn Carrier>>, CarrierError> {
    let config = &state.config.carrier;
    let twilio = |auth: TwilioAuth| -> Result<Option<Arc<dyn Carrier>>, CarrierError> {
        Ok(Some(Arc::new(Twilio::new(&config.twilio_api_base, auth)?)))
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
        Credentials::Telnyx { api_key } => Ok(Some(Arc::new(Telnyx::new(&config.telnyx_api_base, api_key)?))),
        Credentials::Sip { .. } => Ok(None),
    }
}
