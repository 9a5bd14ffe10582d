//! The senders: an H.264 picture per frame interval while the camera
//! captures (full and low layers, the marker drawn in), an Opus packet of
//! the tone every 20 ms while the microphone is on; keyframes when the SFU
//! asks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use rtc::media::Sample;
use rtc::media_stream::MediaStreamTrack;
use rtc::rtp_transceiver::PayloadType;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use webrtc::media_stream::Track;
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};

use super::AbortOnDrop;
use crate::devices::{FRAME_SAMPLES, ToneSource};
use crate::media::MediaShared;
use crate::media::h264::VideoEncoder;
use crate::media::keyframe_requests::keyframes_asked;
use crate::media::marker::{GRAIN, VideoMarker, add_grain, draw_i420, tone_hz};
use crate::media::now_us;
use crate::media::quality::level_of;
use crate::media::views::RenderedFrame;

/// A sending track. `id` must differ between the tracks of a connection:
/// the crate routes RTCP feedback (keyframe requests) to a track by its id.
pub(super) fn local_track(
    id: &str,
    codec: RTCRtpCodec,
    ssrc: u32,
) -> Result<Arc<TrackLocalStaticSample>, String> {
    let kind = if codec.mime_type.starts_with("video/") {
        RtpCodecKind::Video
    } else {
        RtpCodecKind::Audio
    };
    let mime = codec.mime_type.clone();
    let track = TrackLocalStaticSample::new(
        Instant::now(),
        MediaStreamTrack::new(
            "nccall".to_owned(),
            format!("nccall-{id}"),
            "nccall".to_owned(),
            kind,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(ssrc),
                    ..Default::default()
                },
                codec,
                ..Default::default()
            }],
        ),
    )
    .map_err(|e| format!("cannot make a {mime} track: {e}"))?;
    Ok(Arc::new(track))
}

/// SSRCs that differ between the engines of one process.
pub(super) fn next_ssrc() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0x4e43_0000);
    NEXT.fetch_add(1, Ordering::Relaxed) ^ std::process::id().rotate_left(16)
}

/// Key frames asked for (PLI or FIR from the SFU), per video layer,
/// known by the SSRC the layer is sent on.
#[derive(Default)]
pub(crate) struct KeyframeWanted {
    full_ssrc: AtomicU32,
    low_ssrc: AtomicU32,
    full: AtomicBool,
    low: AtomicBool,
}

impl KeyframeWanted {
    pub(super) fn ask(&self, ssrc: u32) {
        if ssrc == self.full_ssrc.load(Ordering::SeqCst) {
            self.full.store(true, Ordering::SeqCst);
        } else if ssrc == self.low_ssrc.load(Ordering::SeqCst) {
            self.low.store(true, Ordering::SeqCst);
        }
    }
}

/// Notes every key frame the SFU asks the track for. (The crate hands
/// feedback about a stream to the remote track of the same transceiver once
/// that exists; `receive` notes those.)
pub(super) async fn watch_keyframe_requests(
    track: Arc<TrackLocalStaticSample>,
    shared: Arc<MediaShared>,
) {
    let wanted = &shared.keyframes;
    while let Some(event) = track.poll().await {
        let TrackLocalEvent::OnRtcpPacket(packets) = event else {
            continue;
        };
        for ssrc in keyframes_asked(&packets) {
            wanted.ask(ssrc);
        }
    }
}

/// The target bit rate of the full layer: the config's highest, else 0.1
/// bit per pixel (what a talking head costs; 640x480 at 15 fps: ~460
/// kbit/s). The low layer gets a quarter.
pub(super) fn full_layer_bitrate(width: u32, height: u32, fps: u32, max_kbps: u32) -> u32 {
    if max_kbps > 0 {
        max_kbps.saturating_mul(1000)
    } else {
        (width * height * fps.max(1)) / 10
    }
}

/// The encoders of both layers, built for one capture size and rate.
pub(super) struct Layers {
    key: (u32, u32, u32, u32),
    full: VideoEncoder,
    low: VideoEncoder,
}

impl Layers {
    pub(super) fn new(width: u32, height: u32, fps: u32, max_kbps: u32) -> Result<Layers, String> {
        let bitrate = full_layer_bitrate(width, height, fps, max_kbps);
        let (w, h) = (width as usize, height as usize);
        Ok(Layers {
            key: (width, height, fps, max_kbps),
            full: VideoEncoder::new(w, h, fps, bitrate)?,
            low: VideoEncoder::new(w / 2, h / 2, fps, bitrate / 4)?,
        })
    }
}

