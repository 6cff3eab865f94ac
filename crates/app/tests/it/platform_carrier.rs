//! The platform's carrier chosen by `[carrier]`: Twilio or Telnyx, at the
//! configured API base (here Prism serving the vendor's own description,
//! through the providers' Prism support), built at start-up into
//! `state.carrier`.
use crate::prism::PrismServer;
use switchboard_providers::carriers::{Capabilities, NumberType, SearchQuery};

use crate::harness::TestApp;

const SID: &str = "AC0123456789abcdef0123456789abcdef";

fn us_local() -> SearchQuery {
    SearchQuery {
        country: "US".into(),
        number_type: NumberType::Local,
        area_code: None,
        contains: None,
        capabilities: Capabilities::VOICE,
        limit: 10,
    }
}

#[tokio::test]
async fn twilio_configured_as_the_platform_carrier_talks_to_the_configured_api() {
    let Some(prism) = PrismServer::twilio() else { return };
    let app = TestApp::spawn_with_args(|args| {
        args.carrier.carrier = Some("twilio".into());
        args.carrier.twilio_account_sid = Some(SID.into());
        args.carrier.twilio_api_base = Some(prism.base_url());
        args.inbound.twilio_auth_token = Some("platform-auth-token".into());
    })
    .await;
    let carrier = &app.state.carrier;
    assert_eq!(carrier.name(), "twilio");
    let account = carrier.verify().await.unwrap_or_else(|e| panic!("{e:?}\n{}", prism.log()));
    assert_eq!(account.account_ref, SID);
    let found = carrier.search(&us_local()).await.unwrap_or_else(|e| panic!("{e:?}\n{}", prism.log()));
    assert_eq!(found.iter().map(|n| n.e164.as_str()).collect::<Vec<_>>(), ["+18089251571"]);
}

#[tokio::test]
async fn telnyx_configured_as_the_platform_carrier_talks_to_the_configured_api() {
    let Some(prism) = PrismServer::telnyx() else { return };
    let app = TestApp::spawn_with_args(|args| {
        args.carrier.carrier = Some("telnyx".into());
        args.carrier.telnyx_api_key = Some("KEY_platform_prism".into());
        args.carrier.telnyx_connection_id = Some("1293384261075731499".into());
        args.carrier.telnyx_api_base = Some(prism.base_url());
    })
    .await;
    let carrier = &app.state.carrier;
    assert_eq!(carrier.name(), "telnyx");
    let account = carrier.verify().await.unwrap_or_else(|e| panic!("{e:?}\n{}", prism.log()));
    assert_eq!(account.label, "Telnyx account ••••rism");
    let found = carrier.search(&us_local()).await.unwrap_or_else(|e| panic!("{e:?}\n{}", prism.log()));
    assert_eq!(found.iter().map(|n| n.e164.as_str()).collect::<Vec<_>>(), ["+19705555098"]);
    // Bought numbers are pointed at the configured connection.
    assert_eq!(carrier.set_callbacks("1293384261075731499", Some(&callbacks())).await, Ok(()));
}

fn callbacks() -> switchboard_providers::carriers::Callbacks {
    switchboard_providers::carriers::Callbacks {
        voice_url: "https://sb.example/inbound/telnyx/voice".into(),
        status_url: "https://sb.example/inbound/telnyx/status".into(),
        sms_url: "https://sb.example/inbound/telnyx/sms".into(),
    }
}
