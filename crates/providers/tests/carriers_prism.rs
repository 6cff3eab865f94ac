//! The Twilio and Telnyx clients against Prism serving the vendors' own
//! OpenAPI descriptions (`tests/mocks/twilio_api_v2010.numbers-subset.json`,
//! `tests/mocks/telnyx_numbers-subset.json`; see `support/prism.rs`).
//! Prism refuses (422) a request whose path parameters, query, fields,
//! types or enum values the description does not allow, and (401) one
//! without the credentials it asks for, so a call that succeeds here has
//! the shape the vendor documents. Prism answers with the description's
//! own examples, which is what the assertions on answers check against.
#![allow(clippy::unwrap_used)]

#[path = "support/prism.rs"]
mod prism;

use prism::PrismServer;
use switchboard_providers::carriers::telnyx::{Telnyx, key_fingerprint};
use switchboard_providers::carriers::twilio::{Twilio, TwilioAuth};
use switchboard_providers::carriers::{
    Callbacks, Capabilities, Carrier, CarrierError, NumberType, OrderState, SearchQuery,
};

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
const KEY_SID: &str = "SK0123456789abcdef0123456789abcdef";
/// A number SID in Twilio's shape (`PN` + 32 hex digits; Prism checks the pattern).
const NUMBER_SID: &str = "PN0123456789abcdef0123456789abcdef";

fn callbacks() -> Callbacks {
    Callbacks {
        voice_url: "https://switchboard.example/inbound/twilio/voice".into(),
        status_url: "https://switchboard.example/inbound/twilio/status".into(),
        sms_url: "https://switchboard.example/inbound/twilio/sms".into(),
    }
}

fn query(number_type: NumberType) -> SearchQuery {
    SearchQuery {
        country: "us".into(),
        number_type,
        area_code: Some("808".into()),
        contains: Some("25".into()),
        capabilities: Capabilities::VOICE,
        limit: 5,
    }
}

fn twilio(base: &str) -> Twilio {
    let auth = TwilioAuth::AuthToken { account_sid: ACCOUNT_SID.into(), auth_token: "prism-auth-token".into() };
    Twilio::new(base, auth).unwrap()
}

#[tokio::test]
async fn twilio_verifies_searches_buys_points_lists_finds_and_releases_as_twilio_describes() {
    let Some(prism) = PrismServer::twilio() else { return };
    let log = || prism.log();
    let twilio = twilio(&prism.base_url());

    // Credential check: the account behind the SID (the description's example).
    let account = twilio.verify().await;
    let account = account.unwrap_or_else(|e| panic!("GET /Accounts/{{Sid}}.json: {e:?}\n{}", log()));
    assert_eq!(account.account_ref, ACCOUNT_SID);
    assert_eq!(account.label, "friendly_name");

    // The same with an API key instead of the Auth Token.
    let keyed = Twilio::new(
        &prism.base_url(),
        TwilioAuth::ApiKey { account_sid: ACCOUNT_SID.into(), key_sid: KEY_SID.into(), key_secret: "k".into() },
    )
    .unwrap();
    assert_eq!(keyed.verify().await.map(|a| a.account_ref), Ok(ACCOUNT_SID.to_string()));

    // Search: each of Twilio's three lists, with every filter.
    for number_type in [NumberType::Local, NumberType::Mobile, NumberType::TollFree] {
        let any = SearchQuery { capabilities: Capabilities::default(), ..query(number_type) };
        let found = twilio.search(&any).await;
        let found = found.unwrap_or_else(|e| panic!("AvailablePhoneNumbers {number_type:?}: {e:?}\n{}", log()));
        assert!(!found.is_empty(), "{number_type:?}: no numbers in the example answer\n{}", log());
        assert!(found.iter().all(|n| n.e164.starts_with('+') && n.number_type == number_type), "{found:?}");
    }
    // The description's example mobile number (Norway) takes no calls:
    // asking for voice leaves it out.
    assert_eq!(twilio.search(&query(NumberType::Mobile)).await, Ok(vec![]));
    let local = twilio.search(&query(NumberType::Local)).await.unwrap();
    assert_eq!(local[0].e164, "+18089251571");
    assert_eq!(local[0].country, "US");
    assert_eq!(local[0].locality.as_deref(), Some("Hilo, HI"));
    assert_eq!(local[0].capabilities, Capabilities { voice: true, sms: false, mms: true });
    // The example number cannot send SMS: asking for SMS leaves it out.
    let sms = SearchQuery { capabilities: Capabilities::VOICE_SMS, ..query(NumberType::Local) };
    assert_eq!(twilio.search(&sms).await, Ok(vec![]));

    // Buy: synchronous, so the number is ours at once.
    let bought = twilio.order("+18089255327", "pn_01JPRISM", &callbacks()).await;
    let Ok(OrderState::Active(owned)) = bought else { panic!("POST IncomingPhoneNumbers.json: {bought:?}\n{}", log()) };
    assert_eq!(owned.e164, "+18089255327");
    assert!(owned.carrier_ref.starts_with("PN"), "{owned:?}");
    assert_eq!(twilio.order_status("anything").await, Err(CarrierError::NotFound));

    // Point the callbacks at us, then clear them (empty URLs).
    let pointed = twilio.set_callbacks(&owned.carrier_ref, Some(&callbacks())).await;
    assert_eq!(pointed, Ok(()), "POST IncomingPhoneNumbers/{{Sid}}.json\n{}", log());
    let cleared = twilio.set_callbacks(&owned.carrier_ref, None).await;
    assert_eq!(cleared, Ok(()), "POST IncomingPhoneNumbers/{{Sid}}.json with empty URLs\n{}", log());

    // List and find: the example account holds one number.
    let listed = twilio.list_numbers().await;
    let listed = listed.unwrap_or_else(|e| panic!("GET IncomingPhoneNumbers.json: {e:?}\n{}", log()));
    assert_eq!(listed.len(), 1, "{listed:?}");
    let held = &listed[0];
    assert!(held.carrier_ref.starts_with("PN") && held.e164.starts_with('+'), "{held:?}");
    assert_eq!(held.number_type, Some(NumberType::Local));
    assert_eq!(twilio.find_number(&held.e164).await.unwrap().as_ref(), Some(held));
    // Twilio's PhoneNumber filter matches partial numbers; only the exact one counts.
    assert_eq!(twilio.find_number("+15005550006").await.unwrap(), None);

    // Release (204).
    assert_eq!(twilio.release(&owned.carrier_ref).await, Ok(()), "DELETE\n{}", log());
}

