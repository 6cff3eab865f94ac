//! Files that must be refused with the right error, and random damage that
//! must never panic.
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng, rngs::StdRng};

use super::super::{SampleError, decode};
use super::*;

fn analyze_default(bytes: &[u8], name: &str) -> Result<SampleReport, SampleError> {
    analyze(bytes, Some(name), None, &Limits::default())
}

/// A 16-bit mono WAV header whose data chunk claims `data_len` bytes,
/// followed by `body` bytes of a quiet tone.
fn wav(rate: u32, data_len: u32, body: usize) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&data_len.saturating_add(36).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for n in 0..body / 2 {
        let s = (3000.0 * (n as f64 * 0.3).sin()) as i16;
        b.extend_from_slice(&s.to_le_bytes());
    }
    b
}

#[test]
fn text_renamed_mp3_is_not_audio() {
    let text = b"Dear Admin,\nthis is a letter, not a recording.\n".repeat(40);
    let err = analyze(&text, Some("voice.mp3"), Some("audio/mpeg"), &Limits::default()).unwrap_err();
    assert_eq!(err, SampleError::NotAudio);
    assert_eq!(err.message(), "This file is not audio we can read (WAV, MP3, M4A, OGG, WebM or FLAC).");
}

#[test]
fn a_flac_cut_in_half_is_truncated() {
    let flac = fixture("bursts.flac");
    let err = analyze_default(&flac[..flac.len() / 2], "bursts.flac").unwrap_err();
    assert_eq!(err, SampleError::Truncated);
    assert_eq!(err.message(), "This file is cut short or damaged.");
}

#[test]
fn a_wav_whose_data_chunk_claims_more_than_the_file_has_is_truncated() {
    // Claims 10 s, holds 1 s.
    let err = analyze_default(&wav(16_000, 320_000, 32_000), "take.wav").unwrap_err();
    assert_eq!(err, SampleError::Truncated);
}

#[test]
fn cut_files_are_truncated_in_every_format_that_states_its_length() {
    for ext in ["wav", "flac", "m4a", "ogg", "opus"] {
        let bytes = fixture(&format!("bursts.{ext}"));
        let cut = &bytes[..bytes.len() * 6 / 10];
        assert_eq!(analyze_default(cut, ext).unwrap_err(), SampleError::Truncated, "bursts.{ext} cut");
    }
}

#[test]
fn zero_bytes_is_empty() {
    assert_eq!(analyze_default(&[], "take.wav").unwrap_err(), SampleError::Empty);
    // A well-formed WAV with no frames holds no audio either.
    assert_eq!(analyze_default(&wav(16_000, 0, 0), "take.wav").unwrap_err(), SampleError::Empty);
}

#[test]
fn a_three_hour_wav_header_is_refused_from_the_header() {
    let three_hours = 3 * 3600 * 16_000 * 2;
    let bytes = wav(16_000, three_hours, 4_000);
    let started = Instant::now();
    let err = analyze_default(&bytes, "long.wav").unwrap_err();
    assert_eq!(err, SampleError::TooLong { max_seconds: 600, seconds: Some(10_800) });
    assert!(started.elapsed() < Duration::from_secs(1), "took {:?}", started.elapsed());
    assert_eq!(err.message(), "This recording runs 3 h 0 min; samples may be at most 10 minutes.");
}

#[test]
fn audio_past_the_limit_is_refused_while_decoding_when_no_header_says() {
    // The MP3 fixture (a LAME Info header states its length) against a 1 s
    // limit: refused from the header. The WebM from ffmpeg states it too.
    let limits = Limits { max_duration: Duration::from_secs(1), ..Limits::default() };
    for file in ["bursts.mp3", "bursts.webm", "bursts.wav"] {
        let err = analyze(&fixture(file), None, None, &limits).unwrap_err();
        assert!(matches!(err, SampleError::TooLong { max_seconds: 1, .. }), "{file}: {err:?}");
    }
}

#[test]
fn a_file_over_the_size_limit_is_too_large() {
    let limits = Limits { max_bytes: 1000, ..Limits::default() };
    let err = analyze(&fixture("sine.wav"), None, None, &limits).unwrap_err();
    assert_eq!(err, SampleError::TooLarge { max_bytes: 1000 });
    let err = SampleError::TooLarge { max_bytes: 10 * 1024 * 1024 };
    assert_eq!(err.message(), "This file is larger than 10 MiB; samples may be at most that.");
}

#[test]
fn decoding_past_the_deadline_times_out() {
    // Five minutes of WAV and a millisecond to read it in.
    let bytes = wav(16_000, 300 * 32_000, 300 * 32_000);
    let limits = Limits { deadline: Duration::from_millis(1), ..Limits::default() };
    assert_eq!(analyze(&bytes, None, None, &limits).unwrap_err(), SampleError::TimedOut);
}

/// Feeds the decoder itself (not `analyze`, whose panic guard would hide a
/// panic) random bytes, random bytes behind each container's magic, every
/// fixture cut at many points and fixtures with flipped bytes. Any result
/// is fine; a panic is not.
#[test]
fn no_input_panics() {
    let limits = Limits { deadline: Duration::from_secs(5), ..Limits::default() };
    let run = |bytes: &[u8]| {
        if !bytes.is_empty() {
            let _ = decode::decode(bytes, None, None, &limits, Instant::now());
        }
    };
    let mut rng = StdRng::seed_from_u64(16);
    let magics: [&[u8]; 7] = [
        b"",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",
        b"fLaC",
        b"OggS\x00\x02",
        b"ID3\x03\x00",
        b"\xff\xfb\x90\x64",
        b"\x1a\x45\xdf\xa3",
    ];
    for magic in magics {
        for len in [1, 7, 64, 500, 4096] {
            let mut bytes = magic.to_vec();
            bytes.extend((0..len).map(|_| rng.random::<u8>()));
            run(&bytes);
        }
    }
    for (ext, _) in FORMATS {
        for source in SOURCES {
            let bytes = fixture(&format!("{source}.{ext}"));
            for i in 1..10 {
                run(&bytes[..bytes.len() * i / 10]);
            }
            for _ in 0..3 {
                let mut damaged = bytes.clone();
                for _ in 0..8 {
                    let at = rng.random_range(0..damaged.len());
                    damaged[at] = rng.random();
                }
                run(&damaged);
            }
        }
    }
}
