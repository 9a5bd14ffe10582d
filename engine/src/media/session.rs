//! One peer connection per call, to the simulator's media server.
//!
//! The engine offers audio, video and low-resolution video (the first two
//! send and receive, so the server forwards one remote user's media on the
//! same mids: receive slot 0), plus a recvonly audio and video pair for
//! every further receive slot a group call needs. It publishes the offer
//! over signaling (`publishMedia`, naming the user of each slot), applies
//! the answer, then sends real media: an H.264 picture per frame interval
//! while the camera captures (the marker drawn in it, see `marker.rs`), an
//! Opus packet of the sender's tone every 20 ms while the microphone is on.
//! What arrives is decoded: views get decoded pictures, the audio's tone
//! and level are measured from decoded samples. When a group call needs more slots, the same
//! connection is renegotiated (`updateMedia`). What arrives on a slot goes
//! to the view of the user the slot carries.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rtc::interceptor::{Registry, Slot};
use rtc::media::Sample;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_H264, MIME_TYPE_OPUS};
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp_transceiver::PayloadType;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters,
    RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::statistics::StatsSelector;
use rtc::statistics::report::RTCStatsReportEntry;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;
use webrtc::media_stream::Track;
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCIceGatheringState, RTCPeerConnectionState, RTCSessionDescription,
};
use webrtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit, RtpSender};

use super::h264::{Decoded, H264_FMTP, VideoDecoder, VideoEncoder};
use super::keyframe_requests::{KeyframeRequests, keyframes_asked};
use super::marker::{GRAIN, VideoMarker, add_grain, detect_tone, draw_i420, tone_hz};
use super::now_us;
use super::quality::{
    AudioVolume, AudioVolumeEvent, CallQuality, ConnectionQualityHandler, JitterEstimator,
    QUALITY_INTERVAL, ReceiveQualityEvent, SendQualityEvent, level_of,
};
use super::views::{RenderedFrame, VideoView};
use crate::devices::{AudioCapture, AudioPlayback, FRAME_SAMPLES, ToneSource};

pub(crate) static LIVE_PEER_CONNECTIONS: AtomicUsize = AtomicUsize::new(0);

/// The ICE check interval. The `webrtc` crate's default (200 ms) adds a
/// whole interval to every connect (nomination waits for the next tick);
/// 1 ms keeps a loopback connect to a few milliseconds, with the attempts
/// scaled to keep its ~1.4 s budget. It applies while checking only: a
/// connected agent wakes at the keepalive interval.
pub const ICE_CHECK_INTERVAL: Duration = Duration::from_millis(1);
pub const ICE_MAX_BINDING_REQUESTS: u16 = 1400;

/// What the engine and the media tasks share; it outlives calls (views stay bound).
#[derive(Default)]
pub(crate) struct MediaShared {
    /// The camera captures: send video.
    pub video_on: AtomicBool,
    /// The microphone is on in a call: send audio.
    pub audio_on: AtomicBool,
    pub width: AtomicU32,
    pub height: AtomicU32,
    pub fps: AtomicU32,
    /// The video config's highest bit rate, in kbps (0: the engine's default).
    pub max_bitrate_kbps: AtomicU32,
    /// This user's marker tag (`marker::tag_of` of the user id).
    pub tag: AtomicU32,
    /// This user's id: the local entry of `onAudioVolumeChanged` names it.
    pub local_user: Mutex<String>,
    /// Key frames the SFU asked this engine's video streams for.
    keyframes: KeyframeWanted,
    pub local_view: Mutex<Option<Arc<dyn VideoView>>>,
    pub remote_views: Mutex<HashMap<String, Arc<dyn VideoView>>>,
    /// Remote users whose low-resolution stream this engine wants.
    pub low_resolution: Mutex<std::collections::HashSet<String>>,
    pub audio_received: AtomicU64,
    pub video_received: AtomicU64,
    pub audio_arrived: Notify,
    pub quality_handler: Mutex<Option<Arc<dyn ConnectionQualityHandler>>>,
    /// The remote user each receive slot carries ("" = free), as the media
    /// server last confirmed.
    pub slots: Mutex<Vec<String>>,
    /// What arrived from each remote user in the current call.
    pub receptions: Mutex<HashMap<String, Reception>>,
    /// Level (0..=9) of the last audio packet sent.
    pub local_level: AtomicU32,
    /// The last round trip measured, in microseconds (0: none yet).
    pub rtt_us: AtomicU64,
    /// The current peer connection is connected.
    pub link_up: AtomicBool,
    pub link_changed: Notify,
    /// Peer connections rebuilt after a lost media path, in this call.
    pub media_reconnections: AtomicU64,
    /// `EngineConfig::media_loss_timeout` in milliseconds (0: the default).
    pub loss_timeout_ms: AtomicU64,
    /// `EngineConfig::ice_check_interval` in microseconds (0: the default).
    pub ice_check_interval_us: AtomicU64,
    /// The open real microphone; none: the virtual one (the marker tone).
    pub microphone: Mutex<Option<Box<dyn AudioCapture>>>,
    /// The open real speaker; none: received audio is not played.
    pub speaker: Mutex<Option<Arc<dyn AudioPlayback>>>,
}

