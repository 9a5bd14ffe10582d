//! H.264 constrained baseline (OpenH264, built from its bundled source):
//! the camera's pictures in, Annex B access units out; RTP packets in,
//! decoded pictures out. Public (`nccall::h264`) so that benchmarks and
//! tools measure the engine's own codec path, not a copy of it.
//!
//! Why H.264 and not VP8: every browser decodes constrained baseline, and
//! the `openh264` crate builds its codec with the C compiler alone; VP8
//! needs libvpx, which no crate bundles (only Debian's `libvpx-dev`).

use bytes::Bytes;
use openh264::OpenH264API;
use openh264::decoder::{Decoder, DecoderConfig};
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, Profile, QpRange,
    RateControlMode, SpsPpsStrategy, UsageType,
};
use openh264::formats::{YUVBuffer, YUVSource};
use rtc::rtp::codec::h264::H264Packet;
use rtc::rtp::packetizer::Depacketizer;

use super::marker::{VideoMarker, read_luma};

/// The one video format the engine offers and the SFU accepts: constrained
/// baseline (`42e01f`), level 3.1, non-interleaved packetization (FU-A).
pub const H264_FMTP: &str =
    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f";

/// An encoder of one picture size.
pub struct VideoEncoder {
    encoder: Encoder,
    width: usize,
    height: usize,
}

impl VideoEncoder {
    /// `bitrate_bps` is the rate control's target; the quantiser is capped
    /// so the marker's cells stay readable at the lowest configured rate.
    pub fn new(
        width: usize,
        height: usize,
        fps: u32,
        bitrate_bps: u32,
    ) -> Result<VideoEncoder, String> {
        let config = EncoderConfig::new()
            .profile(Profile::Baseline)
            .usage_type(UsageType::CameraVideoRealTime)
            .rate_control_mode(RateControlMode::Bitrate)
            .bitrate(BitRate::from_bps(bitrate_bps.max(30_000)))
            .max_frame_rate(FrameRate::from_hz(fps.max(1) as f32))
            // Rate control needs leave to skip a frame (OpenH264 warns it
            // cannot hold the rate otherwise); a skipped frame is a gap in
            // the marker numbers, which receivers allow.
            .skip_frames(true)
            .qp(QpRange::new(10, 42))
            .complexity(Complexity::Low)
            // Key frames when asked for (PLI/FIR) and at the start, none on a timer.
            .intra_frame_period(IntraFramePeriod::from_num_frames(0))
            // Parameter sets repeat before every key frame, so a receiver
            // that joins on one can decode it.
            .sps_pps_strategy(SpsPpsStrategy::ConstantId)
            .num_threads(1);
        let encoder = Encoder::with_api_config(OpenH264API::from_source(), config)
            .map_err(|e| format!("H.264 encoder: {e}"))?;
        Ok(VideoEncoder {
            encoder,
            width,
            height,
        })
    }

    pub(crate) fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// Encodes one I420 picture of this encoder's size into an Annex B
    /// access unit (empty when rate control skipped the picture); a key
    /// frame when `keyframe`.
    pub fn encode(&mut self, i420: Vec<u8>, keyframe: bool) -> Result<Vec<u8>, String> {
        if keyframe {
            self.encoder.force_intra_frame();
        }
        let picture = YUVBuffer::from_vec(i420, self.width, self.height);
        let stream = self
            .encoder
            .encode(&picture)
            .map_err(|e| format!("H.264 encode: {e}"))?;
        Ok(stream.to_vec())
    }
}

/// What one RTP packet completed.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// Nothing yet (a packet in the middle of a frame, or a frame skipped
    /// while waiting for a key frame).
    Nothing,
    /// A picture: its size from the decoder, its marker if readable.
    Picture {
        /// Width in pixels, as decoded.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The picture's marker (sender, frame number, capture time), if it reads.
        marker: Option<VideoMarker>,
    },
    /// The stream cannot be decoded until a key frame comes: ask for one.
    NeedKeyframe,
}

/// Reassembles access units from RTP packets (RFC 6184) and decodes them.
pub struct VideoDecoder {
    decoder: Decoder,
    depacketizer: H264Packet,
    unit: Vec<u8>,
    /// RTP timestamp of the access unit being assembled.
    timestamp: Option<u32>,
    /// Sequence number expected next.
    next_seq: Option<u16>,
    /// A packet of this access unit was lost.
    broken: bool,
    /// No decodable reference: skip until an IDR picture arrives.
    waiting_for_keyframe: bool,
}

