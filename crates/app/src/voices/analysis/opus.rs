//! Opus packets, demuxed by symphonia from Ogg or WebM, decoded by the
//! `opus-rs` crate.
//!
//! Why that crate: symphonia has no Opus decoder, and Chromium's
//! MediaRecorder writes WebM/Opus, so one is needed.
//! - The bindings to libopus (`opus`/`audiopus_sys`) build the C library
//!   with cmake, which neither this machine nor CI has, or link a system
//!   libopus that the binary would then need wherever it runs.
//! - `opus-decoder` (pure Rust, no unsafe code, passes the RFC 8251 vectors)
//!   was tried first: it decodes 48 kHz stereo CELT at about real time (30 s
//!   of 160 kbit/s took 22 s in release), so a long upload would hit the
//!   deadline.
//! - `opus-rs`, a port of libopus 1.6 (pure Rust, no C build), decodes the
//!   same 30 s in 0.12 s, and its output matches `opus-decoder`'s to 82–87 dB
//!   SNR on our fixtures. It does use unsafe code internally (its SIMD and
//!   buffer code); the packets it sees have passed symphonia's demuxer, and a
//!   panic is caught by [`super::analyze`] and reported as a damaged file.
//!
//! The stream's `OpusHead` (the Ogg identification header, or WebM's
//! CodecPrivate, which holds the same bytes) gives the channel count, the
//! pre-skip (encoder delay, samples at 48 kHz to drop from the start) and
//! the rate the encoder was fed. Output is always 48 kHz.
use opus_rs::OpusDecoder;
use symphonia::core::codecs::audio::AudioCodecParameters;

use super::SampleError;

const RATE: u32 = 48_000;
/// The longest Opus packet: 120 ms at 48 kHz, per channel.
const MAX_FRAMES_PER_PACKET: usize = 5_760;

pub(super) struct OpusStream {
    decoder: OpusDecoder,
    channels: usize,
    /// Frames still to drop from the start.
    pre_skip: usize,
    input_rate: Option<u32>,
    buf: Vec<f32>,
}

impl OpusStream {
    pub fn new(params: &AudioCodecParameters) -> Result<OpusStream, SampleError> {
        let head = params.extra_data.as_deref().and_then(OpusHead::parse);
        let channels = match &head {
            Some(head) => {
                // Mapping family 0 is mono or stereo; the others are
                // multistream layouts (surround, ambisonics), not a voice take.
                if head.mapping_family != 0 {
                    return Err(SampleError::Unsupported("Opus with more than two channels".into()));
                }
                usize::from(head.channels)
            }
            None => params.channels.as_ref().map(|c| c.count()).unwrap_or(0),
        };
        if !(1..=2).contains(&channels) {
            return Err(SampleError::Unsupported("Opus with more than two channels".into()));
        }
        let decoder =
            OpusDecoder::new(RATE as i32, channels).map_err(|e| SampleError::Unsupported(format!("Opus ({e})")))?;
        Ok(OpusStream {
            decoder,
            channels,
            pre_skip: head.as_ref().map_or(0, |h| usize::from(h.pre_skip)),
            input_rate: head.and_then(|h| h.input_rate).filter(|r| *r > 0),
            buf: vec![0.0; MAX_FRAMES_PER_PACKET * channels],
        })
    }

    /// Decodes one packet into `out` (interleaved, 48 kHz) and returns the
    /// channel count, or `None` for a packet that does not decode.
    pub fn decode(&mut self, packet: &[u8], out: &mut Vec<f32>) -> Option<usize> {
        out.clear();
        // An empty packet would ask the decoder to conceal a lost one: in a
        // file it is damage, not loss.
        if packet.is_empty() {
            return None;
        }
        let frames = self.decoder.decode(packet, MAX_FRAMES_PER_PACKET, &mut self.buf).ok()?;
        let frames = frames.min(MAX_FRAMES_PER_PACKET);
        let skip = self.pre_skip.min(frames);
        self.pre_skip -= skip;
        out.extend_from_slice(self.buf.get(skip * self.channels..frames * self.channels)?);
        Some(self.channels)
    }

    /// The rate the encoder was fed, when the header says.
    pub fn input_rate(&self) -> Option<u32> {
        self.input_rate
    }
}

/// The fields of `OpusHead` (RFC 7845 §5.1) the analysis needs.
struct OpusHead {
    channels: u8,
    pre_skip: u16,
    input_rate: Option<u32>,
    mapping_family: u8,
}

impl OpusHead {
    fn parse(bytes: &[u8]) -> Option<OpusHead> {
        if bytes.get(..8)? != b"OpusHead" {
            return None;
        }
        let u16_at = |i: usize| Some(u16::from_le_bytes([*bytes.get(i)?, *bytes.get(i + 1)?]));
        let u32_at = |i: usize| Some(u32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?));
        Some(OpusHead {
            channels: *bytes.get(9)?,
            pre_skip: u16_at(10)?,
            input_rate: u32_at(12),
            mapping_family: bytes.get(18).copied().unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::OpusHead;

    #[test]
    fn opus_head_is_read_and_short_heads_are_refused() {
        let mut head = b"OpusHead".to_vec();
        head.extend_from_slice(&[1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0]);
        let parsed = OpusHead::parse(&head).map(|h| (h.channels, h.pre_skip, h.input_rate, h.mapping_family));
        assert_eq!(parsed, Some((2, 312, Some(48_000), 0)));
        assert!(OpusHead::parse(&head[..10]).is_none());
        assert!(OpusHead::parse(b"OpusTags").is_none());
    }
}
