//! The verdict over all samples.
use super::super::{Summary, Verdict, summarize};
use super::*;

fn with_speech(speech_ms: u64) -> SampleReport {
    SampleReport { speech_ms, duration_ms: speech_ms + 2_000, ..report("sine.wav") }
}

#[test]
fn under_ten_seconds_of_speech_is_refused() {
    let s = summarize(&[with_speech(4_000), with_speech(5_500)]);
    assert_eq!(
        s,
        Summary {
            samples: 2,
            duration_ms: 13_500,
            speech_ms: 9_500,
            verdict: Verdict::Refused,
            message: "9 s of speech in all; cloning needs at least 10 s. Record or upload more speech.".into(),
        }
    );
    assert_eq!(summarize(&[]).verdict, Verdict::Refused);
}

#[test]
fn under_a_minute_is_a_warning_and_a_minute_is_good() {
    let s = summarize(&[with_speech(10_000)]);
    assert_eq!(s.verdict, Verdict::Warning);
    assert_eq!(s.message, "10 s of speech in all: enough to clone, but a minute or more gives a more faithful voice.");
    let s = summarize(&[with_speech(40_000), with_speech(25_000)]);
    assert_eq!(s.verdict, Verdict::Good);
    assert_eq!(s.message, "1 min 5 s of speech in all: enough for a good clone.");
}
