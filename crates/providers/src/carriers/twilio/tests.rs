#![allow(clippy::unwrap_used)]

use super::*;

const SID: &str = "AC0123456789abcdef0123456789abcdef";

fn token(sid: &str, token: &str) -> TwilioAuth {
    TwilioAuth::AuthToken { account_sid: sid.into(), auth_token: token.into() }
}

#[test]
fn malformed_sids_and_empty_secrets_are_refused_with_a_message() {
    assert!(Twilio::new("https://api.twilio.com", token(SID, "secret")).is_ok());
    let refused = |auth| matches!(Twilio::new("https://api.twilio.com", auth), Err(CarrierError::Rejected(_)));
    assert!(refused(token("AC123", "secret")));
    assert!(refused(token("SK0123456789abcdef0123456789abcdef", "secret")));
    assert!(refused(token(SID, " ")));
    assert!(refused(TwilioAuth::ApiKey { account_sid: SID.into(), key_sid: "SKnope".into(), key_secret: "s".into() }));
    assert!(refused(TwilioAuth::ApiKey {
        account_sid: SID.into(),
        key_sid: "SK0123456789abcdef0123456789abcdef".into(),
        key_secret: String::new()
    }));
}

#[test]
fn debug_never_shows_the_secret() {
    let twilio = Twilio::new("https://api.twilio.com", token(SID, "tok-very-secret")).unwrap();
    let shown = format!("{twilio:?}");
    assert!(shown.contains(SID) && !shown.contains("tok-very-secret"), "{shown}");
}

#[test]
fn capabilities_are_read_whatever_the_case_of_their_keys() {
    let caps = capabilities(&serde_json::json!({"voice": true, "SMS": true, "MMS": false, "fax": true}));
    assert_eq!(caps, Capabilities::VOICE_SMS);
    assert_eq!(capabilities(&Value::Null), Capabilities::default());
}

#[test]
fn clearing_callbacks_sends_empty_urls() {
    let form = callback_form(None);
    assert!(form.iter().filter(|(k, _)| k.ends_with("Url") || *k == "StatusCallback").all(|(_, v)| v.is_empty()));
    assert_eq!(form.len(), 6);
}
