//! One inbound stream: counted for the remote user its slot carries,
//! decoded, shown on that user's view (video) or measured for its tone and
//! level (audio); keyframes asked for when the decoder needs one.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

use super::sequence::SequenceUnwrapper;
use crate::media::MediaShared;
use crate::media::h264::{Decoded, VideoDecoder};
use crate::media::keyframe_requests::keyframes_asked;
use crate::media::marker::{VideoMarker, detect_tone};
use crate::media::now_us;
use crate::media::quality::{JitterEstimator, level_of};
use crate::media::views::RenderedFrame;

/// Keyframe requests a receiver sends at most this often: a decoder waiting
/// for one would otherwise ask on every packet.
pub(super) const PLI_INTERVAL: Duration = Duration::from_millis(250);

/// Reads one inbound stream until it ends: counts what arrives for the
/// remote user its slot carries, decodes it, and shows or measures it.
pub(super) async fn receive(
    track: Arc<dyn TrackRemote>,
    video: bool,
    shared: Arc<MediaShared>,
    ssrc_slots: Arc<Mutex<HashMap<u32, usize>>>,
) -> Result<(), String> {
    let mut sequence = SequenceUnwrapper::default();
    let mut jitter = JitterEstimator::default();
    let origin = Instant::now();
    let mut slot: Option<usize> = None;
    let mut pictures = if video {
        Some(VideoDecoder::new()?)
    } else {
        None
    };
    let mut sound = if video {
        None
    } else {
        Some(nccall_opus::Decoder::new(1).map_err(|e| e.to_string())?)
    };
    let mut last_pli: Option<Instant> = None;
    while let Some(event) = track.poll().await {
        let packet = match event {
            TrackRemoteEvent::OnRtpPacket(packet) => packet,
            // Feedback about what this engine sends on the same transceiver.
            TrackRemoteEvent::OnRtcpPacket(packets) => {
                for ssrc in keyframes_asked(&packets) {
                    shared.keyframes.ask(ssrc);
                }
                continue;
            }
            _ => continue,
        };
        if slot.is_none() {
            slot = ssrc_slots
                .lock()
                .ok()
                .and_then(|m| m.get(&packet.header.ssrc).copied());
        }
        // Whoever the slot carries now: a slot is re-assigned only after
        // its previous user left.
        let Some(remote_user) = slot.and_then(|k| shared.slot_user(k)) else {
            continue;
        };
        let newly_expected = sequence.push(packet.header.sequence_number);
        shared.reception(&remote_user, |r| {
            r.received += 1;
            r.expected += newly_expected;
        });
        if let Some(decoder) = pictures.as_mut() {
            let decoded = decoder.push(
                packet.header.sequence_number,
                packet.header.timestamp,
                packet.header.marker,
                &packet.payload,
            );
            match decoded {
                Decoded::Picture {
                    width,
                    height,
                    marker,
                } => {
                    shared.video_received.fetch_add(1, Ordering::SeqCst);
                    if let Some(view) = shared.remote_view(&remote_user) {
                        view.on_frame(&rendered(width, height, marker));
                    }
                }
                Decoded::NeedKeyframe if last_pli.is_none_or(|t| t.elapsed() >= PLI_INTERVAL) => {
                    last_pli = Some(Instant::now());
                    let pli = PictureLossIndication {
                        sender_ssrc: 0,
                        media_ssrc: packet.header.ssrc,
                    };
                    let _ = track.write_rtcp(vec![Box::new(pli)]).await;
                }
                Decoded::NeedKeyframe | Decoded::Nothing => {}
            }
        } else if let Some(decoder) = sound.as_mut() {
            // Opus runs at 48 kHz; audio is sent in steady 20 ms packets,
            // so its jitter is the path's.
            jitter.on_packet(packet.header.timestamp, 48_000, origin.elapsed());
            let jitter_us = u64::try_from(jitter.jitter().as_micros()).unwrap_or(u64::MAX);
            // A packet that is not Opus (another codec on a wrongly
            // negotiated stream, or garbage) is counted but not heard.
            let samples = decoder.decode(&packet.payload).ok();
            let level = samples.as_deref().map(|s| u32::from(level_of(s)));
            let heard = samples
                .as_deref()
                .and_then(|s| detect_tone(s, nccall_opus::SAMPLE_RATE));
            if let (Some(samples), Some(speaker)) = (samples.as_deref(), shared.speaker()) {
                speaker.play(&remote_user, samples);
            }
            shared.reception(&remote_user, |r| {
                r.audio_packets += 1;
                r.jitter_us = jitter_us;
                if let Some(level) = level {
                    r.level = level;
                }
                r.heard_hz = heard;
            });
            shared.audio_received.fetch_add(1, Ordering::SeqCst);
            shared.audio_arrived.notify_waiters();
        }
    }
    Ok(())
}

/// What a view is shown of a decoded picture: the marker's frame number,
/// sender and age when it could be read.
pub(super) fn rendered(width: u32, height: u32, marker: Option<VideoMarker>) -> RenderedFrame {
    RenderedFrame {
        number: marker.map_or(0, |m| u64::from(m.number)),
        width,
        height,
        delay: marker.map_or(Duration::ZERO, |m| m.age(now_us() / 1000)),
        sender_tag: marker.map(|m| m.tag),
    }
}