/// How long a silent media path is tolerated before the peer connection is
/// rebuilt, unless the engine's config says otherwise.
pub const DEFAULT_MEDIA_LOSS_TIMEOUT: Duration = Duration::from_secs(5);

/// What arrived from one remote user: the figures an RTCP receiver report
/// is made of, and the audio level.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Reception {
    /// RTP packets received, and expected from the sequence numbers.
    pub received: u64,
    pub expected: u64,
    /// Interarrival jitter of the received audio, in microseconds.
    pub jitter_us: u64,
    /// Level (0..=9) of the last audio packet received.
    pub level: u32,
    pub audio_packets: u64,
    /// The marker tone heard in the last decoded audio packet.
    pub heard_hz: Option<u32>,
}

impl MediaShared {
    fn remote_view(&self, user: &str) -> Option<Arc<dyn VideoView>> {
        self.remote_views
            .lock()
            .ok()
            .and_then(|v| v.get(user).cloned())
    }

    fn speaker(&self) -> Option<Arc<dyn AudioPlayback>> {
        self.speaker.lock().ok().and_then(|s| s.clone())
    }

    /// The next 20 ms the open microphone captured, if one is open.
    fn captured(&self, frame: &mut [i16; FRAME_SAMPLES]) -> bool {
        match self.microphone.lock() {
            Ok(mut mic) => mic.as_mut().map(|m| m.read_frame(frame)).is_some(),
            Err(_) => false,
        }
    }

    fn local_view(&self) -> Option<Arc<dyn VideoView>> {
        self.local_view.lock().ok().and_then(|v| v.clone())
    }

    /// The user receive slot `slot` carries now, if any.
    fn slot_user(&self, slot: usize) -> Option<String> {
        let slots = self.slots.lock().ok()?;
        slots.get(slot).filter(|u| !u.is_empty()).cloned()
    }

    /// The users the receive slots carry now.
    fn slot_users(&self) -> Vec<String> {
        self.slots
            .lock()
            .map(|s| s.iter().filter(|u| !u.is_empty()).cloned().collect())
            .unwrap_or_default()
    }

    /// Per packet: no allocation once the user has an entry.
    fn reception(&self, user: &str, update: impl FnOnce(&mut Reception)) {
        if let Ok(mut all) = self.receptions.lock() {
            match all.get_mut(user) {
                Some(r) => update(r),
                None => update(all.entry(user.to_string()).or_default()),
            }
        }
    }

    /// The ICE check interval and how many checks fit the ~1.4 s budget
    /// [`ICE_MAX_BINDING_REQUESTS`] gives at [`ICE_CHECK_INTERVAL`].
    fn ice_checks(&self) -> (Duration, u16) {
        match self.ice_check_interval_us.load(Ordering::SeqCst) {
            0 => (ICE_CHECK_INTERVAL, ICE_MAX_BINDING_REQUESTS),
            us => {
                let interval = Duration::from_micros(us);
                let budget = ICE_CHECK_INTERVAL * u32::from(ICE_MAX_BINDING_REQUESTS);
                let fit = budget.as_micros() / u128::from(us);
                (interval, u16::try_from(fit).unwrap_or(u16::MAX).max(7))
            }
        }
    }

