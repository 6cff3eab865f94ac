#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn the_account_reference_is_a_fingerprint_and_the_key_never_shows() {
    assert_eq!(key_fingerprint("KEY_abc"), key_fingerprint(" KEY_abc "));
    assert_ne!(key_fingerprint("KEY_abc"), key_fingerprint("KEY_abd"));
    assert_eq!(key_fingerprint("KEY_abc").len(), 16);
    let telnyx = Telnyx::new("https://api.telnyx.com/v2", "KEY_very_secret").unwrap();
    assert!(!format!("{telnyx:?}").contains("very_secret"));
    assert!(matches!(Telnyx::new("https://api.telnyx.com/v2", " "), Err(CarrierError::Rejected(_))));
    assert!(matches!(Telnyx::new("https://api.telnyx.com/v2", "KEY a"), Err(CarrierError::Rejected(_))));
}

#[test]
fn an_order_is_pending_until_our_number_succeeds_or_fails() {
    let order = |order_status: &str, line_status: Option<&str>, met: bool| {
        let mut line = json!({ "phone_number": "+13125550100", "requirements_met": met });
        if let Some(s) = line_status {
            line["status"] = json!(s);
        }
        json!({ "id": "ord_1", "status": order_status, "phone_numbers": [line] })
    };
    let ours = Some("+13125550100");
    assert_eq!(order_outcome(&order("pending", Some("pending"), true), ours), Outcome::Pending);
    assert_eq!(order_outcome(&order("pending", None, true), ours), Outcome::Pending);
    assert_eq!(order_outcome(&order("success", None, true), None), Outcome::Succeeded("+13125550100".into()));
    assert_eq!(
        order_outcome(&order("pending", Some("success"), true), ours),
        Outcome::Succeeded("+13125550100".into())
    );
    let Outcome::Failed(reason) = order_outcome(&order("failure", Some("failure"), false), ours) else { panic!() };
    assert!(reason.contains("+13125550100") && reason.contains("regulatory"), "{reason}");
    assert_eq!(order_outcome(&json!({"id": "o", "status": "weird"}), ours), Outcome::Pending);
    // Another number's line succeeding says nothing about ours.
    assert_eq!(order_outcome(&order("pending", Some("success"), true), Some("+13125550111")), Outcome::Pending);
}

#[test]
fn owned_numbers_take_their_type_country_and_sms_from_the_resource() {
    let n = owned(&json!({
        "id": "1293384261075731499", "phone_number": "+442079460000", "phone_number_type": "toll_free",
        "country_iso_alpha2": "GB", "messaging_profile_id": null
    }))
    .unwrap();
    assert_eq!(
        (n.number_type, n.country.as_deref(), n.capabilities),
        (Some(NumberType::TollFree), Some("GB"), Capabilities::VOICE)
    );
    assert_eq!(owned(&json!({"phone_number": "+1"})), None);
}

#[test]
fn the_label_shows_the_last_four_of_a_real_length_key_only() {
    assert_eq!(account_label("KEY0123456789ABCDEF_abcd"), "Telnyx account ••••abcd");
    assert_eq!(account_label("KEY_abcd"), "Telnyx account ••••");
}
