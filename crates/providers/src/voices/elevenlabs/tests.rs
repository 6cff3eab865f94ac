use super::*;

#[test]
fn error_messages_come_from_each_shape_of_detail() {
    assert_eq!(error_message(&json!({"detail": "Bad key"})).as_deref(), Some("Bad key"));
    let quota = json!({"detail": {"status": "voice_limit_reached", "message": "You have reached your voice limit"}});
    assert_eq!(error_message(&quota).as_deref(), Some("You have reached your voice limit"));
    let validation = json!({"detail": [
        {"loc": ["body", "files"], "msg": "field required", "type": "missing"},
        {"loc": ["body", "name"], "msg": "too long", "type": "x"}
    ]});
    assert_eq!(
        error_message(&validation).as_deref(),
        Some("ElevenLabs refused the request: files: field required; name: too long")
    );
    assert_eq!(error_message(&json!({"detail": []})), None);
    assert_eq!(error_message(&Value::Null), None);
}

#[test]
fn refusals_map_onto_voice_errors_without_the_key() {
    let client = ElevenLabs::new("http://127.0.0.1:9", "sk_secret_key").unwrap();
    let refused =
        |status: u16, body: Value| client.refused(StatusCode::from_u16(status).unwrap(), body.to_string().as_bytes());
    assert_eq!(refused(401, json!({"detail": {"status": "invalid_api_key"}})), VoiceError::Unauthorized);
    assert_eq!(refused(403, Value::Null), VoiceError::Unauthorized);
    assert_eq!(refused(404, Value::Null), VoiceError::NotFound);
    assert_eq!(
        refused(400, json!({"detail": {"status": "voice_does_not_exist", "message": "x"}})),
        VoiceError::NotFound
    );
    assert!(matches!(refused(503, Value::Null), VoiceError::Unavailable(_)));
    assert!(matches!(refused(429, json!({"detail": "slow down"})), VoiceError::Unavailable(_)));
    assert_eq!(
        refused(400, json!({"detail": {"message": "key sk_secret_key has no quota"}})),
        VoiceError::Rejected("key … has no quota".into())
    );
    assert_eq!(refused(422, Value::Null), VoiceError::Rejected("ElevenLabs refused the request (HTTP 422)".into()));
    assert!(!format!("{client:?}").contains("sk_secret_key"));
}

#[test]
fn keys_and_bases_are_checked_when_the_client_is_built() {
    assert!(matches!(ElevenLabs::new(DEFAULT_API_BASE, "  "), Err(VoiceError::Rejected(_))));
    assert!(matches!(ElevenLabs::new(DEFAULT_API_BASE, "a\nb"), Err(VoiceError::Rejected(_))));
    assert!(matches!(ElevenLabs::new("ftp://x", "k"), Err(VoiceError::Rejected(_))));
    assert!(ElevenLabs::new(DEFAULT_API_BASE, "k").is_ok());
}

#[test]
fn library_voices_take_gender_accent_language_and_description_from_labels() {
    let rachel = json!({
        "voice_id": "21m00Tcm4TlvDq8ikWAM", "name": "Rachel", "category": "premade", "description": null,
        "labels": {"accent": "american", "age": "young", "gender": "female", "use_case": "narration", "description": "calm"},
        "preview_url": "https://storage.example/rachel.mp3"
    });
    let voice = library_voice(&rachel).unwrap();
    assert_eq!(voice.id, "21m00Tcm4TlvDq8ikWAM");
    assert_eq!(
        (voice.gender, voice.accent.as_deref(), voice.language.as_str()),
        (Gender::Female, Some("American"), "en")
    );
    assert_eq!(voice.description, "Calm, young, narration");

    let verified = json!({
        "voice_id": "v2", "name": "Lola", "description": "A Spanish voice", "labels": {"gender": "neutral"},
        "verified_languages": [{"language": "es", "locale": "es-ES", "accent": "peninsular"}]
    });
    let voice = library_voice(&verified).unwrap();
    assert_eq!((voice.gender, voice.accent, voice.language.as_str()), (Gender::NotSpecified, None, "es-ES"));
    assert_eq!(voice.description, "A Spanish voice");
    let labelled = json!({"voice_id": "v3", "name": "Hans", "labels": {"language": "de", "gender": "Male"}});
    assert_eq!(library_voice(&labelled).map(|v| (v.language, v.gender)), Some(("de".into(), Gender::Male)));

    assert_eq!(library_voice(&json!({"name": "no id"})), None);
    assert_eq!(library_voice(&json!({"voice_id": "x", "name": ""})), None);
}

#[test]
fn voice_ids_from_elevenlabs_must_be_plain() {
    assert_eq!(voice_id(Some("c38kUX8pkfYO2kHyqfFy")), Ok("c38kUX8pkfYO2kHyqfFy".into()));
    assert!(voice_id(Some("../x")).is_err());
    assert!(voice_id(Some("")).is_err());
    assert!(voice_id(None).is_err());
}
