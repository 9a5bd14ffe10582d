//! Markers that survive a real codec: who sent a frame, which frame, and
//! when it was captured, drawn into the picture as large black and white
//! blocks (like the barcodes of WebRTC's own video-quality tests), and a
//! tone of the sender's own frequency in the audio. The receiving side
//! reads both back after decoding. The layout is in `docs/media.md`, so
//! another SDK (a browser page) can write and read the same markers.
//!
//! Video: the picture is a grid of 8 × 8 cells, each a whole number of
//! pixels (`width / 8` × `height / 8`, the remainder at the right and
//! bottom edges is mid grey). Cell `i` (row-major from the top left) is bit
//! `63 - i` of a 64-bit word, most significant first: white (luma 235) is 1,
//! black (luma 16) is 0. The word is
//! `tag u16 | number u20 | capture_ms u20 | crc8`: the sender's tag
//! ([`tag_of`]), the frame number (modulo 2^20), the capture time in
//! milliseconds of the Unix epoch (modulo 2^20), and a CRC-8 (polynomial
//! 0x07) over the first 56 bits. Chroma is neutral (128).

use std::time::Duration;

/// Cells per row and per column.
pub const GRID: usize = 8;
/// Luma of a 1 cell and of a 0 cell (BT.601 studio range).
const WHITE: u8 = 235;
const BLACK: u8 = 16;
const GREY: u8 = 128;
const FIELD_20: u64 = (1 << 20) - 1;

/// What a frame's marker says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoMarker {
    /// The sender's tag: [`tag_of`] of their user id.
    pub tag: u16,
    /// The frame number, modulo 2^20.
    pub number: u32,
    /// Capture time, milliseconds of the Unix epoch modulo 2^20.
    pub capture_ms: u32,
}

/// A user's tag: FNV-1a of the user id, folded to 16 bits. Tags of users
/// in one call are told apart; two ids may share one (1 in 65,536).
pub fn tag_of(user_id: &str) -> u16 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in user_id.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    ((hash >> 16) ^ (hash & 0xffff)) as u16
}

/// CRC-8, polynomial x^8 + x^2 + x + 1 (0x07), initial value 0.
fn crc8(bytes: &[u8]) -> u8 {
    let mut crc = 0u8;
    for b in bytes {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x07
            } else {
                crc << 1
            };
        }
    }
    crc
}

impl VideoMarker {
    /// The 64-bit word the cells carry.
    pub fn word(&self) -> u64 {
        let body = (u64::from(self.tag) << 48)
            | ((u64::from(self.number) & FIELD_20) << 28)
            | ((u64::from(self.capture_ms) & FIELD_20) << 8);
        let bytes = body.to_be_bytes();
        body | u64::from(crc8(&bytes[..7]))
    }

    /// The marker a word carries, if its CRC holds. An all-zero word is
    /// none: it is what an all-black picture reads as (a player before its
    /// first frame), and its CRC holds too.
    pub fn from_word(word: u64) -> Option<VideoMarker> {
        let bytes = word.to_be_bytes();
        if word == 0 || crc8(&bytes[..7]) != bytes[7] {
            return None;
        }
        Some(VideoMarker {
            tag: (word >> 48) as u16,
            number: ((word >> 28) & FIELD_20) as u32,
            capture_ms: ((word >> 8) & FIELD_20) as u32,
        })
    }

    /// How long ago (by `now_ms`, the receiver's clock in milliseconds of
    /// the Unix epoch) the frame was captured; the 20-bit field wraps every
    /// ~17 minutes, far longer than any frame is in flight.
    pub fn age(&self, now_ms: u64) -> Duration {
        let now = (now_ms & FIELD_20) as u32;
        let ms = now.wrapping_sub(self.capture_ms) & FIELD_20 as u32;
        Duration::from_millis(u64::from(ms))
    }
}

/// The pixel span of cell `i` along an axis of `len` pixels.
fn span(i: usize, len: usize) -> std::ops::Range<usize> {
    let cell = len / GRID;
    i * cell..(i + 1) * cell
}

/// An I420 picture (Y plane, then U and V at half size) with the marker
/// drawn over all of it.
pub fn draw_i420(marker: &VideoMarker, width: usize, height: usize) -> Vec<u8> {
    let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
    let mut yuv = vec![GREY; width * height + 2 * cw * ch];
    let word = marker.word();
    for row in 0..GRID {
        for col in 0..GRID {
            let bit = word >> (63 - (row * GRID + col)) & 1;
            let luma = if bit == 1 { WHITE } else { BLACK };
            for y in span(row, height) {
                yuv[y * width..][span(col, width)].fill(luma);
            }
        }
    }
    yuv
}

/// The grain the virtual camera adds (see [`add_grain`]): at 0.1 bit per
/// pixel, what OpenH264's rate control then spends is within ~15 % of its
/// target, and every marker still reads.
pub const GRAIN: u8 = 8;

/// Grain of up to ±`amplitude` on the luma, new in every frame (`seed`):
/// a flat barcode costs an encoder almost nothing after the first frame;
/// with grain it spends what its rate control allows, as on a real camera
/// picture. A reader takes each cell's mean, which the grain leaves alone.
pub fn add_grain(yuv: &mut [u8], width: usize, height: usize, seed: u64, amplitude: u8) {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let span = u64::from(amplitude) * 2 + 1;
    for px in yuv.iter_mut().take(width * height) {
        // xorshift64: cheap, and the same seed gives the same picture.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let delta = (state % span) as i16 - i16::from(amplitude);
        *px = (i16::from(*px) + delta).clamp(0, 255) as u8;
    }
}

