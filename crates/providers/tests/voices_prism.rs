//! The ElevenLabs client against Prism serving ElevenLabs' own OpenAPI
//! description (`tests/mocks/elevenlabs_voices-subset.json`; see
//! `support/prism.rs` for the two changes to the served copy). Prism refuses
//! (422) a request whose path, query, header or body the description does
//! not allow, so a call that succeeds here has the shape ElevenLabs
//! documents; it answers with the description's examples.
//!
//! What Prism cannot show is in `voices_stub.rs`: the instant-clone request
//! (Prism refuses every multipart body with several `files` parts: "files
//! must be array"), refused keys and other errors (the description defines
//! only 200 and 422), paging and a clone found by its reference.
#![allow(clippy::unwrap_used)]

#[path = "support/prism.rs"]
mod prism;

use prism::PrismServer;
use switchboard_providers::voices::elevenlabs::ElevenLabs;
use switchboard_providers::voices::{CloneRequest, Gender, Sample, VoiceError, VoiceProvider};

const KEY: &str = "xi-prism-test-key";

#[tokio::test]
async fn elevenlabs_verifies_lists_previews_finds_edits_and_deletes_as_elevenlabs_describes() {
    let Some(prism) = PrismServer::elevenlabs() else { return };
    let log = || prism.log();
    let client = ElevenLabs::new(&prism.base_url(), KEY).unwrap();

    let account = client.verify().await.unwrap_or_else(|e| panic!("GET /v1/user: {e:?}\n{}", log()));
    assert!(!account.account_ref.is_empty());
    assert_eq!(account.label, "John (trial)", "first name and tier of the description's example");

    // The library: the example voice (Rachel, professional), listed once
    // however many pages Prism claims there are.
    let library = client.library().await.unwrap_or_else(|e| panic!("GET /v2/voices: {e:?}\n{}", log()));
    assert_eq!(library.len(), 1, "{library:?}");
    let rachel = &library[0];
    assert_eq!((rachel.id.as_str(), rachel.name.as_str()), ("21m00Tcm4TlvDq8ikWAM", "Rachel"));
    assert_eq!((rachel.gender, rachel.accent.as_deref()), (Gender::Female, Some("American")));
    assert_eq!(rachel.language, "en-US", "from verified_languages");
    assert_eq!(rachel.description, "A warm, expressive voice with a touch of humor.");

    let audio =
        client.preview(&rachel.id).await.unwrap_or_else(|e| panic!("POST /v1/text-to-speech: {e:?}\n{}", log()));
    assert_eq!(audio.content_type, "audio/mpeg");
    assert!(!audio.bytes.is_empty());

    // The example voice carries no reference of ours.
    let found = client.find_clone("vce_01JPRISM").await;
    assert_eq!(found.unwrap_or_else(|e| panic!("GET /v2/voices (clones): {e:?}\n{}", log())), None);

    let edited = client.edit_voice("c38kUX8pkfYO2kHyqfFy", "Front desk", "Calmer").await;
    edited.unwrap_or_else(|e| panic!("POST /v1/voices/{{id}}/edit: {e:?}\n{}", log()));
    let deleted = client.delete_voice("c38kUX8pkfYO2kHyqfFy").await;
    deleted.unwrap_or_else(|e| panic!("DELETE /v1/voices/{{id}}: {e:?}\n{}", log()));
}

#[tokio::test]
async fn prisms_refusal_of_an_instant_clone_is_a_readable_rejection() {
    let Some(prism) = PrismServer::elevenlabs() else { return };
    let client = ElevenLabs::new(&prism.base_url(), KEY).unwrap();
    let samples = [
        Sample { filename: "take-1.wav", content_type: "audio/wav", bytes: b"RIFF one" },
        Sample { filename: "take-2.wav", content_type: "audio/wav", bytes: b"RIFF two" },
    ];
    let request = CloneRequest {
        name: "Support line",
        description: "Our own voice",
        language: "en",
        gender: Gender::Female,
        reference: "vce_01JPRISM",
        samples: &samples,
    };
    // Prism's multipart limitation: every body fails "files must be array"
    // (see tests/mocks/README.md); the request itself is checked against
    // the description in voices_stub.rs. What matters here is what the
    // Admin would read as the FAILED reason.
    let refused = client.clone_voice(&request).await;
    assert_eq!(
        refused,
        Err(VoiceError::Rejected("ElevenLabs refused the request: files: Input should be a valid list".into())),
        "{}",
        prism.log()
    );
    assert!(prism.log().contains("files must be array"), "Prism refused for another reason:\n{}", prism.log());
}

#[tokio::test]
async fn prism_checks_the_key_header_is_sent() {
    let Some(prism) = PrismServer::elevenlabs() else { return };
    // Without the header the served copy refuses the call…
    let bare = reqwest::get(format!("{}/v1/user", prism.base_url())).await.unwrap();
    assert_eq!(bare.status().as_u16(), 422);
    // …which the client never makes: it sends its key on every call.
    let client = ElevenLabs::new(&prism.base_url(), KEY).unwrap();
    assert!(client.verify().await.is_ok());
}
