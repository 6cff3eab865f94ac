//! The carrier client a connected account's credentials open, at the
//! configured API bases (`--twilio-api-base`, `--telnyx-api-base`).
use std::sync::Arc;

use switchboard_providers::carriers::{Carrier, CarrierError};

use super::model::Credentials;
use crate::state::AppState;

/// `None` for a SIP trunk: it has no API.
pub fn carrier_for(_state: &AppState, credentials: &Credentials) -> Result<Option<Arc<dyn Carrier>>, CarrierError> {
    match credentials {
        Credentials::Sip { .. } => Ok(None),
        _ => Err(CarrierError::Unavailable("the Twilio and Telnyx clients are not wired yet".into())),
    }
}