#[tokio::test]
async fn twilio_refuses_national_searches_and_malformed_ids_and_an_unreachable_api_is_unavailable() {
    // Nothing listens on port 9 of loopback.
    let offline = twilio("http://127.0.0.1:9");
    assert!(matches!(offline.verify().await, Err(CarrierError::Unavailable(_))));
    assert!(matches!(offline.release(NUMBER_SID).await, Err(CarrierError::Unavailable(_))));
    // Twilio has no national list: said, not an empty result (and no request).
    assert!(
        matches!(offline.search(&query(NumberType::National)).await, Err(CarrierError::Rejected(m)) if m.contains("national"))
    );

    let Some(prism) = PrismServer::twilio() else { return };
    let twilio = twilio(&prism.base_url());
    // A SID Twilio's description does not allow: refused (422), not "gone".
    let refused = twilio.set_callbacks("PN-not-a-sid", Some(&callbacks())).await;
    assert!(matches!(refused, Err(CarrierError::Rejected(_))), "{refused:?}");
    // A path Twilio does not have (Prism: 404) is NotFound; releasing it is done.
    let wrong_base = self::twilio(&format!("{}/elsewhere", prism.base_url()));
    assert_eq!(wrong_base.verify().await, Err(CarrierError::NotFound));
    assert_eq!(wrong_base.release(NUMBER_SID).await, Ok(()));
}

const TELNYX_KEY: &str = "KEY0123456789ABCDEF_prismtest";
/// The connection (TeXML application) numbers are pointed at.
const CONNECTION_ID: &str = "1293384261075731499";
/// The number in the description's examples of orders and numbers.
const TELNYX_NUMBER: &str = "+19705555098";

fn telnyx(base: &str) -> Telnyx {
    Telnyx::new(base, TELNYX_KEY).unwrap().with_connection_id(Some(CONNECTION_ID))
}

