//! From bytes to measures: probe the container from its bytes (the file
//! name and content type only order the guesses), check what the header
//! promises (length against the limit), decode packet by packet into the
//! meter while watching the clock and the running length, and at the end
//! compare what was decoded with what the header promised, so that a file
//! cut short is an error rather than a shorter report.
use std::io::Cursor;
use std::time::Instant;

use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::codecs::audio::well_known::CODEC_ID_OPUS;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::well_known as formats;
use symphonia::core::formats::{FormatOptions, FormatReader, Track, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

use super::measure::{Measures, Meter};
use super::opus::OpusStream;
use super::{Format, Limits, SampleError};

/// What the decoder learnt about the stream, with the meter's measures.
pub(super) struct Decoded {
    pub format: Format,
    pub codec: String,
    /// The rate the audio was recorded at (for Opus, the encoder's input
    /// rate from its header; decoding is always at 48 kHz).
    pub sample_rate: u32,
    pub channels: u16,
    /// The rate `measures.frames` counts at.
    pub decode_rate: u32,
    pub measures: Measures,
}

/// Packets that fail to decode are skipped (a glitch is not worth refusing a
/// take for) unless they are more than this share of the stream.
const MAX_BAD_PACKET_SHARE: f64 = 0.05;

pub(super) fn decode(
    bytes: &[u8],
    filename: Option<&str>,
    content_type: Option<&str>,
    limits: &Limits,
    started: Instant,
) -> Result<Decoded, SampleError> {
    let mut hint = Hint::new();
    if let Some(ext) = filename.and_then(|f| f.rsplit_once('.')).map(|(_, ext)| ext) {
        hint.with_extension(&ext.to_ascii_lowercase());
    }
    if let Some(mime) = content_type {
        hint.mime_type(mime);
    }
    let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
    let mut reader = symphonia::default::get_probe()
        .probe(&hint, mss, FormatOptions::default(), MetadataOptions::default())
        // A file that starts like one of our containers but does not parse
        // was cut (an MP4 whose index comes last loses it) or damaged, not
        // mislabelled.
        .map_err(|_| if has_known_magic(bytes) { SampleError::Truncated } else { SampleError::NotAudio })?;
    let format = container(reader.as_ref())?;
    let track = reader.default_track(TrackType::Audio).cloned().ok_or(SampleError::NotAudio)?;
    let params = track.codec_params.as_ref().and_then(|p| p.audio()).cloned().ok_or(SampleError::NotAudio)?;

    let header = Header::read(&track, params.sample_rate);
    if let Some(seconds) = header.seconds
        && seconds > limits.max_duration.as_secs_f64()
    {
        return Err(SampleError::TooLong { max_seconds: limits.max_duration.as_secs(), seconds: Some(seconds as u64) });
    }

    let mut source = if params.codec == CODEC_ID_OPUS {
        Source::Opus(Box::new(OpusStream::new(&params)?))
    } else {
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|_| SampleError::Unsupported(codec_label(&params)))?;
        Source::Symphonia(decoder)
    };

    let mut meter: Option<Meter> = None;
    let mut samples: Vec<f32> = Vec::new();
    let (mut packets, mut bad_packets) = (0u64, 0u64);
    let mut cut = false;
    loop {
        if started.elapsed() > limits.deadline {
            return Err(SampleError::TimedOut);
        }
        let packet = match reader.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            // A chained Ogg stream: the first link is the sample.
            Err(SymError::ResetRequired) => break,
            // The end of the bytes in the middle of a packet (the usual cut),
            // or a container structure that does not parse: either way the
            // rest of the sample is lost.
            Err(_) => {
                cut = true;
                break;
            }
        };
        if packet.track_id != track.id {
            continue;
        }
        packets += 1;
        let spec = match &mut source {
            Source::Symphonia(decoder) => match decoder.decode(&packet) {
                Ok(buf) => {
                    buf.copy_to_vec_interleaved(&mut samples);
                    Some((buf.spec().rate(), buf.spec().channels().count()))
                }
                Err(SymError::DecodeError(_) | SymError::IoError(_)) => None,
                Err(_) => return Err(SampleError::Unsupported(codec_label(&params))),
            },
            Source::Opus(opus) => opus.decode(&packet.data, &mut samples).map(|channels| (48_000, channels)),
        };
        let Some((rate, channels)) = spec else {
            bad_packets += 1;
            continue;
        };
        if rate == 0 || channels == 0 {
            bad_packets += 1;
            continue;
        }
        let meter = meter.get_or_insert_with(|| Meter::new(rate, channels));
        if meter.rate() != rate || meter.channels() != channels {
            return Err(SampleError::Unsupported("audio whose rate or channels change midway".into()));
        }
        meter.push(&mut samples);
        // Formats that do not state their length (MP3 without a VBR header,
        // WebM from a browser) are held to the limit as they decode.
        if meter.frames() as f64 / f64::from(rate) > limits.max_duration.as_secs_f64() {
            return Err(SampleError::TooLong { max_seconds: limits.max_duration.as_secs(), seconds: None });
        }
    }

    let Some(meter) = meter else {
        // Not one packet decoded: an empty stream, or one that is all damage.
        return Err(if packets == 0 && !cut { SampleError::Empty } else { SampleError::Truncated });
    };
    if bad_packets as f64 > MAX_BAD_PACKET_SHARE * packets as f64 {
        return Err(SampleError::Truncated);
    }
    let decode_rate = meter.rate();
    let channels = u16::try_from(meter.channels()).unwrap_or(u16::MAX);
    let measures = meter.finish();
    if cut || header.is_short(format, measures.frames, decode_rate) {
        return Err(SampleError::Truncated);
    }
    let (codec, sample_rate) = match &source {
        Source::Symphonia(decoder) => (decoder.codec_info().short_name.to_string(), decode_rate),
        Source::Opus(opus) => ("opus".to_string(), opus.input_rate().unwrap_or(decode_rate)),
    };
    Ok(Decoded { format, codec, sample_rate, channels, decode_rate, measures })
}