    pub(crate) fn loss_timeout(&self) -> Duration {
        match self.loss_timeout_ms.load(Ordering::SeqCst) {
            0 => DEFAULT_MEDIA_LOSS_TIMEOUT,
            ms => Duration::from_millis(ms),
        }
    }

    pub(crate) fn round_trip_time(&self) -> Option<Duration> {
        match self.rtt_us.load(Ordering::SeqCst) {
            0 => None,
            us => Some(Duration::from_micros(us)),
        }
    }

    /// The marker tone last heard from `user`, if any.
    pub(crate) fn heard_tone_from(&self, user: &str) -> Option<u32> {
        self.receptions
            .lock()
            .ok()
            .and_then(|r| r.get(user).and_then(|r| r.heard_hz))
    }

    fn tag(&self) -> u16 {
        u16::try_from(self.tag.load(Ordering::SeqCst)).unwrap_or(0)
    }

    pub(crate) fn audio_packets_from(&self, user: &str) -> u64 {
        self.receptions
            .lock()
            .ok()
            .and_then(|r| r.get(user).map(|r| r.audio_packets))
            .unwrap_or(0)
    }

    /// Starts a call's media from nothing: no slots, nothing received.
    pub(crate) fn reset_reception(&self, slots: Vec<String>) {
        if let Ok(mut s) = self.slots.lock() {
            *s = slots;
        }
        if let Ok(mut r) = self.receptions.lock() {
            r.clear();
        }
        self.rtt_us.store(0, Ordering::SeqCst);
        self.media_reconnections.store(0, Ordering::SeqCst);
    }
}

/// Receive slot `k >= 1` is a recvonly audio and video pair after the three
/// sending m-lines; slot 0 shares the sending audio and video m-lines.
fn slot_of_mline(index: usize) -> Option<usize> {
    match index {
        0 | 1 => Some(0),
        2 => None,
        n => Some((n - 3) / 2 + 1),
    }
}

/// The SSRCs the answer says the media server sends on, with the receive
/// slot of their m-line.
fn ssrc_slots(answer: &str) -> HashMap<u32, usize> {
    let mut found = HashMap::new();
    let mut index: Option<usize> = None;
    for line in answer.lines() {
        if line.starts_with("m=") {
            index = Some(index.map_or(0, |i| i + 1));
        } else if let Some(rest) = line.strip_prefix("a=ssrc:")
            && let Some(ssrc) = rest.split(' ').next().and_then(|n| n.parse::<u32>().ok())
            && let Some(slot) = index.and_then(slot_of_mline)
        {
            found.insert(ssrc, slot);
        }
    }
    found
}

/// A live peer connection and its tasks; dropping it closes both.
pub(crate) struct MediaSession {
    pc: Arc<dyn PeerConnection>,
    tasks: Vec<JoinHandle<()>>,
    slots: SlotControl,
    /// Set once the answer is applied.
    state: Option<watch::Receiver<LinkState>>,
}

/// Adds receive slots to a running connection (renegotiation). It shares
/// the connection but does not own it: the [`MediaSession`] closes it.
#[derive(Clone)]
pub(crate) struct SlotControl {
    pc: Arc<dyn PeerConnection>,
    ssrc_slots: Arc<Mutex<HashMap<u32, usize>>>,
    /// Receive slots the connection has m-lines for.
    offered: Arc<AtomicUsize>,
}

impl SlotControl {
    pub(crate) fn offered(&self) -> usize {
        self.offered.load(Ordering::SeqCst)
    }

    /// Adds recvonly pairs up to `slots` receive slots and returns the new
    /// offer; [`SlotControl::apply_answer`] completes the exchange.
    pub(crate) async fn grow(&self, slots: usize) -> Result<String, String> {
        for _ in self.offered()..slots {
            add_receive_slot(&self.pc).await?;
        }
        let offer = self
            .pc
            .create_offer(None)
            .await
            .map_err(|e| format!("renegotiation offer: {e}"))?;
        self.pc
            .set_local_description(offer)
            .await
            .map_err(|e| format!("local description: {e}"))?;
        let local = self
            .pc
            .local_description()
            .await
            .ok_or("no local description")?;
        self.offered
            .store(slots.max(self.offered()), Ordering::SeqCst);
        Ok(local.sdp)
    }

