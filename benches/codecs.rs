//! What the engine's codecs cost per stream: one 640×480 picture encoded
//! (H.264 constrained baseline at the engine's default rate, 0.1 bit per
//! pixel: ~460 kbit/s at 15 fps) and decoded, in steady state (a key frame
//! then deltas, as a call sends). A stream at 15 fps costs 15 × the median
//! of a core: docs/perf.md turns the medians into CPU shares.
//!
//! `cargo bench --bench codecs`

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use nccall::h264::{Decoded, VideoDecoder, VideoEncoder};
use nccall::marker::{GRAIN, VideoMarker, add_grain, draw_i420, tag_of};
use rtc::rtp::codec::h264::H264Payloader;
use rtc::rtp::packetizer::Payloader;

const WIDTH: usize = 640;
const HEIGHT: usize = 480;
const FPS: u32 = 15;
/// The engine's rate when the video config sets none: 0.1 bit per pixel.
const BITRATE: u32 = (WIDTH * HEIGHT) as u32 * FPS / 10;
/// Pictures in the loop: four seconds, as a camera's would differ.
const FRAMES: u32 = 60;

/// The camera's pictures: each user's marker, frame number, grain.
fn pictures() -> Vec<Vec<u8>> {
    (0..FRAMES)
        .map(|n| {
            let marker = VideoMarker {
                tag: tag_of("alice"),
                number: n + 1,
                capture_ms: n * 1000 / FPS,
            };
            let mut yuv = draw_i420(&marker, WIDTH, HEIGHT);
            add_grain(&mut yuv, WIDTH, HEIGHT, u64::from(n), GRAIN);
            yuv
        })
        .collect()
}

fn encode(c: &mut Criterion) {
    let pictures = pictures();
    let mut encoder = VideoEncoder::new(WIDTH, HEIGHT, FPS, BITRATE).expect("encoder");
    let mut n = 0usize;
    c.bench_function("h264_encode_640x480", |b| {
        b.iter(|| {
            // The clone is the camera handing over a picture (~0.46 MB).
            let picture = pictures[n % pictures.len()].clone();
            let unit = encoder.encode(picture, n == 0).expect("encode");
            n += 1;
            unit
        })
    });
}

fn decode(c: &mut Criterion) {
    // One key frame, then deltas, packetized as a sender does.
    let mut encoder = VideoEncoder::new(WIDTH, HEIGHT, FPS, BITRATE).expect("encoder");
    let mut payloader = H264Payloader::default();
    let frames: Vec<Vec<bytes::Bytes>> = pictures()
        .into_iter()
        .enumerate()
        .map(|(n, picture)| {
            let unit = encoder.encode(picture, n == 0).expect("encode");
            payloader
                .payload(1_200, &bytes::Bytes::from(unit))
                .expect("packetize")
        })
        .collect();
    let mut decoder = VideoDecoder::new().expect("decoder");
    let (mut n, mut seq) = (0usize, 0u16);
    c.bench_function("h264_decode_640x480", |b| {
        b.iter(|| {
            let packets = &frames[n % frames.len()];
            let timestamp = u32::try_from(n).unwrap_or(0).wrapping_mul(6_000);
            let mut shown = false;
            for (i, p) in packets.iter().enumerate() {
                seq = seq.wrapping_add(1);
                let d = decoder.push(seq, timestamp, i + 1 == packets.len(), p);
                shown |= matches!(d, Decoded::Picture { .. });
            }
            // Rate control may skip a picture (an empty unit): nothing to show.
            assert!(shown || packets.is_empty(), "frame {n} not decoded");
            n += 1;
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(8));
    targets = encode, decode
}
criterion_main!(benches);