pub(super) async fn send_video(
    track: Arc<TrackLocalStaticSample>,
    pt: PayloadType,
    low: Arc<TrackLocalStaticSample>,
    low_pt: PayloadType,
    shared: Arc<MediaShared>,
) {
    let (Some(ssrc), Some(low_ssrc)) = (
        track.ssrcs().await.first().copied(),
        low.ssrcs().await.first().copied(),
    ) else {
        return;
    };
    let wanted = &shared.keyframes;
    wanted.full_ssrc.store(ssrc, Ordering::SeqCst);
    wanted.low_ssrc.store(low_ssrc, Ordering::SeqCst);
    let requests = [
        tokio::spawn(watch_keyframe_requests(track.clone(), shared.clone())),
        tokio::spawn(watch_keyframe_requests(low.clone(), shared.clone())),
    ];
    let _stop_requests = AbortOnDrop(requests);
    let mut layers: Option<Layers> = None;
    let mut number: u64 = 0;
    let mut next = tokio::time::Instant::now();
    loop {
        let fps = shared.fps.load(Ordering::SeqCst).max(1);
        let interval = Duration::from_micros(1_000_000 / u64::from(fps));
        tokio::time::sleep_until(next).await;
        next += interval;
        // A camera that fell behind (a busy machine) drops the frames it
        // missed, as a real one does, instead of encoding them in a burst
        // that would keep this thread from everything else.
        let now = tokio::time::Instant::now();
        if next < now {
            next = now + interval;
        }
        if !shared.video_on.load(Ordering::SeqCst) {
            continue;
        }
        number += 1;
        let (width, height) = (
            shared.width.load(Ordering::SeqCst),
            shared.height.load(Ordering::SeqCst),
        );
        let max_kbps = shared.max_bitrate_kbps.load(Ordering::SeqCst);
        let key = (width, height, fps, max_kbps);
        // A new capture config: new encoders, whose first picture is a key frame.
        if layers.as_ref().is_none_or(|l| l.key != key) {
            match Layers::new(width, height, fps, max_kbps) {
                Ok(l) => layers = Some(l),
                Err(e) => {
                    tracing::warn!("no video: {e}");
                    return;
                }
            }
        }
        let Some(enc) = layers.as_mut() else { return };
        let marker = VideoMarker {
            tag: shared.tag(),
            number: (number & 0xf_ffff) as u32,
            capture_ms: ((now_us() / 1000) & 0xf_ffff) as u32,
        };
        let layers_out = [
            (&mut enc.full, &wanted.full, &track, ssrc, pt),
            (&mut enc.low, &wanted.low, &low, low_ssrc, low_pt),
        ];
        for (encoder, keyframe, writer_track, ssrc, pt) in layers_out {
            let (w, h) = encoder.size();
            let mut picture = draw_i420(&marker, w, h);
            add_grain(&mut picture, w, h, number, GRAIN);
            let unit = match encoder.encode(picture, keyframe.swap(false, Ordering::SeqCst)) {
                Ok(unit) => unit,
                Err(e) => {
                    tracing::warn!("video encoding stopped: {e}");
                    return;
                }
            };
            if unit.is_empty() {
                continue; // skipped by rate control
            }
            let sample = Sample {
                data: bytes::Bytes::from(unit),
                duration: interval,
                ..Sample::new(Instant::now())
            };
            if writer_track
                .sample_writer(ssrc, pt)
                .write_sample(&sample)
                .await
                .is_err()
            {
                return;
            }
        }
        if let Some(view) = shared.local_view() {
            view.on_frame(&RenderedFrame {
                number: u64::from(marker.number),
                width,
                height,
                delay: Duration::ZERO,
                sender_tag: Some(marker.tag),
            });
        }
    }
}

/// The local microphone's level, 0 while it sends nothing.
pub(super) fn local_level(shared: &MediaShared) -> u8 {
    if shared.audio_on.load(Ordering::SeqCst) {
        u8::try_from(shared.local_level.load(Ordering::SeqCst)).unwrap_or(9)
    } else {
        0
    }
}

/// Opus at 32 kbit/s with in-band FEC: plenty for a tone, and what
/// browsers use for speech.
pub(super) const OPUS_BITRATE: i32 = 32_000;

pub(super) async fn send_audio(
    track: Arc<TrackLocalStaticSample>,
    pt: PayloadType,
    shared: Arc<MediaShared>,
) {
    let Some(ssrc) = track.ssrcs().await.first().copied() else {
        return;
    };
    let encoder = nccall_opus::Encoder::new(1).and_then(|mut e| {
        e.set_bitrate(OPUS_BITRATE)?;
        e.set_inband_fec(true)?;
        Ok(e)
    });
    let mut encoder = match encoder {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!("no audio: {e}");
            return;
        }
    };
    let mut number: u64 = 0;
    let mut samples = [0i16; FRAME_SAMPLES];
    let mut ticks = tokio::time::interval(Duration::from_millis(20));
    loop {
        ticks.tick().await;
        // A real microphone is read even while muted, so that unmuting
        // sends what it hears now, not what it heard before.
        let real = shared.captured(&mut samples);
        if !shared.audio_on.load(Ordering::SeqCst) {
            continue;
        }
        if !real {
            // The virtual microphone plays its user's marker tone.
            let tone = ToneSource::new(tone_hz(shared.tag()), nccall_opus::SAMPLE_RATE);
            tone.fill(number * FRAME_SAMPLES as u64, &mut samples);
        }
        shared
            .local_level
            .store(u32::from(level_of(&samples)), Ordering::SeqCst);
        number += 1;
        let packet = match encoder.encode(&samples) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("audio encoding stopped: {e}");
                return;
            }
        };
        let sample = Sample {
            data: bytes::Bytes::from(packet),
            duration: Duration::from_millis(20),
            ..Sample::new(Instant::now())
        };
        if track
            .sample_writer(ssrc, pt)
            .write_sample(&sample)
            .await
            .is_err()
        {
            return;
        }
    }
}