/// Reads a marker from a decoded luma plane (`stride` bytes per row): each
/// cell's bit is the mean of its central half against mid grey. `None`
/// when the CRC fails (no marker, or a picture too damaged to read).
pub fn read_luma(y: &[u8], stride: usize, width: usize, height: usize) -> Option<VideoMarker> {
    if width < GRID * 2 || height < GRID * 2 || stride < width {
        return None;
    }
    let mut word = 0u64;
    for row in 0..GRID {
        for col in 0..GRID {
            let (ys, xs) = (span(row, height), span(col, width));
            let (qy, qx) = (ys.len() / 4, xs.len() / 4);
            let (mut sum, mut n) = (0u64, 0u64);
            for yy in ys.start + qy..ys.end - qy {
                let line = y.get(yy * stride..yy * stride + width)?;
                for px in &line[xs.start + qx..xs.end - qx] {
                    sum += u64::from(*px);
                    n += 1;
                }
            }
            let bit = u64::from(n > 0 && sum / n.max(1) >= u64::from(GREY));
            word = (word << 1) | bit;
        }
    }
    VideoMarker::from_word(word)
}

/// The audio marker: a sine whose frequency says who sends it. 20 steps of
/// 100 Hz from 300 Hz (every one a whole number of cycles in a 10 ms
/// window, so a 20 ms packet's spectrum has no leakage between them).
pub fn tone_hz(tag: u16) -> u32 {
    300 + 100 * (u32::from(tag) % 20)
}

/// The candidate tone frequencies, lowest first.
pub fn tone_frequencies() -> impl Iterator<Item = u32> {
    (0..20).map(|k| 300 + 100 * k)
}

/// Power of `samples` at `hz` (Goertzel), normalised by the length.
fn goertzel(samples: &[i16], sample_rate: u32, hz: u32) -> f64 {
    let w = std::f64::consts::TAU * f64::from(hz) / f64::from(sample_rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for s in samples {
        let s0 = f64::from(*s) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    power / (samples.len().max(1) as f64).powi(2)
}

/// The marker tone heard in decoded audio, if one stands out: the candidate
/// frequency with the most power, provided it carries most of the signal's
/// energy (noise, speech or silence have none that does).
pub fn detect_tone(samples: &[i16], sample_rate: u32) -> Option<u32> {
    if samples.len() < 160 {
        return None;
    }
    let energy = samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len() as f64;
    if energy < 1000.0 {
        return None; // silence (under -50 dBFS)
    }
    let (hz, power) = tone_frequencies()
        .map(|hz| (hz, goertzel(samples, sample_rate, hz)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    // A pure sine of amplitude A has mean energy A²/2 and Goertzel power
    // A²/4: a tone that dominates gives a ratio near 0.5.
    (power / energy > 0.3).then_some(hz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(hz: u32, n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                let t = i as f64 / 48_000.0;
                (10_000.0 * (std::f64::consts::TAU * f64::from(hz) * t).sin()) as i16
            })
            .collect()
    }

    #[test]
    fn a_black_picture_carries_no_marker() {
        assert_eq!(VideoMarker::from_word(0), None);
    }

    #[test]
    fn markers_round_trip_through_pixels_at_every_size() {
        let m = VideoMarker {
            tag: tag_of("alice"),
            number: 123_456,
            capture_ms: 987_654,
        };
        for (w, h) in [(640, 480), (320, 240), (88, 72), (1280, 720), (175, 143)] {
            let yuv = draw_i420(&m, w, h);
            assert_eq!(read_luma(&yuv, w, w, h), Some(m), "{w}x{h}");
        }
    }

    #[test]
    fn a_damaged_or_foreign_picture_reads_as_nothing() {
        let m = VideoMarker {
            tag: 7,
            number: 1,
            capture_ms: 2,
        };
        let (w, h) = (320, 240);
        let mut yuv = draw_i420(&m, w, h);
        // Invert one cell: the CRC no longer holds.
        for y in span(3, h) {
            for px in &mut yuv[y * w..][span(5, w)] {
                *px = if *px == WHITE { BLACK } else { WHITE };
            }
        }
        assert_eq!(read_luma(&yuv, w, w, h), None);
        assert_eq!(read_luma(&vec![GREY; w * h], w, w, h), None);
        assert_eq!(read_luma(&[0; 10], 4, 4, 2), None);
    }

    #[test]
    fn age_wraps_with_the_field() {
        let m = VideoMarker {
            tag: 0,
            number: 0,
            capture_ms: (FIELD_20 as u32) - 5,
        };
        assert_eq!(m.age((1 << 20) * 3 + 10), Duration::from_millis(16));
    }

    #[test]
    fn the_suites_users_have_distinct_tones_and_tags() {
        let users = ["alice", "bob", "carol", "dave", "erin"];
        let tones: std::collections::HashSet<_> =
            users.iter().map(|u| tone_hz(tag_of(u))).collect();
        assert_eq!(tones.len(), users.len(), "{tones:?}");
    }

    #[test]
    fn each_tone_is_told_from_its_neighbours() {
        for hz in tone_frequencies() {
            assert_eq!(detect_tone(&sine(hz, 960), 48_000), Some(hz));
        }
        assert_eq!(detect_tone(&vec![0; 960], 48_000), None);
        // Two tones of equal strength: neither dominates.
        let mix: Vec<i16> = sine(500, 960)
            .iter()
            .zip(sine(1200, 960))
            .map(|(a, b)| a / 2 + b / 2)
            .collect();
        assert_eq!(detect_tone(&mix, 48_000), None);
    }
}
