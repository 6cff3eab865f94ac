//! Which 30 ms frames are speech: an energy-based voice activity detector.
//!
//! The method, over the frames' mean power in dBFS:
//! 1. The noise floor is the 10th percentile of the frames and the speech
//!    level the 95th (the loudest frames, less the odd click).
//! 2. A frame is voiced when it is above a threshold: 10 dB over the noise
//!    floor, but never more than 6 dB under the speech level (so a sample
//!    that is talk from end to end, with no floor to measure, still counts)
//!    and never under -50 dBFS (room tone and dither are not speech).
//! 3. Smoothing: gaps of up to 210 ms between voiced frames are bridged
//!    (stops, short pauses inside a phrase), then voiced runs shorter than
//!    90 ms are dropped (clicks, a bumped microphone).
//!
//! Energy cannot tell a voice from a hum: a steady tone counts as speech.
//! That is enough for what the report is for: telling an Admin that a take
//! is mostly silence or too short.

/// Frames quieter than this are never speech.
const ABSOLUTE_FLOOR_DB: f32 = -50.0;
/// A voiced frame is at least this far over the noise floor…
const OVER_FLOOR_DB: f32 = 10.0;
/// …unless that would put the threshold closer than this to the speech level.
const UNDER_PEAK_DB: f32 = 6.0;
/// Longest gap (in 30 ms frames) bridged between two voiced stretches.
const HANGOVER_FRAMES: usize = 7;
/// Shortest voiced run (in frames) kept.
const MIN_RUN_FRAMES: usize = 3;

/// The number of frames counted as speech.
pub(super) fn speech_frames(frame_db: &[f32]) -> usize {
    if frame_db.is_empty() {
        return 0;
    }
    let mut sorted = frame_db.to_vec();
    sorted.sort_by(f32::total_cmp);
    let floor = percentile(&sorted, 0.10);
    let peak = percentile(&sorted, 0.95);
    if peak < ABSOLUTE_FLOOR_DB {
        return 0;
    }
    let threshold = (floor + OVER_FLOOR_DB).min(peak - UNDER_PEAK_DB).max(ABSOLUTE_FLOOR_DB);
    let mut voiced: Vec<bool> = frame_db.iter().map(|db| *db > threshold).collect();
    bridge_gaps(&mut voiced);
    drop_short_runs(&mut voiced);
    voiced.iter().filter(|v| **v).count()
}

fn percentile(sorted: &[f32], p: f64) -> f32 {
    let last = sorted.len().saturating_sub(1);
    let i = ((last as f64) * p).round() as usize;
    sorted.get(i.min(last)).copied().unwrap_or(-120.0)
}

/// Marks as voiced every gap of at most [`HANGOVER_FRAMES`] that has voiced
/// frames on both sides.
fn bridge_gaps(voiced: &mut [bool]) {
    let mut last_voiced: Option<usize> = None;
    for i in 0..voiced.len() {
        if !voiced[i] {
            continue;
        }
        if let Some(prev) = last_voiced {
            let gap = i - prev - 1;
            if gap > 0 && gap <= HANGOVER_FRAMES {
                voiced[prev + 1..i].iter_mut().for_each(|v| *v = true);
            }
        }
        last_voiced = Some(i);
    }
}

fn drop_short_runs(voiced: &mut [bool]) {
    let mut start = None;
    for i in 0..=voiced.len() {
        let on = voiced.get(i).copied().unwrap_or(false);
        match (on, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s < MIN_RUN_FRAMES {
                    voiced[s..i].iter_mut().for_each(|v| *v = false);
                }
                start = None;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digital_silence_has_no_speech() {
        assert_eq!(speech_frames(&[-120.0; 100]), 0);
    }

    #[test]
    fn a_steady_loud_signal_is_all_speech() {
        assert_eq!(speech_frames(&[-20.0; 100]), 100);
    }

    #[test]
    fn bursts_over_a_noise_floor_are_counted_and_clicks_are_not() {
        let mut frames = vec![-60.0; 100];
        frames[10..20].iter_mut().for_each(|f| *f = -20.0); // 10 frames of talk
        frames[50] = -10.0; // a click
        frames[70..75].iter_mut().for_each(|f| *f = -25.0); // 5 frames
        frames[78..83].iter_mut().for_each(|f| *f = -25.0); // after a 3-frame gap
        assert_eq!(speech_frames(&frames), 10 + 13);
    }
}
