//! Synthetic media payloads: no codec, but real RTP with the negotiated
//! payload types. A video frame is
//! `NCF1 | number u64 | width u16 | height u16 | sent_at_us u64` padded with
//! zeros to [`frame_bytes`] (what a VP8 encoder spends on such a frame), so
//! a frame of 640x480 spans several RTP packets and the bit rate is
//! realistic; an audio packet is `NCA1 | number u64` followed by 20 ms of a tone.

use std::time::{SystemTime, UNIX_EPOCH};

const VIDEO_MAGIC: &[u8; 4] = b"NCF1";
const AUDIO_MAGIC: &[u8; 4] = b"NCA1";

/// Microseconds since the Unix epoch (sender and receiver share a clock on
/// one machine; the difference is the end-to-end delay).
pub(crate) fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    pub number: u64,
    pub width: u16,
    pub height: u16,
    pub sent_at_us: u64,
}

/// Bytes of a synthetic frame: 0.1 bit per pixel, a VP8 encoder's budget
/// for a talking head (640x480 -> 3,840 bytes; at 15 fps ~460 kbit/s).
pub(crate) fn frame_bytes(width: u16, height: u16) -> usize {
    (usize::from(width) * usize::from(height) / 80).max(24)
}

pub(crate) fn encode_frame(h: FrameHeader) -> Vec<u8> {
    let mut out = Vec::with_capacity(frame_bytes(h.width, h.height));
    out.extend_from_slice(VIDEO_MAGIC);
    out.extend_from_slice(&h.number.to_be_bytes());
    out.extend_from_slice(&h.width.to_be_bytes());
    out.extend_from_slice(&h.height.to_be_bytes());
    out.extend_from_slice(&h.sent_at_us.to_be_bytes());
    out.resize(frame_bytes(h.width, h.height), 0);
    out
}

/// Finds a frame header at the start of an RTP payload, behind the VP8
/// payload descriptor (a few bytes); later packets of a frame have none.
pub(crate) fn decode_frame(payload: &[u8]) -> Option<FrameHeader> {
    let at = payload.windows(4).take(8).position(|w| w == VIDEO_MAGIC)?;
    let b = payload.get(at + 4..at + 24)?;
    Some(FrameHeader {
        number: u64::from_be_bytes(b[0..8].try_into().ok()?),
        width: u16::from_be_bytes(b[8..10].try_into().ok()?),
        height: u16::from_be_bytes(b[10..12].try_into().ok()?),
        sent_at_us: u64::from_be_bytes(b[12..20].try_into().ok()?),
    })
}

pub(crate) fn encode_audio(number: u64, tone: &[i16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + tone.len() * 2);
    out.extend_from_slice(AUDIO_MAGIC);
    out.extend_from_slice(&number.to_be_bytes());
    for s in tone {
        out.extend_from_slice(&s.to_be_bytes());
    }
    out
}

pub(crate) fn is_audio(payload: &[u8]) -> bool {
    payload.windows(4).take(8).any(|w| w == AUDIO_MAGIC)
}

/// The tone samples of an audio packet, if it is one.
pub(crate) fn audio_samples(payload: &[u8]) -> Option<Vec<i16>> {
    let at = payload.windows(4).position(|w| w == AUDIO_MAGIC)?;
    let body = payload.get(at + 12..)?;
    Some(
        body.chunks_exact(2)
            .map(|c| i16::from_be_bytes([c[0], c[1]]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_behind_a_descriptor() {
        let h = FrameHeader {
            number: 42,
            width: 640,
            height: 480,
            sent_at_us: 7,
        };
        let mut rtp = vec![0x10];
        rtp.extend(encode_frame(h));
        assert_eq!(decode_frame(&rtp), Some(h));
        assert_eq!(rtp.len(), 1 + 3840);
        assert_eq!(decode_frame(&rtp[1200..]), None);
        assert_eq!(decode_frame(b"nothing"), None);
        assert!(is_audio(&encode_audio(3, &[1, 2])));
    }
}