    pub(crate) async fn apply_answer(&self, sdp: String) -> Result<(), String> {
        if let Ok(mut map) = self.ssrc_slots.lock() {
            map.extend(ssrc_slots(&sdp));
        }
        let answer = RTCSessionDescription::answer(sdp).map_err(|e| format!("answer: {e}"))?;
        self.pc
            .set_remote_description(answer)
            .await
            .map_err(|e| format!("remote description: {e}"))
    }
}

/// A recvonly audio and video m-line pair: one more receive slot.
async fn add_receive_slot(pc: &Arc<dyn PeerConnection>) -> Result<(), String> {
    for kind in [RtpCodecKind::Audio, RtpCodecKind::Video] {
        let init = RTCRtpTransceiverInit {
            direction: RTCRtpTransceiverDirection::Recvonly,
            streams: Vec::new(),
            send_encodings: Vec::new(),
        };
        pc.add_transceiver_from_kind(kind, Some(init))
            .await
            .map_err(|e| format!("receive slot: {e}"))?;
    }
    Ok(())
}

impl Drop for MediaSession {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        let pc = self.pc.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = pc.close().await;
            });
        }
        LIVE_PEER_CONNECTIONS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How the peer connection is doing, as the media task needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkState {
    Connecting,
    Connected,
    /// Disconnected (no consent answers for the loss timeout) or failed.
    Lost,
}

struct Events {
    gathered: mpsc::Sender<()>,
    state: watch::Sender<LinkState>,
    /// Receive slot of each SSRC the media server sends on.
    ssrc_slots: Arc<Mutex<HashMap<u32, usize>>>,
    shared: Arc<MediaShared>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Events {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.gathered.try_send(());
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let link = match state {
            RTCPeerConnectionState::Connected => LinkState::Connected,
            RTCPeerConnectionState::Disconnected | RTCPeerConnectionState::Failed => {
                LinkState::Lost
            }
            _ => LinkState::Connecting,
        };
        self.shared
            .link_up
            .store(link == LinkState::Connected, Ordering::SeqCst);
        self.shared.link_changed.notify_waiters();
        self.state.send_replace(link);
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let shared = self.shared.clone();
        let ssrc_slots = self.ssrc_slots.clone();
        tokio::spawn(async move {
            let video = track.kind().await == RtpCodecKind::Video;
            if let Err(e) = receive(track, video, shared, ssrc_slots).await {
                tracing::debug!("receiving stopped: {e}");
            }
        });
    }
}

/// Extends a 16-bit RTP sequence number to the 64-bit count it stands for.
#[derive(Default)]
struct SequenceUnwrapper {
    highest: Option<u64>,
}

impl SequenceUnwrapper {
    /// How many more packets are expected now that `seq` arrived (RFC 3550
    /// A.3: the highest extended number seen, less the first): 0 for a
    /// late or repeated packet, more than 1 after a gap.
    fn push(&mut self, seq: u16) -> u64 {
        let seq = u64::from(seq);
        let ext = match self.highest {
            None => seq,
            Some(h) => {
                let candidate = (h & !0xffff) | seq;
                if candidate + 0x8000 < h {
                    candidate + 0x1_0000
                } else if candidate > h + 0x8000 && candidate >= 0x1_0000 {
                    candidate - 0x1_0000
                } else {
                    candidate
                }
            }
        };
        let newly_expected = match self.highest {
            None => 1,
            Some(h) if ext > h => ext - h,
            Some(_) => 0,
        };
        self.highest = Some(self.highest.map_or(ext, |h| h.max(ext)));
        newly_expected
    }
}

/// Keyframe requests a receiver sends at most this often: a decoder waiting
/// for one would otherwise ask on every packet.
const PLI_INTERVAL: Duration = Duration::from_millis(250);

