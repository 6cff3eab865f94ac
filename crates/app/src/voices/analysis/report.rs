//! What the Admin reads: one sample's report and warnings, the sentence for
//! each error, and the verdict over all samples.
use super::decode::Decoded;
use super::{MIN_SPEECH_MS, RECOMMENDED_SPEECH_MS, SampleError, SampleReport, Summary, Verdict};

/// Warn when more than this share of samples is clipped.
const CLIPPING_WARN: f64 = 0.01;
/// Warn below this integrated loudness (speech is usually -16 to -24 LUFS).
const QUIET_LUFS: f64 = -35.0;
/// Warn when more than this share is silence.
const SILENCE_WARN: f64 = 0.5;
/// Warn below this sample rate (telephone quality and under).
const LOW_RATE: u32 = 16_000;

pub(super) fn sample_report(d: Decoded) -> SampleReport {
    let m = &d.measures;
    let rate = u64::from(d.decode_rate.max(1));
    let duration_ms = m.frames.saturating_mul(1000) / rate;
    let speech_ms = m.speech_frames.saturating_mul(1000) / rate;
    let silence_share = if duration_ms == 0 { 1.0 } else { 1.0 - speech_ms as f64 / duration_ms as f64 };
    let mut warnings = Vec::new();
    match m.loudness_lufs {
        None => warnings.push("This sample is silent.".to_string()),
        Some(lufs) if lufs < QUIET_LUFS => warnings.push(format!(
            "This sample is very quiet ({lufs:.0} LUFS): record closer to the microphone or raise the input level."
        )),
        Some(_) => {}
    }
    if m.clipping_share > CLIPPING_WARN {
        warnings.push(format!(
            "Clipping in {} of the sample: record further from the microphone or lower the input level.",
            percent(m.clipping_share)
        ));
    }
    if m.loudness_lufs.is_some() && speech_ms == 0 {
        warnings.push("No speech was found in this sample.".to_string());
    } else if m.loudness_lufs.is_some() && silence_share > SILENCE_WARN {
        warnings
            .push(format!("This sample is {} silence: trim the pauses or record more speech.", percent(silence_share)));
    }
    if d.sample_rate < LOW_RATE {
        warnings.push(format!("Recorded at {} kHz: 16 kHz or more gives a clearer voice.", format_khz(d.sample_rate)));
    }
    SampleReport {
        format: d.format,
        codec: d.codec,
        sample_rate: d.sample_rate,
        channels: d.channels,
        duration_ms,
        speech_ms,
        clipping_share: m.clipping_share,
        silence_share: silence_share.clamp(0.0, 1.0),
        loudness_lufs: m.loudness_lufs,
        warnings,
    }
}

impl SampleError {
    /// A sentence for the Admin about this file.
    pub fn message(&self) -> String {
        match self {
            SampleError::Empty => "This file holds no audio.".to_string(),
            SampleError::TooLarge { max_bytes } => {
                format!("This file is larger than {}; samples may be at most that.", format_bytes(*max_bytes))
            }
            SampleError::NotAudio => {
                "This file is not audio we can read (WAV, MP3, M4A, OGG, WebM or FLAC).".to_string()
            }
            SampleError::Unsupported(what) => format!(
                "This file's audio ({what}) is encoded in a way we cannot read: send WAV, MP3, M4A, OGG, WebM or FLAC."
            ),
            SampleError::Truncated => "This file is cut short or damaged.".to_string(),
            SampleError::TooLong { max_seconds, seconds: Some(seconds) } => format!(
                "This recording runs {}; samples may be at most {}.",
                format_duration_ms(seconds.saturating_mul(1000)),
                format_limit(*max_seconds)
            ),
            SampleError::TooLong { max_seconds, seconds: None } => {
                format!("This recording runs longer than {0}; samples may be at most {0}.", format_limit(*max_seconds))
            }
            SampleError::TimedOut => "This file took too long to read; try a shorter or simpler recording.".to_string(),
        }
    }
}

/// All samples together: the totals and the verdict on the speech they hold.
pub fn summarize(reports: &[SampleReport]) -> Summary {
    let duration_ms = reports.iter().map(|r| r.duration_ms).sum();
    let speech_ms: u64 = reports.iter().map(|r| r.speech_ms).sum();
    let speech = format_duration_ms(speech_ms);
    let (verdict, message) = if reports.is_empty() {
        (
            Verdict::Refused,
            "Add at least one sample: 10 seconds of speech at the least, a minute or more for a good voice."
                .to_string(),
        )
    } else if speech_ms < MIN_SPEECH_MS {
        (
            Verdict::Refused,
            format!("{speech} of speech in all; cloning needs at least 10 s. Record or upload more speech."),
        )
    } else if speech_ms < RECOMMENDED_SPEECH_MS {
        (
            Verdict::Warning,
            format!("{speech} of speech in all: enough to clone, but a minute or more gives a more faithful voice."),
        )
    } else {
        (Verdict::Good, format!("{speech} of speech in all: enough for a good clone."))
    };
    Summary { samples: reports.len(), duration_ms, speech_ms, verdict, message }
}

/// `7 s`, `2 min 5 s`, `3 h 0 min`, rounded down to the unit shown.
pub(super) fn format_duration_ms(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

fn format_limit(seconds: u64) -> String {
    match seconds {
        s if s >= 60 && s % 60 == 0 => format!("{} minute{}", s / 60, if s == 60 { "" } else { "s" }),
        s => format!("{s} seconds"),
    }
}

fn format_bytes(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) { format!("{} MiB", bytes / MIB) } else { format!("{bytes} bytes") }
}

fn format_khz(rate: u32) -> String {
    if rate.is_multiple_of(1000) { format!("{}", rate / 1000) } else { format!("{:.1}", f64::from(rate) / 1000.0) }
}

fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p < 10.0 { format!("{p:.1}%") } else { format!("{p:.0}%") }
}
