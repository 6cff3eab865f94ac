//! The streaming meter: it sees each decoded buffer once and keeps only
//! counters, one energy figure per 30 ms frame (for the voice activity
//! detector, see `vad`) and the EBU R128 meter's block energies: a few
//! hundred kilobytes for the longest sample the limits allow, whatever the
//! file's length, and never the signal itself.
use ebur128::{EbuR128, Mode};

use super::vad;

/// Samples at or above this magnitude count as clipped: the top of a 16-bit
/// range (32735/32768) and above, so a clipped recording counts whether it
/// was stored as integers or floats, after a lossy codec's small overshoot.
pub(super) const CLIP_LEVEL: f32 = 0.999;

/// Length of one analysis frame.
pub(super) const FRAME_MS: u64 = 30;

/// Below this integrated loudness the meter's answer means "no signal".
const SILENT_LUFS: f64 = -70.0;

pub(super) struct Meter {
    channels: usize,
    rate: u32,
    frame_len: usize,
    /// Sum of squares (all channels) and frame count of the frame in progress.
    acc: f64,
    acc_frames: usize,
    /// Mean power of each complete frame, in dBFS.
    frame_db: Vec<f32>,
    frames: u64,
    clipped: u64,
    loudness: Option<EbuR128>,
}

/// What the meter measured, at the end of the stream.
pub(super) struct Measures {
    pub frames: u64,
    pub speech_frames: u64,
    pub clipping_share: f64,
    pub loudness_lufs: Option<f64>,
}

impl Meter {
    pub fn new(rate: u32, channels: usize) -> Meter {
        let frame_len = usize::try_from(u64::from(rate) * FRAME_MS / 1000).unwrap_or(1).max(1);
        // Mode::I keeps one energy per 100 ms block (about 30 KB for ten
        // minutes): bounded by the duration limit, and exact where the
        // histogram mode would round.
        let loudness = u32::try_from(channels).ok().and_then(|c| EbuR128::new(c, rate, Mode::I).ok());
        Meter {
            channels: channels.max(1),
            rate,
            frame_len,
            acc: 0.0,
            acc_frames: 0,
            frame_db: Vec::new(),
            frames: 0,
            clipped: 0,
            loudness,
        }
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Frames (samples per channel) seen so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Takes interleaved samples; a trailing partial frame is ignored.
    pub fn push(&mut self, interleaved: &mut [f32]) {
        let whole = interleaved.len() - interleaved.len() % self.channels;
        let interleaved = &mut interleaved[..whole];
        for frame in interleaved.chunks_exact_mut(self.channels) {
            let mut power = 0.0f64;
            for s in frame.iter_mut() {
                // A damaged stream may decode to NaN; it must not poison the sums.
                if !s.is_finite() {
                    *s = 0.0;
                }
                if s.abs() >= CLIP_LEVEL {
                    self.clipped += 1;
                }
                power += f64::from(*s) * f64::from(*s);
            }
            // Mean power over channels rather than a mono mix: channels in
            // opposite phase would cancel in a mix and read as silence.
            self.acc += power / self.channels as f64;
            self.acc_frames += 1;
            if self.acc_frames == self.frame_len {
                self.frame_db.push(to_db(self.acc / self.frame_len as f64));
                self.acc = 0.0;
                self.acc_frames = 0;
            }
        }
        self.frames += (whole / self.channels) as u64;
        if let Some(meter) = self.loudness.as_mut()
            && meter.add_frames_f32(interleaved).is_err()
        {
            self.loudness = None;
        }
    }

    pub fn finish(self) -> Measures {
        let samples = self.frames.saturating_mul(self.channels as u64);
        let clipping_share = if samples == 0 { 0.0 } else { self.clipped as f64 / samples as f64 };
        let loudness_lufs =
            self.loudness.and_then(|m| m.loudness_global().ok()).filter(|l| l.is_finite() && *l > SILENT_LUFS);
        let speech_frames = (vad::speech_frames(&self.frame_db) as u64).saturating_mul(self.frame_len as u64);
        Measures { frames: self.frames, speech_frames: speech_frames.min(self.frames), clipping_share, loudness_lufs }
    }
}

/// Mean power to dBFS (a full-scale square wave is 0 dB), floored at -120.
fn to_db(power: f64) -> f32 {
    if power <= 1e-12 { -120.0 } else { (10.0 * power.log10()) as f32 }
}