#[tokio::test]
async fn telnyx_verifies_searches_orders_points_lists_finds_and_releases_as_telnyx_describes() {
    let Some(prism) = PrismServer::telnyx() else { return };
    let log = || prism.log();
    let telnyx = telnyx(&prism.base_url());

    // Credential check: a fingerprint of the key, never the key.
    let account = telnyx.verify().await;
    let account = account.unwrap_or_else(|e| panic!("GET /phone_numbers: {e:?}\n{}", log()));
    assert_eq!(account.account_ref, key_fingerprint(TELNYX_KEY));
    assert_eq!(account.label, "Telnyx account ••••test");
    assert!(!account.account_ref.contains("KEY"));

    // Search with every filter (brackets encoded; Prism checks them against the deepObject).
    for number_type in NumberType::ALL {
        let found = telnyx.search(&query(number_type)).await;
        let found = found.unwrap_or_else(|e| panic!("GET /available_phone_numbers {number_type:?}: {e:?}\n{}", log()));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].e164, TELNYX_NUMBER);
        assert_eq!(found[0].country, "US");
        assert_eq!(found[0].number_type, number_type);
        assert_eq!(found[0].capabilities, Capabilities::VOICE_SMS);
    }
    // The example number has no MMS: asking for it leaves it out.
    let mms = SearchQuery { capabilities: Capabilities::ALL, ..query(NumberType::Local) };
    assert_eq!(telnyx.search(&mms).await, Ok(vec![]));

    // Order: the example order lists our number as `success`, so the
    // number's own ID is looked up and it is ours.
    let ordered = telnyx.order(TELNYX_NUMBER, "pn_01JPRISM", &callbacks()).await;
    let Ok(OrderState::Active(owned)) = ordered else { panic!("POST /number_orders: {ordered:?}\n{}", log()) };
    assert_eq!(owned.e164, TELNYX_NUMBER);
    assert_eq!(owned.carrier_ref, "1293384261075731499", "the phone number's ID, not the order line's");
    assert_eq!(owned.number_type, Some(NumberType::Local));
    // Asking about the order later says the same.
    let status = telnyx.order_status("12ade33a-21c0-473b-b055-b3c836e1c292").await;
    assert_eq!(status, Ok(OrderState::Active(owned.clone())), "GET /number_orders/{{id}}\n{}", log());
    // An order for a number the account does not list yet stays pending.
    let other = telnyx.order("+13125550100", "pn_01JPRISM2", &callbacks()).await;
    assert_eq!(
        other,
        Ok(OrderState::Pending { order_ref: "12ade33a-21c0-473b-b055-b3c836e1c292".into() }),
        "{}",
        log()
    );

    // Point the number at the connection, then detach it.
    let pointed = telnyx.set_callbacks(&owned.carrier_ref, Some(&callbacks())).await;
    assert_eq!(pointed, Ok(()), "PATCH /phone_numbers/{{id}}\n{}", log());
    assert_eq!(telnyx.set_callbacks(&owned.carrier_ref, None).await, Ok(()), "{}", log());
    // Without a connection there is nothing to point at: said, not ignored.
    let unconnected = Telnyx::new(&prism.base_url(), TELNYX_KEY).unwrap();
    let refused = unconnected.set_callbacks(&owned.carrier_ref, Some(&callbacks())).await;
    assert!(matches!(refused, Err(CarrierError::Rejected(ref m)) if m.contains("connection")), "{refused:?}");

    // List (three example pages of the same number: listed once) and find.
    let listed = telnyx.list_numbers().await;
    assert_eq!(listed.as_deref(), Ok(std::slice::from_ref(&owned)), "GET /phone_numbers pages\n{}", log());
    assert_eq!(telnyx.find_number(TELNYX_NUMBER).await, Ok(Some(owned.clone())));
    assert_eq!(telnyx.find_number("+13125550100").await, Ok(None));

    // Release.
    assert_eq!(telnyx.release(&owned.carrier_ref).await, Ok(()), "DELETE /phone_numbers/{{id}}\n{}", log());
}

#[tokio::test]
async fn telnyx_unreachable_is_unavailable_and_an_unknown_path_not_found() {
    let offline = telnyx("http://127.0.0.1:9");
    assert!(matches!(offline.verify().await, Err(CarrierError::Unavailable(_))));
    assert!(matches!(offline.order(TELNYX_NUMBER, "pn_1", &callbacks()).await, Err(CarrierError::Unavailable(_))));

    let Some(prism) = PrismServer::telnyx() else { return };
    // A path Telnyx does not have (Prism: 404) is NotFound; releasing there is done.
    let wrong_base = telnyx(&format!("{}/elsewhere", prism.base_url()));
    assert_eq!(wrong_base.verify().await, Err(CarrierError::NotFound));
    assert_eq!(wrong_base.release("1293384261075731499").await, Ok(()));
}
