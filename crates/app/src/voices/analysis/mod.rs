//! Decoding voice samples and measuring them before anything is sent to a
//! provider: per sample the speech duration (an energy-based voice
//! activity detector), sample rate, channels, clipping and silence shares
//! and integrated loudness (EBU R128); in total a verdict (under
//! [`MIN_SPEECH_MS`] of speech is refused, under [`RECOMMENDED_SPEECH_MS`]
//! allowed with a warning).
//!
//! Pure and synchronous: callers run [`analyze`] on a blocking thread.
//! Decoding streams (the decoded audio is never held whole) and is bounded
//! by [`Limits`] in input size, duration and wall-clock time.
use std::time::Duration;

/// Below this much speech in total, cloning is refused.
pub const MIN_SPEECH_MS: u64 = 10_000;
/// Below this much speech in total, cloning is allowed with a warning.
pub const RECOMMENDED_SPEECH_MS: u64 = 60_000;

/// Bounds on one sample's analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted file (10 MiB).
    pub max_bytes: usize,
    /// Longest accepted audio, read from the header when it says, else
    /// counted while decoding.
    pub max_duration: Duration,
    /// Wall-clock budget for decoding one sample.
    pub deadline: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 10 * 1024 * 1024,
            max_duration: Duration::from_secs(10 * 60),
            deadline: Duration::from_secs(20),
        }
    }
}

/// The container formats accepted (SPEC §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Format {
    Wav,
    Mp3,
    /// MP4 audio (`.m4a`) with AAC.
    M4a,
    /// Ogg with Vorbis or Opus.
    Ogg,
    /// WebM (Matroska) with Opus or Vorbis: what browsers record.
    WebM,
    Flac,
}

/// What one sample measured.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SampleReport {
    pub format: Format,
    /// `pcm_s16le`, `mp3`, `aac`, `vorbis`, `opus`, `flac`…
    pub codec: String,
    pub sample_rate: u32,
    pub channels: u16,
    pub duration_ms: u64,
    /// Time the voice activity detector counted as speech.
    pub speech_ms: u64,
    /// Share of samples at or near full scale, 0–1.
    pub clipping_share: f64,
    /// Share of the duration that is silence, 0–1.
    pub silence_share: f64,
    /// Integrated loudness in LUFS (EBU R128); `None` for silence.
    pub loudness_lufs: Option<f64>,
    /// Sentences for the Admin about this sample (`Clipping in 4% of the
    /// sample: record further from the microphone.`).
    pub warnings: Vec<String>,
}

/// Why a file was not analysed; [`SampleError::message`] is for the Admin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SampleError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than the limit")]
    TooLarge { max_bytes: usize },
    #[error("the file is not audio in an accepted format")]
    NotAudio,
    #[error("the file's audio is encoded in a way we cannot read: {0}")]
    Unsupported(String),
    #[error("the file is cut short or damaged")]
    Truncated,
    #[error("the audio is longer than the limit")]
    TooLong { max_seconds: u64 },
    #[error("decoding took too long")]
    TimedOut,
}

/// The whole set of samples' verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Verdict {
    /// Less than [`MIN_SPEECH_MS`] of speech: cloning is refused.
    Refused,
    /// Less than [`RECOMMENDED_SPEECH_MS`]: allowed, with a warning.
    Warning,
    Good,
}

/// All samples together.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    pub samples: usize,
    pub duration_ms: u64,
    pub speech_ms: u64,
    pub verdict: Verdict,
    /// The sentence the page shows with the verdict.
    pub message: String,
}
