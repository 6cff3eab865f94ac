//! The measures on the generated sources, in every format.
use super::*;

/// 1 kHz at amplitude 0.25, mono: 10·log10(0.25²/2) - 0.691 + the K-filter's
/// +0.691 dB at 1 kHz = -15.05 LUFS.
const SINE_LUFS: f64 = -15.05;
/// The syllables' total in bursts.* (printed by scripts/make-audio-fixtures).
const BURSTS_SPEECH_MS: f64 = 2220.0;

#[test]
fn every_format_is_detected_from_its_bytes() {
    for (ext, format) in FORMATS {
        for source in SOURCES {
            let file = format!("{source}.{ext}");
            let r = report(&file);
            assert_eq!(r.format, format, "{file}");
            assert_eq!(r.channels, 1, "{file}");
            // The sources are 16 kHz; Opus decodes at 48 kHz but reports the
            // rate its encoder was fed.
            assert_eq!(r.sample_rate, 16_000, "{file}");
        }
    }
}

#[test]
fn the_name_and_content_type_are_only_hints() {
    let r = analyze(&fixture("sine.wav"), Some("take.mp3"), Some("audio/mpeg"), &Limits::default()).unwrap();
    assert_eq!((r.format, r.codec.as_str()), (Format::Wav, "pcm_s16le"));
    let r = analyze(&fixture("bursts.webm"), Some("take.ogg"), Some("audio/ogg"), &Limits::default()).unwrap();
    assert_eq!((r.format, r.codec.as_str()), (Format::WebM, "opus"));
}

#[test]
fn the_codecs_are_named() {
    let codecs: Vec<String> = FORMATS.iter().map(|(ext, _)| report(&format!("sine.{ext}")).codec).collect();
    assert_eq!(codecs, ["pcm_s16le", "flac", "mp3", "aac", "vorbis", "opus", "opus"]);
}

#[test]
fn a_sine_has_its_expected_loudness_duration_and_no_clipping() {
    for (ext, _) in FORMATS {
        let r = report(&format!("sine.{ext}"));
        let lufs = r.loudness_lufs.unwrap();
        let tolerance = if lossless(ext) { 0.2 } else { 1.0 };
        assert!((lufs - SINE_LUFS).abs() < tolerance, "sine.{ext}: {lufs} LUFS");
        // Lossy codecs add a frame or two of priming or padding.
        assert!(r.duration_ms.abs_diff(3000) <= 120, "sine.{ext}: {} ms", r.duration_ms);
        assert_eq!(r.clipping_share, 0.0, "sine.{ext}");
        // Energy alone cannot tell a steady tone from a voice.
        assert!(r.speech_ms as f64 > 0.9 * r.duration_ms as f64, "sine.{ext}: {} ms", r.speech_ms);
        assert!(r.warnings.is_empty(), "sine.{ext}: {:?}", r.warnings);
    }
}

#[test]
fn silence_has_no_speech_and_no_loudness() {
    for (ext, _) in FORMATS {
        let r = report(&format!("silence.{ext}"));
        assert_eq!(r.speech_ms, 0, "silence.{ext}");
        assert!(r.silence_share > 0.999, "silence.{ext}: {}", r.silence_share);
        assert_eq!(r.loudness_lufs, None, "silence.{ext}");
        assert_eq!(r.warnings, ["This sample is silent."], "silence.{ext}");
    }
}

#[test]
fn clipped_noise_has_a_high_clipping_share_and_a_warning() {
    for (ext, _) in FORMATS {
        let r = report(&format!("noise.{ext}"));
        // Half the source's samples sit on the rails. A lossy codec at these
        // rates smears full-scale white noise (its worst case): AAC keeps 18%
        // of samples at full scale, Opus at 24 kbit/s, 5 dB quieter, 3%; all
        // still over the 1% that warns.
        let least = if lossless(ext) { 0.45 } else { 0.02 };
        assert!(r.clipping_share > least, "noise.{ext}: {}", r.clipping_share);
        assert!(r.warnings.iter().any(|w| w.starts_with("Clipping in")), "noise.{ext}: {:?}", r.warnings);
    }
}

#[test]
fn bursts_count_as_the_speech_they_hold() {
    for (ext, _) in FORMATS {
        let r = report(&format!("bursts.{ext}"));
        let speech = r.speech_ms as f64;
        assert!((speech / BURSTS_SPEECH_MS - 1.0).abs() < 0.15, "bursts.{ext}: {speech} ms of speech");
        let expected_silence = 1.0 - BURSTS_SPEECH_MS / 6000.0;
        assert!((r.silence_share - expected_silence).abs() < 0.08, "bursts.{ext}: {}", r.silence_share);
        // Two thirds pauses: the sample says so.
        assert!(r.warnings.iter().any(|w| w.contains("silence")), "bursts.{ext}: {:?}", r.warnings);
    }
}

#[test]
fn every_format_agrees_with_the_wav() {
    // Not the noise: white noise at full scale is the worst case for a lossy
    // codec at these rates, and its loudness moves by several LU.
    for source in ["sine", "bursts"] {
        let wav = report(&format!("{source}.wav"));
        for (ext, _) in FORMATS {
            let r = report(&format!("{source}.{ext}"));
            let (a, b) = (r.loudness_lufs.unwrap(), wav.loudness_lufs.unwrap());
            assert!((a - b).abs() < 1.5, "{source}.{ext}: {a} LUFS against {b}");
            let (a, b) = (r.speech_ms as f64, wav.speech_ms as f64);
            assert!((a - b).abs() <= 0.15 * b, "{source}.{ext}: {a} ms of speech against {b}");
        }
    }
}
