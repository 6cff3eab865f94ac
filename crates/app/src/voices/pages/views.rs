//! How voices and quality reports read on the pages: words for statuses,
//! genders and languages, seconds, hertz, shares and LUFS as people write
//! them, times in the workspace's zone.
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::Value;
use switchboard_providers::voices::LibraryVoice;

use crate::voices::analysis::{SampleReport, Summary, Verdict};
use crate::voices::analyze::{Analysis, FileAnalysis};
use crate::voices::model::{Voice, VoiceSample, VoiceStatus, language_label};
use crate::web::time::{self, TimeView};

/// `12.4 s`, `1 min 05 s`.
pub fn seconds(ms: u64) -> String {
    let tenths = (ms + 50) / 100;
    if tenths < 600 {
        format!("{}.{} s", tenths / 10, tenths % 10)
    } else {
        let secs = (ms + 500) / 1000;
        format!("{} min {:02} s", secs / 60, secs % 60)
    }
}

/// `48,000 Hz`.
fn hertz(rate: u64) -> String {
    format!("{} Hz", crate::web::format::group(rate))
}

/// `Mono`, `Stereo`, `6 channels`.
fn channels(n: u64) -> String {
    match n {
        1 => "Mono".into(),
        2 => "Stereo".into(),
        n => format!("{n} channels"),
    }
}

/// A share of 0–1 as `3.2 %` (`0 %` when none, `< 0.1 %` when tiny).
fn share(x: f64) -> String {
    let pct = (x * 100.0).clamp(0.0, 100.0);
    if pct == 0.0 {
        "0 %".into()
    } else if pct < 0.1 {
        "< 0.1 %".into()
    } else {
        format!("{pct:.1} %")
    }
}

/// `−23.1 LUFS`, or a dash for silence.
fn lufs(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.1} LUFS").replace('-', "−"),
        _ => "—".into(),
    }
}

/// `1.9 MB`, `512 KB`.
pub fn bytes(n: u64) -> String {
    if n >= 1_000_000 { format!("{:.1} MB", n as f64 / 1_000_000.0) } else { format!("{} KB", n.div_ceil(1000)) }
}

/// One sample's numbers, as the report table shows them.
#[derive(Debug, Serialize)]
pub struct NumbersView {
    pub codec: String,
    pub duration: String,
    pub speech: String,
    pub sample_rate: String,
    pub channels: String,
    pub clipping: String,
    pub silence: String,
    pub loudness: String,
    pub warnings: Vec<String>,
}

impl NumbersView {
    pub fn of(r: &SampleReport) -> NumbersView {
        NumbersView {
            codec: r.codec.clone(),
            duration: seconds(r.duration_ms),
            speech: seconds(r.speech_ms),
            sample_rate: hertz(u64::from(r.sample_rate)),
            channels: channels(u64::from(r.channels)),
            clipping: share(r.clipping_share),
            silence: share(r.silence_share),
            loudness: lufs(r.loudness_lufs),
            warnings: r.warnings.clone(),
        }
    }

