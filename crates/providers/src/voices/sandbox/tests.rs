use super::*;
use crate::voices::{Sample, catalogue};

fn request<'a>(reference: &'a str, samples: &'a [Sample<'a>]) -> CloneRequest<'a> {
    CloneRequest {
        name: "Support line",
        description: "Our own voice",
        language: "en",
        gender: Gender::Female,
        reference,
        samples,
    }
}

const TAKE_ONE: Sample<'static> = Sample { filename: "take-1.wav", content_type: "audio/wav", bytes: b"RIFF one" };
const TAKE_TWO: Sample<'static> = Sample { filename: "take-2.wav", content_type: "audio/wav", bytes: b"RIFF two" };

#[test]
fn twenty_stock_voices_in_fifteen_languages_each_with_a_small_real_clip() {
    assert_eq!(VOICES.len(), 20);
    let mut languages: Vec<&str> = VOICES.iter().map(|v| v.language.split('-').next().unwrap()).collect();
    languages.sort_unstable();
    languages.dedup();
    assert_eq!(languages.len(), 15, "{languages:?}");
    let mut total = 0;
    for v in VOICES {
        let clip = stock_preview(v.id).unwrap_or_else(|| panic!("{} has no clip", v.id));
        // An Ogg page, Opus inside, a few seconds: not a placeholder.
        assert!(clip.starts_with(b"OggS"), "{}", v.id);
        assert!(clip.windows(8).any(|w| w == b"OpusHead"), "{}", v.id);
        assert!(clip.len() > 3_000, "{} is {} bytes", v.id, clip.len());
        assert!(!v.accent.is_empty() && !v.description.is_empty());
        total += clip.len();
    }
    assert!(total < 600 * 1024, "clips take {total} bytes");
    assert_eq!(stock_preview("sbv_nobody"), None);
    assert_eq!(stock_preview("aria"), None);
}

#[test]
fn the_voices_agents_stored_before_the_library_keep_their_ids() {
    let first: Vec<&str> = catalogue().iter().take(8).map(|v| v.id).collect();
    assert_eq!(
        first,
        ["sbv_aria", "sbv_ben", "sbv_chloe", "sbv_daniel", "sbv_elena", "sbv_felix", "sbv_grace", "sbv_hugo"]
    );
}

#[tokio::test]
async fn library_lists_the_stock_voices_and_previews_play_their_clips() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = SandboxVoices::new(dir.path()).unwrap();
    let library = sandbox.library().await.unwrap();
    assert_eq!(library.len(), VOICES.len());
    let aria = &library[0];
    assert_eq!((aria.id.as_str(), aria.language.as_str(), aria.gender), ("sbv_aria", "en-US", Gender::Female));
    assert_eq!(aria.accent.as_deref(), Some("American"));

    let audio = sandbox.preview("sbv_mei").await.unwrap();
    assert_eq!(audio.content_type, "audio/ogg");
    assert_eq!(audio.bytes, stock_preview("sbv_mei").unwrap());
    assert_eq!(sandbox.preview("sbv_nobody").await, Err(VoiceError::NotFound));
    assert_eq!(sandbox.preview("../etc/passwd").await, Err(VoiceError::NotFound));
    assert_eq!(sandbox.verify().await.unwrap().label, "Sandbox");
}

#[tokio::test]
async fn a_clone_is_found_by_its_reference_and_speaks_with_its_first_sample() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = SandboxVoices::new(dir.path()).unwrap();
    assert_eq!(sandbox.find_clone("vce_1").await, Ok(None));

    let id = sandbox.clone_voice(&request("vce_1", &[TAKE_ONE, TAKE_TWO])).await.unwrap();
    assert!(id.starts_with("sbc_"), "{id}");
    assert_eq!(sandbox.find_clone("vce_1").await, Ok(Some(id.clone())));
    assert_eq!(sandbox.find_clone("vce_2").await, Ok(None));
    let audio = sandbox.preview(&id).await.unwrap();
    assert_eq!((audio.content_type.as_str(), audio.bytes.as_slice()), ("audio/wav", b"RIFF one".as_slice()));

    // Another process sharing the folder sees the same clone.
    let other = SandboxVoices::new(dir.path()).unwrap();
    assert_eq!(other.find_clone("vce_1").await, Ok(Some(id.clone())));
    // Clones are not stock voices.
    assert_eq!(other.library().await.unwrap().len(), VOICES.len());
}

#[tokio::test]
async fn clones_are_renamed_and_deleted_and_deleting_twice_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = SandboxVoices::new(dir.path()).unwrap();
    let id = sandbox.clone_voice(&request("vce_1", &[TAKE_ONE])).await.unwrap();

    sandbox.edit_voice(&id, "Front desk", "Calmer").await.unwrap();
    let record = sandbox.record(&id).unwrap().unwrap();
    assert_eq!((record.name.as_str(), record.description.as_str()), ("Front desk", "Calmer"));
    assert_eq!((record.gender.as_str(), record.language.as_str()), ("FEMALE", "en"));
    assert_eq!(sandbox.edit_voice("sbc_01NOPE", "x", "").await, Err(VoiceError::NotFound));
    assert!(matches!(sandbox.edit_voice(&id, " ", "").await, Err(VoiceError::Rejected(_))));

    sandbox.delete_voice(&id).await.unwrap();
    assert_eq!(sandbox.find_clone("vce_1").await, Ok(None));
    assert_eq!(sandbox.preview(&id).await, Err(VoiceError::NotFound));
    assert_eq!(sandbox.delete_voice(&id).await, Ok(()));
    assert_eq!(sandbox.delete_voice("not-ours").await, Ok(()));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "files left behind");
}

#[tokio::test]
async fn stock_voices_cannot_be_edited_or_deleted_and_clones_need_samples() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = SandboxVoices::new(dir.path()).unwrap();
    assert!(matches!(sandbox.edit_voice("sbv_aria", "Bob", "").await, Err(VoiceError::Rejected(_))));
    assert!(matches!(sandbox.delete_voice("sbv_aria").await, Err(VoiceError::Rejected(_))));
    let refused = sandbox.clone_voice(&request("vce_1", &[])).await;
    assert_eq!(refused, Err(VoiceError::Rejected("a clone needs at least one sample".into())));
    assert_eq!(sandbox.find_clone("vce_1").await, Ok(None));
}
