//! (stub, filled in by its scope)
//! TEMPORARY (pages scope): a stand-in `PhoneNumberResponse` so the
//! assignment API builds before the lifecycle scope's api.rs is merged;
//! take the lifecycle version of this file at merge.
use serde::Serialize;
use utoipa::ToSchema;

use super::model::PhoneNumber;
use crate::routes::Routes;

pub fn routes(_r: &mut Routes) {}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PhoneNumber)]
pub struct PhoneNumberResponse {
    pub id: String,
    pub phone_number: String,
    pub friendly_name: String,
    pub allow_outbound: bool,
    pub inbound_agent_id: Option<String>,
    pub outbound_agent_id: Option<String>,
    pub sms_agent_id: Option<String>,
}

impl From<PhoneNumber> for PhoneNumberResponse {
    fn from(n: PhoneNumber) -> Self {
        PhoneNumberResponse {
            id: n.id.to_string(),
            phone_number: n.e164,
            friendly_name: n.friendly_name,
            allow_outbound: n.allow_outbound,
            inbound_agent_id: n.inbound_agent_id.map(|a| a.to_string()),
            outbound_agent_id: n.outbound_agent_id.map(|a| a.to_string()),
            sms_agent_id: n.sms_agent_id.map(|a| a.to_string()),
        }
    }
}