/// Reads one inbound stream until it ends: counts what arrives for the
/// remote user its slot carries, decodes it, and shows or measures it.
async fn receive(
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
fn rendered(width: u32, height: u32, marker: Option<VideoMarker>) -> RenderedFrame {
    RenderedFrame {
        number: marker.map_or(0, |m| u64::from(m.number)),
        width,
        height,
        delay: marker.map_or(Duration::ZERO, |m| m.age(now_us() / 1000)),
        sender_tag: marker.map(|m| m.tag),
    }
}

/// The codecs the engine offers, one per kind: what it can encode and decode.
fn opus_codec() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_OPUS.to_owned(),
        clock_rate: 48_000,
        channels: 2,
        sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
        rtcp_feedback: vec![],
    }
}

fn h264_codec() -> RTCRtpCodec {
    let feedback = |typ: &str, parameter: &str| RTCPFeedback {
        typ: typ.to_owned(),
        parameter: parameter.to_owned(),
    };
    RTCRtpCodec {
        mime_type: MIME_TYPE_H264.to_owned(),
        clock_rate: 90_000,
        channels: 0,
        sdp_fmtp_line: H264_FMTP.to_owned(),
        // Keyframe requests both ways; no NACK (the engine keeps no
        // retransmission buffer), no bandwidth estimation.
        rtcp_feedback: vec![feedback("nack", "pli"), feedback("ccm", "fir")],
    }
}

/// Payload types of the offer (dynamic range, as browsers number them).
const OPUS_PT: PayloadType = 111;
const H264_PT: PayloadType = 102;

fn media_engine() -> Result<MediaEngine, String> {
    let mut media = MediaEngine::default();
    for (codec, payload_type, kind) in [
        (opus_codec(), OPUS_PT, RtpCodecKind::Audio),
        (h264_codec(), H264_PT, RtpCodecKind::Video),
    ] {
        media
            .register_codec(
                RTCRtpCodecParameters {
                    rtp_codec: codec,
                    payload_type,
                },
                kind,
            )
            .map_err(|e| format!("codecs: {e}"))?;
    }
    Ok(media)
}

/// A sending track. `id` must differ between the tracks of a connection:
/// the crate routes RTCP feedback (keyframe requests) to a track by its id.
fn local_track(
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
fn next_ssrc() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0x4e43_0000);
    NEXT.fetch_add(1, Ordering::Relaxed) ^ std::process::id().rotate_left(16)
}