/// NAL unit types (RFC 6184 §5.2, H.264 Table 7-1).
const NAL_IDR: u8 = 5;

/// Whether an Annex B access unit holds an IDR slice.
fn has_idr(unit: &[u8]) -> bool {
    unit.windows(4)
        .filter(|w| w[..3] == [0, 0, 1])
        .any(|w| w[3] & 0x1f == NAL_IDR)
}

impl VideoDecoder {
    /// A decoder waiting for its first key frame; an error if OpenH264 cannot start.
    pub fn new() -> Result<VideoDecoder, String> {
        let decoder = Decoder::with_api_config(OpenH264API::from_source(), DecoderConfig::new())
            .map_err(|e| format!("H.264 decoder: {e}"))?;
        Ok(VideoDecoder {
            decoder,
            depacketizer: H264Packet::default(),
            unit: Vec::new(),
            timestamp: None,
            next_seq: None,
            broken: false,
            waiting_for_keyframe: true,
        })
    }

    /// Feeds one RTP packet of the stream. A picture is decoded when the
    /// packet with the marker bit completes its access unit; a gap in the
    /// sequence numbers breaks the unit and every unit after it until the
    /// next key frame.
    pub fn push(&mut self, seq: u16, timestamp: u32, marker_bit: bool, payload: &[u8]) -> Decoded {
        let gap = self.next_seq.is_some_and(|n| n != seq);
        self.next_seq = Some(seq.wrapping_add(1));
        if self.timestamp != Some(timestamp) {
            // A new access unit; an unfinished one before it lost its end.
            if !self.unit.is_empty() {
                self.waiting_for_keyframe = true;
            }
            self.unit.clear();
            self.timestamp = Some(timestamp);
            self.depacketizer = H264Packet::default();
            self.broken = false;
        }
        if gap {
            // Lost packets were this unit's or whole units before it:
            // either way the decoder has lost a reference.
            self.broken = true;
            self.waiting_for_keyframe = true;
        }
        match self
            .depacketizer
            .depacketize(&Bytes::copy_from_slice(payload))
        {
            Ok(nals) => self.unit.extend_from_slice(&nals),
            Err(_) => self.broken = true,
        }
        if !marker_bit {
            return Decoded::Nothing;
        }
        let unit = std::mem::take(&mut self.unit);
        self.timestamp = None;
        if self.broken || (self.waiting_for_keyframe && !has_idr(&unit)) {
            self.waiting_for_keyframe = true;
            return Decoded::NeedKeyframe;
        }
        self.waiting_for_keyframe = false;
        match self.decoder.decode(&unit) {
            Ok(Some(picture)) => {
                let (w, h) = picture.dimensions();
                let (stride, _, _) = picture.strides();
                Decoded::Picture {
                    width: u32::try_from(w).unwrap_or(u32::MAX),
                    height: u32::try_from(h).unwrap_or(u32::MAX),
                    marker: read_luma(picture.y(), stride, w, h),
                }
            }
            Ok(None) => Decoded::Nothing,
            Err(_) => {
                self.waiting_for_keyframe = true;
                Decoded::NeedKeyframe
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::marker::{draw_i420, tag_of};
    use rtc::rtp::codec::h264::H264Payloader;
    use rtc::rtp::packetizer::Payloader;

    /// Packetizes an access unit as a sender would (1,200-byte payloads).
    fn packets(unit: &[u8]) -> Vec<Vec<u8>> {
        let mut p = H264Payloader::default();
        p.payload(1200, &Bytes::copy_from_slice(unit))
            .expect("payload")
            .into_iter()
            .map(|b| b.to_vec())
            .collect()
    }

    fn send(
        dec: &mut VideoDecoder,
        seq: &mut u16,
        ts: u32,
        unit: &[u8],
        skip: Option<usize>,
    ) -> Vec<Decoded> {
        let ps = packets(unit);
        let last = ps.len() - 1;
        let mut out = Vec::new();
        for (i, p) in ps.iter().enumerate() {
            *seq = seq.wrapping_add(1);
            if Some(i) == skip {
                continue;
            }
            out.push(dec.push(*seq, ts, i == last, p));
        }
        out
    }

    #[test]
    fn markers_survive_encoding_at_the_lowest_rate() {
        let (w, h) = (88, 72);
        let mut enc = VideoEncoder::new(w, h, 15, 30_000).expect("encoder");
        let mut dec = VideoDecoder::new().expect("decoder");
        let mut seq = 0u16;
        let mut read = 0;
        for n in 0..30u32 {
            let marker = VideoMarker {
                tag: tag_of("alice"),
                number: n,
                capture_ms: 1000 + n * 66,
            };
            let unit = enc
                .encode(draw_i420(&marker, w, h), n == 0)
                .expect("encode");
            for d in send(&mut dec, &mut seq, n * 6000, &unit, None) {
                if let Decoded::Picture {
                    width,
                    height,
                    marker: m,
                } = d
                {
                    assert_eq!((width, height), (88, 72));
                    assert_eq!(m, Some(marker), "frame {n}");
                    read += 1;
                }
            }
        }
        assert_eq!(read, 30);
    }

    #[test]
    fn a_lost_packet_asks_for_a_key_frame_and_decoding_resumes_on_one() {
        let (w, h) = (640, 480);
        let mut enc = VideoEncoder::new(w, h, 15, 500_000).expect("encoder");
        let mut dec = VideoDecoder::new().expect("decoder");
        let mut seq = 0u16;
        let marker = |n| VideoMarker {
            tag: 1,
            number: n,
            capture_ms: n,
        };
        let key = enc
            .encode(draw_i420(&marker(0), w, h), true)
            .expect("encode");
        assert!(packets(&key).len() > 1, "a key frame spans several packets");
        let out = send(&mut dec, &mut seq, 0, &key, Some(0));
        assert_eq!(out.last(), Some(&Decoded::NeedKeyframe));
        // Deltas without a reference are skipped, not decoded into garbage.
        let delta = enc
            .encode(draw_i420(&marker(1), w, h), false)
            .expect("encode");
        let out = send(&mut dec, &mut seq, 6000, &delta, None);
        assert!(
            !out.iter().any(|d| matches!(d, Decoded::Picture { .. })),
            "{out:?}"
        );
        let key = enc
            .encode(draw_i420(&marker(2), w, h), true)
            .expect("encode");
        let out = send(&mut dec, &mut seq, 12000, &key, None);
        assert!(out.contains(&Decoded::Picture {
            width: 640,
            height: 480,
            marker: Some(marker(2))
        }));
    }

    /// The virtual camera's picture (marker and grain) costs what the rate
    /// control is asked for, so bandwidth caps and capacity figures mean
    /// something; and every picture sent can still be read.
    #[test]
    fn the_camera_picture_costs_the_target_rate() {
        use crate::media::marker::{GRAIN, add_grain};
        let (w, h, target) = (320usize, 240usize, 115_000u32);
        let mut enc = VideoEncoder::new(w, h, 15, target).expect("encoder");
        let mut dec = VideoDecoder::new().expect("decoder");
        let (mut seq, mut bytes, mut sent, mut read) = (0u16, 0usize, 0u32, 0u32);
        for n in 0..45u32 {
            let m = VideoMarker {
                tag: 5,
                number: n,
                capture_ms: n,
            };
            let mut picture = draw_i420(&m, w, h);
            add_grain(&mut picture, w, h, u64::from(n), GRAIN);
            let unit = enc.encode(picture, n == 0).expect("encode");
            if unit.is_empty() {
                continue;
            }
            sent += 1;
            bytes += unit.len();
            for d in send(&mut dec, &mut seq, n * 6000, &unit, None) {
                if d == (Decoded::Picture {
                    width: 320,
                    height: 240,
                    marker: Some(m),
                }) {
                    read += 1;
                }
            }
        }
        let rate = (bytes * 8 * 15 / 45) as f64;
        assert!(
            (0.5..1.6).contains(&(rate / f64::from(target))),
            "{rate} bit/s for a target of {target}"
        );
        assert!(sent >= 36, "rate control skipped {} of 45", 45 - sent);
        assert_eq!(read, sent, "every picture sent is read back");
    }

    #[test]
    fn garbage_never_panics() {
        let mut dec = VideoDecoder::new().expect("decoder");
        let mut seq = 0u16;
        for (i, bytes) in [
            &[][..],
            &[0x7c][..],
            &[0x7c, 0x85, 1, 2, 3][..],
            &[0x65; 40][..],
            &[0x18, 0, 9, 1][..],
        ]
        .iter()
        .enumerate()
        {
            seq += 1;
            let _ = dec.push(seq, i as u32, true, bytes);
        }
    }
}