enum Source {
    Symphonia(Box<dyn symphonia::core::codecs::audio::AudioDecoder>),
    Opus(Box<OpusStream>),
}

/// What the container's header says about the track's length.
struct Header {
    /// Playable frames, at the track's sample rate.
    frames: Option<u64>,
    rate: Option<u32>,
    seconds: Option<f64>,
}

impl Header {
    fn read(track: &Track, rate: Option<u32>) -> Header {
        let from_frames = track.num_frames.zip(rate).filter(|(_, r)| *r > 0).map(|(n, r)| n as f64 / f64::from(r));
        let from_duration =
            track.duration.zip(track.time_base).and_then(|(d, tb)| tb.calc_duration(d)).map(|t| t.as_secs_f64());
        Header { frames: track.num_frames, rate, seconds: from_frames.or(from_duration) }
    }

    /// Whether fewer frames were decoded than the header promised. Only for
    /// containers whose header states the length exactly: an MP3 without a
    /// VBR header has an estimate from its size, and a browser's WebM often
    /// no length at all.
    fn is_short(&self, format: Format, decoded: u64, decode_rate: u32) -> bool {
        if !matches!(format, Format::Wav | Format::Flac | Format::M4a | Format::Ogg) {
            return false;
        }
        let (Some(expected), Some(rate)) = (self.frames, self.rate) else { return false };
        if expected == 0 || rate == 0 {
            // FLAC writes 0 for "unknown".
            return false;
        }
        // Compare at the header's rate (Opus decodes at 48 kHz whatever its
        // header says) and allow 1% or 100 ms, whichever is larger, for
        // codec delay and padding.
        let decoded = (decoded as f64 * f64::from(rate) / f64::from(decode_rate.max(1))) as u64;
        let slack = (expected / 100).max(u64::from(rate) / 10);
        decoded.saturating_add(slack) < expected
    }
}

fn container(reader: &dyn FormatReader) -> Result<Format, SampleError> {
    let id = reader.format_info().format;
    Ok(match id {
        formats::FORMAT_ID_WAVE => Format::Wav,
        formats::FORMAT_ID_MP3 => Format::Mp3,
        formats::FORMAT_ID_ISOMP4 => Format::M4a,
        formats::FORMAT_ID_OGG => Format::Ogg,
        formats::FORMAT_ID_MKV => Format::WebM,
        formats::FORMAT_ID_FLAC => Format::Flac,
        // ADTS (raw AAC) comes with the AAC decoder but is not an accepted upload.
        _ => return Err(SampleError::NotAudio),
    })
}

/// The name of a codec we have no decoder for, for the Admin's message.
fn codec_label(params: &symphonia::core::codecs::audio::AudioCodecParameters) -> String {
    symphonia::default::get_codecs()
        .get_audio_decoder(params.codec)
        .map(|d| d.codec.info.short_name.to_string())
        .unwrap_or_else(|| format!("{}", params.codec))
}

/// Whether the bytes start like one of the accepted containers.
fn has_known_magic(bytes: &[u8]) -> bool {
    let starts = |m: &[u8]| bytes.starts_with(m);
    (starts(b"RIFF") && bytes.get(8..12) == Some(b"WAVE"))
        || starts(b"fLaC")
        || starts(b"OggS")
        || starts(b"ID3")
        || starts(&[0x1a, 0x45, 0xdf, 0xa3])
        || bytes.get(4..8) == Some(b"ftyp")
}