impl MediaSession {
    /// Builds the peer connection with `slots` receive slots (at least one)
    /// and its offer (ICE gathered); the caller publishes the offer and gives
    /// the answer to [`PendingSession::answer`].
    pub(crate) async fn offer(
        slots: usize,
        shared: Arc<MediaShared>,
    ) -> Result<(PendingSession, String), String> {
        let media = media_engine()?;
        // Keyframe requests from the SFU must reach the encoder (the
        // crate's chain ends inbound RTCP otherwise); application-most.
        let interceptors = Registry::new().with(Slot::from(14_000), KeyframeRequests::default());
        // A path silent for the loss timeout is Disconnected (the media task
        // then builds a new connection); consent checks run four times
        // within it so one lost answer does not count.
        let loss = shared.loss_timeout();
        let (interval, attempts) = shared.ice_checks();
        let settings = SettingEngineBuilder::new()
            .with_ice_connection_attempts(Some(interval), Some(attempts))
            .with_ice_timeouts(Some(loss), Some(loss * 2), Some(loss / 4))
            // No mDNS: the SFU's candidates are plain addresses. The
            // crate's default (query-only) opens a multicast socket for
            // every connection, and on a host where only loopback is up
            // that fails and takes the whole connection with it (no media
            // at all in a network namespace with `lo` alone).
            .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
            .build();
        let (gathered, mut gathering) = mpsc::channel(1);
        let (state, state_rx) = watch::channel(LinkState::Connecting);
        let ssrc_slots = Arc::new(Mutex::new(HashMap::new()));
        let pc = PeerConnectionBuilder::new()
            .with_media_engine(media)
            .with_interceptor_registry(interceptors)
            .with_setting_engine(settings)
            .with_handler(Arc::new(Events {
                gathered,
                state,
                ssrc_slots: ssrc_slots.clone(),
                shared: shared.clone(),
            }))
            // Loopback only: binding 0.0.0.0 makes the crate skip loopback candidates.
            .with_udp_addrs(vec!["127.0.0.1:0".to_owned()])
            .build()
            .await
            .map_err(|e| format!("peer connection: {e}"))?;
        let pc: Arc<dyn PeerConnection> = Arc::new(pc);
        LIVE_PEER_CONNECTIONS.fetch_add(1, Ordering::SeqCst);
        let pending = PendingSession {
            state: state_rx,
            senders: Default::default(),
            session: MediaSession {
                pc: pc.clone(),
                tasks: Vec::new(),
                slots: SlotControl {
                    pc: pc.clone(),
                    ssrc_slots,
                    offered: Arc::new(AtomicUsize::new(slots.max(1))),
                },
                state: None,
            },
            audio: local_track("audio", opus_codec(), next_ssrc())?,
            video: local_track("video", h264_codec(), next_ssrc())?,
            video_low: local_track("video-low", h264_codec(), next_ssrc())?,
            shared,
        };
        let audio_sender = Some(
            pc.add_track(pending.audio.clone() as Arc<dyn TrackLocal>)
                .await
                .map_err(|e| format!("audio track: {e}"))?,
        );
        let video_sender = Some(
            pc.add_track(pending.video.clone() as Arc<dyn TrackLocal>)
                .await
                .map_err(|e| format!("video track: {e}"))?,
        );
        // The low-resolution layer: a second video track (m-line 2) with a
        // quarter of the pixels; the SFU sends each receiver the one it chose.
        let low_sender = Some(
            pc.add_track(pending.video_low.clone() as Arc<dyn TrackLocal>)
                .await
                .map_err(|e| format!("low-resolution video track: {e}"))?,
        );
        for _ in 1..slots {
            add_receive_slot(&pc).await?;
        }
        let offer = pc
            .create_offer(None)
            .await
            .map_err(|e| format!("offer: {e}"))?;
        pc.set_local_description(offer)
            .await
            .map_err(|e| format!("local description: {e}"))?;
        tokio::time::timeout(Duration::from_secs(5), gathering.recv())
            .await
            .map_err(|_| "ICE gathering did not complete".to_string())?;
        let local = pc.local_description().await.ok_or("no local description")?;
        let pending = PendingSession {
            senders: [audio_sender, video_sender, low_sender],
            ..pending
        };
        Ok((pending, local.sdp))
    }
}

/// A session whose offer is out, waiting for the answer.
pub(crate) struct PendingSession {
    /// Connected once ICE and DTLS are up: the senders start then, so the
    /// first frame is not lost or late.
    state: watch::Receiver<LinkState>,
    /// Audio, video: their parameters give the negotiated payload types.
    senders: [Option<Arc<dyn RtpSender>>; 3],
    session: MediaSession,
    audio: Arc<TrackLocalStaticSample>,
    video: Arc<TrackLocalStaticSample>,
    video_low: Arc<TrackLocalStaticSample>,
    shared: Arc<MediaShared>,
}

impl PendingSession {
    /// Applies the media server's answer and starts sending.
    pub(crate) async fn answer(mut self, sdp: String) -> Result<MediaSession, String> {
        let pc = self.session.pc.clone();
        self.session.slots.apply_answer(sdp).await?;
        let [audio_sender, video_sender, low_sender] = std::mem::take(&mut self.senders);
        let low_pt = payload_type(low_sender)
            .await
            .ok_or("no low-resolution payload type negotiated".to_string())?;
        let audio_pt = payload_type(audio_sender)
            .await
            .ok_or("no audio payload type negotiated".to_string())?;
        let video_pt = payload_type(video_sender)
            .await
            .ok_or("no video payload type negotiated".to_string())?;
        let (video, audio, shared) = (self.video.clone(), self.audio.clone(), self.shared.clone());
        let low = self.video_low.clone();
        let mut up = self.state.clone();
        self.session.tasks.push(tokio::spawn(async move {
            if up.wait_for(|s| *s == LinkState::Connected).await.is_ok() {
                send_video(video, video_pt, low, low_pt, shared).await;
            }
        }));
        let (q_pc, q_shared) = (pc.clone(), self.shared.clone());
        self.session
            .tasks
            .push(tokio::spawn(watch_quality(q_pc, q_shared)));
        let (shared, mut up) = (self.shared.clone(), self.state.clone());
        self.session.tasks.push(tokio::spawn(async move {
            if up.wait_for(|s| *s == LinkState::Connected).await.is_ok() {
                send_audio(audio, audio_pt, shared).await;
            }
        }));
        self.session.state = Some(self.state);
        Ok(self.session)
    }
}

