//! Tests of the analysis on generated audio (tests/fixtures/audio, made by
//! scripts/make-audio-fixtures, which says what each source is) in every
//! accepted format, and on bad files.
#![allow(clippy::unwrap_used)]

mod bad_files;
mod fixtures;
mod summary;

use std::path::PathBuf;

use super::{Format, Limits, SampleReport, analyze};

/// Every accepted format: the fixture's extension and the container the
/// analysis must detect.
const FORMATS: [(&str, Format); 7] = [
    ("wav", Format::Wav),
    ("flac", Format::Flac),
    ("mp3", Format::Mp3),
    ("m4a", Format::M4a),
    ("ogg", Format::Ogg),
    ("opus", Format::Ogg),
    ("webm", Format::WebM),
];

const SOURCES: [&str; 4] = ["sine", "silence", "noise", "bursts"];

fn fixture_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audio").join(file)
}

fn fixture(file: &str) -> Vec<u8> {
    std::fs::read(fixture_path(file)).unwrap_or_else(|e| panic!("fixture {file}: {e}"))
}

fn report(file: &str) -> SampleReport {
    analyze(&fixture(file), Some(file), None, &Limits::default()).unwrap_or_else(|e| panic!("{file}: {e:?}"))
}

fn lossless(ext: &str) -> bool {
    matches!(ext, "wav" | "flac")
}