    /// From a stored report (the JSON of a `SampleReport`); `None` when it
    /// holds no numbers.
    pub fn from_json(v: &Value) -> Option<NumbersView> {
        let n = |k: &str| v.get(k).and_then(Value::as_u64);
        let f = |k: &str| v.get(k).and_then(Value::as_f64);
        Some(NumbersView {
            codec: v.get("codec").and_then(Value::as_str).unwrap_or("").to_string(),
            duration: seconds(n("duration_ms")?),
            speech: seconds(n("speech_ms")?),
            sample_rate: hertz(n("sample_rate")?),
            channels: channels(n("channels")?),
            clipping: share(f("clipping_share").unwrap_or(0.0)),
            silence: share(f("silence_share").unwrap_or(0.0)),
            loudness: lufs(f("loudness_lufs")),
            warnings: v
                .get("warnings")
                .and_then(Value::as_array)
                .map(|w| w.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
        })
    }
}

/// One file of a quality check.
#[derive(Debug, Serialize)]
pub struct FileView {
    pub number: usize,
    pub filename: String,
    pub size: String,
    pub numbers: Option<NumbersView>,
    pub error: Option<String>,
}

impl FileView {
    fn of(f: &FileAnalysis) -> FileView {
        FileView {
            number: f.index + 1,
            filename: f.filename.clone(),
            size: bytes(f.size_bytes),
            numbers: f.report.as_ref().map(NumbersView::of),
            error: f.error.clone(),
        }
    }
}

/// The whole report: every file, the totals and the verdict.
#[derive(Debug, Serialize)]
pub struct ReportView {
    pub files: Vec<FileView>,
    pub samples: usize,
    pub bad_files: usize,
    pub duration: String,
    pub speech: String,
    /// `refused`, `warning` or `good` (for the badge's colour).
    pub verdict: &'static str,
    pub verdict_label: &'static str,
    pub message: String,
    /// Whether these samples may be cloned.
    pub acceptable: bool,
}

fn verdict(s: &Summary) -> (&'static str, &'static str) {
    match s.verdict {
        Verdict::Refused => ("refused", "Not enough speech"),
        Verdict::Warning => ("warning", "Enough, more is better"),
        Verdict::Good => ("good", "Good"),
    }
}

impl ReportView {
    pub fn of(a: &Analysis) -> ReportView {
        let (verdict, verdict_label) = verdict(&a.summary);
        ReportView {
            files: a.files.iter().map(FileView::of).collect(),
            samples: a.files.len(),
            bad_files: a.files.iter().filter(|f| f.error.is_some()).count(),
            duration: seconds(a.summary.duration_ms),
            speech: seconds(a.summary.speech_ms),
            verdict,
            verdict_label,
            message: a.summary.message.clone(),
            acceptable: a.acceptable(),
        }
    }
}

/// A stock voice's card.
#[derive(Debug, Serialize)]
pub struct LibraryVoiceView {
    pub id: String,
    pub name: String,
    pub language: String,
    pub language_label: String,
    pub gender: &'static str,
    pub gender_label: &'static str,
    pub accent: Option<String>,
    pub description: String,
    pub preview_url: String,
    pub is_default: bool,
}

impl LibraryVoiceView {
    pub fn of(v: &LibraryVoice, default_voice: Option<&str>) -> LibraryVoiceView {
        LibraryVoiceView {
            preview_url: format!("/api/v1/voices/library/{}/preview", v.id),
            is_default: default_voice == Some(v.id.as_str()),
            id: v.id.clone(),
            name: v.name.clone(),
            language_label: language_label(&v.language),
            language: v.language.clone(),
            gender: v.gender.as_str(),
            gender_label: v.gender.label(),
            accent: v.accent.clone(),
            description: v.description.clone(),
        }
    }
}

/// A custom voice, in the list and on its page.
#[derive(Debug, Serialize)]
pub struct VoiceView {
    pub id: String,
    pub url: String,
    pub name: String,
    pub description: String,
    pub language: String,
    pub language_label: String,
    pub gender_label: &'static str,
    pub provider: String,
    /// Whose account holds it: `Platform` or `Your ElevenLabs account`.
    pub account: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    pub processing: bool,
    pub ready: bool,
    pub failure_reason: Option<String>,
    pub speech: String,
    pub duration: String,
    pub preview_url: String,
    pub is_default: bool,
    pub created: TimeView,
    pub ready_at: Option<TimeView>,
}

impl VoiceView {
    pub fn of(v: &Voice, default_voice: Option<&str>, tz: Tz, now: DateTime<Utc>) -> VoiceView {
        let id = v.id.to_string();
        VoiceView {
            url: format!("{}/{id}", super::VOICES),
            preview_url: format!("/api/v1/voices/{id}/preview"),
            is_default: default_voice == Some(id.as_str()),
            id,
            name: v.name.clone(),
            description: v.description.clone(),
            language_label: language_label(&v.language),
            language: v.language.clone(),
            gender_label: v.gender.label(),
            provider: match v.provider.as_str() {
                "elevenlabs" => "ElevenLabs".to_string(),
                "sandbox" => "Sandbox".to_string(),
                other => other.to_string(),
            },
            account: match v.provider_account {
                crate::voices::model::ProviderAccount::Platform => "Switchboard's account",
                crate::voices::model::ProviderAccount::Workspace => "Your ElevenLabs account",
            },
            status: v.status.as_str(),
            status_label: v.status.label(),
            processing: v.status == VoiceStatus::Processing,
            ready: v.status == VoiceStatus::Ready,
            failure_reason: v.failure_reason.clone(),
            speech: seconds(u64::try_from(v.speech_ms).unwrap_or(0)),
            duration: seconds(u64::try_from(v.duration_ms).unwrap_or(0)),
            created: time::view(v.created_at, tz, now),
            ready_at: v.ready_at.map(|at| time::view(at, tz, now)),
        }
    }
}

/// A sample of the consent record: its hash and its numbers.
#[derive(Debug, Serialize)]
pub struct SampleView {
    pub number: i64,
    pub filename: String,
    pub size: String,
    pub sha256: String,
    pub numbers: Option<NumbersView>,
}

impl SampleView {
    pub fn of(s: &VoiceSample) -> SampleView {
        SampleView {
            number: i64::from(s.position) + 1,
            filename: s.filename.clone(),
            size: bytes(u64::try_from(s.size_bytes).unwrap_or(0)),
            sha256: s.sha256.clone(),
            numbers: NumbersView::from_json(&s.report),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(seconds(12_440), "12.4 s");
        assert_eq!(seconds(65_200), "1 min 05 s");
        assert_eq!(hertz(48_000), "48,000 Hz");
        assert_eq!(share(0.0), "0 %");
        assert_eq!(share(0.0004), "< 0.1 %");
        assert_eq!(share(0.237), "23.7 %");
        assert_eq!(lufs(Some(-23.14)), "−23.1 LUFS");
        assert_eq!(lufs(None), "—");
        assert_eq!(bytes(1_920_044), "1.9 MB");
        assert_eq!(channels(1), "Mono");
    }

    #[test]
    fn a_stored_report_reads_like_a_fresh_one() {
        let v = serde_json::json!({
            "format": "Wav", "codec": "pcm_s16le", "sample_rate": 48000, "channels": 1,
            "duration_ms": 20000, "speech_ms": 15300, "clipping_share": 0.0, "silence_share": 0.2,
            "loudness_lufs": -20.5, "warnings": ["Quiet"]
        });
        let n = NumbersView::from_json(&v).expect("numbers");
        assert_eq!(n.speech, "15.3 s");
        assert_eq!(n.silence, "20.0 %");
        assert_eq!(n.loudness, "−20.5 LUFS");
        assert_eq!(n.warnings, vec!["Quiet".to_string()]);
        assert!(NumbersView::from_json(&serde_json::Value::Null).is_none());
    }
}
