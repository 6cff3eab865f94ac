//! Voice-sample analysis speed: `voices::analysis::analyze` on a sample of
//! about 10 MiB (the upload limit) in each accepted format, as a multiple
//! of real time, and the process's peak RSS (VmHWM).
//!
//! Run:
//!
//!     scripts/make-audio-fixtures --bench /tmp/voice-bench   # needs ffmpeg
//!     SWITCHBOARD_BENCH_AUDIO_DIR=/tmp/voice-bench cargo bench -p switchboard --bench voice_analysis
//!
//! Without `SWITCHBOARD_BENCH_AUDIO_DIR` only the WAV row runs, on a sample
//! made here (the compressed formats need an encoder we do not ship).
//! The samples run longer than the 10-minute cap in some formats (160 kbit/s
//! for 10 MiB is 8 min 44 s; lower rates would be longer), so the limits are
//! raised here to measure speed rather than refuse.
use std::path::PathBuf;
use std::time::{Duration, Instant};

use switchboard::voices::analysis::{Limits, analyze};

const FORMATS: [&str; 7] = ["wav", "flac", "mp3", "m4a", "ogg", "opus", "webm"];
const MIB: f64 = 1024.0 * 1024.0;

fn main() {
    let dir = std::env::var_os("SWITCHBOARD_BENCH_AUDIO_DIR").map(PathBuf::from);
    let limits = Limits {
        max_bytes: 16 * 1024 * 1024,
        max_duration: Duration::from_secs(3600),
        deadline: Duration::from_secs(600),
    };
    println!("peak RSS before: {:.1} MiB", peak_rss_mib());
    println!("{:<6} {:>9} {:>10} {:>10} {:>12}", "format", "file MiB", "audio", "analysis", "× real time");
    let mut rows = 0;
    for ext in FORMATS {
        let bytes = match (&dir, ext) {
            (Some(dir), _) => match std::fs::read(dir.join(format!("sample.{ext}"))) {
                Ok(bytes) => bytes,
                Err(e) => {
                    println!("{ext:<6} skipped: {e}");
                    continue;
                }
            },
            (None, "wav") => generated_wav(10 * 1024 * 1024),
            (None, _) => continue,
        };
        // Best of three: the machine is shared.
        let mut best = Duration::MAX;
        let mut report = None;
        for _ in 0..3 {
            let started = Instant::now();
            let r = analyze(&bytes, Some(&format!("sample.{ext}")), None, &limits);
            best = best.min(started.elapsed());
            report = Some(r);
        }
        let report = match report {
            Some(Ok(report)) => report,
            Some(Err(e)) => {
                println!("{ext:<6} failed: {}", e.message());
                continue;
            }
            None => continue,
        };
        let audio = Duration::from_millis(report.duration_ms);
        println!(
            "{:<6} {:>9.2} {:>9.1}s {:>9.3}s {:>11.0}×",
            ext,
            bytes.len() as f64 / MIB,
            audio.as_secs_f64(),
            best.as_secs_f64(),
            audio.as_secs_f64() / best.as_secs_f64().max(1e-9)
        );
        rows += 1;
    }
    println!("peak RSS after: {:.1} MiB (VmHWM, whole process, inputs included)", peak_rss_mib());
    assert!(rows > 0, "no sample analysed");
}

/// `size` bytes of 48 kHz stereo 16-bit WAV: syllable-like tone bursts.
fn generated_wav(size: usize) -> Vec<u8> {
    let data_len = (size - 44) / 4 * 4;
    let mut b = Vec::with_capacity(size);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&u32::try_from(data_len + 36).unwrap_or(u32::MAX).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    for v in [1u16, 2] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for v in [48_000u32, 48_000 * 4] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    for v in [4u16, 16] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(b"data");
    b.extend_from_slice(&u32::try_from(data_len).unwrap_or(u32::MAX).to_le_bytes());
    for n in 0..data_len / 4 {
        let t = n as f64 / 48_000.0;
        // 300 ms syllables every 550 ms.
        let env = if t % 0.55 < 0.3 { (std::f64::consts::PI * (t % 0.55) / 0.3).sin().powi(2) } else { 0.0 };
        let s = (env * 0.4 * (2.0 * std::f64::consts::PI * 150.0 * t).sin() * 32767.0) as i16;
        b.extend_from_slice(&s.to_le_bytes());
        b.extend_from_slice(&s.to_le_bytes());
    }
    b
}

/// The process's peak resident set (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