impl MediaSession {
    /// A handle that renegotiates this connection for more receive slots.
    pub(crate) fn slot_control(&self) -> SlotControl {
        self.slots.clone()
    }

    /// How the connection is doing.
    pub(crate) fn link_state(&self) -> Option<watch::Receiver<LinkState>> {
        self.state.clone()
    }
}

/// The payload type negotiated for a sender.
async fn payload_type(sender: Option<Arc<dyn RtpSender>>) -> Option<PayloadType> {
    let params = sender?.get_parameters().await.ok()?;
    params.rtp_parameters.codecs.first().map(|c| c.payload_type)
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
    fn ask(&self, ssrc: u32) {
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
async fn watch_keyframe_requests(track: Arc<TrackLocalStaticSample>, shared: Arc<MediaShared>) {
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
fn full_layer_bitrate(width: u32, height: u32, fps: u32, max_kbps: u32) -> u32 {
    if max_kbps > 0 {
        max_kbps.saturating_mul(1000)
    } else {
        (width * height * fps.max(1)) / 10
    }
}

/// The encoders of both layers, built for one capture size and rate.
struct Layers {
    key: (u32, u32, u32, u32),
    full: VideoEncoder,
    low: VideoEncoder,
}

impl Layers {
    fn new(width: u32, height: u32, fps: u32, max_kbps: u32) -> Result<Layers, String> {
        let bitrate = full_layer_bitrate(width, height, fps, max_kbps);
        let (w, h) = (width as usize, height as usize);
        Ok(Layers {
            key: (width, height, fps, max_kbps),
            full: VideoEncoder::new(w, h, fps, bitrate)?,
            low: VideoEncoder::new(w / 2, h / 2, fps, bitrate / 4)?,
        })
    }
}

async fn send_video(
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

/// Aborts the tasks when dropped: helpers that live as long as a sender.
struct AbortOnDrop<const N: usize>([JoinHandle<()>; N]);

impl<const N: usize> Drop for AbortOnDrop<N> {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Every [`QUALITY_INTERVAL`]: reads the connection's RTP statistics and
/// what arrived from each remote user, and tells the quality handler what
/// changed: send quality, receive quality per remote user, audio volumes.
async fn watch_quality(pc: Arc<dyn PeerConnection>, shared: Arc<MediaShared>) {
    #[derive(Default, Clone, Copy)]
    struct Sent {
        sent: u64,
        reported_lost: u64,
    }
    let mut last_sent = Sent::default();
    let mut last_received: HashMap<String, Reception> = HashMap::new();
    let mut reported_send: Option<CallQuality> = None;
    let mut reported_receive: HashMap<String, CallQuality> = HashMap::new();
    let mut reported_volumes: Option<Vec<(String, u8)>> = None;
    let mut ticks = tokio::time::interval(QUALITY_INTERVAL);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let report = pc.get_stats(Instant::now(), StatsSelector::None).await;
        let mut now = Sent::default();
        for s in report.outbound_rtp_streams() {
            now.sent += s.sent_rtp_stream_stats.packets_sent;
        }
        let mut rtt: Option<Duration> = None;
        // The crate leaves the receiver reports' round trip at 0 in this
        // version; the ICE consent checks (every 2 s) measure the same path.
        let mut ice_rtt: Option<Duration> = None;
        for entry in report.iter() {
            match entry {
                RTCStatsReportEntry::RemoteInboundRtp(s) => {
                    now.reported_lost +=
                        u64::try_from(s.received_rtp_stream_stats.packets_lost).unwrap_or(0);
                    if s.round_trip_time > 0.0 {
                        rtt = Some(Duration::from_secs_f64(s.round_trip_time));
                    }
                }
                RTCStatsReportEntry::IceCandidatePair(p) if p.current_round_trip_time > 0.0 => {
                    let pair = Duration::from_secs_f64(p.current_round_trip_time);
                    ice_rtt = Some(ice_rtt.map_or(pair, |r: Duration| r.max(pair)));
                }
                _ => {}
            }
        }
        let rtt = rtt.or(ice_rtt);
        if let Some(rtt) = rtt {
            let us = u64::try_from(rtt.as_micros()).unwrap_or(u64::MAX).max(1);
            shared.rtt_us.store(us, Ordering::SeqCst);
        }
        let (sent, reported_lost) = (
            now.sent.saturating_sub(last_sent.sent),
            now.reported_lost.saturating_sub(last_sent.reported_lost),
        );
        last_sent = now;
        let send_loss = loss_rate(reported_lost, sent);
        let send = if sent == 0 {
            CallQuality::Unknown
        } else {
            CallQuality::from_loss(send_loss, rtt)
        };

        // Receive side, per remote user, from what the tracks counted (the
        // crate's own inbound `packets_lost` and `jitter` stay 0 in this version).
        let users = shared.slot_users();
        let receptions = shared
            .receptions
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default();
        let mut receive = Vec::new();
        let me = shared
            .local_user
            .lock()
            .map(|u| u.clone())
            .unwrap_or_default();
        let mut volumes = vec![(me, local_level(&shared))];
        for user in &users {
            let now = receptions.get(user).copied().unwrap_or_default();
            let before = last_received.get(user).copied().unwrap_or_default();
            let got = now.received.saturating_sub(before.received);
            let lost = now
                .expected
                .saturating_sub(now.received)
                .saturating_sub(before.expected.saturating_sub(before.received));
            let jitter = Duration::from_micros(now.jitter_us);
            let quality = if got + lost == 0 {
                CallQuality::Down
            } else {
                CallQuality::from_stats(loss_rate(lost, got + lost), None, jitter)
            };
            receive.push(ReceiveQualityEvent {
                user_id: user.clone(),
                quality,
                packet_loss_rate: loss_rate(lost, got + lost),
                jitter,
            });
            // The level of the last packet of this interval; silence when none came.
            let level = if got == 0 { 0 } else { now.level };
            volumes.push((user.clone(), u8::try_from(level).unwrap_or(9)));
        }
        last_received = receptions;

        let handler = shared.quality_handler.lock().ok().and_then(|h| h.clone());
        let Some(handler) = handler else { continue };
        if reported_send != Some(send) {
            reported_send = Some(send);
            handler.on_send_quality_changed(&SendQualityEvent {
                quality: send,
                packet_loss_rate: send_loss,
                round_trip_time: rtt,
            });
        }
        for event in receive {
            if reported_receive.get(&event.user_id) != Some(&event.quality) {
                reported_receive.insert(event.user_id.clone(), event.quality);
                handler.on_receive_quality_changed(&event);
            }
        }
        if reported_volumes.as_ref() != Some(&volumes) {
            handler.on_audio_volume_changed(&AudioVolumeEvent {
                volumes: volumes
                    .iter()
                    .map(|(user_id, level)| AudioVolume {
                        user_id: user_id.clone(),
                        level: *level,
                    })
                    .collect(),
            });
            reported_volumes = Some(volumes);
        }
    }
}

fn loss_rate(lost: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        lost as f64 / total as f64
    }
}

/// The local microphone's level, 0 while it sends nothing.
fn local_level(shared: &MediaShared) -> u8 {
    if shared.audio_on.load(Ordering::SeqCst) {
        u8::try_from(shared.local_level.load(Ordering::SeqCst)).unwrap_or(9)
    } else {
        0
    }
}

/// Opus at 32 kbit/s with in-band FEC: plenty for a tone, and what
/// browsers use for speech.
const OPUS_BITRATE: i32 = 32_000;

async fn send_audio(track: Arc<TrackLocalStaticSample>, pt: PayloadType, shared: Arc<MediaShared>) {
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
